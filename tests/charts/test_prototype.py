"""A report's charts are copies of a prototype per shape (`workbench.charts.prototype`): each
copy's bokeh document is the document of the same chart built from scratch, value for value
(data, titles, subtitles, ranges, legend entries, phases, signal markers, PDSA lane), on every
chart of demo teams' reports, in English and in French; and the document a report embeds
(`TeamReport.charts`: the prototype's document as text, `DocumentTemplate`) is that same
document; so is the assessment chart a report embeds (`TeamReport.assessment_chart`)."""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np
import pandas as pd
import pytest
from bokeh.document import Document
from bokeh.models import ColumnDataSource, Legend

from workbench.charts import data as cd
from workbench.charts import series as charts
from workbench.charts.embed import compressed_docs, document_json
from workbench.charts.prototype import PrototypeCache, clone
from workbench.i18n import use_language

INDICATOR = {"indicator_id": "AMTSL", "name": "Births receiving AMTSL", "chart": "p",
             "multiplier": 100.0, "target": 0.9, "direction": "increase", "unit": "%"}
PERIODS = pd.period_range("2024-11", periods=24, freq="M")


def _document(fig: Any) -> str:
    """The figure's document JSON, ids numbered in order of first appearance."""
    doc = Document()
    doc.add_root(fig)
    text = json.dumps(document_json(doc), sort_keys=True)
    numbers: dict[str, str] = {}

    def renumber(match: re.Match[str]) -> str:
        number = numbers.setdefault(match.group(1), f"m{len(numbers)}")
        return f'"id": "{number}"'

    return re.sub(r'"id": "([^"]+)"', renumber, text)


def _embedded_document(html: str) -> str:
    """The document a chart's `text/html` carries, ids numbered as `_document` does."""
    (docs,) = compressed_docs(html)
    (doc,) = docs.values()
    numbers: dict[str, str] = {}

    def renumber(match: re.Match[str]) -> str:
        number = numbers.setdefault(match.group(1), f"m{len(numbers)}")
        return f'"id": "{number}"'

    return re.sub(r'"id": "([^"]+)"', renumber, json.dumps(doc, sort_keys=True))


def _from_scratch(points: pd.DataFrame, indicator: dict[str, Any], *, team_label: str,
                  events: pd.DataFrame | None = None,
                  flags: pd.DataFrame | None = None) -> Any:
    """The sparse chart `control_chart` drew before prototypes: built model by model."""
    data = charts.control_chart_sources(points, indicator, events, flags, lane=True)
    plan = charts._chart_plan(data, indicator, compact=False, sparse=True)
    values = charts._chart_values(data, indicator, team_label, plan)
    return charts._build_control_chart(data, plan, values, width=charts.WIDTH, height=320).fig


def _spc(jump_at: int | None = None, scale: float = 1.0) -> pd.DataFrame:
    den = np.array([40 + (i * 7) % 23 for i in range(24)], dtype=float)
    num = np.round(den * np.linspace(0.4, 0.8, 24) * scale)
    if jump_at is not None:
        num[jump_at] = den[jump_at]
    m = pd.DataFrame({"team_id": "T01", "indicator_id": "AMTSL", "period": PERIODS,
                      "numerator": num, "denominator": den, "value": num / den})
    return cd.spc_frame(m, pd.DataFrame([INDICATOR]))


def _cycle(decision: str, number: int) -> dict[str, Any]:
    return {"cycle_id": number, "team_id": "T01", "change_id": "C03", "cycle_number": number,
            "title": f"Wall chart {number}", "linked_indicators": ["AMTSL"],
            "start_date": f"2025-0{number}-01", "end_date": f"2025-0{number + 1}-20",
            "act_decision": decision}


def test_a_copy_is_a_new_graph_of_models_with_the_same_values() -> None:
    fig = _from_scratch(_spc(jump_at=5), INDICATOR, team_label="T01")
    memo: dict[int, Any] = {}
    copy = clone(fig, memo)
    assert copy.document is None and copy.toolbar.tools[0] is copy.tools[0]
    assert memo[id(fig.y_range)] is copy.y_range
    assert _document(copy) == _document(fig)
    ids = {m.id for m in fig.references()}
    assert not ids & {m.id for m in copy.references()}  # every model new, with a new id
    source = copy.select_one({"type": ColumnDataSource, "name": "points"})
    source.data = {**source.data, "y": source.data["y"] * 0}  # changing the copy ...
    assert np.asarray(fig.select_one({"name": "points"}).data["y"]).max() > 0  # ... not it


def test_charts_of_one_shape_share_a_prototype_and_keep_their_own_values() -> None:
    cache = PrototypeCache()
    charts._PROTOTYPES, saved = cache, charts._PROTOTYPES
    try:
        first = charts.control_chart(_spc(), INDICATOR, team_label="T01", sparse=True)
        second = charts.control_chart(_spc(scale=0.5), INDICATOR, team_label="T02",
                                      sparse=True)
        assert cache.built == 1
        third = charts.control_chart(_spc(jump_at=5), INDICATOR, team_label="T03",
                                     sparse=True)  # an unusual month: one more glyph
        assert cache.built == 2
    finally:
        charts._PROTOTYPES = saved
    assert "T01" in first.title.text and "T02" in second.title.text
    for fig, spc, label in ((first, _spc(), "T01"), (second, _spc(scale=0.5), "T02"),
                            (third, _spc(jump_at=5), "T03")):
        assert _document(fig) == _document(_from_scratch(spc, INDICATOR, team_label=label))


def test_embedded_charts_of_one_shape_have_their_own_ids_and_values() -> None:
    first = charts.control_chart_html(_spc(), INDICATOR, team_label="T01")
    second = charts.control_chart_html(_spc(scale=0.5), INDICATOR, team_label="T02")
    ids = [set(re.findall(r'"id": "([^"]+)"', json.dumps(compressed_docs(chart.html))))
           for chart in (first, second)]
    assert ids[0] and not ids[0] & ids[1]  # one page can hold both
    for chart, spc, label in ((first, _spc(), "T01"), (second, _spc(scale=0.5), "T02")):
        assert chart.title.startswith("Births receiving AMTSL (%) — T0")
        assert _embedded_document(chart.html) == _document(
            _from_scratch(spc, INDICATOR, team_label=label))


def test_under_a_theme_an_embedded_chart_is_built_and_themed_as_bokeh_would() -> None:
    from bokeh.io import curdoc
    from bokeh.themes import built_in_themes

    document = curdoc()
    saved = document.theme
    document.theme = built_in_themes["dark_minimal"]
    try:
        chart = charts.control_chart_html(_spc(), INDICATOR, team_label="T01")
        built = charts.figure_html(charts.control_chart(_spc(), INDICATOR, team_label="T01",
                                                        sparse=True))
    finally:
        document.theme = saved
    assert '"background_fill_color": "#20262B"' in _embedded_document(chart.html)
    assert _embedded_document(chart.html) == _embedded_document(built)


@pytest.mark.parametrize("decisions", [("adopt",), ("abandon", "adopt"),
                                       ("adapt", "abandon", "adopt")])
def test_the_pdsa_legend_points_at_each_kinds_first_event(decisions: tuple[str, ...]) -> None:
    events = cd.pdsa_events(pd.DataFrame([_cycle(d, i + 1) for i, d in enumerate(decisions)]))
    fig = charts.control_chart(_spc(), INDICATOR, team_label="T01", events=events,
                               sparse=True)
    assert _document(fig) == _document(_from_scratch(_spc(), INDICATOR, team_label="T01",
                                                     events=events))
    legend = fig.select_one({"type": Legend})
    kinds = list(fig.select_one({"name": "events"}).data["kind"])
    indexed = {item.label["value"]: item.index for item in legend.items
               if item.index is not None}
    assert indexed["PDSA adopted"] == kinds.index("adopt")


@pytest.mark.parametrize(("language", "teams"), [("en", 8), ("fr", 2)])
def test_every_chart_of_the_demo_reports_is_the_chart_built_from_scratch(
        demo_db: str, language: str, teams: int) -> None:
    from workbench import briefs
    from workbench.store import open_engine, read_teams

    engine = open_engine(demo_db)
    compared = phases = signals = lanes = 0
    with use_language(language):
        for team_id in list(read_teams(engine)["team_id"])[:teams]:
            report = briefs.team_report_data(engine, team_id, "2026-10")
            for own in (False, True):
                shown = report.indicators[report.indicators.get(
                    "team_id", pd.Series(None, index=report.indicators.index)).notna() == own]
                embedded_charts = dict(report.charts(own=own))
                for (ind_id, fig), info in zip(report.figures(own=own),
                                               _indicators(shown, report), strict=True):
                    pts = report.spc[report.spc["indicator_id"] == ind_id]
                    scratch = _from_scratch(
                        pts, info, team_label=report.team_label,
                        events=report.events[report.events["indicator_id"] == ind_id],
                        flags=report.flag_notes[report.flag_notes["indicator_id"] == ind_id])
                    text = _document(fig)
                    assert text == _document(scratch), (team_id, ind_id)
                    embedded = embedded_charts[ind_id]  # what the report shows
                    assert _embedded_document(embedded.html) == text, (team_id, ind_id)
                    assert embedded.title == fig.title.text
                    compared += 1
                    phases += '"dashdot"' in text
                    signals += '"diamond"' in text
                    lanes += '"bounds"' in text
    # these teams' charts hold every kind of annotation: phases, unusual months, PDSA lanes
    assert compared >= 5 * teams and phases and signals and lanes


def _indicators(shown: pd.DataFrame, report: Any) -> list[dict[str, Any]]:
    from workbench.briefs.tables import _indicator_dicts

    return [info for ind_id, info in _indicator_dicts(shown).items()
            if not report.spc[report.spc["indicator_id"] == ind_id].empty]


def _assessments(scores: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(scores, columns=["period", "assessor_type", "score"])


@pytest.mark.parametrize("language", ["en", "fr"])
def test_an_embedded_assessment_chart_is_the_chart_built_from_scratch(language: str) -> None:
    from workbench.charts.assessment import assessment_chart, assessment_chart_html

    both = _assessments([("2025-01", "faculty", 2.0), ("2025-01", "self", 2.5),
                         ("2025-03", "faculty", 3.5), ("2025-04", "self", 4.0)])
    only_faculty = _assessments([("2025-06", "faculty", 1.5), ("2025-07", "faculty", 3.0)])
    none = _assessments([])
    with use_language(language):
        for scores, label in ((both, "T01 Kabale"), (only_faculty, "T02 Kisoro"),
                              (both.iloc[:1], "T03"), (none, "T04"), (both, "")):
            chart = assessment_chart_html(scores, team_label=label)
            built = assessment_chart(scores, team_label=label)
            assert _embedded_document(chart.html) == _document(built), (label, len(scores))
            assert chart.title == built.title.text
        # charts of one shape have their own ids and values
        first = assessment_chart_html(both, team_label="T01")
        second = assessment_chart_html(only_faculty, team_label="T02")
    ids = [set(re.findall(r'"id": "([^"]+)"', json.dumps(compressed_docs(chart.html))))
           for chart in (first, second)]
    assert ids[0] and not ids[0] & ids[1]
    second_doc = _embedded_document(second.html)
    assert "T02" in second_doc and "1.5" in second_doc and "T01" not in second_doc


def test_every_assessment_chart_of_the_demo_reports_is_the_chart_built_from_scratch(
        demo_db: str) -> None:
    from workbench import briefs
    from workbench.store import open_engine, read_teams

    engine = open_engine(demo_db)
    scored = 0
    for team_id in list(read_teams(engine)["team_id"])[:10]:
        report = briefs.team_report_data(engine, team_id, "2026-10")
        chart = report.assessment_chart()
        assert _embedded_document(chart.html) == _document(report.assessment_figure()), team_id
        scored += len(report.assessments) > 0
    assert scored >= 5

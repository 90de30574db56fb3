"""Charts: the glyphs carry the right data (points, limits, target, signals, PDSA events)."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from bokeh.models import ColumnDataSource, NumeralTickFormatter
from chart_samples import INDICATOR, measurements

from workbench.charts import data as cd
from workbench.charts import series as charts
from workbench.charts.collab import funnel_sources, status_matrix_chart
from workbench.spc.qic import qic


def _source(fig, name: str) -> dict:
    return dict(fig.select_one({"type": ColumnDataSource, "name": name}).data)


def _cycle(title: str = "Wall chart", decision: str = "adopt", end: str = "2025-08-20"):
    return pd.DataFrame([{"cycle_id": 7, "team_id": "T01", "change_id": "C03", "cycle_number": 2,
                          "title": title, "linked_indicators": ["AMTSL"],
                          "start_date": "2025-07-01", "end_date": end,
                          "act_decision": decision}])


def test_control_chart_draws_one_point_per_month_with_limits_from_spc():
    m = measurements()
    spc = cd.spc_frame(m, pd.DataFrame([INDICATOR]))
    fig = charts.control_chart(spc, INDICATOR, team_label="T01")
    points, lines = _source(fig, "points"), _source(fig, "lines")
    assert len(points["y"]) == 24
    expected = qic(m.assign(x=m["period"].dt.to_timestamp()), "p", x="x", y="numerator",
                   n="denominator").points
    np.testing.assert_allclose(lines["ucl"], expected["ucl"])
    np.testing.assert_allclose(lines["lcl"], expected["lcl"])
    assert len(set(np.round(lines["ucl"], 6))) > 1  # p-chart limits vary with the denominator


def test_control_chart_draws_the_target_line_at_the_indicator_target():
    spc = cd.spc_frame(measurements(), pd.DataFrame([INDICATOR]))
    lines = _source(charts.control_chart(spc, INDICATOR), "lines")
    assert set(lines["target"]) == {0.9}


def test_when_a_point_is_outside_the_limits_then_it_is_highlighted():
    spc = cd.spc_frame(measurements(jump_at=5), pd.DataFrame([INDICATOR]))
    points = _source(charts.control_chart(spc, INDICATOR), "points")
    highlighted = [i for i, v in enumerate(points["y_signal"]) if not np.isnan(v)]
    assert 5 in highlighted
    assert points["signal_text"][5].startswith("unusual month: improvement")


def test_when_the_runs_rule_fires_then_the_centre_line_is_dashed():
    spc = cd.spc_frame(measurements(), pd.DataFrame([INDICATOR]))  # a steady rise: long runs
    assert spc["runs_signal"].all()
    fig = charts.control_chart(spc, INDICATOR)
    lines = _source(fig, "lines")
    assert np.isnan(lines["cl_plain"]).all() and not np.isnan(lines["cl_signal"]).any()
    dashed = [r.glyph for r in fig.renderers if getattr(r.glyph, "y", None) == "cl_signal"]
    assert dashed[0].line_dash == [6] or dashed[0].line_dash == "dashed"


def test_an_adopted_pdsa_is_drawn_at_its_date_and_starts_a_new_phase():
    m = measurements()
    events = cd.pdsa_events(_cycle())
    phases = cd.adoption_phases(events, m)
    assert phases["period"].astype(str).tolist() == ["2025-09"]
    spc = cd.spc_frame(m, pd.DataFrame([INDICATOR]), phases)
    assert spc.loc[spc["period"] >= pd.Period("2025-09", "M"), "part"].eq(2).all()
    fig = charts.control_chart(spc, INDICATOR, events=events)
    ev = _source(fig, "events")
    adopt = ev["label"].index("C03 cycle 2 adopt")
    assert pd.Timestamp(ev["x"][adopt]) == pd.Timestamp("2025-08-20")
    assert ev["marker"][adopt] == "triangle"


def test_pdsa_cycles_sit_in_a_lane_under_the_data_and_the_legend_names_each_kind_in_its_colour():
    from bokeh.models import Scatter, Text

    m = measurements()
    events = cd.pdsa_events(_cycle())  # C03 cycle 2: started 1 Jul 2025, adopted 20 Aug 2025
    spc = cd.spc_frame(m, pd.DataFrame([INDICATOR]))
    fig = charts.control_chart(spc, INDICATOR, events=events)
    ev = _source(fig, "events")
    assert ev["kind"] == ["start", "adopt"] and ev["tag"] == ["", "C03·2"]
    lowest = min(min(_source(fig, "points")["y"]), min(_source(fig, "lines")["lcl"]))
    assert max(ev["y_mark"]) < min(0.0, lowest) < fig.y_range.end  # under the data
    assert fig.y_range.start < min(ev["y_mark"])
    texts = [r.glyph for r in fig.renderers if isinstance(r.glyph, Text)]
    assert [t.text for t in texts] == ["tag"] and all(t.angle == 0 for t in texts)
    legend = {item.label.value: item for item in fig.legend[0].items}
    for label, kind in (("PDSA started", "start"), ("PDSA adopted", "adopt")):
        item = legend[label]  # drawn with that event's own marker and colour
        assert isinstance(item.renderers[0].glyph, Scatter)
        assert ev["kind"][item.index] == kind
        assert (ev["marker"][item.index], ev["color"][item.index]) == charts.EVENT_STYLE[kind]
    assert "PDSA adapted" not in legend and "PDSA abandoned" not in legend


def test_percent_indicators_are_formatted_as_percentages_and_months_as_mon_yyyy():
    spc = cd.spc_frame(measurements(), pd.DataFrame([INDICATOR]))
    fig = charts.control_chart(spc, INDICATOR)
    assert isinstance(fig.yaxis[0].formatter, NumeralTickFormatter)
    assert fig.yaxis[0].formatter.format == "0%"
    points = _source(fig, "points")
    assert points["label"][2] == "Jan 2025"
    assert re.fullmatch(r"\d+\.\d%", points["value_text"][0])
    assert charts.format_value(0.853, INDICATOR) == "85.3%"


def test_open_flag_shows_in_the_hover_of_its_month():
    spc = cd.spc_frame(measurements(), pd.DataFrame([INDICATOR]))
    flags = pd.DataFrame([{"flag_id": 1, "rule_code": "sudden-jump", "status": "open",
                           "team_id": "T01", "indicator_id": "AMTSL", "period": "2025-03",
                           "message": "jumped 40 points"}])
    fig = charts.control_chart(spc, INDICATOR, flags=cd.flag_notes(flags))
    points = _source(fig, "points")
    assert points["flag_text"][4] == "sudden-jump: jumped 40 points"
    assert _source(fig, "flagged")["label"] == ["Mar 2025"]


def test_user_text_never_reaches_the_html_unescaped():
    evil = "<script>alert(1)</script>"
    m = measurements()
    events = cd.pdsa_events(_cycle(title=evil))
    spc = cd.spc_frame(m, pd.DataFrame([INDICATOR]))
    html = charts.figure_html(charts.control_chart(spc, INDICATOR, events=events,
                                                   team_label=evil))
    assert evil not in html
    assert html.count("</script>") == 1  # only the closing tag of bokeh's own script
    from workbench.notebook import render

    table = render.table(pd.DataFrame({"title": [evil]}))
    assert evil not in table and "&lt;script&gt;alert(1)&lt;/script&gt;" in table


def test_show_emits_one_html_output_with_the_contract_metadata():
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    captured = []
    shell.display_pub.publish = lambda data, metadata=None, **kw: captured.append(
        (data, metadata))
    spc = cd.spc_frame(measurements(), pd.DataFrame([INDICATOR]))
    charts.show(charts.control_chart(spc, INDICATOR, team_label="T01"))
    (data, metadata), = captured
    assert set(data) == {"text/html", "text/plain"}
    assert data["text/html"].startswith('<div class="wb-figure">')
    assert data["text/plain"].startswith("[chart] Births receiving AMTSL")
    assert metadata["workbench"]["bundles"] == ["bokeh"]


def test_update_sources_redraws_a_chart_in_place():
    spc = cd.spc_frame(measurements(), pd.DataFrame([INDICATOR]))
    fig = charts.control_chart(spc, INDICATOR)
    new = charts.control_chart_sources(spc.head(12), INDICATOR)
    charts.update_sources(fig, new)
    assert len(_source(fig, "points")["y"]) == 12


def test_small_multiples_share_axes_across_teams():
    m = pd.concat([measurements("T01"), measurements("T02", jump_at=3)])
    spc = cd.spc_frame(m, pd.DataFrame([INDICATOR]))
    grid = charts.small_multiples(spc, INDICATOR)
    from bokeh.models import Plot

    plots = list(grid.select({"type": Plot}))
    assert len(plots) == 2
    assert plots[0].x_range is plots[1].x_range and plots[0].y_range is plots[1].y_range
    assert len(_source(grid, "T02:points")["y"]) == 24


def test_funnel_limits_are_p_chart_limits_by_denominator():
    latest = pd.DataFrame({"team_id": ["A", "B", "C"], "numerator": [10.0, 50.0, 95.0],
                           "denominator": [20.0, 100.0, 100.0]})
    data = funnel_sources(latest, INDICATOR)
    p = 155 / 220
    i = int(np.argmin(np.abs(np.array(data["limits"]["n"]) - 100)))
    n = data["limits"]["n"][i]
    assert data["limits"]["u3"][i] == pytest.approx(min(1, p + 3 * np.sqrt(p * (1 - p) / n)))
    assert data["teams"]["where"][2].startswith("above the funnel")


def test_status_matrix_shows_signal_icons_and_target_met():
    matrix = pd.DataFrame([
        {"team_id": "T01", "indicator_id": "AMTSL", "latest_period": pd.Period("2026-10", "M"),
         "latest_value": 0.95, "target_met": 1.0, "signal": "improvement",
         "months_since_report": 0},
        {"team_id": "T02", "indicator_id": "AMTSL", "latest_period": pd.Period("2026-10", "M"),
         "latest_value": 0.40, "target_met": 0.0, "signal": "concern",
         "months_since_report": 0}])
    fig = status_matrix_chart(matrix, pd.DataFrame([INDICATOR]), period="2026-10")
    cells = _source(fig, "cells")
    assert cells["text"] == ["▲ 95.0% ✓", "▼ 40.0%"]
    assert "Oct 2026" in fig.title.text


def test_a_figure_carries_its_document_gzipped_and_inflates_it_in_the_page():
    from workbench.charts.embed import compressed_docs

    spc = cd.spc_frame(measurements(), pd.DataFrame([INDICATOR]))
    html = charts.figure_html(charts.control_chart(spc, INDICATOR, team_label="T01"))
    assert "const docs_json = '" not in html  # no JSON string literal: the bytes, gzipped
    assert 'new DecompressionStream("gzip")' in html
    assert "root.Bokeh.embed.embed_items(docs_json, render_items)" in html
    (docs,) = compressed_docs(html)
    (doc,) = docs.values()
    (root,) = doc["roots"]
    assert root["name"] == "Figure"
    assert root["attributes"]["title"]["attributes"]["text"].endswith("T01, by month")


def test_the_compressed_script_carries_the_document_bokeh_would_embed():
    from workbench.charts.embed import components, compressed_docs

    spc = cd.spc_frame(measurements(), pd.DataFrame([INDICATOR]))
    events = cd.pdsa_events(_cycle())

    def build():
        return [charts.control_chart(spc, INDICATOR, events=events, team_label="T01")]

    plain, plain_divs = components(build())
    packed, packed_divs = components(build(), compress=True)
    raw = re.search(r"const docs_json = '(.*?)';", plain, re.S).group(1)
    expected = json.loads(raw.encode().decode("unicode_escape"))
    (got,) = compressed_docs(packed)
    assert _IDS.sub("ID", json.dumps(list(got.values()))) == _IDS.sub(
        "ID", json.dumps(list(expected.values())))
    assert [_IDS.sub("ID", d) for d in packed_divs] == [_IDS.sub("ID", d) for d in plain_divs]
    assert len(packed) < len(plain) / 2


_IDS = re.compile(r"\bp\d{4,}\b|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def test_chart_embed_returns_what_bokeh_components_returns_apart_from_ids():
    from bokeh.embed import components as bokeh_components

    from workbench.charts.embed import components

    spc = cd.spc_frame(measurements(), pd.DataFrame([INDICATOR]))
    events = cd.pdsa_events(_cycle())

    def build():
        return [charts.control_chart(spc, INDICATOR, events=events, team_label="T01"),
                charts.small_multiples(spc, INDICATOR)]

    ours_script, ours_divs = components(build())
    bokeh_script, bokeh_divs = bokeh_components(build())
    assert _IDS.sub("ID", ours_script) == _IDS.sub("ID", bokeh_script)
    assert [_IDS.sub("ID", d) for d in ours_divs] == [_IDS.sub("ID", d) for d in bokeh_divs]


def test_every_chart_of_the_reports_passes_bokehs_integrity_checks(demo_db: str):
    # chart_embed skips bokeh's document validation when embedding: it is checked here
    from bokeh.core.validation.check import check_integrity

    from workbench import briefs
    from workbench.store import open_engine

    engine = open_engine(demo_db)
    report = briefs.team_report_data(engine, "T01", "2026-10")
    summary = briefs.collaborative_summary_data(engine, "2026-10")
    figures = [fig for _, fig in report.figures()] + [
        report.assessment_figure(), summary.status_matrix_figure(),
        summary.attainment_figure(), summary.pooled_figure("AMTSL"),
        summary.small_multiples("AMTSL"), summary.funnel_figure("AMTSL"),
        summary.wave_figure("AMTSL"), summary.assessment_figure()]
    for fig in figures:
        issues = check_integrity(list(fig.references()))
        assert (issues.error, issues.warning) == ([], []), charts._title_of(fig)


def test_scale_text_enlarges_every_text_size_once_and_restores_it() -> None:
    from bokeh.models import Label
    from bokeh.plotting import figure

    from workbench.charts.redraw import scale_text

    fig = figure(title="Deliveries with AMTSL", width=300, height=200)
    fig.scatter([1, 2], [3, 4])
    fig.add_layout(Label(x=1, y=3, text="PDSA 1", text_font_size="9px"))
    fig.xaxis.major_label_text_font_size = "10px"
    fig.yaxis.axis_label_text_font_size = "1.2em"
    label = fig.center[-1]
    originals: dict = {}
    assert scale_text(fig, 2.0, originals) > 4
    assert fig.title.text_font_size == "26px"  # bokeh's default title size is 13px
    assert fig.xaxis[0].major_label_text_font_size == "20px"
    assert fig.yaxis[0].axis_label_text_font_size == "2.4em"
    assert label.text_font_size == "18px"
    assert scale_text(fig, 2.0, originals) == 0  # never compounds
    scale_text(fig, 1.0, originals)
    assert (fig.title.text_font_size, fig.xaxis[0].major_label_text_font_size,
            fig.yaxis[0].axis_label_text_font_size, label.text_font_size) == (
        "13px", "10px", "1.2em", "9px")


def test_a_team_that_did_not_report_this_month_keeps_its_signal_status_in_the_matrix():
    matrix = pd.DataFrame([
        {"team_id": "T03", "indicator_id": "AMTSL", "latest_period": pd.Period("2026-08", "M"),
         "latest_value": 0.95, "target_met": 1.0, "signal": "improvement",
         "signal_rule": "shift", "months_since_report": 2},
        {"team_id": "T04", "indicator_id": "AMTSL", "latest_period": None,
         "latest_value": float("nan"), "target_met": float("nan"),
         "signal": "not enough data", "signal_rule": "", "months_since_report": float("nan")}])
    cells = _source(status_matrix_chart(matrix, pd.DataFrame([INDICATOR])), "cells")
    assert cells["status"] == ["improvement", "not enough data"]
    assert cells["text"] == ["▲ –", "○ –"]   # no value (and no ✓) for a month not reported
    assert cells["signal"] == ["signal of improvement (shift)", "not enough data"]


def test_the_faster_serialiser_writes_what_bokeh_writes_for_every_chart_of_the_reports(
        demo_db: str):
    from bokeh.document import Document

    from workbench import briefs
    from workbench.charts.embed import document_json
    from workbench.store import open_engine

    engine = open_engine(demo_db)
    report = briefs.team_report_data(engine, "T03", "2026-10")
    summary = briefs.collaborative_summary_data(engine, "2026-10")
    figures = [fig for _, fig in report.figures()] + [
        report.assessment_figure(), summary.status_matrix_figure(),
        summary.small_multiples("AMTSL"), summary.funnel_figure("AMTSL")]
    for fig in figures:
        doc = Document()
        doc.add_root(fig)
        ours = json.dumps(document_json(doc))  # first: bokeh's own adds defaults it made
        assert ours == json.dumps(doc.to_json(deferred=False)), charts._title_of(fig)


def test_a_charts_numbers_go_to_bokeh_as_float_arrays_and_its_text_as_lists():
    spc = cd.spc_frame(measurements(), pd.DataFrame([INDICATOR]))
    fig = charts.control_chart(spc, INDICATOR, events=cd.pdsa_events(_cycle()))
    points, lines, events = (_source(fig, n) for n in ("points", "lines", "events"))
    assert points["y"].dtype == np.float64 and len(points["y"]) == 24
    assert np.isnan(points["y_signal"]).all()  # no month outside the limits: all missing
    assert isinstance(points["label"], list) and points["label"][0] == "Nov 2024"
    assert lines["target"].tolist() == [0.9] * 24
    assert isinstance(events["kind"], list)
    assert charts.compact_columns({"x": [], "t": ["a"], "n": [1, 2.5]})["x"] == []
    html = charts.figure_html(fig)
    assert '"value":"nan"' not in html.replace(" ", "")  # missing values: NaN in the bytes


def _drawn(fig) -> list[tuple[str, str, int]]:
    """What each renderer draws: glyph type, its y field, how many finite points."""
    import numpy as np

    out = []
    for r in fig.renderers:
        field = getattr(r.glyph, "y", None) or getattr(r.glyph, "y1", None)
        field = field if isinstance(field, str) else getattr(field, "field", str(field))
        column = r.data_source.data.get(field, [])
        values = np.asarray(list(column), dtype=float) if len(column) else np.array([])
        finite = int(np.isfinite(values).sum())
        if finite:
            out.append((type(r.glyph).__name__, field, finite))
    return sorted(out)


def _legend_labels(fig) -> list[str]:
    from bokeh.models import Legend

    return [item.label["value"] for legend in fig.select({"type": Legend})
            for item in legend.items]


@pytest.mark.parametrize("with_events", [False, True])
def test_a_sparse_chart_draws_the_same_with_fewer_renderers(with_events: bool) -> None:
    spc = cd.spc_frame(measurements(jump_at=12), pd.DataFrame([INDICATOR]))
    events = cd.pdsa_events(_cycle()) if with_events else None
    full = charts.control_chart(spc, INDICATOR, events=events, team_label="T01")
    sparse = charts.control_chart(spc, INDICATOR, events=events, team_label="T01",
                                  sparse=True)
    assert _drawn(sparse) == _drawn(full)
    assert _legend_labels(sparse) == _legend_labels(full)
    assert len(sparse.renderers) < len(full.renderers)
    left_out = {"flagged", "phases"} | (set() if with_events else {"events"})
    assert {r.data_source.name for r in sparse.renderers} == (
        {"points", "lines", "events", "flagged", "phases"} - left_out)
    hovers = [t for t in sparse.tools if hasattr(t, "tooltips")]
    assert len(hovers) == (2 if with_events else 1)


def test_a_figure_serialised_as_roots_is_the_document_it_would_be_in(demo_db: str):
    # components() serialises a report's figures without adding them to a document
    from bokeh.document import Document

    from workbench import briefs
    from workbench.charts.embed import document_json
    from workbench.store import open_engine

    report = briefs.team_report_data(open_engine(demo_db), "T03", "2026-10")
    for fig in [fig for _, fig in report.figures()] + [report.assessment_figure()]:
        doc = Document()
        alone = json.dumps(document_json(doc, roots=[fig]))
        assert fig.document is None and not doc.roots
        doc.add_root(fig)
        assert alone == json.dumps(document_json(doc)), charts._title_of(fig)

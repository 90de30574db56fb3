"""The learning-session app in-process: built before the request, redrawn only as needed."""

from __future__ import annotations

import json
from typing import Any

import pytest
from bokeh.core.has_props import HasProps
from bokeh.document import Document
from bokeh.protocol import Protocol

from workbench.apps.builders import build_learning_session_app
from workbench.apps.context import AppContext
from workbench.apps.team_pages import team_labels

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def app(demo_db_master):  # type: ignore[no-untyped-def]
    """One app for the module (building it is the slow part); read-only use of the demo."""
    return build_learning_session_app(str(demo_db_master))


def _bundle_text(model) -> str:  # type: ignore[no-untyped-def]
    return json.dumps(model.render_bundle["docs_json"], default=str)


def test_the_default_request_redraws_nothing_because_the_preheated_kernel_drew_it(app) -> None:  # type: ignore[no-untyped-def]
    app.present(AppContext())
    assert app.last_redraw == {}
    assert "48 teams, reporting month Oct 2026" in app.status.value
    assert app.message == ""


def test_an_indicator_change_redraws_the_funnel_and_panels_in_place_only(app) -> None:  # type: ignore[no-untyped-def]
    app.indicator.value = "PPH"
    try:
        assert set(app.last_redraw) == {"funnel", "multiples", "seconds", "teams"}
        assert app.last_redraw["funnel"] == app.last_redraw["multiples"] == "patched"
        assert app.last_redraw["teams"] == 48
    finally:
        app.indicator.value = "AMTSL"


def test_a_wave_in_the_address_is_in_the_charts_the_page_first_renders(app) -> None:  # type: ignore[no-untyped-def]
    w1 = set(app.teams.loc[app.teams["wave_id"] == "W1", "team_id"])
    w2 = set(app.teams.loc[app.teams["wave_id"] == "W2", "team_id"])
    panels = {t.team_id: f"{t.team_id} {t.name}" for t in app.teams.itertuples()}
    names = team_labels(app.teams)  # the matrix: names, not codes
    assert w1 and w2
    app.present(AppContext(wave="W2"))
    try:
        assert app.last_redraw["teams"] == len(w2)
        for key, labels in (("multiples", panels), ("matrix", names)):
            text = _bundle_text(app.models[key])  # no browser yet: the bundle holds the change
            assert all(labels[t] in text for t in w2)
            assert not any(labels[t] in text for t in w1), key
    finally:
        app.wave.value = "__all__"


def test_presentation_mode_enlarges_the_chart_text_and_a_redraw_keeps_it_large(app) -> None:  # type: ignore[no-untyped-def]
    from workbench.charts.redraw import plots_of

    def title_sizes() -> list[str]:
        return [p.title.text_font_size for p in plots_of(app.figures["multiples"])]

    app.present(AppContext())
    assert set(title_sizes()) == {"10px"}
    funnel = app.figures["funnel"].title.text_font_size
    def columns() -> int:
        return 1 + max(col for _, _, col in app.figures["multiples"].children)

    assert columns() == 6
    app.presentation.value = True
    try:
        assert set(title_sizes()) == {"16px"}
        assert columns() == 4  # wider panels: the team names fit the large titles
        assert app.figures["funnel"].title.text_font_size != funnel
        app.wave.value = "W2"  # other teams: a new grid, drawn large too
        assert app.last_redraw["multiples"] == "replaced"
        assert set(title_sizes()) == {"16px"}
        assert '"16px"' in _bundle_text(app.models["multiples"])
    finally:
        app.presentation.value = False
        app.wave.value = "__all__"
    assert set(title_sizes()) == {"10px"}
    assert columns() == 6
    assert app.figures["funnel"].title.text_font_size == funnel


def _constant_lines(fig) -> list[float]:  # type: ignore[no-untyped-def]
    ys = [getattr(r.glyph.y, "value", r.glyph.y) for r in fig.renderers  # 0.9 or value(0.9)
          if type(r.glyph).__name__ == "Line"]
    return [y for y in ys if isinstance(y, float)]


def test_an_indicator_change_moves_the_funnel_target_to_that_indicators_target(app) -> None:  # type: ignore[no-untyped-def]
    targets = dict(zip(app.indicators["indicator_id"], app.indicators["target"], strict=True))
    app.present(AppContext())
    assert _constant_lines(app.figures["funnel"]) == [targets["AMTSL"]]
    app.indicator.value = "PPH"
    try:
        assert app.last_redraw["funnel"] == "patched"
        shown = app.models["funnel"]._model  # the figure on the page, patched in place
        assert _constant_lines(shown) == [targets["PPH"]]
    finally:
        app.indicator.value = "AMTSL"


def test_after_any_indicator_change_every_panel_colour_column_is_text(app) -> None:  # type: ignore[no-untyped-def]
    """BokehJS rejects a float array as colours ("invalid color array") and stops drawing."""
    from bokeh.models import ColumnDataSource

    for code in app.indicators["indicator_id"]:
        app.indicator.value = code
        for source in app.figures["multiples"].select({"type": ColumnDataSource}):
            for key in ("color", "marker"):
                if key in source.data:
                    assert not hasattr(source.data[key], "dtype"), (code, source.name, key)
    app.indicator.value = "AMTSL"


def test_the_page_states_the_reporting_month_rule_and_offers_every_month(app) -> None:  # type: ignore[no-untyped-def]
    app.present(AppContext())
    assert "more than half of the teams reported" in app.status.value
    assert app.month.value == "2026-10"
    assert app.month.options[0] == ("Oct 2026: reported by 48 of 48", "2026-10")
    app.month.value = "2026-06"
    try:
        assert "reporting month Jun 2026" in app.status.value
        assert "Jun 2026" in app.figures["funnel"].title.text
    finally:
        app.month.value = "2026-10"


def test_a_switch_of_mode_sends_no_range_so_the_browser_keeps_computing_them(app) -> None:  # type: ignore[no-untyped-def]
    """The browser syncs the ranges it computed back to the kernel; a switch of mode (a
    patch) must not send them back as fixed values (one month's width after an as-of date)."""
    app.present(AppContext())
    fig = app.figures["attainment"]
    fig.x_range.start, fig.x_range.end = 1.0e12, 1.0e12 + 2.0  # as the browser sends them
    sent = _recording(app)
    app.presentation.value = True
    try:
        content = json.loads(sent["attainment"][2]["payload"])
        changed = {event.get("model", {}).get("id") for event in content["events"]}
        assert fig.id in changed  # the chart's size did change
        assert fig.x_range.id not in changed
    finally:
        app.presentation.value = False


def test_presentation_in_the_address_sizes_the_charts_once_attached(demo_db_master) -> None:  # type: ignore[no-untyped-def]
    """`?presentation=1`: the page (larger text) is shown at once, as fast as the normal page;
    the charts are drawn for the projector when attached, after the first paint."""
    from workbench.charts.redraw import plots_of

    app = build_learning_session_app(str(demo_db_master))
    app._defer = True  # as in Voilà: the charts are attached once the first view is painted
    grid = app.figures["multiples"]
    app.present(AppContext(presentation=True))
    assert "wb-presentation" in app._dom_classes
    assert app.figures["multiples"] is grid and not app.models  # nothing redrawn yet
    app.attach_charts("painted")
    multiples = app.figures["multiples"]
    assert 1 + max(col for _, _, col in multiples.children) == 4
    assert {p.title.text_font_size for p in plots_of(multiples)} == {"16px"}
    assert '"16px"' in _bundle_text(app.models["multiples"])
    assert app.models["funnel"]._model.sizing_mode == "stretch_width"


def _recording(app) -> dict[str, list[dict[str, Any]]]:  # type: ignore[no-untyped-def]
    """What each chart's `BokehModel` sends to the browser from now on (its comm messages)."""
    sent: dict[str, list[dict[str, Any]]] = {}
    for key, model in app.models.items():
        sent[key] = []
        model.send = (lambda box: lambda content, buffers=None: box.append(content))(sent[key])
    return sent


def _plain(obj: Any) -> Any:
    return f"ref:{obj.id}" if isinstance(obj, HasProps) else (
        obj.tolist() if hasattr(obj, "tolist") else str(obj))


def _state(doc: Document) -> dict[str, str]:
    """Every model of a bokeh document and all its property values (defaults included)."""
    return {m.id: json.dumps(m.properties_with_values(include_defaults=True), default=_plain,
                             sort_keys=True) for m in doc.models}


def _doc(bundle: dict[str, Any]) -> Document:
    (doc,) = bundle["docs_json"].values()
    return Document.from_json(doc)


def test_a_mode_switch_patches_each_chart_into_what_that_mode_draws(demo_db_master) -> None:  # type: ignore[no-untyped-def]
    """Presentation mode and back: each chart on the page gets one document patch (three comm
    messages; nothing sent whole), and the page's copy of each chart, patched, is the chart a
    page opened in that mode draws (the bundles prepared for each mode: text, sizes, columns)."""
    app = build_learning_session_app(str(demo_db_master))
    app.present(AppContext())
    pages = {key: _doc(model.render_bundle) for key, model in app.models.items()}
    sent = _recording(app)
    for mode in (True, False, True):
        fresh = {key: _state(_doc(bundle)) for key, bundle in app._bundles[mode].items()}
        app.presentation.value = mode
        for key in app.models:
            assert [m["msg"] for m in sent[key]] == ["patch"] * 3, (mode, key)
            Protocol().assemble(*(m["payload"] for m in sent[key])).apply_to_document(
                pages[key])
            sent[key].clear()
            assert _state(pages[key]) == fresh[key], (mode, key)
    columns = 1 + max(col for _, _, col in app.figures["multiples"].children)
    assert columns == 4


def test_a_mode_switch_leaves_the_documents_index_of_models_exactly_its_models(app) -> None:  # type: ignore[no-untyped-def]
    """The panels change places without bokeh walking the document again (`_in_order`): its
    index must still be every model reachable from its roots, each found by its id."""
    app.present(AppContext())
    doc = app.figures["multiples"].document
    try:
        for mode in (True, False, True):
            app.presentation.value = mode
            reachable = {m.id for root in doc.roots for m in root.references()}
            assert {m.id for m in doc.models} == reachable
            assert all(doc.get_model_by_id(i) is not None for i in reachable)
            assert 1 + max(col for _, _, col in app.figures["multiples"].children) == (
                4 if mode else 6)
    finally:
        app.presentation.value = False

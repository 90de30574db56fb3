"""The learning-session snapshot: the same view as the app, offline, escaped, named by its view."""

from __future__ import annotations

import html
import re
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import update

from workbench.apps.team_pages import team_labels
from workbench.briefs.snapshot import (
    ViewState,
    session_view,
    snapshot_figures,
    snapshot_file_name,
    snapshot_html,
    snapshot_title,
    write_snapshot,
)
from workbench.errors import NotFoundError, ValidationFailed
from workbench.store import open_engine

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def engine(demo_db_master):  # type: ignore[no-untyped-def]
    return open_engine(str(demo_db_master))


@pytest.fixture(scope="module")
def app(demo_db_master):  # type: ignore[no-untyped-def]
    """The learning-session app in-process (building it is the slow part)."""
    from workbench.apps.builders import build_learning_session_app
    from workbench.apps.context import AppContext

    return build_learning_session_app(str(demo_db_master)).present(AppContext())


def _source(fig, name: str) -> dict:  # type: ignore[no-untyped-def]
    (src,) = [r.data_source for r in fig.renderers
              if getattr(r, "data_source", None) is not None and r.data_source.name == name][:1]
    return {k: list(v) for k, v in src.data.items()}


def _panel_titles(grid) -> list[str]:  # type: ignore[no-untyped-def]
    from workbench.charts.redraw import plots_of

    return [p.title.text for p in plots_of(grid) or []]


VIEWS = [
    ({"indicator": "PPH", "district": "Kisoro"}, None),
    ({"indicator": "AMTSL", "wave": "W2"}, None),
    ({"indicator": "PARTOGRAPH", "district": "Kabale"}, "2025-10-15"),
]


@pytest.mark.parametrize(("filters", "as_of"), VIEWS)
def test_the_snapshot_shows_the_teams_statuses_and_charts_the_app_shows_for_a_view(
        app, engine, filters: dict, as_of: str | None) -> None:  # type: ignore[no-untyped-def]
    from workbench.apps.share import view_state_of

    app._quiet = True  # set every filter, then one redraw (as a request's query string does)
    try:
        app.indicator.value = filters["indicator"]
        app.wave.value = filters.get("wave", "__all__")
        app.district.value = filters.get("district", "__all__")
    finally:
        app._quiet = False
    if as_of:
        app.as_of.value = as_of  # loads the data as entered by then, redraws
    else:
        app.update()
    try:
        state = view_state_of(app)
        assert replace(state, teams=None) == ViewState(
            indicator=filters["indicator"], wave=filters.get("wave"),
            district=filters.get("district"), as_of=as_of, language="en")
        view = session_view(engine, state, team_names=team_labels)
        assert view.period == app.period
        assert view.selected_ids == app.selected_teams()
        assert view.team_ids == list(app.view_state()["teams"])  # the page on screen
        mine = app.matrix[app.matrix["team_id"].isin(view.team_ids)]
        pd.testing.assert_frame_equal(view.matrix, mine.reset_index(drop=True))
        statuses = view.statuses()
        expected = mine[mine["indicator_id"] == filters["indicator"]]
        assert dict(zip(statuses["team_id"], statuses["signal"], strict=True)) == dict(
            zip(expected["team_id"], expected["signal"], strict=True))
        figures = snapshot_figures(view)
        assert sorted(_panel_titles(figures["multiples"])) == sorted(
            _panel_titles(app.figures["multiples"]))
        assert _source(figures["funnel"], "teams") == _source(app.figures["funnel"], "teams")
        assert _source(figures["matrix"], "cells") == _source(app.figures["matrix"], "cells")
        assert figures["funnel"].title.text == app.figures["funnel"].title.text
        for row in view.improved:  # the most-improved table: same teams, gains and changes
            for text in (row["team"], row["code"], row["gain"]):
                assert html.escape(text) in app.improved.value
    finally:
        app._quiet = True
        app.wave.value = app.district.value = "__all__"
        app.indicator.value = "AMTSL"
        app._quiet = False
        app.as_of.value = ""
        app.update()


def test_the_share_button_writes_the_snapshot_of_the_apps_current_view(app, tmp_path: Path
                                                                       ) -> None:  # type: ignore[no-untyped-def]
    app.district.value = "Rukungiri"
    try:
        app.share.folder  # noqa: B018 - the served folder exists as a name
        app.share._folder = tmp_path
        app.share.button.click()
        assert app.message == ""
        path = app.share.path
        assert path is not None and path.parent == tmp_path and path.is_file()
        page = path.read_text(encoding="utf-8")
        assert re.search(r"<title>Learning session — AMTSL · Rukungiri · all waves · Oct 2026"
                         r" · live on \d{4}-\d{2}-\d{2}</title>", page)
        assert f"../snapshots/{path.name}" in app.share.link.value
        assert "download=" in app.share.link.value
    finally:
        app.district.value = "__all__"


def test_the_title_names_the_indicator_filters_month_and_as_of_date(engine) -> None:  # type: ignore[no-untyped-def]
    view = session_view(engine, ViewState(indicator="PPH", district="Kisoro", wave="W1",
                                          as_of="2025-10-15"))
    assert snapshot_title(view) == ("Learning session — PPH · Kisoro · W1 · Aug 2025 · "
                                    "as of 2025-10-15")
    page = snapshot_html(view)
    assert "<title>Learning session — PPH · Kisoro · W1 · Aug 2025 · as of 2025-10-15</title>" \
        in page
    assert "as entered by 2025-10-15" in page


def test_the_page_loads_nothing_from_the_network(engine) -> None:  # type: ignore[no-untyped-def]
    from workbench.charts.series import bokehjs_script

    page = snapshot_html(session_view(engine, ViewState(indicator="AMTSL")))
    bokehjs = bokehjs_script()
    assert bokehjs in page and len(bokehjs) > 500_000  # BokehJS inline, once
    rest = page.replace(bokehjs, "")  # (BokehJS's own code names URLs it never loads here)
    assert not re.search(r"""(src|href|url)\s*[=(]\s*["']?(https?:)?//""", rest)
    assert "<link" not in rest and "@import" not in rest
    assert not re.findall(r"<script[^>]*\bsrc=", page)


def test_user_text_is_escaped_in_the_page_and_in_the_charts(demo_db: str) -> None:
    from workbench.store import schema as s

    engine = open_engine(demo_db)
    evil = '<script>alert("team")</script>'
    district = '"><img src=x onerror=alert(1)>'
    with engine.begin() as conn:
        conn.execute(update(s.teams).where(s.teams.c.team_id == "T01").values(
            name=evil, district=district))
    page = snapshot_html(session_view(engine, ViewState(district=district)))
    assert evil not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#34;team&#34;)&lt;/script&gt;" in page  # the table
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in page  # the filters and title


def test_a_page_of_teams_keeps_only_those_teams_of_the_filters(engine) -> None:  # type: ignore[no-untyped-def]
    view = session_view(engine, ViewState(district="Kisoro", teams=("T10", "T01", "T09")))
    assert view.team_ids == ["T10", "T09"]  # T01 is in Kabale; the page's order is kept
    assert list(view.statuses()["team_id"]) == ["T10", "T09"]
    assert len(view.selected_ids) == 8  # the funnel and the most improved: every team
    assert _panel_titles(snapshot_figures(view)["multiples"]) == [
        "T09 Kisoro District Hospital", "T10 Mutolere Hospital"]


def test_the_page_speaks_the_language_asked(engine) -> None:  # type: ignore[no-untyped-def]
    page = snapshot_html(session_view(engine, ViewState(indicator="AMTSL", language="fr")))
    assert '<html lang="fr">' in page
    assert re.search(r"<title>Session d&#39;apprentissage — AMTSL · tous les districts · "
                     r"toutes les vagues · oct\. 2026 · en direct le [\d-]+</title>", page)
    assert "Partager" not in page and "Toutes les équipes" in page


@pytest.mark.parametrize(("state", "error", "words"), [
    (ViewState(indicator="NOPE"), NotFoundError, "indicator 'NOPE' is not in the collaborative; "
                                                 "choose one of: AMTSL, ASPHYXIA"),
    (ViewState(district="Nowhere"), NotFoundError,
     "choose one of: Kabale, Kanungu, Kisoro, Rukungiri"),
    (ViewState(wave="W9"), NotFoundError, "wave 'W9' is not in the collaborative"),
    (ViewState(month="2019-01"), ValidationFailed,
     "no team reported in 2019-01: the months with data run from 2024-11 to 2026-10"),
    (ViewState(month="Oct"), ValidationFailed, "month 'Oct'"),
    (ViewState(as_of="yesterday"), ValidationFailed, "as-of 'yesterday' is not a date"),
    (ViewState(teams=("T01", "T99")), NotFoundError, "team 'T99' is not in the collaborative"),
])
def test_a_view_that_does_not_exist_is_an_error_naming_the_choices(
        engine, state: ViewState, error: type, words: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=re.escape(words)):
        session_view(engine, state)


def test_write_snapshot_writes_one_whole_file_and_its_name_is_safe(engine, tmp_path: Path
                                                                   ) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    state = ViewState(indicator="AMTSL", district="../x y", as_of="2025-10-15")
    name = snapshot_file_name(state, dt.datetime(2026, 12, 1, 21, 30, tzinfo=dt.UTC))
    assert name == "learning-session-AMTSL-x-y-as-of-2025-10-15-20261201T213000Z.html"
    path = write_snapshot(engine, ViewState(indicator="AMTSL"), tmp_path / "new" / "s.html")
    assert path.is_file() and [p.name for p in path.parent.iterdir()] == ["s.html"]

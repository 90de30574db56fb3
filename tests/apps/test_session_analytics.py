"""The learning session's analytics on demand (`workbench.apps.session_analytics`) agree with
the whole-collaborative library functions, and a month change gives what a fresh page gives.

On a collaborative of more teams than a page (120), so that only part of it is computed."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from bokeh.models import ColumnDataSource

from workbench.apps.builders import build_learning_session_app
from workbench.apps.context import AppContext
from workbench.apps.session_analytics import SessionData
from workbench.apps.team_pages import PAGE_SIZE
from workbench.charts import data as chartdata
from workbench.rollup import metrics as rollup
from workbench.store import collaborative_indicators, read_change_ideas, read_teams

pytestmark = pytest.mark.slow

KEYS = ["team_id", "indicator_id", "period"]


@pytest.fixture(scope="module")
def big_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    from workbench.demo.build import build_demo

    path = tmp_path_factory.mktemp("big") / "big.db"
    build_demo(str(path), teams=120, indicators=4, months=14, districts=3)
    return str(path)


@pytest.fixture(scope="module")
def app(big_db: str):  # type: ignore[no-untyped-def]
    return build_learning_session_app(big_db)


def _whole(data: SessionData, indicators: pd.DataFrame, teams: pd.DataFrame,
           ideas: pd.DataFrame, period: pd.Period) -> tuple[pd.DataFrame, pd.DataFrame,
                                                             pd.DataFrame]:
    m = data.measurements
    view = chartdata.chart_view(m[m["period"] <= period], indicators, data.cycles, ideas,
                                data.flags)
    matrix = rollup.status_matrix(m, indicators, teams, period=period,
                                  signals=rollup.signal_status(view.spc, indicators))
    return view.spc, view.events, matrix


def test_series_computed_in_parts_are_the_series_of_the_whole_collaborative(big_db: str) -> None:
    from workbench.store.engine import as_engine

    engine = as_engine(big_db)
    indicators, teams = collaborative_indicators(engine), read_teams(engine)
    ideas = read_change_ideas(engine)
    data = SessionData(engine, indicators, teams, ideas, None)
    period = data.default_period
    assert period is not None
    spc, events, matrix = _whole(data, indicators, teams, ideas, period)
    month = data.month(period)
    ids = list(teams["team_id"])
    month.ensure(ids[:7], ["AMTSL"])  # a few teams, one indicator; then others, then all
    assert set(month.matrix["team_id"]) == set(ids[:7])
    assert set(month.spc["indicator_id"]) == {"AMTSL"}
    month.ensure(ids, ["AMTSL"])
    month.ensure(ids[50:70], indicators["indicator_id"])
    month.ensure_all()
    pd.testing.assert_frame_equal(month.matrix, matrix)
    mine = month.spc.sort_values(KEYS).reset_index(drop=True)
    pd.testing.assert_frame_equal(mine, spc.sort_values(KEYS).reset_index(drop=True)[
        mine.columns], check_dtype=False)
    assert len(events) > 0
    order = ["team_id", "indicator_id", "cycle_id", "date", "kind"]
    pd.testing.assert_frame_equal(
        month.events.sort_values(order).reset_index(drop=True)[events.columns],
        events.sort_values(order).reset_index(drop=True))
    gains = rollup.gain_from_baseline(data.measurements, indicators, teams, period=period,
                                      levels=("team",))
    for code in indicators["indicator_id"]:
        pd.testing.assert_frame_equal(month.gains(code).reset_index(drop=True),
                                      gains[gains["indicator_id"] == code].reset_index(drop=True))


def test_the_pairs_along_are_computed_in_the_batch_of_pairs_to_compute_only(
        big_db: str) -> None:
    """`ensure_pairs(pairs, along=...)`: the pairs along (the page's teams for every
    indicator) join the batch of `pairs` when some of those are to be computed (another
    month: one call of the library functions, not two), and are left for later when none
    is (another page). Before any pair, a month's matrix is the status matrix of no rows,
    made once for every month."""
    from workbench.store.engine import as_engine

    engine = as_engine(big_db)
    indicators, teams = collaborative_indicators(engine), read_teams(engine)
    data = SessionData(engine, indicators, teams, read_change_ideas(engine), None)
    months = list(data.reporting.index)
    ids, codes = list(teams["team_id"]), list(indicators["indicator_id"])
    month = data.month(months[-2])
    assert month.matrix.empty and month.matrix is data.no_matrix()
    pd.testing.assert_frame_equal(month.matrix, rollup.status_matrix(
        data.measurements.iloc[:0], indicators, teams.iloc[:0], period=months[-2]))
    shown = [(t, "AMTSL") for t in ids[:30]]
    month.ensure_pairs(shown, along=[(t, i) for t in ids[:4] for i in codes])
    assert len(month.matrix) == 30 + 4 * 3  # AMTSL for 30 teams, the 3 others for 4
    month.ensure_pairs(shown, along=[(t, i) for t in ids[4:8] for i in codes])
    assert len(month.matrix) == 42  # nothing to compute: the pairs along are left
    month.ensure(ids[4:8], codes)
    assert len(month.matrix) == 54
    whole = _whole(data, indicators, teams, read_change_ideas(engine), months[-2])[2]
    done = whole[whole["team_id"].isin(ids[:8]) | (whole["indicator_id"] == "AMTSL")
                 & whole["team_id"].isin(ids[:30])]
    # (the texts are objects after the matrix of no rows was read: concatenated with it)
    pd.testing.assert_frame_equal(month.matrix, done.reset_index(drop=True), check_dtype=False)
    assert data.month(months[-3]).matrix is data.no_matrix()  # made once


def test_the_gains_of_the_teams_selected_are_their_rows_of_every_teams_gains(
        big_db: str) -> None:
    """A filter by district or wave computes the gains of the teams selected only: each row
    equals the row of that team in `rollup.gain_from_baseline` of the whole collaborative,
    at the reporting month and at an earlier month."""
    from workbench.store.engine import as_engine

    engine = as_engine(big_db)
    indicators, teams = collaborative_indicators(engine), read_teams(engine)
    data = SessionData(engine, indicators, teams, read_change_ideas(engine), None)
    some = list(teams["team_id"])[13:61]
    months = list(data.reporting.index)
    for period in (months[-1], months[len(months) // 2]):
        gains = rollup.gain_from_baseline(data.measurements, indicators, teams, period=period,
                                          levels=("team",))
        month = data.month(period)
        for code in indicators["indicator_id"]:
            mine = month.gains(code, some).reset_index(drop=True)
            assert sorted(mine["team_id"]) == sorted(some)
            whole = gains[(gains["indicator_id"] == code) & gains["team_id"].isin(some)]
            pd.testing.assert_frame_equal(mine, whole.reset_index(drop=True))
            assert mine["improvement_pp"].notna().any()


def test_the_share_at_target_of_a_month_is_the_library_summary_up_to_that_month(
        big_db: str) -> None:
    """`SessionData.attainment` computes every month once per set of teams and cuts it at the
    reporting month: the same rows as `rollup.indicator_summary` asked for that month."""
    from workbench.store.engine import as_engine

    engine = as_engine(big_db)
    indicators, teams = collaborative_indicators(engine), read_teams(engine)
    data = SessionData(engine, indicators, teams, read_change_ideas(engine), None)
    some = list(teams["team_id"])[10:70]
    months = list(data.reporting.index)
    for period in (months[-1], months[len(months) // 2], months[4]):
        for chosen in (list(teams["team_id"]), some):
            m = data.measurements[data.measurements["team_id"].isin(chosen)]
            expected = rollup.indicator_summary(m, indicators,
                                                teams[teams["team_id"].isin(chosen)],
                                                period=period)
            mine = data.attainment(chosen, period)
            assert len(mine) and str(mine["period"].max()) == str(period)
            pd.testing.assert_frame_equal(mine, expected)


def _sources(fig) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Each named data source of a figure, its data as text (arrays as lists, NaN as null)."""
    import json

    def plain(value):  # type: ignore[no-untyped-def]
        return [None if isinstance(v, float) and v != v else v
                for v in (value.tolist() if hasattr(value, "tolist") else list(value))]

    return {s.name: json.dumps({k: plain(v) for k, v in sorted(s.data.items())}, default=str)
            for s in fig.select({"type": ColumnDataSource})}


def test_the_app_computes_the_indicator_for_every_team_and_the_page_for_all(app) -> None:  # type: ignore[no-untyped-def]
    app.present(AppContext())
    assert len(app.teams) > PAGE_SIZE
    matrix = app.matrix
    page = set(app.view_state()["teams"])
    assert len(page) == PAGE_SIZE
    shown = matrix[matrix["indicator_id"] == app.indicator.value]
    assert set(shown["team_id"]) == set(app.teams["team_id"])  # the overview's statuses
    others = matrix[matrix["indicator_id"] != app.indicator.value]
    assert set(others["team_id"]) == page  # the matrix: the page, every indicator


def test_a_month_change_and_back_gives_what_a_fresh_page_gives(app, big_db: str) -> None:  # type: ignore[no-untyped-def]
    app.present(AppContext())
    months = [value for _label, value in app.month.options]
    data = app._data
    app.month.value = months[2]
    assert app._data is data  # nothing read again from the store
    assert str(app.period) == months[2]
    fresh = build_learning_session_app(big_db)
    fresh.present(AppContext(period=months[2]))
    for frame in ("matrix", "gains"):
        mine, theirs = getattr(app, frame), getattr(fresh, frame)
        teams = set(theirs["team_id"]) & set(mine["team_id"])
        assert len(teams) >= PAGE_SIZE
        pd.testing.assert_frame_equal(mine[mine["team_id"].isin(teams)].reset_index(drop=True),
                                      theirs[theirs["team_id"].isin(teams)].reset_index(drop=True))
    assert app.overview.value == fresh.overview.value
    assert app.improved.value == fresh.improved.value
    page = app.view_state()["teams"]
    assert page == fresh.view_state()["teams"]
    indicator = app.indicator.value  # the panels on screen: the same data as a fresh page's
    np.testing.assert_equal(app._panel_sources(indicator, page),
                            fresh._panel_sources(indicator, page))
    for key in ("multiples", "attainment", "funnel"):  # the figures' data, source by source
        assert _sources(app.figures[key]) == _sources(fresh.figures[key]), key
    app.month.value = months[0]
    assert str(app.period) == months[0]
    assert app._analytics is data.month(app.period)  # kept: back at once


def test_in_a_kernel_a_change_sends_the_panels_first_and_the_charts_below_right_after(
        app, big_db: str) -> None:  # type: ignore[no-untyped-def]
    """With an event loop running (a kernel), a facilitator's change redraws the top of the
    page (overview, list, small multiples) in its own message and the charts below once that
    is sent; the redraw count moves when both are done. A second change before the first's
    second part ran drops that part: the page is then a fresh page's at the second month."""
    import asyncio

    app.present(AppContext())
    months = [value for _label, value in app.month.options]
    seen: dict[str, object] = {}
    app._split = True  # as in a Voilà kernel

    async def two_changes() -> None:
        drawn = app.redraws
        app.month.value = months[1]
        seen["first"] = (app.redraws - drawn, set(app.last_redraw))
        app.month.value = months[2]  # before the loop ran the first change's second part
        seen["second"] = (app.redraws - drawn, set(app.last_redraw))
        await asyncio.sleep(0.05)
        seen["after"] = (app.redraws - drawn, set(app.last_redraw))

    try:
        asyncio.run(two_changes())
    finally:
        app._split = False
    assert seen["first"] == (0, {"multiples"})  # the top only; nothing said done yet
    assert seen["second"] == (0, {"multiples"})
    assert seen["after"][0] == 1  # one redraw done: the second's (the first's was dropped)
    assert {"matrix", "attainment", "funnel", "seconds"} <= seen["after"][1]  # type: ignore[operator]
    fresh = build_learning_session_app(big_db)
    fresh.present(AppContext(period=months[2]))
    assert str(app.period) == months[2]
    def words(status: str) -> str:  # the status line without its redraw count
        return re.sub(r'data-redraws="\d+"', "", status)

    assert words(app.status.value) == words(fresh.status.value)
    assert app.overview.value == fresh.overview.value
    assert app.improved.value == fresh.improved.value
    for key in ("multiples", "matrix", "attainment", "funnel"):
        assert _sources(app.figures[key]) == _sources(fresh.figures[key]), key
    app.month.value = months[0]

"""The facilitator's journey: a learning session, filter after filter, then the projector.

One person in a row, in headless Chromium against `workbench serve` on the demo
collaborative: a team reports next month early; the facilitator opens the learning session,
switches the indicator, then the district, then the wave, then an "as of" date, then
presentation mode, the projector's 1280×720, and back to every team. After every step the small
multiples show one chart per selected team (48, or the filtered number), the funnel's
target line is the selected indicator's, the page is about the month most teams reported,
and the browser console logged no error.

What the browser shows is read from BokehJS's own models (`Bokeh.index`), not from the
kernel: a chart that failed to draw is missing there.
"""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from journey import VIEWPORT, choose, evaluate_until, step

from workbench.cli import main
from workbench.store import open_engine, read_indicators, read_measurements, read_teams

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: what the page shows, read from BokehJS: panel titles, the funnel's title and target line
SHOWN = """() => {
  const out = {panels: null, funnel: null, target: null, matrix_rows: null, headers: null,
               months_over_time: null, widths: {}, roots: 0};
  if (!window.Bokeh || !Bokeh.index) return out;
  for (const view of Bokeh.index.roots) {
    const m = view.model; out.roots += 1;
    const width = view.el.getBoundingClientRect().width;
    if (m.type == 'GridPlot') { out.panels = m.children.map(c => c[0].title.text);
                                out.widths.multiples = width; }
    if (m.type != 'Figure' || m.title == null) continue;
    const title = m.title.text;
    if (title.includes('by number of cases')) {
      out.funnel = title; out.widths.funnel = width;
      for (const r of m.renderers) {
        const y = r.glyph && r.glyph.y;
        if (r.glyph.type == 'Line' && y != null && y.value !== undefined) out.target = y.value;
      }
    }
    if (title.startsWith('Share of reporting teams at target')) {
      out.months_over_time = (m.x_range.end - m.x_range.start) / (30.4 * 86400000);
    }
    if (title.startsWith('Where each team stands')) {
      out.matrix_rows = m.y_range.factors.length; out.headers = m.x_range.factors;
      out.widths.matrix = width;
    }
  }
  return out;
}"""
#: seconds a filter change may take to reach the browser on a loaded 2-core machine
REDRAW_SECONDS = 90
EARLY = ("T03", "2026-11")  # the early reporter and the month it entered


def _shown_when(page, expected: dict, timeout: float = REDRAW_SECONDS) -> dict:  # type: ignore[no-untyped-def]
    """What the charts show once they show `expected` (or the last state after `timeout`)."""
    return evaluate_until(page, SHOWN, lambda shown: _matches(shown, expected), timeout)


def _matches(shown: dict, expected: dict) -> bool:
    wide = expected.get("wide")
    if wide and not (shown["widths"] and min(shown["widths"].values()) > 0.9 * wide):
        return False
    return (shown["panels"] is not None and sorted(shown["panels"]) == expected["panels"]
            and shown["funnel"] is not None and shown["funnel"].startswith(expected["name"])
            and expected["month"] in shown["funnel"]
            and shown["target"] is not None and abs(shown["target"] - expected["target"]) < 1e-9)


class _Truth:
    """What the charts should show, from the store (not from the app)."""

    def __init__(self, db: str) -> None:
        engine = open_engine(db)
        self.teams = read_teams(engine)
        self.indicators = read_indicators(engine).set_index("indicator_id")
        self.engine = engine

    def expected(self, indicator: str, *, district: str | None = None, wave: str | None = None,
                 as_of: str | None = None, month: str = "Oct 2026") -> dict:
        teams = self.teams
        if district:
            teams = teams[teams["district"] == district]
        if wave:
            teams = teams[teams["wave_id"] == wave]
        stamp = pd.Timestamp(as_of) if as_of else None  # as the app: entered before that day
        m = read_measurements(self.engine, as_of=stamp.to_pydatetime() if stamp else None)
        with_data = set(m.loc[m["indicator_id"] == indicator, "team_id"])
        ind = self.indicators.loc[indicator]
        if as_of:  # the reporting month's rule on what had been entered by then
            from workbench.charts.data import month_label
            from workbench.rollup.base import reporting_month

            month = month_label(reporting_month(m))
        return {"panels": sorted(f"{t.team_id} {t.name}" for t in teams.itertuples()
                                 if t.team_id in with_data),
                "name": ind["name"], "target": float(ind["target"]), "month": month,
                "teams": len(teams)}


def _report_early(db: str, tmp_path: Path) -> None:
    """One team enters next month before everyone else (as `workbench import` does)."""
    team, month = EARLY
    csv = tmp_path / "early.csv"
    csv.write_text("team_id,indicator_id,period,numerator,denominator\n"
                   f"{team},AMTSL,{month},40,44\n{team},PPH,{month},1,44\n")
    result = CliRunner().invoke(main, ["import", str(csv), "--db", db])
    assert result.exit_code == 0, result.output


def test_facilitator_filters_then_presents_and_every_view_shows_the_selected_teams(
        served, page, tmp_path: Path) -> None:
    truth = _Truth(served.db)
    _report_early(served.db, tmp_path)
    page.goto(served.url("learning_session"), wait_until="commit")
    page.wait_for_selector(".wb-title:has-text('Learning session')")
    page.wait_for_selector(".wb-status:has-text('48 teams, reporting month Oct 2026')")

    views = [
        ("opened", {}, truth.expected("AMTSL")),
        ("indicator PPH", {"Indicator": "(PPH)"}, truth.expected("PPH")),
        ("district Kisoro", {"District": "Kisoro"}, truth.expected("PPH", district="Kisoro")),
        ("wave W2", {"Wave": "W2"}, truth.expected("PPH", district="Kisoro", wave="W2")),
    ]
    for name, choices, expected in views:
        for description, label in choices.items():
            choose(page, description, label)
        shown = _shown_when(page, expected)
        step(page, name)
        assert sorted(shown["panels"] or []) == expected["panels"], name
        assert shown["funnel"] is not None and shown["funnel"].startswith(expected["name"]), name
        assert expected["month"] in shown["funnel"], (name, shown["funnel"])
        assert shown["target"] == pytest.approx(expected["target"]), name
        assert f"{expected['teams']} teams" in page.inner_text(".wb-status"), name

    as_of = "2025-10-15"
    box = page.get_by_placeholder("YYYY-MM-DD (blank: live)")
    box.fill(as_of)
    box.press("Enter")
    expected = truth.expected("PPH", district="Kisoro", wave="W2", as_of=as_of)
    page.wait_for_selector(f"text=as entered by {as_of}")
    shown = _shown_when(page, expected)
    step(page, "as of 2025-10-15")
    assert sorted(shown["panels"] or []) == expected["panels"]
    assert shown["target"] == pytest.approx(expected["target"])

    page.get_by_role("button", name="Presentation mode").click()
    page.wait_for_selector(".wb-presentation")
    for width, height in ((1920, 1080), (1280, 720)):
        page.set_viewport_size({"width": width, "height": height})
        shown = _shown_when(page, {**expected, "wide": width})
        step(page, f"presentation {width}x{height}")
        assert _matches(shown, expected)
        assert min(shown["widths"].values()) > 0.9 * width, shown["widths"]  # uses the width
        assert "Births receiving\nAMTSL" in shown["headers"]  # full names, wrapped

    page.set_viewport_size(VIEWPORT)  # back to every team, live, still on the projector
    choose(page, "Wave", "All waves")
    choose(page, "District", "All districts")
    box.fill("")
    box.press("Enter")
    expected = truth.expected("PPH")
    page.wait_for_selector(".wb-status:has-text('48 teams, reporting month Oct 2026')")
    shown = _shown_when(page, {**expected, "wide": VIEWPORT["width"]})
    step(page, "presentation every team")
    assert _matches(shown, expected)
    assert shown["matrix_rows"] == expected["teams"]  # every team, with data or not yet
    assert shown["months_over_time"] > 12  # not stuck on the as-of view's one month
    for heading in ("Where each team stands", "Teams at target over time",
                    "This month, by number of cases", "Most improved teams"):
        page.locator("h3", has_text=heading).scroll_into_view_if_needed()
        page.evaluate("() => window.scrollBy(0, 0)")
        step(page, f"presentation: {heading}")


# ---------------------------------------------------------------------------------------------
# A national collaborative: 200 teams, more than a page. The facilitator reads the overview by
# district and wave, finds a team by name, pages forward, sorts the matrix by concerns and
# switches to the top teams by improvement; the console stays clean after every step.

BIG_TEAMS = 200
#: seconds to wait for a page of 48 panels drawn anew (after a search) on a loaded machine
BIG_WAIT = 300
#: what the team list and the matrix show, read from BokehJS (the matrix cells' own data)
LISTED = """() => {
  const out = {panels: null, matrix_rows: null, concerns: null};
  if (!window.Bokeh || !Bokeh.index) return out;
  for (const view of Bokeh.index.roots) {
    const m = view.model;
    if (!view.el.isConnected) continue;  // a chart replaced, not yet removed from the index
    if (m.type == 'GridPlot') out.panels = m.children.map(c => c[0].title.text);
    if (m.type == 'Figure' && m.title && m.title.text.startsWith('Where each team stands')) {
      const rows = [...m.y_range.factors].reverse();  // top to bottom
      out.matrix_rows = rows;
      const data = m.renderers[0].data_source.data, counts = {};
      for (let i = 0; i < data.team.length; i++)
        counts[data.team[i]] = (counts[data.team[i]] || 0) + (data.status[i] == 'concern');
      out.concerns = rows.map(r => counts[r] || 0);
    }
  }
  return out;
}"""


@pytest.fixture(scope="module")
def served_big(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """`workbench demo --teams 200 --build-only`, then `workbench serve --app learning_session`
    on it (the commands a facilitator types)."""
    import os
    import signal
    import subprocess
    import sys

    from voila_fixtures import CHROMIUM, free_port

    from workbench.apps.context import READY_MARK

    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium: install Debian chromium to run the journeys")
    folder = tmp_path_factory.mktemp("big")
    db = str(folder / "big.db")
    result = CliRunner().invoke(main, ["demo", "--teams", str(BIG_TEAMS), "--build-only",
                                       "--db", db, "--force"])
    assert result.exit_code == 0, result.output
    port = free_port()
    env = dict(os.environ, PYTHONUNBUFFERED="1", TMPDIR=str(folder), WORKBENCH_USER="journey")
    with (folder / "serve.out").open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "workbench", "serve", "--db", db, "--port", str(port),
             "--app", "learning_session"], stdout=out, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, env=env, start_new_session=True,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    log = folder / f"workbench-voila-{port}.log"
    try:
        deadline = time.monotonic() + 600  # 200 teams: the preheated kernel takes longer
        while READY_MARK not in (log.read_text(errors="replace") if log.exists() else ""):
            assert process.poll() is None, (folder / "serve.out").read_text()[-3000:]
            assert time.monotonic() < deadline, "the app was not preheated within 600 s"
            time.sleep(0.5)
        yield f"http://127.0.0.1:{port}/voila/render/learning_session.ipynb", db
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


#: the small multiples' panel columns and title size, read from BokehJS
GRID = """() => {
  for (const view of Bokeh.index.roots) {
    const m = view.model;
    if (view.el.isConnected && m.type == 'GridPlot')
      return {columns: 1 + Math.max(...m.children.map(c => c[2])),
              title: m.children[0][0].title.text_font_size};
  }
  return null;
}"""


def _listed_when(page, check, timeout: float = BIG_WAIT) -> dict:  # type: ignore[no-untyped-def]
    return evaluate_until(page, LISTED, check, timeout)


def test_facilitator_finds_pages_sorts_and_ranks_teams_of_a_200_team_collaborative(
        served_big, page) -> None:
    from workbench.apps.team_pages import PAGE_SIZE, TOP_N, team_labels
    from workbench.rollup import metrics as rollup
    from workbench.rollup.base import reporting_month

    url, db = served_big
    engine = open_engine(db)
    teams, indicators = read_teams(engine), read_indicators(engine)
    m = read_measurements(engine)
    names = team_labels(teams)
    panel = {t.team_id: f"{t.team_id} {t.name}" for t in teams.itertuples()}
    by_code = sorted(teams.itertuples(), key=lambda t: t.team_id)  # the default order
    pages = -(-BIG_TEAMS // PAGE_SIZE)

    page.set_default_timeout(BIG_WAIT * 1000)
    page.goto(url, wait_until="commit")
    page.wait_for_selector(f".wb-status:has-text('{BIG_TEAMS} teams, reporting month')")
    shown = _listed_when(page, lambda s: s["panels"] is not None and s["matrix_rows"])
    step(page, "opened: overview and the first page")
    assert sorted(shown["panels"]) == sorted(panel[t.team_id] for t in by_code[:PAGE_SIZE])
    assert shown["matrix_rows"] == [names[t.team_id] for t in by_code[:PAGE_SIZE]]
    assert f"page 1 of {pages}" in page.inner_text(".wb-page")
    overview = page.inner_text(".wb-overview")
    for district in teams["district"].unique():
        assert district in overview
    assert f"Showing teams 1–{PAGE_SIZE} of 200" in page.inner_text(".wb-team-rule")

    wanted = next(t for t in by_code[137:]  # a name that is part of no other team's name
                  if sum(t.name.casefold() in o.name.casefold() for o in by_code) == 1)
    box = page.get_by_placeholder("name or code")
    box.fill(wanted.name)
    box.press("Enter")
    page.wait_for_selector(".wb-team-rule:has-text('Showing 1 of 200 teams')")
    shown = _listed_when(page, lambda s: s["panels"] == [panel[wanted.team_id]]
                         and s["matrix_rows"] == [names[wanted.team_id]])  # both parts drawn
    step(page, "search a team by name")
    assert shown["panels"] == [panel[wanted.team_id]]
    assert shown["matrix_rows"] == [names[wanted.team_id]]

    box.fill("")
    box.press("Enter")
    page.wait_for_selector(f".wb-team-rule:has-text('Showing teams 1–{PAGE_SIZE} of 200')")
    _listed_when(page, lambda s: s["panels"] is not None and len(s["panels"]) == PAGE_SIZE)
    page.get_by_role("button", name="Next ▶").click()
    page.wait_for_selector(f".wb-team-rule:has-text('Showing teams {PAGE_SIZE + 1}–"
                           f"{2 * PAGE_SIZE} of 200')")
    second = [t.team_id for t in by_code[PAGE_SIZE:2 * PAGE_SIZE]]
    shown = _listed_when(page, lambda s: s["matrix_rows"] == [names[t] for t in second]
                         and sorted(s["panels"] or []) == sorted(panel[t] for t in second))
    step(page, "page 2")
    assert sorted(shown["panels"]) == sorted(panel[t] for t in second)
    assert shown["matrix_rows"] == [names[t] for t in second]
    assert f"page 2 of {pages}" in page.inner_text(".wb-page")
    assert f"Showing teams {PAGE_SIZE + 1}–{2 * PAGE_SIZE} of 200" in page.inner_text(
        ".wb-team-rule")

    choose(page, "Sort by", "Most signals of concern")
    page.wait_for_selector(".wb-team-rule:has-text('signal of concern')")  # the rule stated
    shown = _listed_when(page, lambda s: bool(s["concerns"]) and s["concerns"][0] > 0)
    step(page, "matrix sorted by concerns")
    assert shown["concerns"] == sorted(shown["concerns"], reverse=True)
    assert shown["concerns"][0] > 0
    assert f"page 1 of {pages}" in page.inner_text(".wb-page")  # a new order: page 1

    choose(page, "Show", f"Top {TOP_N} by improvement")
    page.wait_for_selector(".wb-team-rule:has-text('improved most on their baseline')")
    period = reporting_month(m)
    gains = rollup.gain_from_baseline(m, indicators, teams, period=period, levels=("team",))
    best = gains[(gains["indicator_id"] == "AMTSL") & gains["improvement_pp"].notna()]
    best = best.sort_values(["improvement_pp", "team_id"], ascending=[False, True])
    top = [str(t) for t in best["team_id"].head(TOP_N)]
    shown = _listed_when(page, lambda s: s["matrix_rows"] == [names[t] for t in top]
                         and s["panels"] == [panel[t] for t in top])
    step(page, f"top {TOP_N} by improvement")
    assert shown["matrix_rows"] == [names[t] for t in top]
    assert shown["panels"] == [panel[t] for t in top]  # best first, row by row
    assert "improved most on their baseline" in page.inner_text(".wb-team-rule")
    assert not page.locator(".wb-page").is_visible()  # one page: no pager

    # the month before (its analytics computed on demand), then the projector
    from workbench.charts.data import month_label

    before = period - 1
    choose(page, "Month", f"{month_label(before)}:")
    page.wait_for_selector(f".wb-status:has-text('reporting month {month_label(before)}')")
    gains = rollup.gain_from_baseline(m, indicators, teams, period=before, levels=("team",))
    best = gains[(gains["indicator_id"] == "AMTSL") & gains["improvement_pp"].notna()]
    best = best.sort_values(["improvement_pp", "team_id"], ascending=[False, True])
    top = [str(t) for t in best["team_id"].head(TOP_N)]
    shown = _listed_when(page, lambda s: s["matrix_rows"] == [names[t] for t in top]
                         and s["panels"] == [panel[t] for t in top])
    step(page, f"top {TOP_N} by improvement, the month before")
    assert shown["matrix_rows"] == [names[t] for t in top]
    assert shown["panels"] == [panel[t] for t in top]
    page.get_by_role("button", name="Presentation mode").click()
    page.wait_for_selector(".wb-presentation")
    grid = evaluate_until(page, GRID, lambda g: bool(g) and g["columns"] == 4, BIG_WAIT)
    step(page, "presentation, the month before")
    assert grid == {"columns": 4, "title": "16px"}  # wider panels, larger titles
    shown = _listed_when(page, lambda s: s["panels"] == [panel[t] for t in top]
                         and s["matrix_rows"] == [names[t] for t in top])
    assert shown["matrix_rows"] == [names[t] for t in top]

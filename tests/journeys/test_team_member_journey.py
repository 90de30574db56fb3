"""The QI team member's journey: enter a month, see it in the learning session, meet a conflict.

In headless Chromium against `workbench serve` on the demo collaborative: the learning session
is open on AMTSL (every team's small multiple); a team member opens the data-entry app in
another tab, sees the name the save goes under, enters the team's October with every birth
given AMTSL, saves, and the learning session opened again shows the new value. Then two
members of the team open the same month in two browsers; the first saves, the second's save
is refused with both values named, and nothing is overwritten. No console error at any step.
"""

from __future__ import annotations

import time

import pytest
from journey import VIEWPORT, step, watch

from workbench.store import open_engine, read_revisions

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TEAM, MONTH, INDICATOR = "T07", "2026-10", "AMTSL"
#: seconds the learning session may take to draw on a loaded 2-core machine
DRAW_SECONDS = 120
#: the y values of one team's panel in the small multiples, read from BokehJS
PANEL_Y = """(name) => {
  if (!window.Bokeh || !Bokeh.index) return null;
  for (const view of Bokeh.index.roots) {
    const source = view.model.document.get_model_by_name(name);
    if (source) return [...source.data.y];
  }
  return null;
}"""


def _panel_last(page, team: str, expected: float | None = None) -> float | None:  # type: ignore[no-untyped-def]
    """The last value of `team`'s panel (once it equals `expected`, or after the timeout)."""
    deadline = time.monotonic() + DRAW_SECONDS
    while True:
        y = page.evaluate(PANEL_Y, f"{team}:points")
        last = float(y[-1]) if y else None
        done = last is not None and (expected is None or abs(last - expected) < 1e-9)
        if done or time.monotonic() > deadline:
            return last
        page.wait_for_timeout(500)


def _row(page, indicator: str):  # type: ignore[no-untyped-def]
    return page.locator(".widget-hbox", has=page.locator(f"b:text-is('{indicator}')")).first


def _open_month(browser, request: pytest.FixtureRequest, served, who: str, name: str):  # type: ignore[no-untyped-def]
    page = browser.new_context(viewport=VIEWPORT).new_page()
    page.set_default_timeout(90_000)
    watch(page, f"{request.node.name}-{name}")
    user = who.replace(" ", "%20")
    page.goto(served.url("data_entry", f"team={TEAM}&period={MONTH}&user={user}"),
              wait_until="commit")
    page.wait_for_selector(".wb-title:has-text('Monthly data entry')")
    page.wait_for_selector(f"text={TEAM} {MONTH}:")
    return page


def test_team_member_enters_a_month_sees_it_after_reload_and_a_second_browser_conflicts(
        served, browser, page, request: pytest.FixtureRequest) -> None:
    engine = open_engine(served.db)
    page.goto(served.url("learning_session", f"indicator={INDICATOR}"), wait_until="commit")
    page.wait_for_selector(".wb-title:has-text('Learning session')")
    before = _panel_last(page, TEAM)
    assert before is not None and before < 1.0
    step(page, "learning session before")

    entry = _open_month(browser, request, served, "Journey Member", "entry")
    assert entry.inner_text(".wb-user") == "Saving as Journey Member"
    row = _row(entry, INDICATOR)
    births = int(float(row.get_by_placeholder("denominator").input_value()))
    row.get_by_placeholder("numerator").fill(str(births))  # every birth got AMTSL
    row.get_by_placeholder("numerator").press("Tab")
    step(entry, "month filled in")
    entry.get_by_role("button", name="Save month").click()
    entry.wait_for_selector(f"text=Saved 1 value(s) for {TEAM} {MONTH}: "
                            f"{INDICATOR} {births} / {births}")
    step(entry, "month saved")
    saved = read_revisions(engine, TEAM, INDICATOR, MONTH).iloc[-1]
    assert (saved["numerator"], saved["author"], saved["source"]) == (
        births, "Journey Member", "form")

    # opened again in a new tab: a reload of the same tab logs the 403 of Voila's kernel-shutdown
    # beacon (the defect recorded as an xfail in the coach's journey; NAME=serve's to fix)
    again = page.context.new_page()
    again.set_default_timeout(90_000)
    watch(again, f"{request.node.name}-again")
    again.goto(served.url("learning_session", f"indicator={INDICATOR}"), wait_until="commit")
    again.wait_for_selector(".wb-title:has-text('Learning session')")
    assert _panel_last(again, TEAM, 1.0) == 1.0
    step(again, "learning session opened again")

    first = _open_month(browser, request, served, "First Member", "first")
    second = _open_month(browser, request, served, "Second Member", "second")
    try:
        rows = [_row(pg, "PARTOGRAPH") for pg in (first, second)]
        seen = int(float(rows[0].get_by_placeholder("numerator").input_value()))
        cases = int(float(rows[0].get_by_placeholder("denominator").input_value()))
        mine, theirs = (seen - 1, seen - 2) if seen > 2 else (seen + 1, seen + 2)
        rows[0].get_by_placeholder("numerator").fill(str(mine))
        first.get_by_role("button", name="Save month").click()
        first.wait_for_selector(f"text=Saved 1 value(s) for {TEAM} {MONTH}")
        step(first, "first browser saved")
        rows[1].get_by_placeholder("numerator").fill(str(theirs))
        second.get_by_role("button", name="Save month").click()
        refused = second.wait_for_selector("text=nothing was saved").inner_text()
        step(second, "second browser refused")
        assert f"PARTOGRAPH {MONTH} was saved as {mine} / {cases} by First Member" in refused
        assert f"(you saw {seen} / {cases}); your value is {theirs} / {cases}" in refused
    finally:
        for pg in (entry, first, second):
            pg.context.close()
    current = read_revisions(engine, TEAM, "PARTOGRAPH", MONTH).iloc[-1]
    assert (current["numerator"], current["author"]) == (mine, "First Member")

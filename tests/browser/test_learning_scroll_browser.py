"""The learning session's panels in headless Chromium: drawn where they can be seen.

`bokeh-patch-layout.js` (part 5) draws a plot far outside the window only when it comes near
it. After a month change, the panel scrolled to must show that month: pixel for pixel what a
page opened at that month shows. Its own `workbench serve --app learning_session` (two
kernels: the shared server of `test_apps_browser.py` is at its kernel cap by its last test).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from voila_fixtures import ARTIFACTS, free_port

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _open(pg, url: str, title: str) -> None:  # type: ignore[no-untyped-def]
    pg.goto(url, wait_until="commit")
    pg.wait_for_selector(f".wb-title:has-text('{title}')")


@pytest.fixture(scope="module")
def learning_server(demo_db_master: Path, tmp_path_factory: pytest.TempPathFactory
                    ) -> Iterator:
    """`workbench serve --app learning_session` on a private copy of the demo database."""
    from voila_fixtures import CHROMIUM

    from workbench.apps.server.serve import start_server

    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium: install Debian chromium to run the browser tests")
    folder = tmp_path_factory.mktemp("learning")
    db = folder / "demo.db"
    shutil.copy(demo_db_master, db)
    server = start_server(str(db), port=free_port(), app="learning_session",
                          log_path=folder / "voila.log")
    try:
        server.wait_ready(timeout=240)
        yield server
    finally:
        server.stop()


#: the small multiples' panels in page order (BokehJS's views of the first grid on the page)
PANELS = """() => { const plots = [];
  const walk = v => { if (v.model.type === 'Figure' || v.model.type === 'Plot') plots.push(v);
                      (v.child_views || []).forEach(walk); };
  walk(Object.values(Bokeh.index).find(v => v.model.type === 'GridPlot'));
  return plots; }"""


def _last_panel(pg):  # type: ignore[no-untyped-def]
    """(title, element) of the last small-multiple panel."""
    title = pg.evaluate(f"() => ({PANELS})().at(-1).model.title.text")
    element = pg.evaluate_handle(f"() => ({PANELS})().at(-1).el").as_element()
    assert element is not None
    return title, element


def _settled_shot(pg, element, differs_from: bytes | None = None) -> bytes:  # type: ignore[no-untyped-def]
    """The element scrolled into view and captured once two captures a frame apart agree
    (and differ from `differs_from`, if given): the panel drawn, whatever it shows."""
    element.scroll_into_view_if_needed()
    deadline = time.perf_counter() + 30
    shot = element.screenshot()
    while time.perf_counter() < deadline:
        pg.wait_for_timeout(300)
        again = element.screenshot()
        if again == shot and again != differs_from:
            break
        shot = again
    return shot


def _opened(context, url: str):  # type: ignore[no-untyped-def]
    """A page of the learning session with its 48 teams' charts drawn."""
    page = context.new_page()
    page.set_default_timeout(90_000)
    _open(page, url, "Learning session")
    page.wait_for_selector("text=48 teams")
    page.wait_for_selector("canvas")
    page.wait_for_timeout(1000)
    return page


def _last_panel_after(learning_server, browser, change,  # type: ignore[no-untyped-def]
                      names: tuple[str, str, str]) -> dict:
    """The last panel of the page before and after `change(page)` (made at the top of the
    page, then scrolled to; it returns the query of a page opened in that state), and the same
    panel in a page opened with that query: titles, screenshots (written to test-artifacts/
    under `names`) and how many paints were held (panels far below the window, not drawn)."""
    context = browser.new_context(viewport={"width": 1280, "height": 600})
    fresh_context = browser.new_context(viewport={"width": 1280, "height": 600})
    try:
        page = _opened(context, learning_server.url("learning_session"))
        title, last = _last_panel(page)
        before = _settled_shot(page, last)
        page.evaluate("() => window.scrollTo(0, 0)")
        page.wait_for_timeout(500)
        redraws = "() => Number(document.querySelector('[data-redraws]').dataset.redraws)"
        drawn = page.evaluate(redraws)
        fresh_query = change(page)
        page.wait_for_function(f"({redraws})() > {drawn}", timeout=60_000)
        page.wait_for_timeout(2000)
        held = page.evaluate("() => Bokeh.__wbHeldPaints()")
        title_after, last = _last_panel(page)
        after = _settled_shot(page, last, differs_from=before)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"learning_session-{names[1]}-scrolled.png"))
        fresh = _opened(fresh_context, learning_server.url("learning_session", fresh_query))
        fresh_title, fresh_last = _last_panel(fresh)
        expected = _settled_shot(fresh, fresh_last)
        ARTIFACTS.mkdir(exist_ok=True)
        for name, shot in zip(names, (before, after, expected), strict=True):
            (ARTIFACTS / f"learning_session-last-panel-{name}.png").write_bytes(shot)
        return {"held": held, "titles": (title, title_after, fresh_title),
                "before": before, "after": after, "expected": expected}
    finally:
        context.close()
        fresh_context.close()


def _month_before(page) -> str:  # type: ignore[no-untyped-def]
    """Pick the month before the reporting month; its YYYY-MM."""
    months = page.locator(".widget-dropdown", has=page.locator("label:text-is('Month')")
                          ).locator("select")
    label = months.evaluate("s => s.options[1].value")
    months.select_option(value=label)
    return datetime.strptime(label.split(":")[0], "%b %Y").strftime("%Y-%m")


def _assert_held_then_drawn_as_a_fresh_page(shown: dict) -> None:
    """Panels far below were held after the change; scrolled to, the last one (the same
    team's) is what a fresh page shows, and differs from before (the test can fail)."""
    assert shown["held"] > 0, "every panel was drawn, also those far below the window"
    title, title_after, fresh_title = shown["titles"]
    assert title_after == fresh_title == title  # the same team's panel, last on the page
    assert shown["expected"] != shown["before"]
    assert shown["after"] == shown["expected"]


def test_after_a_month_change_the_panels_scrolled_to_show_that_month(
        learning_server, browser) -> None:  # noqa: F811
    """A month change draws the panels in or near the window at once and the others as they
    come into view (`bokeh-patch-layout.js`, part 5): scrolled to after the change, the last
    panel shows the month picked, pixel for pixel what a page opened at that month shows."""
    shown = _last_panel_after(learning_server, browser,
                              lambda page: f"period={_month_before(page)}",
                              ("reporting-month", "month-changed", "fresh-page"))
    _assert_held_then_drawn_as_a_fresh_page(shown)


def test_after_a_switch_to_presentation_mode_the_panels_scrolled_to_are_laid_out_for_it(
        learning_server, browser) -> None:  # noqa: F811
    """A switch of mode lays out and draws the panels in or near the window at once; those far
    below are laid out and drawn as they come into view (`bokeh-patch-layout.js`, part 5):
    scrolled to after the switch, the last panel is pixel for pixel what a page opened in
    presentation mode shows."""
    def switch(page) -> str:  # type: ignore[no-untyped-def]
        page.get_by_role("button", name="Presentation mode").click()
        return "presentation=1"

    shown = _last_panel_after(learning_server, browser, switch,
                              ("normal", "presentation-switched", "presentation-page"))
    _assert_held_then_drawn_as_a_fresh_page(shown)

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


def test_after_a_month_change_the_panels_scrolled_to_show_that_month(
        learning_server, browser) -> None:  # noqa: F811
    """A month change draws the panels in or near the window at once and the others as they
    come into view (`bokeh-patch-layout.js`, part 5): scrolled to after the change, the last
    panel shows the month picked, pixel for pixel what a page opened at that month shows."""
    context = browser.new_context(viewport={"width": 1280, "height": 600})
    fresh_context = browser.new_context(viewport={"width": 1280, "height": 600})
    try:
        page = context.new_page()
        page.set_default_timeout(90_000)
        _open(page, learning_server.url("learning_session"), "Learning session")
        page.wait_for_selector("text=48 teams")
        page.wait_for_selector("canvas")
        page.wait_for_timeout(1000)
        title, last = _last_panel(page)
        october = _settled_shot(page, last)  # the reporting month, drawn
        page.evaluate("() => window.scrollTo(0, 0)")
        page.wait_for_timeout(500)
        months = page.locator(".widget-dropdown", has=page.locator("label:text-is('Month')")
                              ).locator("select")
        label = months.evaluate("s => s.options[1].value")  # the month before
        month = datetime.strptime(label.split(":")[0], "%b %Y").strftime("%Y-%m")
        redraws = "() => Number(document.querySelector('[data-redraws]').dataset.redraws)"
        drawn = page.evaluate(redraws)
        months.select_option(value=label)
        page.wait_for_function(f"({redraws})() > {drawn}", timeout=60_000)
        page.wait_for_timeout(2000)
        held = page.evaluate("() => Bokeh.__wbHeldPaints()")
        assert held > 0, "every panel was drawn, also those far below the window"
        title_after, last = _last_panel(page)
        september = _settled_shot(page, last, differs_from=october)

        fresh = fresh_context.new_page()
        fresh.set_default_timeout(90_000)
        _open(fresh, learning_server.url("learning_session", f"period={month}"), "Learning session")
        fresh.wait_for_selector("text=48 teams")
        fresh.wait_for_selector("canvas")
        fresh.wait_for_timeout(1000)
        fresh_title, fresh_last = _last_panel(fresh)
        expected = _settled_shot(fresh, fresh_last)
        ARTIFACTS.mkdir(exist_ok=True)
        for name, shot in (("reporting-month", october), ("month-changed", september),
                           ("fresh-page", expected)):
            (ARTIFACTS / f"learning_session-last-panel-{name}.png").write_bytes(shot)
        page.screenshot(path=str(ARTIFACTS / "learning_session-month-scrolled.png"))
        assert title_after == fresh_title == title  # the same team's panel, last on the page
        assert expected != october  # the two months differ in that panel: the test can fail
        assert september == expected
    finally:
        context.close()
        fresh_context.close()


def test_after_a_switch_to_presentation_mode_the_panels_scrolled_to_are_laid_out_for_it(
        learning_server, browser) -> None:  # noqa: F811
    """A switch of mode lays out and draws the panels in or near the window at once; those far
    below are laid out and drawn as they come into view (`bokeh-patch-layout.js`, part 5):
    scrolled to after the switch, the last panel is pixel for pixel what a page opened in
    presentation mode shows."""
    context = browser.new_context(viewport={"width": 1280, "height": 600})
    fresh_context = browser.new_context(viewport={"width": 1280, "height": 600})
    try:
        page = context.new_page()
        page.set_default_timeout(90_000)
        _open(page, learning_server.url("learning_session"), "Learning session")
        page.wait_for_selector("text=48 teams")
        page.wait_for_selector("canvas")
        page.wait_for_timeout(1000)
        title, last = _last_panel(page)
        normal = _settled_shot(page, last)
        page.evaluate("() => window.scrollTo(0, 0)")
        page.wait_for_timeout(500)
        redraws = "() => Number(document.querySelector('[data-redraws]').dataset.redraws)"
        drawn = page.evaluate(redraws)
        page.get_by_role("button", name="Presentation mode").click()
        page.wait_for_function(f"({redraws})() > {drawn}", timeout=60_000)
        page.wait_for_timeout(2000)
        held = page.evaluate("() => Bokeh.__wbHeldPaints()")
        assert held > 0, "every panel was drawn, also those far below the window"
        title_after, last = _last_panel(page)
        presented = _settled_shot(page, last, differs_from=normal)

        fresh = fresh_context.new_page()
        fresh.set_default_timeout(90_000)
        _open(fresh, learning_server.url("learning_session", "presentation=1"),
              "Learning session")
        fresh.wait_for_selector("text=48 teams")
        fresh.wait_for_selector("canvas")
        fresh.wait_for_timeout(1000)
        fresh_title, fresh_last = _last_panel(fresh)
        expected = _settled_shot(fresh, fresh_last)
        ARTIFACTS.mkdir(exist_ok=True)
        for name, shot in (("normal", normal), ("presentation-switched", presented),
                           ("presentation-page", expected)):
            (ARTIFACTS / f"learning_session-last-panel-{name}.png").write_bytes(shot)
        assert title_after == fresh_title == title  # the same team's panel, last on the page
        assert expected != normal  # the two modes differ in that panel: the test can fail
        assert presented == expected
    finally:
        context.close()
        fresh_context.close()

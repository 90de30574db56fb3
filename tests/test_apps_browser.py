"""The Voilà apps in headless Chromium, served by `workbench serve` on the demo collaborative.

Every app renders without an error message within a recorded time budget (printed, and the
screenshots go to test-artifacts/); the learning-session filters change the charts.
"""

from __future__ import annotations

import time

import pytest
from voila_fixtures import ARTIFACTS, app_server, browser, page  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: generous on a loaded 2-core machine; the measured times are printed (pytest -s) and logged
BUDGET_SECONDS = 60
ERROR_TEXTS = ("could not load", "cannot start", "ExecutionError", "Traceback",
               "There was an error")

APPS = [
    ("learning_session", "indicator=AMTSL", "Learning session"),
    ("coach", "team=T03", "Coaching visit"),
    ("pdsa_journal", "team=T01", "PDSA journal"),
    ("data_entry", "team=T02", "Monthly data entry"),
    ("validation_queue", "user=Validator", "Validation queue"),
]


def _open(pg, url: str, title: str) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    pg.goto(url, wait_until="commit")
    pg.wait_for_selector(f".wb-title:has-text('{title}')")
    return time.perf_counter() - start


@pytest.mark.parametrize(("app", "query", "title"), APPS, ids=[a[0] for a in APPS])
def test_every_app_renders_without_an_error_within_its_budget(
        app_server, page, app: str, query: str, title: str) -> None:  # noqa: F811
    seconds = _open(page, app_server.url(app, query), title)
    if app == "learning_session":
        page.wait_for_selector("canvas")
    page.wait_for_timeout(500)
    text = page.inner_text("body")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{app}.png"), full_page=True)
    print(f"{app}: first widget in {seconds:.2f} s")
    (ARTIFACTS / "browser-times.txt").open("a").write(f"{app}\t{seconds:.2f}\n")
    assert not [t for t in ERROR_TEXTS if t in text], text[:2000]
    assert seconds < BUDGET_SECONDS


def test_learning_session_wave_filter_redraws_the_charts(app_server, page) -> None:  # noqa: F811
    _open(page, app_server.url("learning_session"), "Learning session")
    page.wait_for_selector("text=24 teams")
    page.wait_for_selector("canvas")
    before = page.locator(".bk-Canvas, canvas").first.screenshot()
    page.locator("select").nth(1).select_option(label="W2")
    page.wait_for_selector("text=8 teams", timeout=60_000)
    page.wait_for_timeout(1000)
    after = page.locator(".bk-Canvas, canvas").first.screenshot()
    assert before != after


def test_an_unknown_team_in_the_address_is_named_and_the_app_still_opens(
        app_server, page) -> None:  # noqa: F811
    _open(page, app_server.url("pdsa_journal", "team=T99"), "PDSA journal")
    page.wait_for_selector("text=unknown team 'T99' in the address")


def test_no_request_leaves_the_machine(app_server, page) -> None:  # noqa: F811
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url)
            if not r.url.startswith(("http://127.0.0.1", "data:", "blob:", "ws://127.0.0.1"))
            else None)
    _open(page, app_server.url("coach", "team=T01"), "Coaching visit")
    page.wait_for_timeout(1500)
    assert outside == []

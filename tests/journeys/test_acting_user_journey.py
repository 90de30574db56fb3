"""Who saves, in served apps: `workbench serve --user amina`, or a name typed once.

In headless Chromium against `workbench serve --app data_entry` on a copy of the demo:

- served with `--user amina`: the data-entry page says "Saving as amina" at once; a month
  saved there is amina's in the revisions and in `workbench audit`;
- served with no user at all (no hub, no `--user`, no `WORKBENCH_USER`, no `?user=`): the
  page asks "Who is saving?" instead of showing the form; the person types a name once,
  the form appears under "Saving as …", two saves (two months) are both recorded under that
  name, never under the OS user of the machine serving the apps;
- the name typed once is kept for the browser session: typed on the data-entry page (A),
  a month saved; the PDSA journal (B, its kernel started for the request) and the validation
  queue (C) open with "Saving as / Reviewing as …" and no question; A reloaded asks nothing
  and saves a second month; both revisions are that name's in the SQLite file. A header the
  browser forges (`X-Workbench-Session-User`) names nobody; "Not you?" forgets the name, and a
  reload asks again.

No console error at any step.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from journey import step

from workbench.apps.context import SESSION_HEADER
from workbench.apps.server.voila_server import SESSION_ROUTE
from workbench.cli import main
from workbench.store import open_engine, read_revisions

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TEAM, INDICATOR = "T09", "AMTSL"


def _row(page, indicator: str):  # type: ignore[no-untyped-def]
    return page.locator(".widget-hbox", has=page.locator(f"b:text-is('{indicator}')")).first


def _save_month(page, month: str) -> int:  # type: ignore[no-untyped-def]
    """Change AMTSL's numerator of the month shown by one and save; returns the new value."""
    page.wait_for_selector(f"text={TEAM} {month}:")
    row = _row(page, INDICATOR)
    value = int(float(row.get_by_placeholder("numerator").input_value()))
    new = value - 1 if value > 0 else 1
    row.get_by_placeholder("numerator").fill(str(new))
    row.get_by_placeholder("numerator").press("Tab")
    page.get_by_role("button", name="Save month").click()
    page.wait_for_selector(f"text=Saved 1 value(s) for {TEAM} {month}")
    return new


def _latest_counts_and_authors(db: str, months: tuple[str, ...]) -> list[list]:
    """[numerator, author] of the journey team's latest revision of each month."""
    engine = open_engine(db)
    return [read_revisions(engine, TEAM, INDICATOR, month).iloc[-1][["numerator", "author"]]
            .tolist() for month in months]


def _audit_users(db: str) -> list[str]:
    result = CliRunner().invoke(main, ["audit", "--db", db, "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    return [r["user"] for r in rows if r["action"] != "validate"]


def test_served_with_user_amina_a_saved_month_is_amina_s(serve_with, page) -> None:  # type: ignore[no-untyped-def]
    served = serve_with("--app", "data_entry", "--user", "amina")
    page.goto(served.url("data_entry", f"team={TEAM}&period=2026-09"), wait_until="commit")
    page.wait_for_selector(".wb-title:has-text('Monthly data entry')")
    page.wait_for_selector(".wb-user")
    assert page.inner_text(".wb-user") == "Saving as amina"
    assert not page.locator(".wb-name-prompt").is_visible()
    step(page, "served as amina")
    new = _save_month(page, "2026-09")
    step(page, "month saved as amina")
    saved = read_revisions(open_engine(served.db), TEAM, INDICATOR, "2026-09").iloc[-1]
    assert (saved["numerator"], saved["author"]) == (new, "amina")
    assert _audit_users(served.db)[-1:] == ["amina"]


def test_with_no_user_known_the_page_asks_once_and_both_saves_carry_that_name(
        serve_with, page) -> None:  # type: ignore[no-untyped-def]
    served = serve_with("--app", "data_entry")
    page.goto(served.url("data_entry", f"team={TEAM}&period=2026-08"), wait_until="commit")
    page.wait_for_selector(".wb-title:has-text('Monthly data entry')")
    page.wait_for_selector("text=Who is saving?")
    assert not page.get_by_role("button", name="Save month").is_visible()
    step(page, "asked who is saving")
    page.get_by_placeholder("Your name").fill("Nurse Okello")
    page.get_by_role("button", name="Use this name").click()
    page.wait_for_selector(".wb-user:has-text('Saving as Nurse Okello')")
    assert not page.locator(".wb-name-prompt").is_visible()
    step(page, "name typed once")
    first = _save_month(page, "2026-08")
    step(page, "first month saved")
    period = page.get_by_label("Month").first  # the monthly form's (the other tab has one)
    period.fill("2026-07")
    period.press("Tab")
    second = _save_month(page, "2026-07")
    step(page, "second month saved")
    authors = _latest_counts_and_authors(served.db, ("2026-08", "2026-07"))
    assert authors == [[first, "Nurse Okello"], [second, "Nurse Okello"]]
    assert _audit_users(served.db)[-2:] == ["Nurse Okello", "Nurse Okello"]


def _no_question(page, label: str, name: str) -> None:  # type: ignore[no-untyped-def]
    """The page says who saves, that the name is kept, and asks nothing."""
    page.wait_for_selector(f".wb-user:has-text('{label} {name}')")
    assert page.inner_text(".wb-user") == f"{label} {name}"
    assert page.inner_text(".wb-kept") == "(kept until this browser is closed)"
    assert not page.locator(".wb-name-prompt").is_visible()
    assert page.locator(".wb-change-name").is_visible()


def test_a_name_typed_once_is_kept_for_the_browser_session_across_apps_and_reloads(
        serve_with, page) -> None:  # type: ignore[no-untyped-def]
    served = serve_with("--app", "data_entry")
    data_entry = served.url("data_entry", f"team={TEAM}&period=2026-06")
    page.set_extra_http_headers({SESSION_HEADER: "Mallory"})  # forged: not a session's name
    page.goto(data_entry, wait_until="commit")
    page.wait_for_selector("text=Who is saving?")
    assert not page.locator(".wb-user").is_visible()
    step(page, "a forged header names nobody")
    page.set_extra_http_headers({})

    page.get_by_placeholder("Your name").fill("Nurse Okello")
    with page.expect_response(lambda r: r.url.endswith(SESSION_ROUTE)) as kept:
        page.get_by_role("button", name="Use this name").click()
    assert kept.value.status == 204
    _no_question(page, "Saving as", "Nurse Okello")
    step(page, "A: name typed once")
    first = _save_month(page, "2026-06")
    step(page, "A: month saved")
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["workbench_user"]["httpOnly"] and cookies["workbench_user"]["expires"] == -1

    page.goto(served.url("pdsa_journal", f"team={TEAM}"), wait_until="commit")
    page.wait_for_selector(".wb-title:has-text('PDSA journal')")
    _no_question(page, "Saving as", "Nurse Okello")
    step(page, "B: the PDSA journal knows the name")
    page.goto(served.url("validation_queue"), wait_until="commit")
    page.wait_for_selector(".wb-title:has-text('Validation queue')")
    _no_question(page, "Reviewing as", "Nurse Okello")
    step(page, "C: the validation queue knows the reviewer")

    page.goto(data_entry, wait_until="commit")
    page.wait_for_selector(".wb-title:has-text('Monthly data entry')")
    step(page, "A again: opened")
    # reloaded once the page is shown, as a person would: a reload issued while the
    # navigation is still committing fails in Chromium ("Not attached to an active page")
    page.reload(wait_until="commit")
    page.wait_for_selector(".wb-title:has-text('Monthly data entry')")
    _no_question(page, "Saving as", "Nurse Okello")
    step(page, "A reloaded: no question")
    period = page.get_by_label("Month").first
    period.fill("2026-05")
    period.press("Tab")
    second = _save_month(page, "2026-05")
    step(page, "A reloaded: second month saved")
    authors = _latest_counts_and_authors(served.db, ("2026-06", "2026-05"))
    assert authors == [[first, "Nurse Okello"], [second, "Nurse Okello"]]
    assert _audit_users(served.db)[-2:] == ["Nurse Okello", "Nurse Okello"]

    with page.expect_response(lambda r: r.url.endswith(SESSION_ROUTE)) as forgot:
        page.get_by_role("button", name="Not you?").click()
    assert forgot.value.status == 204
    page.wait_for_selector("text=Who is saving?")
    assert not page.get_by_role("button", name="Save month").is_visible()
    assert "workbench_user" not in {c["name"] for c in page.context.cookies()}
    step(page, "not you: asked again")
    page.reload(wait_until="commit")
    page.wait_for_selector("text=Who is saving?")
    assert not page.locator(".wb-user").is_visible()
    step(page, "reloaded after not you: still asked")

"""Who saves, in served apps: `workbench serve --user amina`, or a name typed once.

In headless Chromium against `workbench serve --app data_entry` on a copy of the demo:

- served with `--user amina`: the data-entry page says "Saving as amina" at once; a month
  saved there is amina's in the revisions and in `workbench audit`;
- served with no user at all (no hub, no `--user`, no `WORKBENCH_USER`, no `?user=`): the
  page asks "Who is saving?" instead of showing the form; the person types a name once,
  the form appears under "Saving as …", two saves (two months) are both recorded under that
  name, never under the OS user of the machine serving the apps.

No console error at any step.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from journey import step

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
    engine = open_engine(served.db)
    authors = [read_revisions(engine, TEAM, INDICATOR, month).iloc[-1][["numerator", "author"]]
               .tolist() for month in ("2026-08", "2026-07")]
    assert authors == [[first, "Nurse Okello"], [second, "Nurse Okello"]]
    assert _audit_users(served.db)[-2:] == ["Nurse Okello", "Nurse Okello"]

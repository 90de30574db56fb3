"""The facilitator asks "what is working?" at a learning session.

In headless Chromium against `workbench serve` on the demo collaborative: the facilitator
opens the learning session, presses "Show what is working", reads the change ideas with the
best evidence for AMTSL — the same as `workbench practices --indicator AMTSL` says, with the
teams that can tell the story — switches the indicator to PARTOGRAPH and reads its changes,
and the browser console logged no error.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from journey import step

from workbench.apps.practices_panel import TOP
from workbench.cli import main

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _top(db: str, indicator: str) -> list[dict]:
    result = CliRunner().invoke(main, ["practices", "--db", db, "--indicator", indicator,
                                       "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)[:TOP]


def _rows(page) -> list[list[str]]:  # type: ignore[no-untyped-def]
    return page.locator(".wb-practices table tbody tr").evaluate_all(
        "rows => rows.map(r => [...r.cells].map(c => c.innerText.trim()))")


def test_the_facilitator_sees_which_changes_work_for_the_selected_indicator(served, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(served.url("learning_session"), wait_until="commit")
    page.wait_for_selector(".wb-title:has-text('Learning session')")
    button = page.get_by_role("button", name="Show what is working")
    button.scroll_into_view_if_needed()
    step(page, "opened")
    button.click()
    page.wait_for_selector(".wb-practices table tbody tr")
    page.locator(".wb-practices").scroll_into_view_if_needed()
    step(page, "what is working: AMTSL")
    expected = _top(served.db, "AMTSL")
    rows = _rows(page)
    assert [r[0] for r in rows] == [f"{e['change_id']} {e['change_name']}" for e in expected]
    assert [r[1] for r in rows] == [e["grade"] for e in expected]
    assert rows[0][1] == "strong" and rows[0][5].startswith("T")  # teams to ask
    assert "not proof of cause" in page.inner_text(".wb-practices")

    box = page.locator(".widget-dropdown", has=page.locator("label:text-is('Indicator')"))
    select = box.locator("select")
    labels = select.evaluate("s => [...s.options].map(o => o.label)")
    select.select_option(label=next(lab for lab in labels if "(PARTOGRAPH)" in lab))
    expected = _top(served.db, "PARTOGRAPH")
    first = f"{expected[0]['change_id']} {expected[0]['change_name']}"
    page.wait_for_selector(f".wb-practices td:text-is('{first}')")
    page.locator(".wb-practices").scroll_into_view_if_needed()
    step(page, "what is working: PARTOGRAPH")
    assert [r[0] for r in _rows(page)] == [f"{e['change_id']} {e['change_name']}"
                                           for e in expected]

"""The coach's journey: read the site-visit brief, record a visit, see the recount flagged.

In headless Chromium against `workbench serve` on the demo collaborative: the coach opens
`coach?team=T05`, reads the brief (what changed, signals, PDSA cycles in flight), records a
visit whose recount of last month's AMTSL numerator is 20 % below what the team reported,
sees the form say a verification factor was flagged, sees the brief above the form refreshed
(now since today's visit: no new data since, the visit's action to follow up, the new flag to
recount), and finds that flag in `workbench flags` and in the validation queue (another tab).
No console error at any step.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner
from journey import step, watch

from workbench.cli import main
from workbench.i18n import format_date
from workbench.store import open_engine, read_indicators, read_measurements

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TEAM, INDICATOR = "T05", "AMTSL"


def _flags(db: str) -> list[dict]:
    result = CliRunner().invoke(main, ["flags", "--db", db, "--team", TEAM, "--json"])
    assert result.exit_code == 0, result.output
    return [f for f in json.loads(result.output) if f["rule_code"] == "verification-out-of-band"]


def test_coach_reads_the_brief_records_a_recount_20_percent_off_and_sees_the_flag(
        served, page, request: pytest.FixtureRequest) -> None:
    m = read_measurements(open_engine(served.db))
    mine = m[(m["team_id"] == TEAM) & (m["indicator_id"] == INDICATOR)].sort_values("period")
    month, reported, cases = (str(mine["period"].iloc[-1]), int(mine["numerator"].iloc[-1]),
                              int(mine["denominator"].iloc[-1]))
    recounted = round(reported * 0.8)
    before = _flags(served.db)

    page.goto(served.url("coach", f"team={TEAM}&user=Journey%20Coach"), wait_until="commit")
    page.wait_for_selector(".wb-title:has-text('Coaching visit')")
    page.wait_for_selector("text=Site-visit brief:")
    step(page, "brief")
    brief = page.inner_text("body")
    for section in ("What changed", "Signals", "Questions for the visit"):
        assert section in brief, section
    assert page.inner_text(".wb-user") == "Saving as Journey Coach"
    today = format_date(dt.date.today())  # as the brief writes it: 1 Dec 2026
    assert f"since the last visit on {today}" not in brief

    page.locator(".widget-text", has=page.locator("label:text-is('Coach')")).locator(
        "input").fill("Journey Coach")
    row = page.locator(".widget-hbox", has=page.get_by_placeholder("recounted num."))
    row.locator("select").select_option(label=next(
        lab for lab in row.locator("select").evaluate("s => [...s.options].map(o => o.label)")
        if lab.startswith(f"{INDICATOR}\xa0")))  # "AMTSL — Births…", spaces as no-break
    row.get_by_placeholder("YYYY-MM").fill(month)
    row.get_by_placeholder("recounted num.").fill(str(recounted))
    row.get_by_placeholder("recounted den.").fill(str(cases))
    row.get_by_placeholder("recounted den.").press("Tab")
    page.get_by_placeholder("agreed action").last.fill(
        "Recount AMTSL from the delivery register every week")
    page.get_by_placeholder("owner").last.fill("ward in-charge")
    page.get_by_placeholder("due YYYY-MM-DD").last.fill("2027-01-15")
    page.get_by_placeholder("due YYYY-MM-DD").last.press("Tab")
    step(page, "visit filled in")
    page.get_by_role("button", name="Save visit").click()
    saved = page.wait_for_selector("text=were flagged for the validators").inner_text()
    step(page, "visit saved")
    assert "1 recount(s)" in saved and "1 verification factor(s) outside the band" in saved

    after = _flags(served.db)
    new = [f for f in after if f["flag_id"] not in {b["flag_id"] for b in before}]
    assert [(f["indicator_id"], str(f["period"])) for f in new] == [(INDICATOR, month)]
    flag_id = new[0]["flag_id"]
    assert f"flag {flag_id}" in saved

    heading = page.wait_for_selector(f"text=since the last visit on {today}")
    step(page, "brief refreshed")
    brief = page.inner_text(".wb-app")
    assert heading.inner_text().startswith(f"Site-visit brief: {TEAM}")
    assert "no new data since the last visit" in brief  # the demo's data end before today
    assert "+0.0 pts" not in brief
    assert "Recount AMTSL from the delivery register every week" in brief
    name = read_indicators(open_engine(served.db)).set_index("indicator_id").loc[
        INDICATOR, "name"]  # the brief's questions name the indicator, not its code
    assert f"Data flag on {name} for" in brief and "verification-out-of-band" in brief

    queue = page.context.new_page()  # the validators' queue, in another tab
    watch(queue, f"{request.node.name}-queue")
    queue.goto(served.url("validation_queue", f"team={TEAM}&user=Journey%20Validator"),
               wait_until="commit")
    queue.wait_for_selector(".wb-title:has-text('Validation queue')")
    queue.wait_for_selector(f"select[multiple] option:text-matches('^#{flag_id}\\\\b')")
    step(queue, "flag in the validation queue")


def test_a_coach_leaving_the_page_for_another_app_frees_its_kernel_without_an_error(
        served, page) -> None:
    """Voilà's page posts a shutdown beacon with the `_xsrf` cookie when it is left; the
    server used to answer 403 (no cookie was ever set) and kept the kernel until culled."""
    page.goto(served.url("coach", f"team={TEAM}"), wait_until="commit")
    page.wait_for_selector("text=Site-visit brief:")
    kernel_id = page.evaluate(
        "JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId")
    step(page, "coach page")
    page.goto(served.url("pdsa_journal", f"team={TEAM}"), wait_until="commit")
    page.wait_for_selector(".wb-title:has-text('PDSA journal')")
    for _ in range(40):
        if f"Kernel shutdown: {kernel_id}" in served.log():
            break
        page.wait_for_timeout(250)
    step(page, "left for the PDSA journal")
    log = served.log()
    assert f"Kernel shutdown: {kernel_id}" in log, log[-2000:]
    assert f"403 POST /voila/api/shutdown/{kernel_id}" not in log

"""The validator's journey: correct one flag, dismiss one, bulk-confirm three, read the history.

In headless Chromium against `workbench serve` on the validated demo collaborative: the
validator opens `validation_queue?team=…&user=Journey Validator`, sees under the title the name
the reviews are saved under, corrects a numerator-above-denominator flag with the register's
count (a new revision; the original stays), dismisses another flag, confirms three at once,
then lists the reviewed flags and reads each history with the reviewer's name, in the app and
in `workbench flags history`. No console error at any step.
"""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from journey import step

from workbench.cli import main
from workbench.store import open_engine, read_flags, read_revisions

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REVIEWER = "Journey Validator"
NOTE = "checked against the delivery register"


def _history(db: str, flag_id: int) -> str:
    result = CliRunner().invoke(main, ["flags", "history", str(flag_id), "--db", db])
    assert result.exit_code == 0, result.output
    return result.output


def _team_with_work(db: str) -> tuple[str, int, list[int]]:
    """A team (not the coach journey's T05) with an open numerator-above-denominator flag and
    at least four other open flags: (team, that flag, the others)."""
    flags = read_flags(open_engine(db), status="open")
    flags = flags[flags["team_id"].notna() & (flags["team_id"] != "T05")]
    for team, mine in flags.groupby("team_id"):
        wrong = mine[mine["rule_code"] == "numerator-exceeds-denominator"]
        others = mine[~mine["flag_id"].isin(wrong["flag_id"])]
        if len(wrong) and len(others) >= 4:
            return str(team), int(wrong["flag_id"].iloc[0]), [int(f) for f in others["flag_id"]]
    raise AssertionError("the demo has no team with a wrong numerator and four other flags")


def _labels(page, flag_ids: list[int]) -> list[str]:  # type: ignore[no-untyped-def]
    labels = page.locator("select[multiple]").evaluate("s => [...s.options].map(o => o.label)")
    wanted = [next(lab for lab in labels if re.match(rf"#{f}\b", lab)) for f in flag_ids]
    return wanted


def _select(page, flag_ids: list[int]) -> None:  # type: ignore[no-untyped-def]
    page.locator("select[multiple]").select_option(label=_labels(page, flag_ids))


def _status(page, status: str) -> None:  # type: ignore[no-untyped-def]
    box = page.locator(".widget-dropdown", has=page.locator("label:text-is('status')"))
    box.locator("select").select_option(label=status)


def test_validator_corrects_one_dismisses_one_bulk_confirms_three_and_reads_the_history(
        served, page) -> None:
    team, wrong, others = _team_with_work(served.db)
    dismissed, confirmed = others[0], others[1:4]
    engine = open_engine(served.db)
    flag = read_flags(engine, team_id=team).set_index("flag_id").loc[wrong]
    revisions_before = read_revisions(engine, team, flag["indicator_id"], flag["period"])
    denominator = int(revisions_before["denominator"].iloc[-1])
    corrected = denominator * 4 // 5

    page.goto(served.url("validation_queue", f"team={team}&user=Journey%20Validator"),
              wait_until="commit")
    page.wait_for_selector(".wb-title:has-text('Validation queue')")
    page.wait_for_selector(f"select[multiple] option:text-matches('^#{wrong}\\\\b')")
    assert page.inner_text(".wb-user") == f"Reviewing as {REVIEWER}"
    step(page, "queue of the team")

    _select(page, [wrong])
    page.wait_for_selector(f"text=Flag #{wrong} —")
    page.locator(".widget-toggle-buttons button", has_text="correct").click()
    page.locator(".widget-text", has=page.locator("label:text-is('numerator')")).locator(
        "input").fill(str(corrected))
    page.locator(".widget-text", has=page.locator("label:text-is('denominator')")).locator(
        "input").fill(str(denominator))
    page.get_by_placeholder("Note (required): what you checked and why").fill(NOTE)
    step(page, "correction filled in")
    page.get_by_role("button", name="Apply to this flag").click()
    said = page.wait_for_selector(f"text=Corrected flag #{wrong}").inner_text()
    step(page, "flag corrected")
    assert f"{corrected} / {denominator}" in said and f"by {REVIEWER}" in said
    revisions = read_revisions(engine, team, flag["indicator_id"], flag["period"])
    assert len(revisions) == len(revisions_before) + 1  # the original stays readable
    assert (int(revisions["numerator"].iloc[-1]), revisions["source"].iloc[-1],
            revisions["author"].iloc[-1]) == (corrected, "correction", REVIEWER)

    _select(page, [dismissed])
    page.wait_for_selector(f"text=Flag #{dismissed} —")
    page.locator(".widget-toggle-buttons button", has_text="dismiss").click()
    page.get_by_placeholder("Note (required): what you checked and why").fill(
        "a real change on the ward, not a data problem")
    page.get_by_role("button", name="Apply to this flag").click()
    page.wait_for_selector(f"text=Dismissed flag #{dismissed}")
    step(page, "flag dismissed")

    _select(page, confirmed)
    page.wait_for_selector("text=3 flags selected.")
    page.get_by_placeholder("Note (required): what you checked and why").fill(NOTE)
    page.get_by_role("button", name="Confirm selected").click()
    said = page.wait_for_selector("text=Confirmed 3 flag(s)").inner_text()
    step(page, "three flags confirmed")
    assert f"by {REVIEWER}" in said
    left = page.locator("select[multiple]").evaluate("s => [...s.options].map(o => o.label)")
    assert not [lab for lab in left
                if re.match(rf"#({'|'.join(map(str, [wrong, dismissed, *confirmed]))})\b", lab)]

    for status, flag_id in (("corrected", wrong), ("dismissed", dismissed),
                            ("confirmed", confirmed[0])):
        _status(page, status)
        page.wait_for_selector(f"select[multiple] option:text-matches('^#{flag_id}\\\\b')")
        _select(page, [flag_id])
        page.wait_for_selector(f"text=Flag #{flag_id} —")
        history = page.locator("table", has=page.locator("th:text-is('who')"))
        history.locator(f"td:text-is('{REVIEWER}')").wait_for()
        step(page, f"history of the {status} flag")
        assert status in history.inner_text()
        assert re.search(rf"{REVIEWER}\s+{status}\s+open -> {status}\s+\S", _history(
            served.db, flag_id)), flag_id
    statuses = read_flags(engine, team_id=team).set_index("flag_id")["status"]
    assert [statuses[f] for f in (wrong, dismissed, *confirmed)] == [
        "corrected", "dismissed", "confirmed", "confirmed", "confirmed"]

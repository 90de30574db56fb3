"""Most improved teams: only real improvements, and only the changes that came before them."""

from __future__ import annotations

import pandas as pd
import pytest

from workbench.rollup import metrics as rollup

INDICATORS = pd.DataFrame([
    {"indicator_id": "AMTSL", "target": 0.9, "direction": "increase", "kind": "proportion"},
    {"indicator_id": "PPH", "target": 0.03, "direction": "decrease", "kind": "proportion"},
])


def _gains(lasts: dict[str, int]) -> pd.DataFrame:
    """AMTSL for each team: 5/10 for three baseline months, then `last`/10 in 2024-04."""
    rows = [{"team_id": team, "indicator_id": "AMTSL", "period": f"2024-0{month}",
             "numerator": 5 if month < 4 else last, "denominator": 10}
            for team, last in lasts.items() for month in (1, 2, 3, 4)]
    frame = pd.DataFrame(rows)
    frame["value"] = frame["numerator"] / frame["denominator"]
    return rollup.gain_from_baseline(frame, INDICATORS, levels=("team",))


def _cycle(team: str, change: str, number: int, decision: str | None, end: str,
           linked: list[str] | None = None) -> dict:
    return {"team_id": team, "change_id": change, "cycle_number": number,
            "act_decision": decision, "start_date": end, "end_date": end,
            "linked_indicators": linked if linked is not None else ["AMTSL"]}


IDEAS = pd.DataFrame([{"change_id": "C01", "name": "Oxytocin drawn up", "indicator_ids": ["AMTSL"]},
                      {"change_id": "C02", "name": "Kit", "indicator_ids": ["AMTSL", "PPH"]},
                      {"change_id": "C09", "name": "Cold chain", "indicator_ids": ["OXY"]}])


def test_teams_that_got_worse_or_stayed_the_same_are_not_most_improved() -> None:
    best = rollup.most_improved(_gains({"T01": 8, "T02": 5, "T03": 2}), n=5)
    assert best["team_id"].tolist() == ["T01"]
    assert best["improvement_pp"].tolist() == pytest.approx([30.0])


def test_no_team_improved_gives_an_empty_table() -> None:
    assert rollup.most_improved(_gains({"T01": 4, "T02": 5}), n=5).empty


def test_a_change_adapted_then_adopted_is_listed_once_with_its_last_decision() -> None:
    best = rollup.most_improved(_gains({"T01": 8}), n=5)
    cycles = pd.DataFrame([_cycle("T01", "C01", 1, "adapt", "2024-01-20"),
                           _cycle("T01", "C01", 2, "adapt", "2024-02-20"),
                           _cycle("T01", "C01", 3, "adopt", "2024-03-20")])
    changes = rollup.changes_before_gain(best, cycles, IDEAS)
    assert changes[["team_id", "change_id", "decision"]].values.tolist() == [
        ["T01", "C01", "adopt"]]
    assert str(changes["decided_period"].iloc[0]) == "2024-03"


def test_changes_after_the_latest_month_unrelated_or_abandoned_are_left_out() -> None:
    best = rollup.most_improved(_gains({"T01": 8, "T02": 7}), n=5)
    cycles = pd.DataFrame([
        _cycle("T01", "C01", 1, "adopt", "2024-02-10"),             # counts
        _cycle("T01", "C02", 1, "adopt", "2024-06-01"),             # after the latest month
        _cycle("T01", "C09", 1, "adopt", "2024-02-01", linked=[]),  # another indicator's
        _cycle("T01", "C02", 2, "abandon", "2024-02-01"),           # abandoned
        _cycle("T02", "C02", 1, None, "2024-02-01"),                # not decided
        _cycle("T02", "C09", 1, "adapt", "2024-03-01", linked=["PPH"]),  # linked elsewhere
    ])
    changes = rollup.changes_before_gain(best, cycles, IDEAS)
    assert changes[["team_id", "change_id"]].values.tolist() == [["T01", "C01"]]


def test_a_cycle_without_linked_indicators_takes_its_change_ideas_indicators() -> None:
    best = rollup.most_improved(_gains({"T01": 8}), n=5)
    cycles = pd.DataFrame([_cycle("T01", "C02", 1, "adopt", "2024-03-05", linked=[])])
    assert rollup.changes_before_gain(best, cycles, IDEAS)["change_id"].tolist() == ["C02"]

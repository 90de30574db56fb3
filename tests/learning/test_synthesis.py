"""What a synthesis meeting looks at (workbench.learning.synthesis) and the refined change
package (workbench.learning.package), on hand-made journals where the answer is known."""

from __future__ import annotations

import pandas as pd
import pytest

from workbench.learning import practice_evidence, team_adoptions
from workbench.learning.package import draft_package, package_diff
from workbench.learning.synthesis import (
    abandoned_everywhere,
    aligned_values,
    cycles_known_by,
    innovations_taken_up,
    storytellers,
)

PERIODS = [str(p) for p in pd.period_range("2024-01", "2025-12", freq="M")]
INDICATORS = pd.DataFrame([{"indicator_id": "I", "direction": "increase"}])
IDEAS = pd.DataFrame([
    {"change_id": "CA", "name": "change A", "description": "Do A.", "source": "package",
     "team_id": None, "indicator_ids": ["I"]},
    {"change_id": "CB", "name": "change B", "description": "Do B.", "source": "package",
     "team_id": None, "indicator_ids": ["I"]},
    {"change_id": "CZ", "name": "change Z", "description": "Do Z.", "source": "package",
     "team_id": None, "indicator_ids": ["I"]},
    {"change_id": "A0-I1", "name": "A0's idea", "description": "Do it the A0 way.",
     "source": "team", "team_id": "A0", "indicator_ids": ["I"]},
])


def _series(team: str, low: float, high: float, jump: str | None) -> list[dict]:
    rows = []
    for k, p in enumerate(PERIODS):
        level = high if jump is not None and p >= jump else low
        rows.append({"team_id": team, "indicator_id": "I", "period": p,
                     "numerator": round(100 * (level + 0.02 * ((k % 3) - 1))),
                     "denominator": 100})
    return rows


def _cycle(team: str, change: str, decision: str | None, *, number: int = 1,
           start: str = "2024-08-01", end: str | None = "2024-09-20") -> dict:
    return {"team_id": team, "change_id": change, "cycle_number": number,
            "linked_indicators": ["I"], "start_date": start, "end_date": end,
            "act_decision": decision}


@pytest.fixture
def world() -> tuple[pd.DataFrame, pd.DataFrame]:
    """A0..A3 adopt CA in Sep 2024 and rise by 30 (A3 by 40) points from Oct; N0..N3 never
    change and test CZ, which all of them abandon; A1 and A2 test A0's innovation."""
    data = [r for i in range(3) for r in _series(f"A{i}", 0.40, 0.70, "2024-10")]
    data += _series("A3", 0.40, 0.80, "2024-10")
    data += [r for i in range(4) for r in _series(f"N{i}", 0.40, 0.40, None)]
    cycles = [_cycle(f"A{i}", "CA", "adopt") for i in range(4)]
    cycles += [_cycle(f"N{i}", "CZ", "abandon") for i in range(4)]
    cycles += [_cycle("A0", "A0-I1", "adopt", start="2025-01-05", end="2025-02-01"),
               _cycle("A1", "A0-I1", "adapt", start="2025-03-05", end="2025-04-01"),
               _cycle("A2", "A0-I1", None, start="2025-05-05", end=None)]
    return pd.DataFrame(data), pd.DataFrame(cycles)


def test_the_teams_that_can_tell_the_story_are_the_shifted_adopters_largest_effect_first(world):
    measurements, cycles = world
    ev = practice_evidence(measurements, INDICATORS, cycles, IDEAS)
    told = storytellers(ev.teams, n=3).set_index(["change_id", "indicator_id"])
    assert told.loc[("CA", "I"), "teams"] == ["A3", "A0", "A1"]


def test_aligned_values_put_every_adopter_on_months_since_its_effect_start(world):
    measurements, cycles = world
    aligned = aligned_values(measurements, team_adoptions(cycles, IDEAS), before=3, after=2)
    a3 = aligned[(aligned["team_id"] == "A3") & (aligned["change_id"] == "CA")]
    assert a3["months_since"].tolist() == [-3, -2, -1, 0, 1]
    assert a3["period"].tolist() == ["2024-07", "2024-08", "2024-09", "2024-10", "2024-11"]
    assert a3["phase"].tolist() == ["before"] * 3 + ["after"] * 2
    assert a3["value"].tolist() == pytest.approx([0.38, 0.40, 0.42, 0.78, 0.80])
    assert set(aligned["change_id"]) == {"CA", "A0-I1"}  # adopted; N* abandoned, A1 adapted


def test_a_team_innovation_other_teams_tested_is_taken_up_and_one_tried_only_at_home_is_not(
        world):
    _measurements, cycles = world
    adoptions = team_adoptions(cycles, IDEAS)
    taken = innovations_taken_up(adoptions, IDEAS)
    assert taken.to_dict("records") == [{
        "change_id": "A0-I1", "name": "A0's idea", "origin_team": "A0", "teams_tested": 3,
        "teams_adopted": 1, "other_teams": ["A1", "A2"]}]
    only_home = team_adoptions(cycles[cycles["team_id"] != "A1"][
        lambda c: c["team_id"] != "A2"], IDEAS)
    assert innovations_taken_up(only_home, IDEAS).empty


def test_a_change_every_tester_abandoned_is_abandoned_everywhere_but_not_one_adopted_once(world):
    _measurements, cycles = world
    assert abandoned_everywhere(team_adoptions(cycles, IDEAS), IDEAS).to_dict("records") == [
        {"change_id": "CZ", "name": "change Z", "teams_tested": 4, "teams_abandoned": 4}]
    one_adopts = pd.concat([cycles, pd.DataFrame([_cycle("A0", "CZ", "adopt")])])
    assert abandoned_everywhere(team_adoptions(one_adopts, IDEAS), IDEAS).empty


def test_a_meeting_does_not_know_decisions_taken_after_its_month(world):
    _measurements, cycles = world
    known = cycles_known_by(cycles, pd.Period("2025-03", "M"))
    assert sorted(known.loc[known["change_id"] == "A0-I1", "team_id"]) == ["A0", "A1"]
    a1 = known[(known["team_id"] == "A1") & (known["change_id"] == "A0-I1")].iloc[0]
    assert pd.isna(a1["act_decision"]) and pd.isna(a1["end_date"])  # decided in April
    assert (known.loc[known["change_id"] == "CA", "act_decision"] == "adopt").all()


def test_the_draft_keeps_changes_with_what_was_learned_adds_innovations_drops_abandoned(world):
    measurements, cycles = world
    ev = practice_evidence(measurements, INDICATORS, cycles, IDEAS)
    adoptions = team_adoptions(cycles, IDEAS)
    current = IDEAS[IDEAS["source"] == "package"].rename(columns={"description": "guidance"})
    draft = draft_package(current, ev.practices, storytellers(ev.teams),
                          innovations_taken_up(adoptions, IDEAS),
                          abandoned_everywhere(adoptions, IDEAS), IDEAS,
                          period="2025-12").set_index("change_id")
    assert draft["action"].to_dict() == {"CA": "keep", "CB": "keep", "CZ": "drop",
                                         "A0-I1": "add"}
    assert draft.loc["CA", "grade"] == "strong"
    assert draft.loc["CA", "guidance"].startswith(
        "Do A. What teams learned by 2025-12: Strong on I (+32.")
    assert draft.loc["CA", "guidance"].endswith("ask A3, A0, A1 how they did it).")
    assert draft.loc["CA", "provenance"] == {"teams": ["A3", "A0", "A1"], "reason": "kept: strong"}
    assert draft.loc["CB", "guidance"] == "Do B. What teams learned by 2025-12: Not tested by " \
                                          "any team yet."
    assert draft.loc["CZ", "provenance"]["reason"] == \
        "abandoned by all 4 teams that tested it (synthesis 2025-12)"
    assert draft.loc["A0-I1", "guidance"].startswith(
        "Do it the A0 way. Started by A0, taken up by A1, A2.")
    assert draft.loc["A0-I1", "provenance"]["teams"] == ["A0", "A1", "A2"]


def test_a_redraft_rewrites_what_was_learned_instead_of_appending_to_it(world):
    measurements, cycles = world
    ev = practice_evidence(measurements, INDICATORS, cycles, IDEAS)
    first = draft_package(IDEAS.iloc[:1].rename(columns={"description": "guidance"}),
                          ev.practices, storytellers(ev.teams), pd.DataFrame(
                              columns=["change_id"]), pd.DataFrame(columns=["change_id",
                                                                            "teams_tested"]),
                          IDEAS, period="2025-06")
    again = draft_package(first, ev.practices, storytellers(ev.teams),
                          pd.DataFrame(columns=["change_id"]),
                          pd.DataFrame(columns=["change_id", "teams_tested"]), IDEAS,
                          period="2025-12")
    assert again["guidance"].iloc[0].count("What teams learned") == 1
    assert "by 2025-12" in again["guidance"].iloc[0]


def test_the_diff_of_two_versions_lists_added_dropped_and_rewritten_with_the_drop_reason():
    v1 = pd.DataFrame([
        {"change_id": "C1", "name": "one", "guidance": "g1", "provenance": {}},
        {"change_id": "C2", "name": "two", "guidance": "g2", "provenance": {}},
        {"change_id": "C3", "name": "three", "guidance": "g3", "provenance": {}}])
    v2 = pd.DataFrame([
        {"change_id": "C1", "name": "one", "guidance": "g1", "provenance": {},
         "in_package": True},
        {"change_id": "C2", "name": "two", "guidance": "g2 better", "provenance": {"teams":
                                                                                 ["T1"]},
         "in_package": True},
        {"change_id": "C3", "name": "three", "guidance": "g3", "in_package": False,
         "provenance": {"reason": "abandoned by all 5 teams"}},
        {"change_id": "T1-I1", "name": "new", "guidance": "gn", "provenance": {"teams":
                                                                             ["T1", "T2"]},
         "in_package": True}])
    diff = package_diff(v1, v2)
    assert diff[["change_id", "difference", "before", "after"]].values.tolist() == [
        ["C2", "guidance rewritten", "g2", "g2 better"],
        ["C3", "dropped", "g3", ""],
        ["T1-I1", "added", "", "gn"]]
    assert diff.set_index("change_id").loc["C3", "provenance"] == {
        "reason": "abandoned by all 5 teams"}
    assert package_diff(v2, v2).empty

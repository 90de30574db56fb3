"""Spread and sustainability (workbench.learning.spread) on hand-made collaboratives where the
answer is known, and in `workbench summary --json` on the demo."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner
from sqlalchemy import update

from workbench.cli import main
from workbench.learning.spread import spread_waves, sustainability
from workbench.rollup.metrics import time_to_threshold
from workbench.store import open_engine
from workbench.store import schema as s

PERIODS = [str(p) for p in pd.period_range("2024-01", "2025-12", freq="M")]
INDICATORS = pd.DataFrame([
    {"indicator_id": "P", "name": "process", "direction": "increase", "target": 0.90,
     "kind": "proportion", "multiplier": 1.0, "sort_order": 1},
    {"indicator_id": "O", "name": "outcome", "direction": "decrease", "target": 0.03,
     "kind": "proportion", "multiplier": 1.0, "sort_order": 2},
])


def _series(team: str, indicator: str, levels: dict[str, float], first: str = "2024-01"
            ) -> list[dict]:
    """Monthly values from `first`: each level from its month on (denominators of 200, a
    small -1/0/+1 point pattern)."""
    rows, level = [], None
    for k, p in enumerate(x for x in PERIODS if x >= first):
        level = levels.get(p, level)
        value = level + 0.01 * ((k % 3) - 1)
        rows.append({"team_id": team, "indicator_id": indicator, "period": p,
                     "numerator": round(200 * value), "denominator": 200,
                     "value": round(200 * value) / 200})
    return rows


def _teams(rows: list[tuple[str, str | None]]) -> pd.DataFrame:
    return pd.DataFrame([{"team_id": t, "wave_id": "W1", "joined_period": "2024-01",
                          "graduated_on": g} for t, g in rows])


def test_graduated_teams_hold_slip_or_are_not_followed_long_enough():
    data = _series("HOLD", "P", {"2024-01": 0.95})  # at target throughout
    data += _series("DROP", "P", {"2024-01": 0.95, "2025-04": 0.80})  # below from April
    data += _series("LATE", "P", {"2024-01": 0.95})  # graduated 3 months ago
    data += _series("LOW", "P", {"2024-01": 0.60})  # graduated below target, stays there
    data += _series("WORSE", "O", {"2024-01": 0.02, "2025-03": 0.06})  # outcome rises
    teams = _teams([("HOLD", "2024-12-20"), ("DROP", "2024-12-20"), ("LATE", "2025-09-30"),
                    ("LOW", "2024-12-20"), ("WORSE", "2024-12-20"), ("NEVER", None)])
    held = sustainability(pd.DataFrame(data), INDICATORS, teams, "2025-12")
    rows = held.teams.set_index("team_id")
    assert rows["status"].to_dict() == {"HOLD": "holding", "DROP": "slipping", "LATE": "holding",
                                        "LOW": "holding", "WORSE": "slipping"}
    assert rows.loc["DROP", "why"] == "shift against the indicator's direction after graduation"
    assert rows.loc["WORSE", "why"] == \
        "shift against the indicator's direction after graduation"
    assert rows.loc["HOLD", "graduation_median"] == pytest.approx(0.95)
    assert rows["months_since_graduation"].to_dict() == {
        "HOLD": 12, "DROP": 12, "LATE": 3, "LOW": 12, "WORSE": 12}
    # within 6 months DROP had 3 months below target in a row (Apr–Jun): not sustained
    assert rows["sustained_6"].to_dict() == {"HOLD": True, "DROP": False, "LATE": None,
                                             "LOW": True, "WORSE": False}
    assert held.summary.to_dict("records") == [
        {"indicator_id": "O", "graduated_teams": 1, "slipping_now": 1, "teams_followed_6": 1,
         "sustaining_6": 0, "pct_sustaining_6": 0.0, "teams_followed_12": 1,
         "sustaining_12": 0, "pct_sustaining_12": 0.0},
        {"indicator_id": "P", "graduated_teams": 4, "slipping_now": 1, "teams_followed_6": 3,
         "sustaining_6": 2, "pct_sustaining_6": 66.7, "teams_followed_12": 3,
         "sustaining_12": 2, "pct_sustaining_12": 66.7}]
    assert held.slipping["team_id"].tolist() == ["DROP", "WORSE"]


def test_three_months_below_target_after_graduating_at_target_is_slipping():
    # a dip of exactly 3 months (May–Jul), then back: no run long enough for a shift, but 3
    # below; within 6 months of graduation (Jan–Jun) only 2 of them
    data = _series("DIP", "P", {"2024-01": 0.95, "2025-05": 0.85, "2025-08": 0.95})
    held = sustainability(pd.DataFrame(data), INDICATORS, _teams([("DIP", "2024-12-31")]),
                          "2025-12")
    row = held.teams.iloc[0]
    assert (row["status"], row["why"]) == ("slipping", "3 months in a row below target")
    assert (bool(row["sustained_6"]), bool(row["sustained_12"])) == (True, False)  # May–Jul


def test_a_spread_wave_is_compared_with_the_first_on_the_same_months_since_joining():
    levels = {"A1": 8, "A2": 10, "A3": 13, "A4": None,  # first wave: months to target
              "B1": 2, "B2": 3, "B3": None}  # spread wave, joined 2025-01
    data, teams = [], []
    for team, reach in levels.items():
        first = "2024-01" if team[0] == "A" else "2025-01"
        start = pd.Period(first, "M")
        jump = {} if reach is None else {str(start + reach): 0.95}
        data += _series(team, "P", {first: 0.60, **jump}, first=first)
        teams.append({"team_id": team, "wave_id": "W1" if team[0] == "A" else "W2",
                      "joined_period": first, "graduated_on": None})
    teams_frame = pd.DataFrame(teams)
    waves = pd.DataFrame([{"wave_id": "W1", "start_period": "2024-01", "package_version": 1},
                          {"wave_id": "W2", "start_period": "2025-01", "package_version": 2}])
    ttt = time_to_threshold(pd.DataFrame(data), INDICATORS, teams_frame, period="2025-12")
    out = spread_waves(ttt, teams_frame, waves, "2025-12")
    assert out.to_dict("records") == [{
        "indicator_id": "P", "wave_id": "W2", "package_version": 2, "first_wave_id": "W1",
        "teams": 3, "months_observed": 11, "teams_reached": 2, "pct_reached": 66.7,
        "median_months_to_target": 2.5, "first_wave_teams": 4, "first_wave_pct_reached": 50.0,
        "first_wave_median_months_to_target": 9.0, "pct_reached_difference": 16.7}]


def test_summary_json_shows_spread_and_the_graduated_teams_sustaining(demo_db: str):
    engine = open_engine(demo_db)
    with engine.begin() as conn:
        conn.execute(update(s.teams).values(graduated_on=None))  # the demo's own graduates aside
        conn.execute(update(s.teams).where(s.teams.c.team_id.in_(["T01", "T02", "T03"]))
                     .values(graduated_on="2025-10-31"))
    result = CliRunner().invoke(main, ["summary", "--db", demo_db, "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    spread = {r["indicator_id"]: r for r in payload["spread"] if r["wave_id"] == "W2"}
    assert set(spread) == {"AMTSL", "PARTOGRAPH", "NEWBORN_CARE", "PPH", "ASPHYXIA",
                           "OXY_STOCK"}
    assert {r["wave_id"] for r in payload["spread"]} == {"W2", "W3"}  # the demo's spread wave
    amtsl = spread["AMTSL"]
    assert (amtsl["wave_id"], amtsl["first_wave_id"], amtsl["package_version"],
            amtsl["teams"], amtsl["first_wave_teams"], amtsl["months_observed"]) == (
        "W2", "W1", 1, 8, 16, 14)
    sustain = {r["indicator_id"]: r for r in payload["sustainability"]}
    assert {r["graduated_teams"] for r in sustain.values()} == {3}
    assert {r["teams_followed_6"] for r in sustain.values()} == {3}
    assert all(r["team_id"] in {"T01", "T02", "T03"} for r in payload["slipping"])


def test_no_graduated_team_gives_empty_tables():
    held = sustainability(pd.DataFrame(_series("T", "P", {"2024-01": 0.5})), INDICATORS,
                          _teams([("T", None)]), "2025-12")
    assert held.teams.empty and held.summary.empty and held.slipping.empty

"""Evidence per change idea (workbench.learning): hand-made cases where the answer is known,
the pooled estimate against a worked example, and the demo collaborative on three seeds."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from workbench.cli import main
from workbench.learning import grade_evidence, pooled_effect, practice_evidence

PERIODS = [str(p) for p in pd.period_range("2024-01", "2025-12", freq="M")]
INDICATORS = pd.DataFrame([{"indicator_id": "I", "direction": "increase"}])
IDEAS = pd.DataFrame([{"change_id": c, "name": f"change {c}", "indicator_ids": ["I"]}
                      for c in ("CA", "CB", "CX", "CY")])


def _series(team: str, low: float, high: float, jump: str | None) -> list[dict]:
    """A team's monthly proportion: `low` (+ a small -2/0/+2 point pattern), `high` from
    `jump` on; denominators of 100."""
    rows = []
    for k, p in enumerate(PERIODS):
        level = high if jump is not None and p >= jump else low
        value = level + 0.02 * ((k % 3) - 1)
        rows.append({"team_id": team, "indicator_id": "I", "period": p,
                     "numerator": round(100 * value), "denominator": 100})
    return rows


def _adopt(team: str, *changes: str, end: str = "2024-09-20") -> list[dict]:
    return [{"team_id": team, "change_id": c, "cycle_number": 1, "linked_indicators": ["I"],
             "start_date": "2024-08-01", "end_date": end, "act_decision": "adopt"}
            for c in changes]


def _evidence(measurements: list[dict], cycles: list[dict]) -> pd.DataFrame:
    ev = practice_evidence(pd.DataFrame(measurements), INDICATORS, pd.DataFrame(cycles), IDEAS)
    return ev


def test_an_effective_change_is_strong_and_its_effect_is_the_shift_against_non_adopters():
    adopters = [f"A{i}" for i in range(4)]
    data = [r for t in adopters for r in _series(t, 0.40, 0.70, "2024-10")]
    data += [r for i in range(4) for r in _series(f"N{i}", 0.40, 0.40, None)]
    practices = _evidence(data, [c for t in adopters for c in _adopt(t, "CA")]).practices
    row = practices.set_index("change_id").loc["CA"]
    assert (row["teams_adopted"], row["teams_with_data"], row["teams_shifted"]) == (4, 4, 4)
    assert (row["controls"], row["controls_shifted"]) == (16, 0)
    assert row["effect_pp"] == pytest.approx(30.0, abs=0.5)
    assert row["ci_low_pp"] > 25 and row["grade"] == "strong"
    assert row["words"].startswith("strong: 4 of 4 adopting teams shifted, 0 of 16 non-adopters")


def test_a_null_change_adopted_during_a_collaborative_wide_rise_gets_no_credit():
    """Every team rises in 2024-10; the four that adopted CB just before are not better off."""
    teams = [f"T{i}" for i in range(8)]
    data = [r for t in teams for r in _series(t, 0.40, 0.70, "2024-10")]
    practices = _evidence(data, [c for t in teams[:4] for c in _adopt(t, "CB")]).practices
    row = practices.set_index("change_id").loc["CB"]
    assert row["teams_shifted"] == 4 and row["controls_shifted"] == 16
    assert row["effect_pp"] == pytest.approx(0.0, abs=0.5)
    assert row["grade"] == "no effect seen"


def test_two_changes_adopted_together_are_reported_as_such_and_credited_to_neither():
    teams = [f"A{i}" for i in range(4)]
    data = [r for t in teams for r in _series(t, 0.40, 0.70, "2024-10")]
    data += [r for i in range(4) for r in _series(f"N{i}", 0.40, 0.40, None)]
    ev = _evidence(data, [c for t in teams for c in _adopt(t, "CX", "CY")])
    rows = ev.practices.set_index("change_id")
    assert rows.loc[["CX", "CY"], "teams_with_data"].tolist() == [0, 0]
    assert rows.loc[["CX", "CY"], "grade"].tolist() == ["insufficient", "insufficient"]
    assert sorted(map(tuple, ev.together[["team_id", "change_id"]].values.tolist()))[:2] == \
        [("A0", "CX"), ("A0", "CY")]
    assert ev.together["adopted_with"].map(tuple).tolist().count(("CY",)) == 4


def test_pooled_effect_is_dersimonian_laird():
    # three studies, equal variance 1: no heterogeneity beyond chance (Q = 2 = k - 1)
    mu, low, high = pooled_effect(np.array([1.0, 2.0, 3.0]), np.array([1.0, 1.0, 1.0]))
    assert (round(mu, 4), round(low, 4), round(high, 4)) == (2.0, 0.8684, 3.1316)
    # heterogeneous: w = 2, Q = 2·(16 + 0 + 16) = 64, C = 6 - 12/6 = 4, tau² = (64 - 2)/4
    # = 15.5, each weight 1/16: 4 ± 1.96·√(16/3) = 4 ± 4.5264
    mu, low, high = pooled_effect(np.array([0.0, 4.0, 8.0]), np.array([0.5, 0.5, 0.5]))
    assert (round(mu, 4), round(low, 4), round(high, 4)) == (4.0, -0.5264, 8.5264)


@pytest.mark.parametrize(("args", "grade"), [
    ((2, 2, 0, 0, 10.0, 5.0), "insufficient"),
    ((6, 4, 30, 10, 10.0, 5.0), "strong"),
    ((6, 3, 30, 10, 10.0, 5.0), "promising"),       # too few teams shifted for strong
    ((6, 4, 30, 11, 10.0, 5.0), "promising"),       # non-adopters shifted too often
    ((6, 3, 30, 5, 2.0, -1.0), "promising"),        # effect ≥ 1 pt, half shifted, quiet
    ((6, 3, 30, 11, 2.0, -1.0), "no effect seen"),  # … but non-adopters moved as much
    ((6, 2, 30, 0, 0.5, -1.0), "no effect seen"),
])
def test_grade_rule(args, grade):
    assert grade_evidence(*args) == grade


def _direct_effects() -> dict[tuple[str, str], float]:
    from workbench.demo import content

    ideas = list(content.CHANGE_PACKAGE) + [idea for _t, idea in content.TEAM_INNOVATIONS]
    return {(idea["code"], ind): float(idea.get("effect", {}).get(ind, 0.0))
            for idea in ideas for ind in idea["indicators"]}


@pytest.mark.parametrize("seed", [20240101, 7, 99])
def test_on_the_demo_effective_changes_are_graded_and_rank_above_weak_ones(seed, tmp_path):
    from workbench.demo.build import build_demo

    db = str(tmp_path / "demo.db")
    build_demo(db, seed=seed)
    result = CliRunner().invoke(main, ["practices", "--db", db, "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    for key in ("change_id", "indicator_id", "teams_tested", "teams_adopted", "effect_pp",
                "ci_low_pp", "ci_high_pp", "grade"):
        assert all(key in r for r in rows)
    truth = _direct_effects()
    judged = [r for r in rows if r["teams_with_data"] >= 3]
    strong = [r for r in judged if truth.get((r["change_id"], r["indicator_id"]), 0) >= 0.7]
    weak = [r for r in judged if truth.get((r["change_id"], r["indicator_id"]), 0) <= 0.3]
    assert strong and all(r["grade"] in ("strong", "promising") for r in strong), strong
    for s in strong:
        for w in weak:
            if w["indicator_id"] == s["indicator_id"]:
                assert s["effect_pp"] > w["effect_pp"], (s, w)

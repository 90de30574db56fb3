"""Evidence per change idea × indicator: which changes are associated with improvement.

For each change idea and each indicator it is linked to (`workbench.learning.adoption`):

- how many teams tested it, adopted it, adapted it (last decision adapt), abandoned it; the
  median number of cycles up to the first decision and months from first test to adoption;
- for every team that adopted it *alone* (no other change on that indicator within a month),
  the shift of the indicator from the `before` (9) months before the effect start to the
  `after` (9) months from it (`workbench.learning.effect.window_shifts`), minus the mean
  shift of the teams that had not adopted it over the same calendar months (a difference
  in differences: the collaborative-wide trend is not credited to the change), and whether
  the team's chart
  shifted in the better direction;
- a pooled effect across adopting teams: a DerSimonian–Laird random-effects estimate of those
  differences with a 95 % interval, in percentage points, positive = better;
- an evidence grade (`grade_evidence`), in plain words.

The grade rule, applied in this order:

| grade | rule |
|---|---|
- **insufficient**: fewer than `min_teams` (3) adopting teams with before and after data;
- **strong**: the interval is above 0, at least 2 of 3 adopting teams shifted, and at most
  1 of 3 non-adopters over the same months shifted;
- **promising**: the interval is above 0, or the effect is at least `MIN_EFFECT_PP` (1 point),
  at least half the adopting teams shifted and at most 1 of 3 non-adopters did;
- **no effect seen**: otherwise.

This is association in observational data, not proof that a change causes an improvement:
teams choose what to adopt and when. Changes one team adopted together are reported as a
combination (`Evidence.together`) and left out of each change's own estimate.

Pure: frames in, frames out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from workbench.learning.adoption import team_adoptions
from workbench.learning.effect import SeriesBank, window_shifts

__all__ = ["GRADES", "MIN_EFFECT_PP", "PRACTICE_COLUMNS", "Evidence", "grade_evidence",
           "pooled_effect", "practice_evidence"]

GRADES = ("strong", "promising", "no effect seen", "insufficient")
MIN_EFFECT_PP = 1.0
PRACTICE_COLUMNS = ["change_id", "change_name", "indicator_id", "teams_tested", "teams_adopted",
                    "teams_adapted", "teams_abandoned", "median_cycles_to_decision",
                    "median_months_to_adoption", "teams_with_data", "teams_shifted",
                    "controls", "controls_shifted", "effect_pp", "ci_low_pp", "ci_high_pp",
                    "grade", "words"]


@dataclass
class Evidence:
    """What `practice_evidence` returns."""

    practices: pd.DataFrame  # PRACTICE_COLUMNS, ranked by indicator, grade, effect
    teams: pd.DataFrame  # one row per adopting team × change × indicator with its shift
    together: pd.DataFrame  # changes adopted together by one team on one indicator


def pooled_effect(effects: np.ndarray, variances: np.ndarray) -> tuple[float, float, float]:
    """DerSimonian–Laird random-effects mean with a 95 % interval (effect, low, high)."""
    y, v = np.asarray(effects, float), np.maximum(np.asarray(variances, float), 1e-9)
    if len(y) == 0:
        return (np.nan, np.nan, np.nan)
    w = 1 / v
    fixed = float(np.sum(w * y) / np.sum(w))
    k = len(y)
    tau2 = 0.0
    if k > 1:
        q = float(np.sum(w * (y - fixed) ** 2))
        c = float(np.sum(w) - np.sum(w**2) / np.sum(w))
        tau2 = max(0.0, (q - (k - 1)) / c) if c > 0 else 0.0
    ws = 1 / (v + tau2)
    mu = float(np.sum(ws * y) / np.sum(ws))
    se = float(np.sqrt(1 / np.sum(ws)))
    return (mu, mu - 1.96 * se, mu + 1.96 * se)


def grade_evidence(n_teams: int, n_shifted: int, n_controls: int, n_controls_shifted: int,
                   effect: float, low: float, *, min_teams: int = 3) -> str:
    """The grade of the table in this module's docstring."""
    if n_teams < min_teams:
        return "insufficient"
    controls_quiet = n_controls == 0 or n_controls_shifted * 3 <= n_controls
    if low > 0 and n_shifted * 3 >= 2 * n_teams and controls_quiet:
        return "strong"
    if low > 0 or (effect >= MIN_EFFECT_PP and n_shifted * 2 >= n_teams and controls_quiet):
        return "promising"
    return "no effect seen"


def _words(grade: str, n: int, shifted: int, controls: int, controls_shifted: int,
           effect: float, low: float, high: float) -> str:
    if grade == "insufficient":
        return f"insufficient: {n} adopting team{'s' if n != 1 else ''} with data before and after"
    return (f"{grade}: {shifted} of {n} adopting teams shifted, {controls_shifted} of "
            f"{controls} non-adopters over the same months; {effect:+.1f} pts against "
            f"non-adopters (95 % interval {low:+.1f} to {high:+.1f}); an association, "
            "not proof of cause")


def _controls(bank: SeriesBank, adopters: pd.DataFrame, adoptions: pd.DataFrame,
              directions: dict[str, str], before: int, after: int) -> pd.DataFrame:
    """Per adopter window: mean shift, its variance and counts of the non-adopters."""
    rows = []
    starts = adoptions["effect_start"].map(lambda p: np.nan if pd.isna(p) else p.ordinal)
    for k, a in adopters.iterrows():
        end = a["start"].ordinal + (after - 1)
        took = adoptions[(adoptions["change_id"] == a["change_id"])
                         & (adoptions["indicator_id"] == a["indicator_id"]) & (starts <= end)]
        for team in set(bank.teams(a["indicator_id"])) - set(took["team_id"]):
            rows.append({"key": k, "team_id": team, "indicator_id": a["indicator_id"],
                         "start": a["start"]})
    if not rows:
        return pd.DataFrame(columns=["c_mean", "c_var", "c_n", "c_shifted"])
    shifts = window_shifts(bank, pd.DataFrame(rows), directions, before=before, after=after)
    shifts = shifts[shifts["shift_pp"].notna()]
    g = shifts.groupby("key")
    out = pd.DataFrame({"c_mean": g["shift_pp"].mean(), "c_n": g.size(),
                        "c_shifted": g["shifted"].sum()})
    out["c_var"] = (g["shift_pp"].var(ddof=1) / out["c_n"]).fillna(0.0)
    return out


def practice_evidence(measurements: pd.DataFrame, indicators: pd.DataFrame,
                      cycles: pd.DataFrame, change_ideas: pd.DataFrame, *, lag: int = 1,
                      before: int = 9, after: int = 9, min_teams: int = 3) -> Evidence:
    """The evidence of every change idea × linked indicator (see the module docstring)."""
    directions = dict(zip(indicators["indicator_id"], indicators["direction"], strict=False))
    adoptions = team_adoptions(cycles, change_ideas, lag=lag)
    bank = SeriesBank(measurements)
    alone = adoptions["effect_start"].notna() & (adoptions["adopted_with"].map(len) == 0)
    adopters = adoptions[alone].rename(columns={"effect_start": "start"}).reset_index(drop=True)
    teams = window_shifts(bank, adopters, directions, before=before, after=after)
    teams = teams.join(_controls(bank, teams, adoptions, directions, before, after))
    teams["effect_pp"] = teams["shift_pp"] - teams["c_mean"].fillna(0.0)
    teams["var"] = teams["se_pp"] ** 2 + teams["c_var"].fillna(0.0)
    names = dict(zip(change_ideas["change_id"], change_ideas["name"], strict=False))
    rows = []
    for (change, ind), g in adoptions.groupby(["change_id", "indicator_id"], sort=True):
        t = teams[(teams["change_id"] == change) & (teams["indicator_id"] == ind)
                  & teams["shift_pp"].notna()]
        effect, low, high = pooled_effect(t["effect_pp"].to_numpy(), t["var"].to_numpy())
        n, shifted = len(t), int(t["shifted"].sum())
        controls, c_shifted = int(t["c_n"].fillna(0).sum()), int(t["c_shifted"].fillna(0).sum())
        grade = grade_evidence(n, shifted, controls, c_shifted, effect, low, min_teams=min_teams)
        adopted = g["adopted_period"].notna()
        rows.append({
            "change_id": change, "change_name": names.get(change, change), "indicator_id": ind,
            "teams_tested": int(g["team_id"].nunique()), "teams_adopted": int(adopted.sum()),
            "teams_adapted": int(((g["decision"] == "adapt") & ~adopted).sum()),
            "teams_abandoned": int(((g["decision"] == "abandon") & ~adopted).sum()),
            "median_cycles_to_decision": _median(g["cycles_to_decision"]),
            "median_months_to_adoption": _median(g["months_to_adoption"]),
            "teams_with_data": n, "teams_shifted": shifted, "controls": controls,
            "controls_shifted": c_shifted, "effect_pp": _round(effect),
            "ci_low_pp": _round(low), "ci_high_pp": _round(high), "grade": grade,
            "words": _words(grade, n, shifted, controls, c_shifted, effect, low, high)})
    practices = pd.DataFrame(rows, columns=PRACTICE_COLUMNS)
    rank = practices["grade"].map({g: i for i, g in enumerate(GRADES)})
    practices = practices.assign(_r=rank, _e=-practices["effect_pp"].fillna(-np.inf)).sort_values(
        ["indicator_id", "_r", "_e", "change_id"]).drop(columns=["_r", "_e"])
    together = adoptions[adoptions["adopted_with"].map(len) > 0][
        ["team_id", "indicator_id", "change_id", "adopted_with", "effect_start"]]
    return Evidence(practices.reset_index(drop=True), teams, together.reset_index(drop=True))


def _median(values: pd.Series) -> float | None:
    v = pd.to_numeric(values, errors="coerce").dropna()
    return float(v.median()) if len(v) else None


def _round(value: float) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), 1)

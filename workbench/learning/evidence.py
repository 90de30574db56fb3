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

from workbench.i18n import N_, format_count, format_number, format_percent, ngettext
from workbench.i18n import gettext as _
from workbench.learning.adoption import team_adoptions
from workbench.learning.effect import SeriesBank, month_ordinals, shift_arrays, window_shifts

__all__ = ["GRADES", "GRADE_LABELS", "MIN_EFFECT_PP", "PRACTICE_COLUMNS", "Evidence",
           "grade_evidence", "grade_label", "pooled_effect", "practice_evidence",
           "signed_points"]

GRADES = ("strong", "promising", "no effect seen", "insufficient")
#: each grade as people read it (translated when shown: `grade_label`)
GRADE_LABELS = {"strong": N_("strong"), "promising": N_("promising"),
                "no effect seen": N_("no effect seen"), "insufficient": N_("insufficient"),
                "not tested": N_("not tested")}  # (a draft package's untested change)
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
    adoptions: pd.DataFrame  # team_adoptions(...): the journal the evidence was read from


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


def signed_points(value: float) -> str:
    """An effect in points with its sign, one decimal, in the reader's number format
    (`+2.3`, `+2,3`); a small negative value keeps its sign (`-0.0`: just under zero)."""
    text = format_number(value, 1, sign=True)
    return "-" + text.lstrip("+") if value < 0 and not text.startswith("-") else text


def grade_label(grade: str) -> str:
    """An evidence grade in the reader's language (the frames keep the English key)."""
    return _(GRADE_LABELS[grade]) if grade in GRADE_LABELS else grade


def _words(grade: str, n: int, shifted: int, controls: int, controls_shifted: int,
           effect: float, low: float, high: float) -> str:
    label = grade_label(grade)
    if grade == "insufficient":
        return ngettext("{grade}: {n} adopting team with data before and after",
                        "{grade}: {n} adopting teams with data before and after",
                        n).format(grade=label, n=n)
    return _("{grade}: {shifted} of {n} adopting teams shifted, {controls_shifted} of "
             "{controls} non-adopters over the same months; {effect} pts against "
             "non-adopters ({level} interval {low} to {high}); an association, not proof of "
             "cause").format(grade=label, shifted=format_count(shifted), n=format_count(n),
                             level=format_percent(0.95, 0),
                             controls_shifted=format_count(controls_shifted),
                             controls=format_count(controls),
                             effect=signed_points(effect), low=signed_points(low),
                             high=signed_points(high))


def _controls(bank: SeriesBank, adopters: pd.DataFrame, adoptions: pd.DataFrame,
              directions: dict[str, str], before: int, after: int) -> pd.DataFrame:
    """Per adopter window: mean shift, its variance and counts of the non-adopters (the
    teams with data on the indicator that had not adopted the change by the window's end),
    each over the same calendar months as the adopter."""
    columns = ["c_mean", "c_var", "c_n", "c_shifted"]
    if adopters.empty or not bank.team_index:
        return pd.DataFrame(columns=columns)
    starts = month_ordinals(adopters["start"])
    adopted = adoptions[adoptions["effect_start"].notna()]
    took_start = month_ordinals(adopted["effect_start"]) if len(adopted) else np.zeros(0)
    took_team = adopted["team_id"].astype(str).map(bank.team_index).fillna(-1).to_numpy(int)
    took_change = adopted["change_id"].astype(str).to_numpy()
    took_ind = adopted["indicator_id"].astype(str).to_numpy()
    changes = adopters["change_id"].astype(str).tolist()
    inds = adopters["indicator_id"].astype(str).tolist()
    took_by = {key: np.flatnonzero((took_change == key[0]) & (took_ind == key[1])
                                   & (took_team >= 0))  # (teams with data)
               for key in set(zip(changes, inds, strict=True))}
    pairs = sorted(set(zip(inds, starts.tolist(), strict=True)))
    n_teams = len(bank.team_index)
    ind = np.array([bank.indicator_index.get(i, -1) for i, _ in pairs], dtype=np.int64)
    sign = np.array([-1.0 if directions.get(i) == "decrease" else 1.0 for i, _ in pairs])
    every = shift_arrays(  # every team's window at each (indicator, start): pairs × teams
        bank, np.tile(np.arange(n_teams), len(pairs)), np.repeat(ind, n_teams),
        np.repeat(np.array([s for _, s in pairs], dtype=np.int64), n_teams),
        np.repeat(sign, n_teams), before, after, 3)
    value = every["shift_pp"].reshape(len(pairs), n_teams)
    moved = every["shifted"].reshape(len(pairs), n_teams)
    valid = ~np.isnan(value)
    row_of = {key: k for k, key in enumerate(pairs)}
    rows = []
    for change, ind_id, start in zip(changes, inds, starts.tolist(), strict=True):
        k = row_of[(ind_id, start)]
        own = took_by[(change, ind_id)]
        control = valid[k].copy()
        control[took_team[own[took_start[own] <= start + after - 1]]] = False
        shifts = value[k][control]
        n = len(shifts)
        rows.append((shifts.mean() if n else np.nan,
                     shifts.var(ddof=1) / n if n > 1 else (0.0 if n else np.nan),
                     n if n else np.nan, int(moved[k][control].sum()) if n else np.nan))
    return pd.DataFrame(rows, columns=columns, index=adopters.index)


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
    counts = _adoption_counts(adoptions)
    valid = teams[teams["shift_pp"].notna()]
    at = valid.groupby(["change_id", "indicator_id"], sort=False).indices if len(valid) else {}
    effects, variances = valid["effect_pp"].to_numpy(float), valid["var"].to_numpy(float)
    moved = valid["shifted"].to_numpy()
    c_n = np.nan_to_num(valid["c_n"].to_numpy(float))
    c_moved = np.nan_to_num(valid["c_shifted"].to_numpy(float))
    tested, adopted, adapted, abandoned = (counts[c].to_numpy(np.int64) for c in (
        "tested", "adopted", "adapted", "abandoned"))
    to_decision, to_adoption = (counts[c].to_numpy(float) for c in (
        "cycles_to_decision", "months_to_adoption"))
    for k, (change, ind) in enumerate(counts.index):
        pos = at.get((change, ind), np.zeros(0, dtype=np.int64))
        effect, low, high = pooled_effect(effects[pos], variances[pos])
        n, shifted = len(pos), int(moved[pos].sum())
        controls, c_shifted = int(c_n[pos].sum()), int(c_moved[pos].sum())
        grade = grade_evidence(n, shifted, controls, c_shifted, effect, low, min_teams=min_teams)
        rows.append({
            "change_id": change, "change_name": names.get(change, change), "indicator_id": ind,
            "teams_tested": int(tested[k]), "teams_adopted": int(adopted[k]),
            "teams_adapted": int(adapted[k]), "teams_abandoned": int(abandoned[k]),
            "median_cycles_to_decision": _number(to_decision[k]),
            "median_months_to_adoption": _number(to_adoption[k]),
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
    return Evidence(practices.reset_index(drop=True), teams, together.reset_index(drop=True),
                    adoptions)


def _adoption_counts(adoptions: pd.DataFrame) -> pd.DataFrame:
    """Per change × indicator (sorted): teams that tested, adopted, adapted (latest decision,
    not adopted), abandoned (likewise), and the medians of cycles to decision and months to
    adoption over the teams that have one."""
    adopted = adoptions["adopted_period"].notna().to_numpy(bool)
    frame = pd.DataFrame({
        "change_id": adoptions["change_id"], "indicator_id": adoptions["indicator_id"],
        "team_id": adoptions["team_id"], "adopted": adopted,
        "adapted": (adoptions["decision"] == "adapt").to_numpy(bool) & ~adopted,
        "abandoned": (adoptions["decision"] == "abandon").to_numpy(bool) & ~adopted,
        "cycles_to_decision": pd.to_numeric(adoptions["cycles_to_decision"], errors="coerce"),
        "months_to_adoption": pd.to_numeric(adoptions["months_to_adoption"], errors="coerce")})
    return frame.groupby(["change_id", "indicator_id"], sort=True).agg(
        tested=("team_id", "nunique"), adopted=("adopted", "sum"), adapted=("adapted", "sum"),
        abandoned=("abandoned", "sum"), cycles_to_decision=("cycles_to_decision", "median"),
        months_to_adoption=("months_to_adoption", "median"))


def _number(value: float) -> float | None:
    """A median as a float; None when no team had a value."""
    return None if np.isnan(value) else float(value)


def _round(value: float) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), 1)

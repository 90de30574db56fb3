"""Cohort roll-ups: spread waves aligned on months since joining, and assessment scores.

Pure pandas, no I/O; re-exported by `workbench.rollup`. Conventions (reported, at target,
pooled value, quartiles) are those of `workbench.rollup.base`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

import numpy as np
import pandas as pd

from workbench.rollup.base import (
    as_period,
    compact_codes,
    frame_codes,
    pool,
    prepare,
    seed_codes,
    shared,
    sort_codes,
    to_periods,
)

__all__ = ["wave_cohorts", "assessment_distribution", "assessment_summary"]

WAVE_COLUMNS = ["indicator_id", "wave_id", "months_since_joining", "teams", "pooled_numerator",
                "pooled_denominator", "pooled_value", "median", "q1", "q3", "teams_at_target",
                "pct_at_target"]


def wave_cohorts(measurements: pd.DataFrame, indicators: pd.DataFrame,
                 teams: pd.DataFrame | None = None, *, period: object = None) -> pd.DataFrame:
    """Per indicator × wave × months since joining: so wave 2 can be set against wave 1.

    Each team's months are counted from its own joined_period (0 = the joining month; a team
    without one counts from its first reported month; data before joining give negative
    months). Teams without a wave form the group `wave_id` None. Columns: indicator_id,
    wave_id, months_since_joining, teams (reporting), pooled_numerator, pooled_denominator,
    pooled_value, median, q1, q3, teams_at_target, pct_at_target.
    """
    m, _ = prepare(measurements, indicators, teams, period)
    if m.empty:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in WAVE_COLUMNS})
    # no wave sorts last; the codes of the indicators and waves are the prepared frame's
    wave, waves = frame_codes(m, "wave_id")
    every = np.append(np.asarray(waves, dtype=object), "\uffff")
    cohort = m.assign(months_since_joining=(m["month"] - m["join_month"]).astype(int),
                      _wave=pd.Series(every[wave], index=m.index, dtype=object))
    seed_codes(cohort, "indicator_id", *frame_codes(m, "indicator_id"))
    sorted_wave, distinct = sort_codes(pd.Series(every, dtype=object))
    seed_codes(cohort, "_wave", *compact_codes(sorted_wave[wave], distinct))
    out = pool(cohort, ["indicator_id", "_wave", "months_since_joining"]).copy()  # shared: copy
    out["wave_id"] = out["_wave"].where(out["_wave"] != "\uffff", None)
    return out[WAVE_COLUMNS]


DIST_COLUMNS = ["period", "assessor_type", "n", "mean", "median", "q1", "q3", "min", "max",
                "n_at_target", "pct_at_target"]


def _assessments(assessments: pd.DataFrame, period: object) -> pd.DataFrame:
    """One score per team × month × assessor type: the last row given (the store returns rows
    in entry order, so a re-assessment replaces the earlier one); months after `period` go.
    Computed once per inputs inside `shared_preparation` (do not change the result)."""
    return shared("assessments", assessments, as_period(period),
                  compute=lambda: _assessments_of(assessments, period))


def _assessments_of(assessments: pd.DataFrame, period: object) -> pd.DataFrame:
    a = assessments.loc[:, ["team_id", "period", "score", "assessor_type"]].copy()
    a.columns = ["team_id", "period", "score", "assessor_type"]  # plain str labels
    a["period"] = to_periods(a["period"])
    a["score"] = pd.to_numeric(a["score"], errors="coerce")
    a["assessor_type"] = a["assessor_type"].astype(object)
    a = a[a["score"].notna()]
    rp = as_period(period)
    if rp is not None:
        a = a[a["period"] <= rp]
    return a.drop_duplicates(["team_id", "period", "assessor_type"], keep="last")


def assessment_distribution(assessments: pd.DataFrame, *, period: object = None,
                            target: float = 4.0) -> pd.DataFrame:
    """Distribution of IHI assessment-scale scores per month and assessor type (faculty, self).

    Columns: period, assessor_type, n (teams scored), mean, median, q1, q3, min, max,
    n_at_target (score >= `target`, the collaborative's `assessment_target`, default 4.0) and
    pct_at_target (0-100, of the teams scored that month by that assessor type).
    """
    a = _assessments(assessments, period)
    if a.empty:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in DIST_COLUMNS})
    a = a.assign(_hit=(a["score"] >= target - 1e-9).astype(float))
    g = a.groupby(["period", "assessor_type"], sort=True)
    out = g.agg(n=("score", "size"), mean=("score", "mean"), median=("score", "median"),
                min=("score", "min"), max=("score", "max"), n_at_target=("_hit", "sum"))
    q = g["score"].quantile(np.asarray([0.25, 0.75])).unstack()
    out["q1"] = q[0.25]
    out["q3"] = q[0.75]
    out["n_at_target"] = out["n_at_target"].astype(int)
    out["pct_at_target"] = 100.0 * out["n_at_target"] / out["n"]
    return out.reset_index()[DIST_COLUMNS]


SUMMARY_COLUMNS = ["period", "faculty_n", "faculty_mean", "faculty_median", "faculty_q1",
                   "faculty_q3", "faculty_pct_at_target", "self_n", "self_mean", "self_median",
                   "self_q1", "self_q3", "self_pct_at_target", "paired_n", "mean_difference"]


def assessment_summary(assessments: pd.DataFrame, *, period: object = None,
                       target: float = 4.0) -> pd.DataFrame:
    """One row per month: the faculty and self-assessment distributions side by side, and how
    far teams rate themselves above faculty.

    Columns: period; faculty_n, faculty_mean, faculty_median, faculty_q1, faculty_q3,
    faculty_pct_at_target and the same for self_ (see `assessment_distribution`); paired_n
    (teams scored by both that month) and mean_difference = mean of (self − faculty) over
    those teams (positive: teams rate themselves higher than faculty do).
    """
    dist = assessment_distribution(assessments, period=period, target=target)
    if dist.empty:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in SUMMARY_COLUMNS})
    wide = dist.pivot(index="period", columns="assessor_type",
                      values=["n", "mean", "median", "q1", "q3", "pct_at_target"])
    stat_who = cast("Iterable[tuple[str, str]]", wide.columns)
    wide.columns = [f"{who}_{stat}" for stat, who in stat_who]
    a = _assessments(assessments, period)
    pairs = a.pivot_table(index=["period", "team_id"], columns="assessor_type",
                          values="score", aggfunc="last")
    for who in ("faculty", "self"):
        if who not in pairs:
            pairs[who] = np.nan
    diff = (pairs["self"] - pairs["faculty"]).dropna()
    by_month = diff.groupby(level=0).agg(["size", "mean"])
    wide["paired_n"] = by_month["size"].reindex(wide.index).fillna(0).astype(int)
    wide["mean_difference"] = by_month["mean"].reindex(wide.index)
    for column in SUMMARY_COLUMNS[1:]:
        if column not in wide:
            wide[column] = 0 if column.endswith("_n") else np.nan
    for column in ("faculty_n", "self_n"):
        wide[column] = wide[column].fillna(0).astype(int)
    return wide.reset_index()[SUMMARY_COLUMNS]

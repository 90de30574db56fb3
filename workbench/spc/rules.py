"""Further rule sets for `workbench.spc.qic`: IHI run-chart rules and NHS Making Data Count.

Each set is named and versioned in the output (`rules` column of the summary):

- ``ihi-2011`` — the four run-chart rules as taught by IHI (Perla, Provost & Murray 2011,
  "The run chart: a simple analytical tool for learning from variation in healthcare
  processes", BMJ Qual Saf 20:46-51; qi-tools-and-user-needs.md §B2), the runs rule with
  the published table (`rules="ihi"`);
- ``ihi-2011-exact-runs`` — the same rules, the runs rule with limits computed from the exact
  distribution of the number of runs (`rules="ihi-exact"`; see `workbench.spc.ihi_runs`).
- ``nhs-mdc-ptd-0.2.2`` — NHS England "Making Data Count" XmR rules as implemented by
  NHSRplotthedots 0.2.2 (spc-rules.md §3).

Every rule gets its own boolean column per point, so that every rule that fires is visible;
the Anhøj columns of `qic()` (runs_signal, sigma_signal) stay as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from workbench.errors import N_, SPCInputError
from workbench.spc.ihi_runs import IHI_RUNS_TABLE, runs_limits
from workbench.spc.kernels import (
    BoolArray,
    FloatArray,
    IntArray,
    runs_of,
    seg_mean,
    seg_moving_range_mean,
    window_flags,
)
from workbench.spc.limits import chart_lines
from workbench.spc.subgroups import Subgroups

__all__ = ["IHI_RUNS_TABLE", "RuleContext", "apply", "ihi_rules", "nhs_rules"]

IHI_SHIFT = 6  # points on one side of the median
IHI_TREND = 5  # points going up (or down), ties counted once
NHS_SIGMA = 2.66
NHS_RUN = 7


@dataclass
class RuleContext:
    """Arrays of one `qic()` call, per point, sorted by segment (series, part) and position."""

    chart: str
    sub: Subgroups
    seg: IntArray
    n_seg: int
    y: FloatArray  # plotted y before `multiply`
    cl: FloatArray  # centre line before `multiply`
    include: BoolArray
    baseline: BoolArray
    base: BoolArray
    #: NHS: the points the mean and limits come from (fix_after_n_points within each part).
    fixed: BoolArray
    multiply: float
    screen_mr: bool
    sigma_signal: BoolArray
    useful: BoolArray
    n_runs: IntArray
    n_useful: IntArray
    target: FloatArray | None  # per point, in plotted units (after `multiply`)
    direction: str | None
    categorical: bool


def apply(rules: str, ctx: RuleContext) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Extra point and summary columns of rule set `rules` ("ihi", "ihi-exact" or "nhs")."""
    if rules in ("ihi", "ihi-exact"):
        return ihi_rules(ctx, exact=rules == "ihi-exact")
    return nhs_rules(ctx)


def _steps(y: FloatArray, seg: IntArray) -> FloatArray:
    """Sign of y[j] - y[j-1] within a segment; NaN at segment starts and next to gaps."""
    with np.errstate(invalid="ignore"):
        step = np.sign(np.diff(y, prepend=np.nan))
    step[np.r_[True, seg[1:] != seg[:-1]]] = np.nan
    return step


def _last_in_segment(seg: IntArray) -> IntArray:
    return np.flatnonzero(np.r_[seg[1:] != seg[:-1], True])


# --------------------------------------------------------------------------------------------
# IHI


def ihi_rules(ctx: RuleContext, exact: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """IHI run-chart rules (Perla, Provost & Murray 2011; qi-tools-and-user-needs.md §B2).

    All four rules are checked against the chart's own centre line (the median on a run
    chart) over the included points of each (series, part), and reported independently;
    there is no precedence. `ihi_signal` is True when any of them fires.

    - **Shift** (`ihi_shift`): ≥ 6 consecutive useful points on one side of the centre
      line. Points on the line and missing points neither add to nor break a shift.
    - **Trend** (`ihi_trend`): ≥ 5 consecutive points going up, or going down. Equal
      consecutive values count once: they neither add to nor break the trend.
    - **Runs** (`ihi_runs`, whole part): fewer runs than the lower limit or more than the
      upper limit; runs = crossings + 1. The limits are Perla's Table 1 for 10..60 useful
      points (not applied outside), or with `exact` those of the exact runs distribution
      for 10 or more useful points (`workbench.spc.ihi_runs`).
    - **Astronomical point** (`ihi_astronomical`): IHI leaves it to judgement; here it is a
      point outside 3-sigma limits: the chart's own limits on a control chart, and on a run
      chart those of the I chart (no n), the P chart (n given, y <= n) or the U chart.
    """
    seg, n_seg = ctx.seg, ctx.n_seg
    shift, trend = _ihi_shift(ctx), _ihi_trend(ctx)
    # runs table
    n_u = ctx.n_useful
    lower, upper = runs_limits(n_u, exact)
    in_table = ~np.isnan(lower)
    runs_count = np.where(n_u > 0, ctx.n_runs, 0)
    too_few = in_table & (runs_count < lower)
    too_many = in_table & (runs_count > upper)
    runs_flag = (too_few | too_many)[seg]
    astronomical = _astronomical(ctx)
    signal = shift | trend | runs_flag | astronomical
    points = pd.DataFrame({"ihi_shift": shift, "ihi_trend": trend, "ihi_runs": runs_flag,
                           "ihi_astronomical": astronomical, "ihi_signal": signal})
    summary = pd.DataFrame({
        "ihi_n_runs": pd.array(np.where(n_u > 0, runs_count, np.nan), dtype="Int64"),
        "ihi_runs_lower": pd.array(lower.tolist(), dtype="Int64"),
        "ihi_runs_upper": pd.array(upper.tolist(), dtype="Int64"),
        "ihi_too_few_runs": too_few, "ihi_too_many_runs": too_many,
        "ihi_shift": np.bincount(seg[shift], minlength=n_seg) > 0,
        "ihi_trend": np.bincount(seg[trend], minlength=n_seg) > 0,
        "ihi_astronomical": np.bincount(seg[astronomical], minlength=n_seg),
        "ihi_signal": np.bincount(seg[signal], minlength=n_seg) > 0,
    })
    return points, summary


def _ihi_shift(ctx: RuleContext) -> BoolArray:
    """Points in a run of >= 6 useful points on one side of the centre line."""
    shift = np.zeros(len(ctx.seg), bool)
    with np.errstate(invalid="ignore"):
        side = np.sign(ctx.y - ctx.cl)
    run_id, lengths, *_ = runs_of(side[ctx.useful], ctx.seg[ctx.useful], ctx.n_seg)
    shift[ctx.useful] = lengths[run_id] >= IHI_SHIFT
    return shift


def _ihi_trend(ctx: RuleContext) -> BoolArray:
    """Points in >= 5 included, non-missing points going one way (ties removed first)."""
    seg = ctx.seg
    kept = np.flatnonzero(ctx.include & ~np.isnan(ctx.y))
    step = _steps(ctx.y[kept], seg[kept])
    moves = np.flatnonzero(~np.isnan(step) & (step != 0))  # step j joins kept[j-1] -> kept[j]
    trend = np.zeros(len(seg), bool)
    if len(moves):
        rid, rlen, *_ = runs_of(step[moves], seg[kept][moves], ctx.n_seg)
        long_run = rlen >= IHI_TREND - 1
        first = np.r_[True, rid[1:] != rid[:-1]]
        last = np.r_[rid[1:] != rid[:-1], True]
        starts = moves[first & long_run[rid]] - 1
        ends = moves[last & long_run[rid]]
        marks = np.zeros(len(kept) + 1, np.int64)
        np.add.at(marks, starts, 1)
        np.add.at(marks, ends + 1, -1)
        trend[kept] = np.cumsum(marks)[:-1] > 0
    return trend


def _astronomical(ctx: RuleContext) -> BoolArray:
    if ctx.chart != "run":
        return ctx.sigma_signal.copy()
    sub = ctx.sub
    if not sub.got_n:
        companion = "i"
    else:
        with np.errstate(invalid="ignore"):
            companion = "p" if not np.any(sub.y_sum > sub.n) else "u"
    y, lcl, _, _, _, ucl = chart_lines(companion, sub, ctx.seg, ctx.n_seg, ctx.base,
                                       ctx.screen_mr, ctx.categorical)
    with np.errstate(invalid="ignore"):
        lcl = np.where(np.isfinite(lcl), lcl, np.nan)
        ucl = np.where(np.isfinite(ucl), ucl, np.nan)
        return (y > ucl) | (y < lcl)


# --------------------------------------------------------------------------------------------
# NHS Making Data Count


def nhs_rules(ctx: RuleContext) -> tuple[pd.DataFrame, pd.DataFrame]:
    """NHS Making Data Count XmR rules, as NHSRplotthedots 0.2.2 (spc-rules.md §3).

    Per (series, part) — a part (`part` positions or `rebase` dates) plays the role of a
    rebase group, `freeze` that of `fix_after_n_points`, counted within each part (also when
    parts are given, where qicharts2's own columns ignore `freeze`); excluded points are left
    out of the mean and the moving ranges (the moving ranges next to them are dropped, not
    bridged, as for a missing value):

    - mean of the fixed points; MR = |Δy| of consecutive points; AMR = mean(MR), screened
      (MR not < 3.267·AMR dropped, AMR recomputed once); process limits mean ∓ 2.66·AMR
      and 2-sigma lines mean ∓ (2/3)·2.66·AMR (§3.2).
    - Rules, checked on every point, in order of precedence (§3.4): 1 outside the process
      limits (`nhs_outside_limits`); 2 seven-point trend, 6 strictly rising or falling steps
      (`nhs_trend`, a tie breaks it); 3 two of three beyond 2 sigma on the same side
      (`nhs_two_in_three`, only the close points are flagged); 4 seven points on one side of
      the mean (`nhs_seven_one_side`, a point on the mean breaks the run). The first rule that
      fires names the point (`nhs_special_cause`); each rule's own column shows all that fire.
      A point inside a trend takes the direction of the step to its right when the next point
      is in a trend too (else the step from its left); a tie there counts as decreasing, as
      in the peer: a point that ends a rise and is followed by an equal value that starts a
      fall is "7 Point Trend (Decreasing)", an improvement when `direction` is decrease.
    - `nhs_point_type` orients the special cause by `direction` (§3.5): improvement, concern
      or neutral_high/low; the variation icon and the assurance icon (needs `target`) come
      from the last point of each part (§3.6-3.7); the target may differ per series (a
      target per facet in the peer) and is compared with the limits in plotted units.
    """
    direction = ctx.direction or "increase"
    if direction not in ("increase", "decrease", "neutral"):
        raise SPCInputError(N_("unknown direction {direction!r}; choose increase, decrease or "
                               "neutral."),
                            params={"direction": direction}, column="direction")
    seg, n_seg, y = ctx.seg, ctx.n_seg, ctx.y
    fixed = np.where(ctx.fixed, y, np.nan)
    mean = seg_mean(fixed, seg, n_seg)
    amr = seg_moving_range_mean(fixed, seg, n_seg, np.ones(len(y), bool), ctx.screen_mr)
    lpl, upl = mean - NHS_SIGMA * amr, mean + NHS_SIGMA * amr
    near_lo, near_hi = mean - (2 / 3) * NHS_SIGMA * amr, mean + (2 / 3) * NHS_SIGMA * amr
    m, lo, hi = mean[seg], lpl[seg], upl[seg]
    with np.errstate(invalid="ignore"):
        outside = (y > hi) | (y < lo)
        rel = np.sign(y - m)
        close = ~outside & ((y > near_hi[seg]) | (y < near_lo[seg]))
    trend, trend_dir = _nhs_trend(y, seg)
    two_in_three = _nhs_two_in_three(close, rel, seg)
    seven = np.zeros(len(y), bool)
    for sign in (1.0, -1.0):  # 7 points on one side of the mean
        seven |= window_flags(_window_all(rel == sign, NHS_RUN, seg), NHS_RUN)
    value, label, ptype = _nhs_point_types([outside, trend, two_in_three, seven],
                                           [rel, trend_dir, rel, rel], rel, direction)
    special = label != "Common Cause"
    last = _last_in_segment(seg)
    icon = {"special_cause_improvement": "improvement", "special_cause_concern": "concern",
            "special_cause_neutral_high": "neutral", "special_cause_neutral_low": "neutral"}
    variation = [("common_cause" if t == "common_cause"
                  else f"{icon[t]}_{'high' if v > 0 else 'low'}")
                 for t, v in zip(ptype[last], value[last], strict=True)]
    k = ctx.multiply
    target = None if ctx.target is None else ctx.target[last]
    assurance = _assurance(target, direction, lpl * k, upl * k)
    points = pd.DataFrame({
        "nhs_cl": m * k, "nhs_lpl": _finite(lo * k), "nhs_upl": _finite(hi * k),
        "nhs_outside_limits": outside, "nhs_trend": trend, "nhs_two_in_three": two_in_three,
        "nhs_seven_one_side": seven, "nhs_special_cause": label, "nhs_point_type": ptype,
    })
    rows = np.bincount(seg, minlength=n_seg)
    summary = pd.DataFrame({
        "nhs_mean": mean * k, "nhs_lpl": _finite(lpl * k), "nhs_upl": _finite(upl * k),
        "nhs_common_cause": np.bincount(seg[~special], minlength=n_seg),
        "nhs_special_cause_improvement":
            np.bincount(seg[ptype == "special_cause_improvement"], minlength=n_seg),
        "nhs_special_cause_concern":
            np.bincount(seg[ptype == "special_cause_concern"], minlength=n_seg),
        "nhs_variation": variation, "nhs_assurance": assurance,
        "nhs_short_group": rows < 13,
    })
    return points, summary


def _nhs_trend(y: FloatArray, seg: IntArray) -> tuple[BoolArray, FloatArray]:
    """Points in 7 strictly rising or falling points, and the direction of each (§3.4.2)."""
    step = _steps(y, seg)
    trend = np.zeros(len(y), bool)
    for sign in (1.0, -1.0):  # a window of 6 equal, non-zero steps ending at point j
        trend |= window_flags(_window_all(step == sign, NHS_RUN - 1), NHS_RUN)
    if not trend.any():
        return trend, np.zeros(len(y))
    nxt_in = np.r_[trend[1:] & (seg[1:] == seg[:-1]), False]
    right = np.r_[step[1:], np.nan]
    right = np.where(right == 0, -1.0, right)  # the peer counts a tie as decreasing
    return trend, np.where(trend, np.where(nxt_in, right, step), 0.0)


def _nhs_two_in_three(close: BoolArray, rel: FloatArray, seg: IntArray) -> BoolArray:
    """Close points in a window of 3 with >= 2 close, all on one side of the mean (§3.4.3)."""
    same_seg = np.r_[False, False, seg[2:] == seg[:-2]]
    r0, r1, r2 = rel, np.r_[np.nan, rel[:-1]], np.r_[np.nan, np.nan, rel[:-2]]
    c_sum = close.astype(int) + np.r_[0, close[:-1]] + np.r_[0, 0, close[:-2]]
    ok3 = same_seg & (r0 == r1) & (r1 == r2) & (r0 != 0) & (c_sum >= 2)
    flagged: BoolArray = close & window_flags(ok3, 3)
    return flagged


def _nhs_point_types(rules: list[BoolArray], directions: list[FloatArray], rel: FloatArray,
                     direction: str) -> tuple[FloatArray, npt.NDArray[np.str_],
                                              npt.NDArray[np.str_]]:
    """The first rule that fires names the point; its side, label and point type (§3.5)."""
    outside, trend, two_in_three, seven = rules
    value = np.nan_to_num(np.select(rules, directions, 0.0))
    label = np.select(
        [outside & (rel > 0), outside, trend & (value > 0), trend,
         two_in_three & (rel > 0), two_in_three, seven & (rel > 0), seven],
        ["Above UCL", "Below LCL", "7 Point Trend (Increasing)", "7 Point Trend (Decreasing)",
         "2 in 3 Above CL", "2 in 3 Below CL", "7 Points Above CL", "7 Points Below CL"],
        "Common Cause")
    special = label != "Common Cause"
    if direction == "neutral":
        ptype = np.where(special, np.where(value > 0, "special_cause_neutral_high",
                                           "special_cause_neutral_low"), "common_cause")
    else:
        oriented = value * (1 if direction == "increase" else -1)
        ptype = np.where(special, np.where(oriented > 0, "special_cause_improvement",
                                           "special_cause_concern"), "common_cause")
    return value, label, ptype


def _window_all(mask: BoolArray, width: int, seg: IntArray | None = None) -> BoolArray:
    """True at j when mask[j-width+1..j] are all True (and, with seg, in one segment)."""
    csum = np.concatenate(([0], np.cumsum(mask)))
    j = np.arange(len(mask))
    lo = j - width + 1
    ok = np.zeros(len(mask), bool)
    valid = lo >= 0
    ok[valid] = (csum[j[valid] + 1] - csum[lo[valid]]) == width
    if seg is not None:
        ok[valid] &= seg[j[valid]] == seg[lo[valid]]
    return ok


def _finite(v: FloatArray) -> FloatArray:
    return np.where(np.isfinite(v), v, np.nan)


def _assurance(target: FloatArray | None, direction: str, lpl: FloatArray,
               upl: FloatArray) -> list[str | None]:
    """Assurance icon from the last point's target and limits (§3.7); None without a target."""
    if target is None or direction == "neutral":
        return [None] * len(lpl)
    passes, fails = ("consistent_pass", "consistent_fail")
    below = np.asarray(target < lpl)
    above = np.asarray(target > upl)
    if direction == "decrease":
        below, above = above, below
    return [None if np.isnan(t) else passes if b else fails if a else "inconsistent"
            for t, b, a in zip(target.tolist(), below, above, strict=True)]

"""Centre lines and control limits per chart type (spc-rules.md §2.5), for every segment.

`chart_lines()` is the one place where a chart's plotted y, centre line and 2- and 3-sigma
limits are computed; `qic()` calls it for the chart asked for, and the IHI rules call it for
the companion control chart of a run chart (the astronomical-point rule). A segment is one
(series, part); `base` marks the points that the centre line and limits are computed from
(baseline and not excluded).

A given centre line (qicharts2 `cl`) replaces the computed one in every segment where it
has no missing value, and the limits are built around it: for the g chart the limits come
from the given mean and the line shown is its median 0.693·cl; for the t chart the given
line is in the units of y (qicharts2 compares it with the transformed y, unscaled).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from workbench.spc.kernels import (
    BoolArray,
    FloatArray,
    IntArray,
    seg_mean,
    seg_median,
    seg_moving_range_mean,
    seg_sd,
    seg_sum,
)
from workbench.spc.subgroups import Subgroups

__all__ = ["Lines", "chart_lines"]


class Lines(NamedTuple):
    """Plotted y and the five lines of a chart, per point, before `multiply`."""

    y: FloatArray
    lcl: FloatArray
    lcl_95: FloatArray
    cl: FloatArray
    ucl_95: FloatArray
    ucl: FloatArray


def _c4(n: IntArray) -> FloatArray:
    size = np.where(n <= 1, np.nan, n.astype(np.float64))
    lgamma = np.vectorize(math.lgamma, otypes=[np.float64])
    out: FloatArray = np.sqrt(2 / (size - 1)) * np.exp(lgamma(size / 2) - lgamma((size - 1) / 2))
    return out


def _given(cl: FloatArray | None, seg: IntArray, n_seg: int) -> BoolArray:
    """Points whose segment has a given centre line on every point (qicharts2 `anyNA(cl)`)."""
    if cl is None:
        return np.zeros(len(seg), bool)
    missing = np.bincount(seg[np.isnan(cl)], minlength=n_seg) > 0
    return ~missing[seg]


def chart_lines(chart: str, sub: Subgroups, seg: IntArray, n_seg: int, base: BoolArray,
                screen_mr: bool, categorical: bool, cl: FloatArray | None = None) -> Lines:
    """Plotted y and the lines of `chart` for every point (reference §2.5).

    `cl` is a given centre line per point (NaN where none is given); see the module doc.
    """
    use = _given(cl, seg, n_seg)
    given = cl if cl is not None else np.full(len(seg), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        if chart == "run":
            centre = np.where(use, given, seg_median(sub.y, seg, n_seg, base)[seg])
            nan = np.full(len(seg), np.nan)
            return Lines(sub.y, nan, nan.copy(), centre, nan.copy(), nan.copy())
        if chart in ("i", "t"):
            return _individuals(chart, sub.y, seg, n_seg, base, screen_mr, use, given)
        if chart == "mr":
            return _moving_range(sub.y, seg, n_seg, base, use, given)
        if chart in ("xbar", "s"):
            return _xbar_s(chart, sub, seg, n_seg, base, use, given)
        if chart == "g":
            return _g(sub.y, seg, n_seg, base, use, given)
        if chart in ("c", "p", "pp", "u", "up"):
            return _attributes(chart, sub, seg, n_seg, base, screen_mr, categorical, use, given)
    raise ValueError(f"unknown chart {chart!r}")  # pragma: no cover - guarded by qic()


def _individuals(chart: str, y: FloatArray, seg: IntArray, n_seg: int, base: BoolArray,
                 screen_mr: bool, use: BoolArray, given: FloatArray) -> Lines:
    """I chart, and the t chart as an I chart of y^(1/3.6) back-transformed."""
    t = chart == "t"
    yt = y ** (1 / 3.6) if t else y
    cl = np.where(use, given ** (1 / 3.6) if t else given, seg_mean(yt, seg, n_seg, base)[seg])
    sd = (seg_moving_range_mean(yt - cl, seg, n_seg, base, screen_mr) / 1.128)[seg]
    lines = Lines(yt, cl - 3 * sd, cl - 2 * sd, cl, cl + 2 * sd, cl + 3 * sd)
    if not t:
        return lines
    back = Lines(*(v ** 3.6 for v in lines))
    lcl = np.where((back.lcl < 0) | np.isnan(back.lcl), 0.0, back.lcl)
    return back._replace(lcl=lcl)


def _moving_range(y: FloatArray, seg: IntArray, n_seg: int, base: BoolArray, use: BoolArray,
                  given: FloatArray) -> Lines:
    mr = np.abs(np.diff(y, prepend=np.nan))
    mr[np.r_[True, seg[1:] != seg[:-1]]] = np.nan
    cl = np.where(use, given, seg_mean(mr, seg, n_seg, base)[seg])
    zero = np.zeros(len(y))
    return Lines(mr, zero, zero.copy(), cl, (3.267 / 3) * 2 * cl, 3.267 * cl)


def _g(y: FloatArray, seg: IntArray, n_seg: int, base: BoolArray, use: BoolArray,
       given: FloatArray) -> Lines:
    """G chart: limits from the mean, centre line the median (0.693·cl when cl is given)."""
    mean = np.where(use, given, seg_mean(y, seg, n_seg, base)[seg])
    sd = np.sqrt(mean * (mean + 1))
    lcl, lcl95 = (np.where(v < 0, 0.0, v) for v in (mean - 3 * sd, mean - 2 * sd))
    cl = np.where(use, 0.693 * given, seg_median(y, seg, n_seg, base)[seg])
    return Lines(y, lcl, lcl95, cl, mean + 2 * sd, mean + 3 * sd)


def _attributes(chart: str, sub: Subgroups, seg: IntArray, n_seg: int, base: BoolArray,
                screen_mr: bool, categorical: bool, use: BoolArray,
                given: FloatArray) -> Lines:
    """C, U, P and Laney's U′ and P′ charts."""
    y, n = sub.y, sub.n
    if chart == "c":
        y = sub.y_sum
        cl = np.where(use, given, seg_mean(y, seg, n_seg, base)[seg])
        sd = np.sqrt(cl)
    else:
        weighted = seg_sum(sub.y_sum, seg, n_seg, base) / seg_sum(n, seg, n_seg, base)
        cl = np.where(use, given, weighted[seg])
        sd = np.sqrt(cl * (1 - cl) / n) if chart in ("p", "pp") else np.sqrt(cl / n)
        if chart in ("pp", "up"):
            z = (y - cl) / sd
            if categorical:
                sigma_z = seg_sd(z, seg, n_seg, base, na_rm=False)
            else:
                sigma_z = seg_moving_range_mean(z, seg, n_seg, base, screen_mr) / 1.128
            sd = sd * sigma_z[seg]
    lcl, lcl95, ucl95, ucl = cl - 3 * sd, cl - 2 * sd, cl + 2 * sd, cl + 3 * sd
    if chart in ("p", "pp"):
        ucl = np.where(np.isfinite(ucl) & (ucl > 1), 1.0, ucl)
        ucl95 = np.where(np.isfinite(ucl95) & (ucl95 > 1), 1.0, ucl95)
    lcl = np.where(np.isfinite(lcl) & (lcl < 0), 0.0, lcl)
    lcl95 = np.where(np.isfinite(lcl95) & (lcl95 < 0), 0.0, lcl95)
    return Lines(y, lcl, lcl95, cl, ucl95, ucl)


def _xbar_s(chart: str, sub: Subgroups, seg: IntArray, n_seg: int, base: BoolArray,
            use: BoolArray, given: FloatArray) -> Lines:
    """Xbar and S charts (reference §2.5; Montgomery 6.29-6.31)."""
    size = sub.y_length
    sd_i = sub.y_sd
    width = int(size.max()) + 2
    pairs = np.unique(seg.astype(np.int64) * width + size)
    var_n = np.bincount(pairs // width, minlength=n_seg) > 1
    pooled = np.sqrt(seg_sum((size - 1) * sd_i ** 2, seg, n_seg, base)
                     / seg_sum((size - 1).astype(np.float64), seg, n_seg, base))
    sigma = np.where(var_n, pooled, seg_mean(sd_i, seg, n_seg, base))[seg]
    c4 = _c4(size)
    root_n = np.sqrt(np.where(size <= 1, np.nan, size))
    if chart == "xbar":  # plotted y is the subgroup y (the mean when there is no n)
        weighted = (seg_sum(size * sub.y_mean, seg, n_seg, base)
                    / seg_sum(size.astype(np.float64), seg, n_seg, base))
        cl = np.where(use, given, weighted[seg])
        a3, a3_95 = 3 / (c4 * root_n), 2 / (c4 * root_n)
        return Lines(sub.y, cl - a3 * sigma, cl - a3_95 * sigma, cl, cl + a3_95 * sigma,
                     cl + a3 * sigma)
    sigma = np.where(use, given, sigma)
    c5 = np.sqrt(1 - c4 ** 2)
    b3, b3_95 = np.maximum(0, 1 - 3 * c5 / c4), np.maximum(0, 1 - 2 * c5 / c4)
    b4, b4_95 = 1 + 3 * c5 / c4, 1 + 2 * c5 / c4
    return Lines(sd_i, b3 * sigma, b3_95 * sigma, sigma, b4_95 * sigma, b4 * sigma)

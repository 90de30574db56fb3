"""Segment-wise numeric kernels shared by the modules of `workbench.spc`.

A *segment* is one (series, part) of a chart. Every array here holds one element per plotted
point, with the points sorted by segment and then by position, and `seg` gives each point's
segment number 0..G-1. The kernels reduce or scan within segments without a Python loop.

Sums and means follow R (`sum()` and `mean()` accumulate in long double; `mean()` adds a
second correction pass), so that a point that R finds exactly on the centre line is found
on it here too (spc-rules.md §0.6; e.g. mean(0.1, 0.2, 0.3) == 0.2 in R, not in float64).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = [
    "BoolArray",
    "FloatArray",
    "IntArray",
    "ObjectArray",
    "seg_sum",
    "seg_mean",
    "seg_median",
    "seg_count",
    "seg_sd",
    "seg_moving_range_mean",
    "runs_of",
    "window_flags",
]

_LD = np.longdouble

#: One float per point (or per segment); NaN is a missing value.
FloatArray = npt.NDArray[np.float64]
#: One integer per point (or per segment), e.g. segment numbers or positions.
IntArray = npt.NDArray[np.int64]
#: One flag per point (or per segment).
BoolArray = npt.NDArray[np.bool_]
#: Labels (series names), one per series.
ObjectArray = npt.NDArray[np.object_]


def seg_count(mask: BoolArray, seg: IntArray, n_seg: int) -> IntArray:
    """Number of True in `mask` per segment."""
    return np.bincount(seg[mask], minlength=n_seg)


def _starts(counts: IntArray) -> IntArray:
    return np.concatenate(([0], np.cumsum(counts)[:-1]))


def _compress(values: FloatArray, mask: BoolArray | None,
              seg: IntArray) -> tuple[FloatArray, IntArray]:
    keep = ~np.isnan(values)
    if mask is not None:
        keep &= mask
    return values[keep], seg[keep]


def seg_sum(values: FloatArray, seg: IntArray, n_seg: int,
            mask: BoolArray | None = None) -> FloatArray:
    """R's `sum(x, na.rm = TRUE)` per segment (long-double accumulation; empty -> 0)."""
    v, s = _compress(values, mask, seg)
    counts = np.bincount(s, minlength=n_seg)
    out = np.zeros(n_seg)
    nz = counts > 0
    if nz.any():
        out[nz] = np.add.reduceat(v.astype(_LD), _starts(counts)[nz]).astype(np.float64)
    return out


def seg_mean(values: FloatArray, seg: IntArray, n_seg: int,
             mask: BoolArray | None = None) -> FloatArray:
    """R's `mean(x, na.rm = TRUE)` per segment, with its correction pass (empty -> NaN)."""
    v, s = _compress(values, mask, seg)
    counts = np.bincount(s, minlength=n_seg)
    out = np.full(n_seg, np.nan)
    nz = counts > 0
    if not nz.any():
        return out
    starts = _starts(counts)[nz]
    cnt = counts[nz].astype(_LD)
    vl = v.astype(_LD)
    mean = np.add.reduceat(vl, starts) / cnt
    finite = np.isfinite(mean)
    corr = np.add.reduceat(vl - np.repeat(mean, counts[nz]), starts) / cnt
    mean = np.where(finite, mean + corr, mean)
    out[nz] = mean.astype(np.float64)
    return out


def seg_median(values: FloatArray, seg: IntArray, n_seg: int,
               mask: BoolArray | None = None) -> FloatArray:
    """R's `median(x, na.rm = TRUE)` per segment (mean of the two middle values; empty -> NaN)."""
    v, s = _compress(values, mask, seg)
    order = np.lexsort((v, s))
    v = v[order]
    counts = np.bincount(s, minlength=n_seg)
    out = np.full(n_seg, np.nan)
    nz = counts > 0
    start = _starts(counts)[nz]
    cnt = counts[nz]
    lo = v[start + (cnt - 1) // 2].astype(_LD)
    hi = v[start + cnt // 2].astype(_LD)
    mid = (lo + hi) / 2
    mid = np.where(np.isfinite(mid), mid + ((lo - mid) + (hi - mid)) / 2, mid)
    out[nz] = mid.astype(np.float64)
    return out


def seg_sd(values: FloatArray, seg: IntArray, n_seg: int,
           mask: BoolArray | None = None, na_rm: bool = True) -> FloatArray:
    """R's `sd()` per segment (n - 1 denominator; fewer than 2 values -> NaN).

    With `na_rm=False` a segment holding any NaN gives NaN, as R's default does.
    """
    sel = np.ones(len(values), bool) if mask is None else mask
    mean = seg_mean(values, seg, n_seg, sel)
    v, s = _compress(values, sel, seg)
    dev = (v - mean[s]).astype(_LD)
    counts = np.bincount(s, minlength=n_seg)
    ss = np.zeros(n_seg)
    nz = counts > 0
    if nz.any():
        ss[nz] = np.add.reduceat(dev * dev, _starts(counts)[nz]).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(counts > 1, np.sqrt(ss / (counts - 1)), np.nan)
    if not na_rm:
        has_nan = np.bincount(seg[sel & np.isnan(values)], minlength=n_seg) > 0
        out[has_nan] = np.nan
    return out


def seg_moving_range_mean(values: FloatArray, seg: IntArray, n_seg: int, mask: BoolArray,
                          screen: bool) -> FloatArray:
    """Average moving range of `values` restricted to `mask`, per segment.

    The rows outside `mask` are removed first, so their neighbours form one moving range
    (excluded points are bridged, spc-rules.md §0.5). A NaN value makes both adjacent moving
    ranges NaN, and they are dropped. With `screen`, moving ranges not below 3.267·AMR are
    dropped and the AMR is computed once more (Nelson 1982; qicharts2 `qic.screenedmr`).
    """
    idx = np.flatnonzero(mask)
    v, s = values[idx], seg[idx]
    same = s[1:] == s[:-1]
    mr = np.abs(np.diff(v))[same]
    ms = s[1:][same]
    amr = seg_mean(mr, ms, n_seg)
    if screen:
        keep = mr < 3.267 * amr[ms]
        amr = seg_mean(mr, ms, n_seg, keep)
    return amr


def runs_of(sign: FloatArray, seg: IntArray,
            n_seg: int) -> tuple[IntArray, IntArray, IntArray, IntArray, IntArray]:
    """Runs of equal consecutive values of `sign` within segments.

    `sign` and `seg` hold only the useful points, in order. Returns (run_id per point,
    run lengths, run segment, runs per segment, longest run per segment (0 if none)).
    """
    if len(sign) == 0:
        zeros = np.zeros(n_seg, np.int64)
        empty = np.zeros(0, np.int64)
        return empty, empty, empty, zeros, zeros
    new = np.ones(len(sign), bool)
    new[1:] = (sign[1:] != sign[:-1]) | (seg[1:] != seg[:-1])
    run_id = np.cumsum(new) - 1
    lengths = np.bincount(run_id)
    run_seg = seg[new]
    n_runs = np.bincount(run_seg, minlength=n_seg)
    longest = np.zeros(n_seg, np.int64)
    np.maximum.at(longest, run_seg, lengths)
    return run_id, lengths, run_seg, n_runs, longest


def window_flags(ok_end: BoolArray, width: int) -> BoolArray:
    """Points covered by a window of `width` points that ends where `ok_end` is True.

    `ok_end[j]` says that the window of points j-width+1..j qualifies. Returns a boolean per
    point: True if any qualifying window contains it.
    """
    n = len(ok_end)
    csum = np.concatenate(([0], np.cumsum(ok_end)))
    hi = np.minimum(np.arange(n) + width, n)
    return (csum[hi] - csum[np.arange(n)]) > 0

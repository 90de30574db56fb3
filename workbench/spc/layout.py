"""Where each subgroup sits on its chart: position, part, baseline, inclusion (spc-rules.md
§2.3 for qicharts2, §3.1-3.2 for NHSRplotthedots), for `qic()`.

Positions count the subgroups of a series from 1 after sorting by x (`xx`). Parts come from
break positions (qicharts2 `part`), from a phase column, or from rebase dates
(NHSRplotthedots `rebase`): the point *at* a rebase date starts a new part, a date that is
not one of the series' x values does not rebase it (as the peer), and a date that matches no
point at all is an error (a typo, most likely).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from workbench.errors import N_, SPCInputError
from workbench.spc.kernels import BoolArray, IntArray
from workbench.spc.subgroups import Subgroups

__all__ = ["Layout", "Rebase", "layout", "part_numbers", "positions", "rebase_parts"]

#: Rebase dates: one list for every series, or a list per series label.
Rebase = Iterable[Any] | Mapping[Any, Iterable[Any]]


@dataclass
class Layout:
    """Position, part, segment (series × part), baseline and inclusion of every subgroup."""

    xx: IntArray
    part: IntArray
    seg: IntArray
    n_seg: int
    new_seg: BoolArray
    baseline: BoolArray
    include: BoolArray
    #: Position within the part (1 = the part's first point).
    in_part: IntArray

    @property
    def base(self) -> BoolArray:
        """Points the centre line and limits are computed from (baseline and included)."""
        return self.baseline & self.include


def positions(values: object, name: str, longest: int, lowest: int = 1) -> IntArray:
    """Whole point positions 1..longest (a part break leaves at least one point after it)."""
    if values is None:
        return np.zeros(0, np.int64)
    arr = np.atleast_1d(np.asarray(values))
    if arr.dtype.kind not in "iu" and not (arr.dtype.kind == "f" and np.all(arr == np.round(arr))):
        raise SPCInputError(N_("{name} must be whole point positions (1 = first point), not "
                               "{values!r}."),
                            params={"name": name, "values": values}, column=name)
    out = arr.astype(np.int64)
    top = longest - 1 if name == "part" else longest
    bad = out[(out < lowest) | (out > top)]
    if len(bad):
        raise SPCInputError(
            N_("{name} position {position} is out of range: positions count the points of a "
               "series from 1, and the longest series here has {longest} points (a part break "
               "must leave at least one point after it).") if name == "part" else
            N_("{name} position {position} is out of range: positions count the points of a "
               "series from 1, and the longest series here has {longest} points."),
            params={"name": name, "position": int(bad[0]), "longest": longest}, column=name)
    return out


def series_positions(sub: Subgroups) -> tuple[IntArray, BoolArray]:
    """Position of every subgroup within its series, and where a series starts."""
    sc = sub.series_code
    m = len(sc)
    new_series = np.r_[True, sc[1:] != sc[:-1]] if m else np.zeros(0, bool)
    start = np.maximum.accumulate(np.where(new_series, np.arange(m), 0)) if m else sc
    return (np.arange(m) - start + 1).astype(np.int64), new_series


def part_numbers(xx: IntArray, breaks: Iterable[int]) -> IntArray:
    """Part of each position: points 1..k form part 1 for a break at k (§2.3)."""
    at = np.unique(np.asarray(list(breaks), dtype=np.int64))
    return (1 + np.searchsorted(at[at > 0], xx, side="left")).astype(np.int64)


def _dates(values: Iterable[Any], what: str) -> pd.DatetimeIndex:
    items = [values] if isinstance(values, str) else list(values)
    try:
        return pd.DatetimeIndex([pd.Timestamp(v) for v in items])
    except (ValueError, TypeError) as exc:
        raise SPCInputError(N_("rebase of {key}: {items!r} holds a value that is not a date; "
                               "give dates such as 2024-06-01.") if what else
                            N_("rebase dates: {items!r} holds a value that is not a date; give "
                               "dates such as 2024-06-01."),
                            params={"key": what, "items": items}, column="rebase") from exc


def _x_dates(sub: Subgroups) -> pd.DatetimeIndex:
    x = sub.x
    if isinstance(x.dtype, pd.PeriodDtype):
        return pd.DatetimeIndex(x.dt.to_timestamp())
    if pd.api.types.is_datetime64_any_dtype(x):
        return pd.DatetimeIndex(x)
    raise SPCInputError(N_("rebase needs dates in x; give part positions instead for other x."),
                        column="rebase")


def rebase_parts(sub: Subgroups, rebase: Rebase, new_series: BoolArray) -> IntArray:
    """Part of each subgroup from rebase dates (module doc; NHSRplotthedots `ptd_rebase`)."""
    x = _x_dates(sub)
    labels = sub.series_labels[sub.series_code]
    at = np.zeros(len(x), bool)
    wanted = (rebase.items() if isinstance(rebase, Mapping)
              else [(None, rebase)])
    for key, values in wanted:
        mine = np.ones(len(x), bool) if key is None else labels == key
        if key is not None and not mine.any():
            raise SPCInputError(N_("rebase names series {key!r}, which is not in the data."),
                                params={"key": key}, column="rebase")
        for date in _dates(values, "" if key is None else repr(key)):
            hit = mine & (x == date)
            if not hit.any():
                raise SPCInputError(N_("rebase date {date} is not an x of any series; a "
                                       "rebase date must be the date of the first point of the "
                                       "new part.") if key is None else
                                    N_("rebase date {date} is not an x of series "
                                       "{key!r}; a rebase date must be the date of the first "
                                       "point of the new part."),
                                    params={"date": f"{date:%Y-%m-%d}", "key": key},
                                    column="rebase")
            at |= hit
    at &= ~new_series  # a rebase at a series' first point starts nothing new
    counts = np.cumsum(at)
    series_start = np.maximum.accumulate(np.where(new_series, np.arange(len(x)), 0))
    before = counts[series_start] - at[series_start]
    out: IntArray = (1 + counts - before).astype(np.int64)
    return out


def layout(sub: Subgroups, xx: IntArray, new_series: BoolArray, part: IntArray,
           freeze: int | None, part_given: bool, exclude: IntArray) -> Layout:
    """The layout of every subgroup; `freeze` is ignored when parts are given (§2.3)."""
    m = len(xx)
    baseline = np.ones(m, bool) if freeze is None or part_given else xx <= freeze
    new_seg = new_series | np.r_[True, part[1:] != part[:-1]] if m else new_series
    seg = (np.cumsum(new_seg) - 1).astype(np.int64)
    seg_start = np.maximum.accumulate(np.where(new_seg, np.arange(m), 0)) if m else seg
    return Layout(xx=xx, part=part, seg=seg, n_seg=int(seg[-1]) + 1 if m else 0,
                  new_seg=new_seg, baseline=baseline, include=~np.isin(xx, exclude),
                  in_part=(np.arange(m) - seg_start + 1).astype(np.int64))

"""Input checks and aggregation of rows into subgroups (spc-rules.md §2.1), for `qic()`.

Rows that share (series, x) form one subgroup, one plotted point. With `n`, y = Σy/Σn;
without it y = `agg_fun` of the rows' y (qicharts2 `agg.fun`: mean, median, sum or sd).
`x_period` first floors dates to the start of their day, week (Monday), month, quarter or
year (qicharts2 `x.period`, R's `cut()` of dates), so that the rows of a period form one
subgroup. Error rows are numbered as in a CSV file with one header line (first data row 2).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from workbench.errors import N_, Message, SPCInputError
from workbench.spc.kernels import (
    BoolArray,
    FloatArray,
    IntArray,
    ObjectArray,
    seg_mean,
    seg_median,
    seg_sd,
    seg_sum,
)

__all__ = [
    "AGG_FUNS",
    "NEEDS_N",
    "X_PERIODS",
    "Subgroups",
    "numbers",
    "part_breaks_from_labels",
    "row_number",
    "subgroups",
]

NEEDS_N = frozenset({"p", "pp", "u", "up"})
AGG_FUNS = ("mean", "median", "sum", "sd")
X_PERIODS = ("day", "week", "month", "quarter", "year")


@dataclass
class Subgroups:
    """One element per subgroup, sorted by series and then x (reference §2.1)."""

    series_code: IntArray
    series_labels: ObjectArray
    categorical: bool
    x: pd.Series
    got_n: bool
    y: FloatArray
    y_sum: FloatArray
    y_length: IntArray
    y_mean: FloatArray
    y_sd: FloatArray
    n: FloatArray
    #: Per-subgroup values of extra columns (centre line, target, trajectory): the value of
    #: the subgroup's first row, as qicharts2 takes `x$cl[1]` and `x$target[1]`.
    columns: dict[str, FloatArray] = field(default_factory=dict)


def row_number(i: int | np.integer[Any]) -> int:
    """Row number as in a CSV file with one header line: the first data row is row 2."""
    return int(i) + 2


def numbers(frame: pd.DataFrame, column: str) -> FloatArray:
    """The numbers of `column`: empty cells are missing; anything else names its row."""
    col = frame[column]
    if pd.api.types.is_bool_dtype(col):
        raise SPCInputError(N_("column {column!r} holds true/false values; it needs numbers."),
                            params={"column": column}, column=column)
    if pd.api.types.is_numeric_dtype(col):
        return col.to_numpy(dtype=np.float64, na_value=np.nan)
    text = col.astype("string").str.strip()
    empty = text.isna() | (text == "")
    values = pd.to_numeric(text.mask(empty), errors="coerce")
    bad = np.flatnonzero(values.isna().to_numpy() & ~empty.to_numpy())
    if len(bad):
        i = bad[0]
        raise SPCInputError(N_("row {row}, column {column!r}: {value!r} is not a number. Write a "
                               "number, or leave the cell empty for a missing value."),
                            params={"row": row_number(i), "column": column,
                                    "value": col.iloc[i]},
                            row=row_number(i), column=column)
    return values.to_numpy(dtype=np.float64, na_value=np.nan)


def _fail_rows(mask: BoolArray, column: str, text: str, values: FloatArray) -> None:
    bad = np.flatnonzero(mask)
    if len(bad):
        i = bad[0]
        raise SPCInputError(N_("row {row}, column {column!r}: {value:g} {problem}"),
                            params={"row": row_number(i), "column": column, "value": values[i],
                                    "problem": Message(text)},
                            row=row_number(i), column=column)


def _as_dates(x: pd.Series, column: str) -> pd.Series:
    """x as datetime64 for `x_period`; an SPCInputError when x holds no dates."""
    if isinstance(x.dtype, pd.PeriodDtype):
        return pd.Series(x.dt.to_timestamp(), index=x.index)
    if pd.api.types.is_datetime64_any_dtype(x):
        return x
    sample = x.dropna()
    if len(sample) and all(isinstance(v, _dt.date) for v in sample):
        return pd.Series(pd.to_datetime(x), index=x.index)
    raise SPCInputError(N_("x_period needs dates in column {column!r} (it aggregates days into "
                           "weeks, months, quarters or years); this column holds other values."),
                        params={"column": column}, column=column)


def floor_period(x: pd.Series, period: str, column: str = "x") -> pd.Series:
    """Dates floored to the start of their `period` (weeks start on Monday, as R's `cut()`)."""
    dates = _as_dates(x, column)
    day = pd.Series(dates.dt.normalize(), index=x.index)
    if period == "day":
        return day
    if period == "week":
        return pd.Series(day - pd.to_timedelta(day.dt.day_of_week, unit="D"), index=x.index)
    code = {"month": "M", "quarter": "Q", "year": "Y"}[period]
    return pd.Series(dates.dt.to_period(code).dt.start_time, index=x.index)


def _x_codes(x: pd.Series, x_categorical: bool | None) -> tuple[IntArray, pd.Series, bool]:
    """Sort codes of x (reference §2.1 'Order') and whether x is categorical (§2.4.7)."""
    if isinstance(x.dtype, pd.CategoricalDtype):
        codes = x.cat.codes.to_numpy().astype(np.int64)
        return codes, x, True if x_categorical is None else x_categorical
    if x.dtype == object:
        sample = x.dropna()
        if len(sample) and all(isinstance(v, _dt.date) for v in sample):
            x = pd.Series(pd.to_datetime(x), index=x.index)
    ordered = (pd.api.types.is_numeric_dtype(x) or pd.api.types.is_datetime64_any_dtype(x)
               or isinstance(x.dtype, pd.PeriodDtype))  # monthly Periods of the tidy frame
    categorical = not ordered or pd.api.types.is_bool_dtype(x)
    if categorical:
        factor, _ = pd.factorize(x.astype("string"), sort=True)
    else:
        factor, _ = pd.factorize(x, sort=True)
    codes = np.asarray(factor, dtype=np.int64)
    return codes, x, categorical if x_categorical is None else x_categorical


def _check_counts(chart: str, y: str, n: str, yv: FloatArray, nv: FloatArray) -> None:
    if chart in NEEDS_N:
        _fail_rows(nv < 0, n, N_("is negative; a denominator counts cases, so it is >= 0."), nv)
    if chart in ("p", "pp"):
        _fail_rows(yv < 0, y, N_("is negative; a numerator counts cases, so it is >= 0."), yv)
        _fail_rows(yv > nv, y, N_("is larger than its denominator n; a proportion needs "
                                  "y <= n."), yv)


def _series_codes(frame: pd.DataFrame, series: str | None) -> tuple[IntArray, ObjectArray]:
    """Codes of the series in their sort order, and the labels. Integer keys already in
    order (a caller of thousands of series at once, `rollup.series.spc_frame`) are numbered
    where they change, without hashing them: the same codes and labels."""
    if series is None:
        return np.zeros(len(frame), np.int64), np.array([None], dtype=object)
    column = frame[series]
    if isinstance(column.dtype, np.dtype) and column.dtype.kind in "iu" and len(column):
        keys = column.to_numpy()
        change = keys[1:] != keys[:-1]
        if (keys[1:] >= keys[:-1]).all():
            codes = np.zeros(len(keys), dtype=np.int64)
            np.cumsum(change, out=codes[1:])
            return codes, np.asarray(keys[np.r_[True, change]], dtype=object)
    factor, labels = pd.factorize(column, sort=True)
    return np.asarray(factor, dtype=np.int64), np.asarray(labels, dtype=object)


def _in_order(series: IntArray, x: IntArray) -> IntArray:
    """The positions of rows sorted by series and then x (stable): the rows as they are
    when they come so sorted."""
    if len(series) < 2 or ((series[1:] > series[:-1]) | (
            (series[1:] == series[:-1]) & (x[1:] >= x[:-1]))).all():
        return np.arange(len(series))
    order: IntArray = np.lexsort((x, series))
    return order


def subgroups(frame: pd.DataFrame, chart: str, x: str, y: str, n: str | None,
              series: str | None, x_categorical: bool | None, *, agg_fun: str = "mean",
              x_period: str | None = None,
              columns: dict[str, FloatArray] | None = None) -> Subgroups:
    """Rows of `frame` aggregated into subgroups (reference §2.1).

    `columns` are extra per-row numbers (a centre line, a target, a trajectory) of which
    each subgroup keeps its first row's value.
    """
    yv = numbers(frame, y)
    got_n = n is not None
    nv = numbers(frame, n) if n is not None else np.full(len(frame), np.nan)
    if n is not None:
        _check_counts(chart, y, n, yv, nv)
        incomplete = np.isnan(yv) | np.isnan(nv)
        yv = np.where(incomplete, np.nan, yv)
        nv = np.where(incomplete, np.nan, nv)
    if chart == "t":
        _fail_rows(yv <= 0, y, N_("is not above 0; a t chart needs every time between events "
                                  "to be greater than zero."), yv)
    xcol = frame[x] if x_period is None else floor_period(frame[x], x_period, x)
    xcodes, xvalues, categorical = _x_codes(xcol, x_categorical)
    scodes, slabels = _series_codes(frame, series)
    rows = np.flatnonzero((xcodes >= 0) & (scodes >= 0))
    order = rows[_in_order(scodes[rows], xcodes[rows])]
    sc, xc, yv, nv = scodes[order], xcodes[order], yv[order], nv[order]
    first = np.ones(len(order), bool)
    first[1:] = (sc[1:] != sc[:-1]) | (xc[1:] != xc[:-1])
    lead = order[first]
    extra = {k: np.asarray(v, dtype=np.float64)[lead] for k, v in (columns or {}).items()}
    stats = _aggregate(yv, nv, first, got_n, agg_fun)
    return Subgroups(series_code=sc[first], series_labels=slabels, categorical=categorical,
                     x=xvalues.iloc[lead].reset_index(drop=True), got_n=got_n,
                     columns=extra, **stats)


def _aggregate(yv: FloatArray, nv: FloatArray, first: BoolArray, got_n: bool,
               agg_fun: str) -> dict[str, Any]:
    """y, y_sum, y_length, y_mean, y_sd and n of every subgroup (rows sorted, `first` marks
    the first row of each)."""
    ynan = np.isnan(yv)
    if first.all():  # one row per subgroup: nothing to aggregate
        n = np.where(np.isnan(nv), 0.0, nv) if got_n else nv
        with np.errstate(invalid="ignore", divide="ignore"):
            y = (np.where(ynan, 0.0, yv) / n) if got_n else yv
        if not got_n and agg_fun == "sd":
            y = np.full(len(yv), np.nan)  # R: sd() of one value is NA
        return {"y": y, "y_sum": yv, "y_length": (~ynan).astype(np.int64), "y_mean": yv,
                "y_sd": np.full(len(yv), np.nan), "n": n}
    gid = np.cumsum(first) - 1
    k = int(gid[-1]) + 1
    rows_per = np.bincount(gid, minlength=k)
    total = seg_sum(yv, gid, k)
    y_length = np.bincount(gid[~ynan], minlength=k).astype(np.int64)
    out: dict[str, Any] = {
        "y_sum": np.where(rows_per == 1, yv[first], total),  # sum(y, na.rm = length(y) > 1)
        "y_length": y_length, "y_mean": seg_mean(yv, gid, k), "y_sd": seg_sd(yv, gid, k)}
    if got_n:
        out["n"] = seg_sum(nv, gid, k)
        with np.errstate(invalid="ignore", divide="ignore"):
            out["y"] = total / out["n"]
        return out
    out["n"] = np.full(k, np.nan)
    if agg_fun == "median":
        out["y"] = seg_median(yv, gid, k)
    elif agg_fun == "sum":  # a subgroup without any value stays missing (see qic docstring)
        out["y"] = np.where(y_length > 0, total, np.nan)
    elif agg_fun == "sd":
        out["y"] = out["y_sd"]
    else:
        out["y"] = out["y_mean"]
    return out


def part_breaks_from_labels(frame: pd.DataFrame, x: str, column: str) -> list[int]:
    """Break positions from a phase column (reference §2.2; qicharts2 0.8.1 `qic()`):
    the label of each first occurrence of x, in data order; a new label starts a part."""
    labels = frame.loc[~frame[x].duplicated(), column].reset_index(drop=True)
    codes, _ = pd.factorize(labels, use_na_sentinel=False)
    first_seen = np.unique(codes, return_index=True)[1]
    return sorted(int(i) for i in first_seen if i > 0)

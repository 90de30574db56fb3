"""Run and control charts for many series at once, with qicharts2 0.8.1 semantics.

`qic()` takes a long frame (one row per series and x, or several rows per subgroup) and
returns an `SPCResult` with a points frame and a summary frame for every series, computed
with numpy over all series together. The reference is /work/shared/reference/spc-rules.md
("the reference"); section numbers below point into it. The semantics are those of
qicharts2 0.8.1 *attached* (`library(qicharts2)`), so screened moving ranges are on by
default (reference §0.1).

Deliberate differences from qicharts2, all documented where they apply:
- positions (freeze, part, exclude) beyond every series raise `SPCInputError`, where
  qicharts2 ignores them silently;
- categorical x is sorted by Unicode code point, where R sorts by the locale's collation;
- the `y` of a subgroup is always the mean of its rows when there is no `n` (R's default
  `agg.fun = 'mean'`); other aggregate functions are not offered.

Further rule sets (IHI run-chart rules, NHS Making Data Count) live in
`workbench.spc.rules` and are requested with `rules="ihi"` or `rules="nhs"`.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from workbench.errors import SPCInputError
from workbench.spc.kernels import (
    runs_of,
    seg_count,
    seg_mean,
    seg_median,
    seg_moving_range_mean,
    seg_sd,
    seg_sum,
)

__all__ = [
    "CHARTS",
    "RULE_SETS",
    "SPCResult",
    "anhoej_critical_values",
    "qic",
]

CHARTS = ("run", "i", "mr", "c", "u", "p", "pp", "up", "g", "t", "xbar", "s")
NEEDS_N = frozenset({"p", "pp", "u", "up"})
RULE_SETS = {
    "anhoej": "anhoej-qicharts2-0.8.1",
    "ihi": "ihi-2011",
    "nhs": "nhs-mdc-ptd-0.2.2",
}
POINT_COLUMNS = ["series", "x", "y", "n", "xx", "cl", "lcl", "ucl", "lcl_95", "ucl_95", "part",
                 "baseline", "include", "sigma_signal", "runs_signal"]
SUMMARY_COLUMNS = ["series", "part", "n_obs", "n_useful", "longest_run", "longest_run_max",
                   "n_crossings", "n_crossings_min", "runs_signal", "lcl", "lcl_95", "cl",
                   "ucl_95", "ucl", "sigma_signals", "chart", "rules"]


@dataclass
class SPCResult:
    """What `qic()` returns: one row per point and one row per (series, part)."""

    points: pd.DataFrame
    summary: pd.DataFrame
    chart: str
    rules: str

    def _repr_html_(self) -> str:
        """A summary table per series and part (see `workbench.notebook.reprs.spc_result_html`)."""
        from workbench.notebook.reprs import spc_result_html

        return spc_result_html(self)


# --------------------------------------------------------------------------------------------
# Anhøj critical values (reference §2.4.4)


@lru_cache(maxsize=8)
def _critical_table(n_max: int) -> tuple[np.ndarray, np.ndarray]:
    n = np.arange(n_max + 1)
    longest = np.round(np.log2(np.maximum(n, 1))) + 3
    crossings = _qbinom_half(0.05, n_max)
    longest[0] = crossings[0] = np.nan
    return longest, crossings


def _qbinom_half(p: float, n_max: int) -> np.ndarray:
    """qbinom(p, n - 1, 0.5) for n = 0..n_max: the smallest c with P(Bin(n-1, ½) <= c) >= p.

    Exact in log space (no scipy import: it costs seconds in every fresh kernel); checked against
    the reference table for n = 1..1000 in the tests.
    """
    log_fact = np.concatenate(([0.0], np.cumsum(np.log(np.arange(1, n_max + 1)))))
    out = np.zeros(n_max + 1)
    for n in range(2, n_max + 1):
        m = n - 1
        k = np.arange(m + 1)
        pmf = np.exp(log_fact[m] - log_fact[k] - log_fact[m - k] - m * np.log(2.0))
        out[n] = int(np.searchsorted(np.cumsum(pmf), p * (1 - 64 * np.finfo(float).eps)))
    return out


def _critical(n_useful: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    top = int(n_useful.max()) if len(n_useful) else 0
    longest, crossings = _critical_table(max(1024, 1 << top.bit_length()))
    return longest[n_useful], crossings[n_useful]


def anhoej_critical_values(n: int | Iterable[int]) -> pd.DataFrame:
    """Anhøj critical values for `n` useful observations (reference §2.4.4).

    longest_run_max = round(log2 n) + 3 (Schilling 2012); n_crossings_min =
    qbinom(0.05, n - 1, 0.5) (Chen 2010), the smallest c with P(Binomial(n-1, ½) <= c) >= 0.05.
    A run longer than longest_run_max or fewer crossings than n_crossings_min is a signal.
    n < 1 gives missing values (reference §2.4.6).

    >>> anhoej_critical_values(24).iloc[0].tolist()
    [24, 8, 8]
    """
    values = np.atleast_1d(np.asarray(list(n) if not np.isscalar(n) else n, dtype=np.int64))
    longest, crossings = _critical(np.maximum(values, 0))
    return pd.DataFrame({
        "n_useful": values,
        "longest_run_max": pd.array(np.where(values > 0, longest, np.nan), dtype="Int64"),
        "n_crossings_min": pd.array(np.where(values > 0, crossings, np.nan), dtype="Int64"),
    })


# --------------------------------------------------------------------------------------------
# Input checks and coercion


def _row(i: int) -> int:
    """Row number as in a CSV file with one header line: the first data row is row 2."""
    return int(i) + 2


def _numbers(frame: pd.DataFrame, column: str) -> np.ndarray:
    col = frame[column]
    if pd.api.types.is_bool_dtype(col):
        raise SPCInputError(f"column {column!r} holds true/false values; it needs numbers.",
                            column=column)
    if pd.api.types.is_numeric_dtype(col):
        return col.to_numpy(dtype=np.float64, na_value=np.nan)
    text = col.astype("string").str.strip()
    empty = text.isna() | (text == "")
    values = pd.to_numeric(text.mask(empty), errors="coerce")
    bad = np.flatnonzero(values.isna().to_numpy() & ~empty.to_numpy())
    if len(bad):
        i = bad[0]
        raise SPCInputError(
            f"row {_row(i)}, column {column!r}: {col.iloc[i]!r} is not a number. "
            "Write a number, or leave the cell empty for a missing value.",
            row=_row(i), column=column)
    return values.to_numpy(dtype=np.float64, na_value=np.nan)


def _fail_rows(mask: np.ndarray, column: str, text: str, values: np.ndarray) -> None:
    bad = np.flatnonzero(mask)
    if len(bad):
        i = bad[0]
        raise SPCInputError(f"row {_row(i)}, column {column!r}: {values[i]:g} {text}",
                            row=_row(i), column=column)


def _x_codes(x: pd.Series, x_categorical: bool | None):
    """Sort codes of x (reference §2.1 'Order') and whether x is categorical (§2.4.7)."""
    if isinstance(x.dtype, pd.CategoricalDtype):
        return x.cat.codes.to_numpy(), x, True if x_categorical is None else x_categorical
    if x.dtype == object:
        sample = x.dropna()
        if len(sample) and all(isinstance(v, _dt.date) for v in sample):
            x = pd.to_datetime(x)
    ordered = (pd.api.types.is_numeric_dtype(x) or pd.api.types.is_datetime64_any_dtype(x)
               or isinstance(x.dtype, pd.PeriodDtype))  # monthly Periods of the tidy frame
    categorical = not ordered
    if pd.api.types.is_bool_dtype(x):
        categorical = True
    if categorical:
        codes, _ = pd.factorize(x.astype("string"), sort=True)
    else:
        codes, _ = pd.factorize(x, sort=True)
    return codes, x, categorical if x_categorical is None else x_categorical


def _positions(values, name: str, longest: int, lowest: int = 1) -> np.ndarray:
    if values is None:
        return np.zeros(0, np.int64)
    arr = np.atleast_1d(np.asarray(values))
    if arr.dtype.kind not in "iu" and not (arr.dtype.kind == "f" and np.all(arr == np.round(arr))):
        raise SPCInputError(f"{name} must be whole point positions (1 = first point), "
                            f"not {values!r}.", column=name)
    arr = arr.astype(np.int64)
    top = longest - 1 if name == "part" else longest
    bad = arr[(arr < lowest) | (arr > top)]
    if len(bad):
        raise SPCInputError(
            f"{name} position {int(bad[0])} is out of range: positions count the points of a "
            f"series from 1, and the longest series here has {longest} points"
            + (" (a part break must leave at least one point after it)." if name == "part"
               else "."), column=name)
    return arr


# --------------------------------------------------------------------------------------------
# Subgroups (reference §2.1)


def _subgroups(frame: pd.DataFrame, chart: str, x: str, y: str, n: str | None,
               series: str | None, x_categorical: bool | None) -> dict:
    yv = _numbers(frame, y)
    got_n = n is not None
    nv = _numbers(frame, n) if got_n else np.full(len(frame), np.nan)
    if got_n:
        if chart in NEEDS_N:
            _fail_rows(nv < 0, n, "is negative; a denominator counts cases, so it is >= 0.", nv)
        if chart in ("p", "pp"):
            _fail_rows(yv < 0, y, "is negative; a numerator counts cases, so it is >= 0.", yv)
            _fail_rows(yv > nv, y, "is larger than its denominator n; a proportion needs "
                                   "y <= n.", yv)
        incomplete = np.isnan(yv) | np.isnan(nv)
        yv = np.where(incomplete, np.nan, yv)
        nv = np.where(incomplete, np.nan, nv)
    if chart == "t":
        _fail_rows(yv <= 0, y, "is not above 0; a t chart needs every time between events "
                               "to be greater than zero.", yv)

    xcodes, xvalues, categorical = _x_codes(frame[x], x_categorical)
    if series is None:
        scodes = np.zeros(len(frame), np.int64)
        slabels = np.array([None], dtype=object)
    else:
        scodes, slabels = pd.factorize(frame[series], sort=True)
        slabels = np.asarray(slabels, dtype=object)
    keep = (xcodes >= 0) & (scodes >= 0)
    rows = np.flatnonzero(keep)
    order = rows[np.lexsort((xcodes[rows], scodes[rows]))]
    sc, xc, yv, nv = scodes[order], xcodes[order], yv[order], nv[order]
    first = np.ones(len(order), bool)
    first[1:] = (sc[1:] != sc[:-1]) | (xc[1:] != xc[:-1])
    lead = order[first]
    sub = {"series_code": sc[first], "series_labels": slabels, "categorical": categorical,
           "x": xvalues.iloc[lead].reset_index(drop=True), "got_n": got_n}
    ynan = np.isnan(yv)
    if first.all():  # one row per subgroup: nothing to aggregate
        sub["y_sum"] = yv
        sub["y_length"] = (~ynan).astype(np.int64)
        sub["y_mean"] = yv
        sub["y_sd"] = np.full(len(yv), np.nan)
        sub["n"] = np.where(np.isnan(nv), 0.0, nv) if got_n else nv
        with np.errstate(invalid="ignore", divide="ignore"):
            sub["y"] = (np.where(ynan, 0.0, yv) / sub["n"]) if got_n else yv
        return sub
    gid = np.cumsum(first) - 1
    k = int(gid[-1]) + 1
    rows_per = np.bincount(gid, minlength=k)
    total = seg_sum(yv, gid, k)
    single = rows_per == 1
    sub["y_sum"] = np.where(single, yv[first], total)  # sum(y, na.rm = length(y) > 1)
    sub["y_length"] = np.bincount(gid[~ynan], minlength=k)
    sub["y_mean"] = seg_mean(yv, gid, k)
    sub["y_sd"] = seg_sd(yv, gid, k)
    if got_n:
        sub["n"] = seg_sum(nv, gid, k)
        with np.errstate(invalid="ignore", divide="ignore"):
            sub["y"] = total / sub["n"]
    else:
        sub["n"] = np.full(k, np.nan)
        sub["y"] = sub["y_mean"]
    return sub


def _part_breaks_from_labels(frame: pd.DataFrame, x: str, column: str) -> list[int]:
    """Break positions from a phase column (reference §2.2; qicharts2 0.8.1 `qic()`):
    the label of each first occurrence of x, in data order; a new label starts a part."""
    labels = frame.loc[~frame[x].duplicated(), column].reset_index(drop=True)
    codes, _ = pd.factorize(labels, use_na_sentinel=False)
    first_seen = np.unique(codes, return_index=True)[1]
    return sorted(int(i) for i in first_seen if i > 0)


# --------------------------------------------------------------------------------------------
# Centre lines and limits per chart (reference §2.5)


def _c4(n: np.ndarray) -> np.ndarray:
    n = np.where(n <= 1, np.nan, n.astype(np.float64))
    lgamma = np.vectorize(math.lgamma, otypes=[np.float64])
    return np.sqrt(2 / (n - 1)) * np.exp(lgamma(n / 2) - lgamma((n - 1) / 2))


def _lines(chart: str, sub: dict, seg: np.ndarray, n_seg: int, base: np.ndarray,
           screen_mr: bool, categorical: bool):
    """Plotted y and the five lines of one chart type, per point, before `multiply`."""
    y = sub["y"].astype(np.float64)
    n = sub["n"]
    nan = np.full(len(y), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        if chart == "run":
            cl = seg_median(y, seg, n_seg, base)[seg]
            return y, nan, nan.copy(), cl, nan.copy(), nan.copy()
        if chart in ("i", "t"):
            yt = y ** (1 / 3.6) if chart == "t" else y
            cl = seg_mean(yt, seg, n_seg, base)[seg]
            sd = (seg_moving_range_mean(yt - cl, seg, n_seg, base, screen_mr) / 1.128)[seg]
            lines = [cl - 3 * sd, cl - 2 * sd, cl, cl + 2 * sd, cl + 3 * sd]
            if chart == "i":
                return (y, *lines)
            y_back = yt ** 3.6
            lcl, lcl95, cl, ucl95, ucl = (v ** 3.6 for v in lines)
            lcl = np.where((lcl < 0) | np.isnan(lcl), 0.0, lcl)
            return y_back, lcl, lcl95, cl, ucl95, ucl
        if chart == "mr":
            mr = np.abs(np.diff(y, prepend=np.nan))
            mr[np.r_[True, seg[1:] != seg[:-1]]] = np.nan
            cl = seg_mean(mr, seg, n_seg, base)[seg]
            zero = np.zeros(len(y))
            return mr, zero, zero.copy(), cl, (3.267 / 3) * 2 * cl, 3.267 * cl
        if chart == "c":
            y = sub["y_sum"].astype(np.float64)
            cl = seg_mean(y, seg, n_seg, base)[seg]
            sd = np.sqrt(cl)
        elif chart in ("p", "pp", "u", "up"):
            cl = (seg_sum(sub["y_sum"], seg, n_seg, base) / seg_sum(n, seg, n_seg, base))[seg]
            sd = np.sqrt(cl * (1 - cl) / n) if chart in ("p", "pp") else np.sqrt(cl / n)
            if chart in ("pp", "up"):
                z = (y - cl) / sd
                if categorical:
                    sigma_z = seg_sd(z, seg, n_seg, base, na_rm=False)
                else:
                    sigma_z = seg_moving_range_mean(z, seg, n_seg, base, screen_mr) / 1.128
                sd = sd * sigma_z[seg]
        elif chart == "g":
            mean = seg_mean(y, seg, n_seg, base)[seg]
            sd = np.sqrt(mean * (mean + 1))
            lines = [mean - 3 * sd, mean - 2 * sd, mean + 2 * sd, mean + 3 * sd]
            lcl, lcl95 = (np.where(v < 0, 0.0, v) for v in lines[:2])
            cl = seg_median(y, seg, n_seg, base)[seg]
            return y, lcl, lcl95, cl, lines[2], lines[3]
        elif chart in ("xbar", "s"):
            return _xbar_s(chart, sub, seg, n_seg, base)
        else:  # pragma: no cover - guarded by qic()
            raise ValueError(chart)
        lcl, lcl95, ucl95, ucl = cl - 3 * sd, cl - 2 * sd, cl + 2 * sd, cl + 3 * sd
        if chart in ("p", "pp"):
            ucl = np.where(np.isfinite(ucl) & (ucl > 1), 1.0, ucl)
            ucl95 = np.where(np.isfinite(ucl95) & (ucl95 > 1), 1.0, ucl95)
        lcl = np.where(np.isfinite(lcl) & (lcl < 0), 0.0, lcl)
        lcl95 = np.where(np.isfinite(lcl95) & (lcl95 < 0), 0.0, lcl95)
        return y, lcl, lcl95, cl, ucl95, ucl


def _xbar_s(chart: str, sub: dict, seg: np.ndarray, n_seg: int, base: np.ndarray):
    """Xbar and S charts (reference §2.5; Montgomery 6.29-6.31)."""
    size = sub["y_length"]
    sd_i = sub["y_sd"]
    pairs = np.unique(seg.astype(np.int64) * (int(size.max()) + 2) + size)
    var_n = np.bincount(pairs // (int(size.max()) + 2), minlength=n_seg) > 1
    pooled = np.sqrt(seg_sum((size - 1) * sd_i ** 2, seg, n_seg, base)
                     / seg_sum((size - 1).astype(np.float64), seg, n_seg, base))
    sigma = np.where(var_n, pooled, seg_mean(sd_i, seg, n_seg, base))[seg]
    c4 = _c4(size)
    root_n = np.sqrt(np.where(size <= 1, np.nan, size))
    if chart == "xbar":  # plotted y is the subgroup y (the mean when there is no n)
        cl = (seg_sum(size * sub["y_mean"], seg, n_seg, base)
              / seg_sum(size.astype(np.float64), seg, n_seg, base))[seg]
        a3, a3_95 = 3 / (c4 * root_n), 2 / (c4 * root_n)
        return (sub["y"], cl - a3 * sigma, cl - a3_95 * sigma, cl, cl + a3_95 * sigma,
                cl + a3 * sigma)
    c5 = np.sqrt(1 - c4 ** 2)
    b3, b3_95 = np.maximum(0, 1 - 3 * c5 / c4), np.maximum(0, 1 - 2 * c5 / c4)
    b4, b4_95 = 1 + 3 * c5 / c4, 1 + 2 * c5 / c4
    return sd_i, b3 * sigma, b3_95 * sigma, sigma, b4_95 * sigma, b4 * sigma


# --------------------------------------------------------------------------------------------
# Runs analysis (reference §2.4)


def _runs_analysis(y: np.ndarray, cl: np.ndarray, include: np.ndarray, seg: np.ndarray,
                   n_seg: int) -> dict:
    """Anhøj rules per segment over the included points against the chart's own CL.

    Points on the centre line and missing points are dropped (§2.4.1); a signal is a run
    longer than round(log2 n)+3 or fewer crossings than qbinom(0.05, n-1, 0.5) (§2.4.5);
    n_useful = 0 gives missing numbers and no signal (§2.4.6).
    """
    with np.errstate(invalid="ignore"):
        sign = np.sign(y - cl)
    useful = include & (sign != 0) & ~np.isnan(sign)
    n_useful = seg_count(useful, seg, n_seg)
    _, _, _, n_runs, longest = runs_of(sign[useful], seg[useful], n_seg)
    longest_max, crossings_min = _critical(n_useful)
    has = n_useful > 0
    crossings = np.maximum(n_runs - 1, 0)
    signal = has & ((longest > longest_max) | (crossings < crossings_min))
    nullable = {k: pd.array(np.where(has, v, np.nan), dtype="Int64") for k, v in {
        "longest_run": longest, "longest_run_max": longest_max,
        "n_crossings": crossings, "n_crossings_min": crossings_min}.items()}
    return {"n_obs": seg_count(include, seg, n_seg), "n_useful": n_useful, **nullable,
            "runs_signal": signal, "n_runs": np.where(has, n_runs, 0), "useful": useful}


# --------------------------------------------------------------------------------------------
# Public entry point


def qic(data: pd.DataFrame, chart: str = "run", *, x: str = "x", y: str = "y",
        n: str | None = None, series: str | None = None, freeze: int | None = None,
        part: Iterable[int] | int | None = None, part_column: str | None = None,
        exclude: Iterable[int] | int | None = None, multiply: float = 1,
        screen_mr: bool = True, rules: str = "anhoej", target: float | None = None,
        direction: str | None = None, x_categorical: bool | None = None) -> SPCResult:
    """Run or control chart of every series in `data`, as qicharts2 0.8.1 computes it.

    Rows that share (series, x) form one subgroup: y = Σy/Σn when `n` is given, else the
    mean of y; a subgroup whose rows are all missing is a gap (n = 0, y NaN) that still
    counts as a position (reference §2.1). Within each series the subgroups are sorted by x
    and numbered xx = 1..N, and `freeze`, `part` and `exclude` are such positions (§0.3).

    - `freeze=k`: centre line and limits from points 1..k, runs analysis over all points
      against that centre line; ignored whenever `part` or `part_column` is given (§2.3).
    - `part=[k, ...]` or `part_column=NAME`: separate analyses before and after each break
      (points 1..k form part 1); a label column breaks where the label of each first
      occurrence of x changes, over the whole data set (§2.2).
    - `exclude=[k, ...]`: left out of the centre line, the limits (moving ranges bridge
      them) and the runs analysis, but still plotted and tested against the limits (§2.3).
    - `screen_mr`: drop moving ranges ≥ 3.267·AMR before estimating sigma in i, t, pp and up
      charts (qicharts2 attached, §0.1); `False` reproduces `qicharts2::qic()` unattached.
    - `multiply` scales y and every line after all computations (§2.6).
    - `rules`: "anhoej" (always computed, §2.4), "ihi" (adds IHI run-chart rules) or "nhs"
      (adds NHS Making Data Count XmR rules, §3); see `workbench.spc.rules`.
    - `x_categorical`: force (True) or forbid (False) categorical x; by default text x is
      categorical, which switches the runs signal off and makes pp/up use SD(z) (§2.5).

    Error rows in `SPCInputError` are numbered as in a CSV file with one header line: the
    first data row is row 2.
    """
    if chart not in CHARTS:
        raise SPCInputError(f"unknown chart {chart!r}; choose one of {', '.join(CHARTS)}.",
                            column="chart")
    if rules not in RULE_SETS:
        raise SPCInputError(f"unknown rules {rules!r}; choose one of {', '.join(RULE_SETS)}.",
                            column="rules")
    if not isinstance(data, pd.DataFrame):
        raise SPCInputError("qic() needs a pandas DataFrame.")
    for role, column in (("x", x), ("y", y), ("n", n), ("series", series),
                         ("part", part_column)):
        if column is not None and column not in data.columns:
            raise SPCInputError(f"column {column!r} ({role}) is missing; the data has "
                                f"{', '.join(map(str, data.columns)) or 'no columns'}.",
                                column=column)
    if chart in NEEDS_N and n is None:
        raise SPCInputError(f"a {chart} chart needs a denominator: add an 'n' column with the "
                            "number of cases (opportunities) of each row.", column="n")
    data = data.reset_index(drop=True)
    sub = _subgroups(data, chart, x, y, n, series, x_categorical)
    sc = sub["series_code"]
    m = len(sc)
    new_series = np.r_[True, sc[1:] != sc[:-1]] if m else np.zeros(0, bool)
    series_start = np.maximum.accumulate(np.where(new_series, np.arange(m), 0)) if m else sc
    xx = np.arange(m) - series_start + 1
    longest = int(xx.max()) if m else 0

    part_given = part is not None or part_column is not None
    if part_column is not None:
        part = _part_breaks_from_labels(data, x, part_column)
    else:
        part = _positions(part, "part", longest)
    exclude = _positions(exclude, "exclude", longest)
    freeze_at = None if freeze is None else int(_positions(freeze, "freeze", longest)[0])
    breaks = np.unique(np.asarray(part, dtype=np.int64))
    breaks = breaks[breaks > 0]
    part_no = 1 + np.searchsorted(breaks, xx, side="left")
    if freeze_at is None or part_given:
        baseline = np.ones(m, bool)
    else:
        baseline = xx <= freeze_at
    include = ~np.isin(xx, exclude)
    new_seg = new_series | np.r_[True, part_no[1:] != part_no[:-1]] if m else new_series
    seg = np.cumsum(new_seg) - 1
    n_seg = int(seg[-1]) + 1 if m else 0
    base = baseline & include

    categorical = sub["categorical"]
    y_plot, lcl, lcl95, cl, ucl95, ucl = _lines(chart, sub, seg, n_seg, base, screen_mr,
                                                categorical)
    runs = _runs_analysis(y_plot, cl, include, seg, n_seg)
    runs_signal = runs["runs_signal"] & (chart != "mr") & (not categorical)

    with np.errstate(invalid="ignore"):
        y_out, cl_out = y_plot * multiply, cl * multiply
        lines = {}
        for name, v in (("lcl", lcl), ("ucl", ucl), ("lcl_95", lcl95), ("ucl_95", ucl95)):
            v = v * multiply
            lines[name] = np.where(np.isfinite(v), v, np.nan)
        sigma = (y_out > lines["ucl"]) | (y_out < lines["lcl"])

    seg_series = sc[new_seg]
    points = pd.DataFrame({
        "series": sub["series_labels"][sc] if m else np.zeros(0, object),
        "x": sub["x"], "y": y_out, "n": sub["n"], "xx": xx, "cl": cl_out,
        "lcl": lines["lcl"], "ucl": lines["ucl"], "lcl_95": lines["lcl_95"],
        "ucl_95": lines["ucl_95"], "part": part_no, "baseline": baseline, "include": include,
        "sigma_signal": sigma, "runs_signal": runs_signal[seg],
    })
    summary = pd.DataFrame({
        "series": sub["series_labels"][seg_series] if m else np.zeros(0, object),
        "part": part_no[new_seg],
        "n_obs": runs["n_obs"], "n_useful": runs["n_useful"],
        "longest_run": runs["longest_run"], "longest_run_max": runs["longest_run_max"],
        "n_crossings": runs["n_crossings"], "n_crossings_min": runs["n_crossings_min"],
        "runs_signal": runs_signal,
        **{k: seg_mean(points[k].to_numpy(), seg, n_seg)
           for k in ("lcl", "lcl_95", "cl", "ucl_95", "ucl")},
        "sigma_signals": np.bincount(seg[sigma], minlength=n_seg),
        "chart": chart, "rules": RULE_SETS[rules],
    })
    if rules != "anhoej":
        from workbench.spc import rules as spc_rules

        context = spc_rules.RuleContext(
            chart=chart, sub=sub, seg=seg, n_seg=n_seg, y=y_plot, cl=cl, include=include,
            baseline=baseline, base=base, multiply=multiply, screen_mr=screen_mr,
            sigma_signal=sigma, useful=runs["useful"], n_runs=runs["n_runs"],
            n_useful=runs["n_useful"], target=target, direction=direction,
            categorical=categorical)
        extra_points, extra_summary = spc_rules.apply(rules, context)
        points = pd.concat([points, extra_points], axis=1)
        summary = pd.concat([summary, extra_summary], axis=1)
    return SPCResult(points=points, summary=summary, chart=chart, rules=RULE_SETS[rules])

"""Run and control charts for many series at once, with qicharts2 0.8.1 semantics.

`qic()` takes a long frame (one row per series and x, or several rows per subgroup) and
returns an `SPCResult` with a points frame and a summary frame for every series, computed
with numpy over all series together. The reference is /work/shared/reference/spc-rules.md
("the reference"); section numbers below point into it. The semantics are those of
qicharts2 0.8.1 *attached* (`library(qicharts2)`), so screened moving ranges are on by
default (reference §0.1).

The stages, each in its own module: `subgroups` (checks and aggregation, §2.1), `layout`
(positions, parts, rebase dates and baselines, §2.3), `limits` (centre lines and limits,
§2.5), `anhoej` (runs analysis, §2.4) and `rules` (IHI and NHS rule sets); this module
checks the arguments, calls them in that order and assembles the frames. `y_neg=False`
looks at the plotted y of the whole data set, as qicharts2 does.

Deliberate differences from qicharts2, all documented where they apply:
- positions (freeze, part, exclude) beyond every series raise `SPCInputError`, where
  qicharts2 ignores them silently;
- categorical x is sorted by Unicode code point, where R sorts by the locale's collation;
- with `agg_fun="sum"` a subgroup whose rows are all missing stays missing, where R's
  `sum(NA, na.rm = TRUE)` makes it 0;
- for the t chart a given centre line is transformed with y (qicharts2 compares the
  untransformed value with the transformed y).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from workbench.errors import N_, Message, SPCInputError
from workbench.spc import rules as spc_rules
from workbench.spc.anhoej import RunsAnalysis, anhoej_critical_values, runs_analysis
from workbench.spc.kernels import BoolArray, FloatArray, seg_mean
from workbench.spc.layout import (
    Layout,
    Rebase,
    layout,
    part_numbers,
    positions,
    rebase_parts,
    series_positions,
)
from workbench.spc.limits import Lines, chart_lines
from workbench.spc.subgroups import (
    AGG_FUNS,
    NEEDS_N,
    X_PERIODS,
    Subgroups,
    numbers,
    part_breaks_from_labels,
    subgroups,
)

__all__ = [
    "CHARTS",
    "LEAN_POINT_COLUMNS",
    "LEAN_SUMMARY_COLUMNS",
    "NEEDS_N",
    "POINT_COLUMNS",
    "RULE_SETS",
    "SUMMARY_COLUMNS",
    "SPCResult",
    "anhoej_critical_values",
    "qic",
]

CHARTS = ("run", "i", "mr", "c", "u", "p", "pp", "up", "g", "t", "xbar", "s")
RULE_SETS = {
    "anhoej": "anhoej-qicharts2-0.8.1",
    "ihi": "ihi-2011",
    "ihi-exact": "ihi-2011-exact-runs",
    "nhs": "nhs-mdc-ptd-0.2.2",
}
POINT_COLUMNS = ["series", "x", "y", "n", "xx", "cl", "lcl", "ucl", "lcl_95", "ucl_95", "part",
                 "baseline", "include", "sigma_signal", "runs_signal"]
#: the columns of `qic(lean=True)`
LEAN_POINT_COLUMNS = ["series", "x", "cl", "lcl", "ucl", "part", "sigma_signal", "runs_signal"]
LEAN_SUMMARY_COLUMNS = ["series", "part", "n_useful", "longest_run", "longest_run_max",
                        "n_crossings", "n_crossings_min", "runs_signal"]
SUMMARY_COLUMNS = ["series", "part", "n_obs", "n_useful", "longest_run", "longest_run_max",
                   "n_crossings", "n_crossings_min", "runs_signal", "lcl", "lcl_95", "cl",
                   "ucl_95", "ucl", "sigma_signals", "chart", "rules"]


@dataclass
class SPCResult:
    """What `qic()` returns: one row per point and one row per (series, part).

    In a notebook it shows as a summary table once the notebook layer has registered its
    HTML (`%load_ext workbench` or `workbench.charts.setup_notebook()`); this package
    itself never builds HTML.
    """

    points: pd.DataFrame
    summary: pd.DataFrame
    chart: str
    rules: str


def _choice(value: str | None, name: str, choices: Iterable[str]) -> None:
    if value is not None and value not in choices:
        raise SPCInputError(N_("unknown {name} {value!r}; choose one of {choices}."),
                            params={"name": name, "value": value, "choices": ', '.join(choices)},
                            column=name)


def _check_arguments(data: object, chart: str, rules: str, columns: dict[str, str | None],
                     n: str | None) -> None:
    _choice(chart, "chart", CHARTS)
    _choice(rules, "rules", RULE_SETS)
    if not isinstance(data, pd.DataFrame):
        raise SPCInputError(N_("qic() needs a pandas DataFrame."))
    for role, column in columns.items():
        if column is not None and column not in data.columns:
            raise SPCInputError(N_("column {column!r} ({role}) is missing; the data has "
                                   "{columns}."),
                                params={"column": column, "role": role,
                                        "columns": ", ".join(map(str, data.columns))
                                        or Message(N_("no columns"))},
                                column=column)
    if chart in NEEDS_N and n is None:
        raise SPCInputError(N_("a {chart} chart needs a denominator: add an 'n' column with the "
                               "number of cases (opportunities) of each row."),
                            params={"chart": chart}, column="n")


def _scaled(lines: Lines, multiply: float) -> dict[str, FloatArray]:
    """y and the lines times `multiply`; non-finite limits become missing (§2.6)."""
    out = {"y": lines.y * multiply, "cl": lines.cl * multiply}
    with np.errstate(invalid="ignore"):
        for name in ("lcl", "ucl", "lcl_95", "ucl_95"):
            v = getattr(lines, name) * multiply
            out[name] = np.where(np.isfinite(v), v, np.nan)
    return out


def _lean_frames(sub: Subgroups, lay: Layout, scaled: dict[str, FloatArray],
                 sigma: BoolArray, runs: RunsAnalysis,
                 runs_signal: BoolArray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`LEAN_POINT_COLUMNS` and `LEAN_SUMMARY_COLUMNS` (`qic(lean=True)`): the same values,
    without the columns a caller of every series at once does not read. The frames hold the
    arrays computed here (`copy=False`: not stacked into one block per dtype, a copy of
    every column of 660,000 points that such a caller, reading column by column, never
    needs)."""
    m = len(lay.xx)
    labels = sub.series_labels
    points = pd.DataFrame({
        "series": labels[sub.series_code] if m else np.zeros(0, object), "x": sub.x,
        "cl": scaled["cl"], "lcl": scaled["lcl"], "ucl": scaled["ucl"], "part": lay.part,
        "sigma_signal": sigma, "runs_signal": runs_signal[lay.seg]}, copy=False)
    summary = pd.DataFrame({
        "series": labels[sub.series_code[lay.new_seg]] if m else np.zeros(0, object),
        "part": lay.part[lay.new_seg], "n_useful": runs.n_useful,
        "longest_run": runs.longest_run, "longest_run_max": runs.longest_run_max,
        "n_crossings": runs.n_crossings, "n_crossings_min": runs.n_crossings_min,
        "runs_signal": runs_signal}, copy=False)
    return points, summary


def _frames(sub: Subgroups, lay: Layout, scaled: dict[str, FloatArray], sigma: BoolArray,
            runs: RunsAnalysis, runs_signal: BoolArray, chart: str,
            rules: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    m = len(lay.xx)
    labels = sub.series_labels
    carried: dict[str, Any] = {k: sub.columns[k] for k in ("target", "trajectory")
                               if k in sub.columns}
    points = pd.DataFrame({
        "series": labels[sub.series_code] if m else np.zeros(0, object),
        "x": sub.x, "y": scaled["y"], "n": sub.n, "xx": lay.xx, "cl": scaled["cl"],
        "lcl": scaled["lcl"], "ucl": scaled["ucl"], "lcl_95": scaled["lcl_95"],
        "ucl_95": scaled["ucl_95"], "part": lay.part, "baseline": lay.baseline,
        "include": lay.include, "sigma_signal": sigma, "runs_signal": runs_signal[lay.seg],
        **carried,
    })
    seg, n_seg = lay.seg, lay.n_seg
    summary = pd.DataFrame({
        "series": labels[sub.series_code[lay.new_seg]] if m else np.zeros(0, object),
        "part": lay.part[lay.new_seg],
        "n_obs": runs.n_obs, "n_useful": runs.n_useful,
        "longest_run": runs.longest_run, "longest_run_max": runs.longest_run_max,
        "n_crossings": runs.n_crossings, "n_crossings_min": runs.n_crossings_min,
        "runs_signal": runs_signal,
        **{k: seg_mean(scaled[k], seg, n_seg) for k in ("lcl", "lcl_95", "cl", "ucl_95", "ucl")},
        "sigma_signals": np.bincount(seg[sigma], minlength=n_seg),
        "chart": chart, "rules": RULE_SETS[rules],
    })
    return points, summary


def _per_row(data: pd.DataFrame, value: float | str | Mapping[Any, float], name: str,
             series: str | None) -> FloatArray:
    """A number per row from a number, a column name or (for `target`) a number per series."""
    if isinstance(value, str):
        return numbers(data, value)
    if isinstance(value, Mapping):
        if series is None:
            raise SPCInputError(N_("a {name} per series needs a series column."),
                                params={"name": name}, column=name)
        known = set(data[series].dropna().unique().tolist())
        unknown = [k for k in value if k not in known]
        if unknown:
            raise SPCInputError(N_("{name} names series {value!r}, which is not in the data."),
                                params={"name": name, "value": unknown[0]}, column=name)
        mapped = data[series].map(lambda key: value.get(key, np.nan))
        return mapped.to_numpy(dtype=np.float64, na_value=np.nan)
    return np.full(len(data), float(value))


def _extra_columns(data: pd.DataFrame, series: str | None, cl: float | str | None,
                   target: float | str | Mapping[Any, float] | None,
                   trajectory: str | None) -> dict[str, FloatArray]:
    given = {"cl": cl, "target": target, "trajectory": trajectory}
    return {k: _per_row(data, v, k, series) for k, v in given.items() if v is not None}


def _layout(data: pd.DataFrame, sub: Subgroups, x: str, part: Iterable[int] | int | None,
            part_column: str | None, rebase: Rebase | None, freeze: int | None,
            exclude: Iterable[int] | int | None) -> Layout:
    """Positions, parts (break positions, a phase column or rebase dates) and baselines."""
    xx, new_series = series_positions(sub)
    longest = int(xx.max()) if len(xx) else 0
    given = [k for k, v in (("part", part), ("part_column", part_column), ("rebase", rebase))
             if v is not None]
    if len(given) > 1:
        raise SPCInputError(N_("give parts one way: {first} and {second} were both given."),
                            params={"first": given[0], "second": given[1]}, column=given[1])
    if rebase is not None:
        parts = rebase_parts(sub, rebase, new_series)
    elif part_column is not None:
        parts = part_numbers(xx, part_breaks_from_labels(data, x, part_column))
    else:
        parts = part_numbers(xx, positions(part, "part", longest).tolist())
    freeze_at = None if freeze is None else int(positions(freeze, "freeze", longest)[0])
    return layout(sub, xx, new_series, parts, freeze_at, bool(given),
                  positions(exclude, "exclude", longest))


def _no_negative_limits(scaled: dict[str, FloatArray]) -> None:
    """qicharts2 `y.neg = FALSE`: when no y is negative, negative lower limits become 0."""
    y = scaled["y"]
    if np.isnan(y).all() or np.nanmin(y) < 0:
        return
    for name in ("lcl", "lcl_95"):
        scaled[name] = np.where(scaled[name] < 0, 0.0, scaled[name])


def _rule_columns(rules: str, chart: str, sub: Subgroups, lay: Layout, lines: Lines,
                  runs: RunsAnalysis, sigma: BoolArray, *, multiply: float, screen_mr: bool,
                  freeze: int | None,
                  direction: str | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    if rules == "nhs" and freeze is not None and freeze < 12:
        raise SPCInputError(N_("with the NHS rules, freeze (fix_after_n_points) must be at least "
                               "12, not {freeze}: NHSRplotthedots fixes limits on 12 or more "
                               "points."),
                            params={"freeze": freeze}, column="freeze")
    fixed = lay.include & (lay.in_part <= (freeze if freeze is not None else len(lay.xx)))
    context = spc_rules.RuleContext(
        chart=chart, sub=sub, seg=lay.seg, n_seg=lay.n_seg, y=lines.y, cl=lines.cl,
        include=lay.include, baseline=lay.baseline, base=lay.base, fixed=fixed,
        multiply=multiply, screen_mr=screen_mr, sigma_signal=sigma, useful=runs.useful,
        n_runs=runs.n_runs, n_useful=runs.n_useful, target=sub.columns.get("target"),
        direction=direction, categorical=sub.categorical)
    return spc_rules.apply(rules, context)


def qic(data: pd.DataFrame, chart: str = "run", *, x: str = "x", y: str = "y",
        n: str | None = None, series: str | None = None, freeze: int | None = None,
        part: Iterable[int] | int | None = None, part_column: str | None = None,
        rebase: Rebase | None = None, exclude: Iterable[int] | int | None = None,
        multiply: float = 1, screen_mr: bool = True, rules: str = "anhoej",
        cl: float | str | None = None, target: float | str | Mapping[Any, float] | None = None,
        trajectory: str | None = None, y_neg: bool = True, agg_fun: str = "mean",
        x_period: str | None = None, direction: str | None = None,
        x_categorical: bool | None = None, lean: bool = False) -> SPCResult:
    """Run or control chart of every series in `data`, as qicharts2 0.8.1 computes it.

    Rows that share (series, x) form one subgroup: y = Σy/Σn when `n` is given, else
    `agg_fun` of the rows' y ("mean", "median", "sum" or "sd"; qicharts2 `agg.fun`); a
    subgroup whose rows are all missing is a gap (n = 0, y NaN) that still counts as a
    position (reference §2.1). `x_period` ("day", "week", "month", "quarter", "year";
    qicharts2 `x.period`) first floors date x to the start of its period (weeks start on
    Monday). Within each series the subgroups are sorted by x and numbered xx = 1..N, and
    `freeze`, `part` and `exclude` are such positions (§0.3).

    - `freeze=k`: centre line and limits from points 1..k, runs analysis over all points
      against that centre line; ignored by these columns whenever parts are given (§2.3).
      With `rules="nhs"` it is also `fix_after_n_points` (at least 12), counted within
      every part, parts or not.
    - `part=[k, ...]`, `part_column=NAME` or `rebase=DATES`: separate analyses before and
      after each break (points 1..k form part 1); a label column breaks where the label of
      each first occurrence of x changes (§2.2); rebase dates (one list, or a list per
      series: NHSRplotthedots `rebase`) start a new part at the point of that date.
    - `exclude=[k, ...]`: left out of the centre line, the limits (moving ranges bridge
      them) and the runs analysis, but still plotted and tested against the limits (§2.3).
    - `cl`: a fixed centre line (a number, or a column: each subgroup takes its first row's
      value), in the units of y before `multiply` as in qicharts2; the limits are built
      around it; a segment with a missing value computes its own (§2.3, §2.5).
    - `target`: a number, a number per series (a mapping) or a column, in plotted units
      (after `multiply`, as qicharts2 draws it); a `target` column on the points, and the
      NHS assurance icon. `trajectory`: a column carried to the points (NHSRplotthedots).
    - `y_neg=False`: when no plotted y is negative, negative lower limits become 0 (§2.6).
    - `screen_mr`: drop moving ranges ≥ 3.267·AMR before estimating sigma in i, t, pp and up
      charts (qicharts2 attached, §0.1); `False` reproduces `qicharts2::qic()` unattached.
    - `multiply` scales y and every line after all computations (§2.6).
    - `rules`: "anhoej" (always computed, §2.4), "ihi" (adds IHI run-chart rules with the
      published runs table), "ihi-exact" (the same, runs limits from the exact runs
      distribution) or "nhs" (adds NHS Making Data Count XmR rules, §3; `direction`);
      see `workbench.spc.rules` and `workbench.spc.ihi_runs`.
    - `x_categorical`: force (True) or forbid (False) categorical x; by default text x is
      categorical, which switches the runs signal off and makes pp/up use SD(z) (§2.5).
    - `lean=True` (the Anhøj rules only): the points hold only `LEAN_POINT_COLUMNS` and the
      summary only `LEAN_SUMMARY_COLUMNS`, the same values as without it; the per-part
      means of the lines, the 95 % limits, y, n and the positions are not assembled (a
      caller of thousands of series at once that reads only the lines and the runs
      analysis: `workbench.rollup.series.spc_frame`).

    Error rows in `SPCInputError` are numbered as in a CSV file with one header line: the
    first data row is row 2.
    """
    columns: dict[str, str | None] = {
        "x": x, "y": y, "n": n, "series": series, "part": part_column,
        "cl": cl if isinstance(cl, str) else None, "trajectory": trajectory,
        "target": target if isinstance(target, str) else None}
    _check_arguments(data, chart, rules, columns, n)
    if lean and rules != "anhoej":  # a caller's mistake, not the data's
        raise ValueError(f"qic(lean=True) gives the Anhøj rules only, not {rules!r}")
    _choice(agg_fun, "agg_fun", AGG_FUNS)
    _choice(x_period, "x_period", X_PERIODS)
    data = data.reset_index(drop=True)
    sub = subgroups(data, chart, x, y, n, series, x_categorical, agg_fun=agg_fun,
                    x_period=x_period,
                    columns=_extra_columns(data, series, cl, target, trajectory))
    lay = _layout(data, sub, x, part, part_column, rebase, freeze, exclude)
    lines = chart_lines(chart, sub, lay.seg, lay.n_seg, lay.base, screen_mr, sub.categorical,
                        sub.columns.get("cl"))
    runs = runs_analysis(lines.y, lines.cl, lay.include, lay.seg, lay.n_seg)
    runs_signal = runs.runs_signal & (chart != "mr") & (not sub.categorical)
    scaled = _scaled(lines, multiply)
    with np.errstate(invalid="ignore"):
        sigma = (scaled["y"] > scaled["ucl"]) | (scaled["y"] < scaled["lcl"])
    if not y_neg:
        _no_negative_limits(scaled)
    if lean:
        points, summary = _lean_frames(sub, lay, scaled, sigma, runs, runs_signal)
        return SPCResult(points=points, summary=summary, chart=chart, rules=RULE_SETS[rules])
    points, summary = _frames(sub, lay, scaled, sigma, runs, runs_signal, chart, rules)
    if rules != "anhoej":
        extra_points, extra_summary = _rule_columns(
            rules, chart, sub, lay, lines, runs, sigma, multiply=multiply,
            screen_mr=screen_mr, freeze=freeze, direction=direction)
        points = pd.concat([points, extra_points], axis=1)
        summary = pd.concat([summary, extra_summary], axis=1)
    return SPCResult(points=points, summary=summary, chart=chart, rules=RULE_SETS[rules])

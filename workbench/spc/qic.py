"""Run and control charts for many series at once, with qicharts2 0.8.1 semantics.

`qic()` takes a long frame (one row per series and x, or several rows per subgroup) and
returns an `SPCResult` with a points frame and a summary frame for every series, computed
with numpy over all series together. The reference is /work/shared/reference/spc-rules.md
("the reference"); section numbers below point into it. The semantics are those of
qicharts2 0.8.1 *attached* (`library(qicharts2)`), so screened moving ranges are on by
default (reference §0.1).

The stages, each in its own module: `subgroups` (checks and aggregation, §2.1), `limits`
(centre lines and limits, §2.5), `anhoej` (runs analysis, §2.4) and `rules` (IHI and NHS
rule sets); this module lays out positions, parts and baselines (§2.3) and assembles the
frames.

Deliberate differences from qicharts2, all documented where they apply:
- positions (freeze, part, exclude) beyond every series raise `SPCInputError`, where
  qicharts2 ignores them silently;
- categorical x is sorted by Unicode code point, where R sorts by the locale's collation;
- the `y` of a subgroup is always the mean of its rows when there is no `n` (R's default
  `agg.fun = 'mean'`); other aggregate functions are not offered.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from workbench.errors import SPCInputError
from workbench.spc import rules as spc_rules
from workbench.spc.anhoej import RunsAnalysis, anhoej_critical_values, runs_analysis
from workbench.spc.kernels import BoolArray, FloatArray, IntArray, seg_mean
from workbench.spc.limits import Lines, chart_lines
from workbench.spc.subgroups import NEEDS_N, Subgroups, part_breaks_from_labels, subgroups

__all__ = [
    "CHARTS",
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


@dataclass
class Layout:
    """Where each subgroup sits: position, part, segment, baseline and inclusion (§2.3)."""

    xx: IntArray
    part: IntArray
    seg: IntArray
    n_seg: int
    new_seg: BoolArray
    baseline: BoolArray
    include: BoolArray

    @property
    def base(self) -> BoolArray:
        """Points the centre line and limits are computed from (baseline and included)."""
        return self.baseline & self.include


def _positions(values: object, name: str, longest: int, lowest: int = 1) -> IntArray:
    if values is None:
        return np.zeros(0, np.int64)
    arr = np.atleast_1d(np.asarray(values))
    if arr.dtype.kind not in "iu" and not (arr.dtype.kind == "f" and np.all(arr == np.round(arr))):
        raise SPCInputError(f"{name} must be whole point positions (1 = first point), "
                            f"not {values!r}.", column=name)
    out = arr.astype(np.int64)
    top = longest - 1 if name == "part" else longest
    bad = out[(out < lowest) | (out > top)]
    if len(bad):
        raise SPCInputError(
            f"{name} position {int(bad[0])} is out of range: positions count the points of a "
            f"series from 1, and the longest series here has {longest} points"
            + (" (a part break must leave at least one point after it)." if name == "part"
               else "."), column=name)
    return out


def _check_arguments(data: object, chart: str, rules: str, columns: dict[str, str | None],
                     n: str | None) -> None:
    if chart not in CHARTS:
        raise SPCInputError(f"unknown chart {chart!r}; choose one of {', '.join(CHARTS)}.",
                            column="chart")
    if rules not in RULE_SETS:
        raise SPCInputError(f"unknown rules {rules!r}; choose one of {', '.join(RULE_SETS)}.",
                            column="rules")
    if not isinstance(data, pd.DataFrame):
        raise SPCInputError("qic() needs a pandas DataFrame.")
    for role, column in columns.items():
        if column is not None and column not in data.columns:
            raise SPCInputError(f"column {column!r} ({role}) is missing; the data has "
                                f"{', '.join(map(str, data.columns)) or 'no columns'}.",
                                column=column)
    if chart in NEEDS_N and n is None:
        raise SPCInputError(f"a {chart} chart needs a denominator: add an 'n' column with the "
                            "number of cases (opportunities) of each row.", column="n")


def _layout(sub: Subgroups, breaks_at: Iterable[int], part_given: bool, freeze: int | None,
            exclude: IntArray) -> Layout:
    sc = sub.series_code
    m = len(sc)
    new_series = np.r_[True, sc[1:] != sc[:-1]] if m else np.zeros(0, bool)
    series_start = np.maximum.accumulate(np.where(new_series, np.arange(m), 0)) if m else sc
    xx = (np.arange(m) - series_start + 1).astype(np.int64)
    breaks = np.unique(np.asarray(list(breaks_at), dtype=np.int64))
    part_no = (1 + np.searchsorted(breaks[breaks > 0], xx, side="left")).astype(np.int64)
    baseline = np.ones(m, bool) if freeze is None or part_given else xx <= freeze
    new_seg = new_series | np.r_[True, part_no[1:] != part_no[:-1]] if m else new_series
    seg = (np.cumsum(new_seg) - 1).astype(np.int64)
    return Layout(xx=xx, part=part_no, seg=seg, n_seg=int(seg[-1]) + 1 if m else 0,
                  new_seg=new_seg, baseline=baseline, include=~np.isin(xx, exclude))


def _scaled(lines: Lines, multiply: float) -> dict[str, FloatArray]:
    """y and the lines times `multiply`; non-finite limits become missing (§2.6)."""
    out = {"y": lines.y * multiply, "cl": lines.cl * multiply}
    with np.errstate(invalid="ignore"):
        for name in ("lcl", "ucl", "lcl_95", "ucl_95"):
            v = getattr(lines, name) * multiply
            out[name] = np.where(np.isfinite(v), v, np.nan)
    return out


def _frames(sub: Subgroups, lay: Layout, scaled: dict[str, FloatArray], sigma: BoolArray,
            runs: RunsAnalysis, runs_signal: BoolArray, chart: str,
            rules: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    m = len(lay.xx)
    labels = sub.series_labels
    points = pd.DataFrame({
        "series": labels[sub.series_code] if m else np.zeros(0, object),
        "x": sub.x, "y": scaled["y"], "n": sub.n, "xx": lay.xx, "cl": scaled["cl"],
        "lcl": scaled["lcl"], "ucl": scaled["ucl"], "lcl_95": scaled["lcl_95"],
        "ucl_95": scaled["ucl_95"], "part": lay.part, "baseline": lay.baseline,
        "include": lay.include, "sigma_signal": sigma, "runs_signal": runs_signal[lay.seg],
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
    - `rules`: "anhoej" (always computed, §2.4), "ihi" (adds IHI run-chart rules with the
      published runs table), "ihi-exact" (the same, runs limits from the exact runs
      distribution) or "nhs" (adds NHS Making Data Count XmR rules, §3); see
      `workbench.spc.rules` and `workbench.spc.ihi_runs`.
    - `x_categorical`: force (True) or forbid (False) categorical x; by default text x is
      categorical, which switches the runs signal off and makes pp/up use SD(z) (§2.5).

    Error rows in `SPCInputError` are numbered as in a CSV file with one header line: the
    first data row is row 2.
    """
    _check_arguments(data, chart, rules, {"x": x, "y": y, "n": n, "series": series,
                                          "part": part_column}, n)
    data = data.reset_index(drop=True)
    sub = subgroups(data, chart, x, y, n, series, x_categorical)
    longest = int(np.bincount(sub.series_code).max()) if len(sub.series_code) else 0
    part_given = part is not None or part_column is not None
    if part_column is not None:
        breaks: Iterable[int] = part_breaks_from_labels(data, x, part_column)
    else:
        breaks = _positions(part, "part", longest).tolist()
    freeze_at = None if freeze is None else int(_positions(freeze, "freeze", longest)[0])
    lay = _layout(sub, breaks, part_given, freeze_at, _positions(exclude, "exclude", longest))

    categorical = sub.categorical
    lines = chart_lines(chart, sub, lay.seg, lay.n_seg, lay.base, screen_mr, categorical)
    runs = runs_analysis(lines.y, lines.cl, lay.include, lay.seg, lay.n_seg)
    runs_signal = runs.runs_signal & (chart != "mr") & (not categorical)
    scaled = _scaled(lines, multiply)
    with np.errstate(invalid="ignore"):
        sigma = (scaled["y"] > scaled["ucl"]) | (scaled["y"] < scaled["lcl"])
    points, summary = _frames(sub, lay, scaled, sigma, runs, runs_signal, chart, rules)
    if rules != "anhoej":
        context = spc_rules.RuleContext(
            chart=chart, sub=sub, seg=lay.seg, n_seg=lay.n_seg, y=lines.y, cl=lines.cl,
            include=lay.include, baseline=lay.baseline, base=lay.base, multiply=multiply,
            screen_mr=screen_mr, sigma_signal=sigma, useful=runs.useful, n_runs=runs.n_runs,
            n_useful=runs.n_useful, target=target, direction=direction,
            categorical=categorical)
        extra_points, extra_summary = spc_rules.apply(rules, context)
        points = pd.concat([points, extra_points], axis=1)
        summary = pd.concat([summary, extra_summary], axis=1)
    return SPCResult(points=points, summary=summary, chart=chart, rules=RULE_SETS[rules])

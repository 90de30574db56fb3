"""The chart of a team × indicator, assembled once: points, limits, phases, PDSA events.

Pure pandas (no I/O, no HTML), vectorised over all teams: one `qic()` call per chart type
covers every series. The monthly report, the site-visit brief, the forms' inline chart, the
learning-session app and the signal status (`workbench.rollup.status`) all draw or read the
chart that `team_charts` assembles, so the same series always gets the same limits.

- **Chart type**: the indicator's `chart` (p, u, c, i, run, …; `run` when unset).
- **Months left out**: rows a chart cannot take become gaps (a negative count; for p/u
  charts a denominator that is not positive; for p charts a numerator above the
  denominator). The data-quality flags report them; the chart never raises on them.
- **Months left out of the limits**: a month under an open flag that says its value is
  probably wrong (`excluded_months`: severity `error`, or `outlier-denominator`, a number of
  cases far from the team's own median, which in a facility's registers is a typing error —
  an extra or a dropped digit — far more often than a change in births) is drawn and
  tested against the limits but left out of the centre line, the limits and the runs
  analysis (qicharts2 `exclude`) until a validator reviews the flag (`excluded` is True on
  its row). One typo (3/150 for 3/15) no longer drags a team's centre
  line from ~40 % to 27 %.
- **Pooled charts**: the collaborative's pooled chart of an indicator (every team's
  numerators over every denominator) has denominators in the thousands, where a p (u) chart's
  limits are so narrow that almost every month falls outside them (overdispersion: the
  teams differ more than binomial chance). `pooled_chart_type` draws it as Laney's p′ (u′)
  chart instead, whose limits add the month-to-month variation of the z-scores.
- **Phases**: a change adopted at the end of a PDSA cycle starts a new phase (qicharts2
  `part`) in the charts of the indicators the cycle is linked to, but only when each phase
  keeps at least `MIN_PHASE_POINTS` months (counted from the month after the decision), so
  limits stay usable. The phase starts where the data show the change took hold
  (`adoption_phases`, rule `shift`): at the first of `SHIFT_WINDOW` months from the month
  after adoption that begins `SHIFT_RUN` months in a row on the better side of the old
  phase's centre line; else the month after adoption (rule `adoption`). Only data and
  decisions up to the reporting month count.
- **Runs analysis** (Anhøj rules, qicharts2 0.8.1) per phase: each point carries its phase's
  `longest_run`, `longest_run_max`, `n_crossings`, `n_crossings_min` and `n_useful`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd

from workbench.rollup.base import (
    MONTHLY,
    compact_codes,
    frame_codes,
    from_ordinals,
    ordinals,
    reporting_period,
    seed_codes,
    shared,
    shared_preparation,
    to_periods,
)
from workbench.rollup.events import EVENT_COLUMNS, pdsa_events, text_or_blank
from workbench.spc.qic import NEEDS_N, qic

__all__ = [
    "EVENT_COLUMNS",
    "MIN_PHASE_POINTS",
    "SHIFT_RUN",
    "SHIFT_WINDOW",
    "SPC_COLUMNS",
    "TeamCharts",
    "EXCLUDING_RULES",
    "EXCLUDING_SEVERITY",
    "adoption_phases",
    "excluded_months",
    "pdsa_events",
    "pooled_chart_type",
    "spc_frame",
    "team_charts",
]

MIN_PHASE_POINTS = 8
#: a new phase starts at the first of a run of this many points on the better side of the old
#: centre line (the IHI shift rule, Perla, Provost & Murray 2011) ...
SHIFT_RUN = 6
#: ... that begins within this many months from the month after the adopt decision
SHIFT_WINDOW = 3
RUNS_COLUMNS = ["n_useful", "longest_run", "longest_run_max", "n_crossings", "n_crossings_min"]
SPC_COLUMNS = ["team_id", "indicator_id", "period", "x", "numerator", "denominator", "value",
               "y", "cl", "lcl", "ucl", "part", "sigma_signal", "runs_signal", "chart",
               *RUNS_COLUMNS, "excluded", "phase_rule", "phase_adopted", "phase_change"]
_PHASE_COLUMNS = ["team_id", "indicator_id", "period", "cycle_id", "rule", "adopted",
                  "change_id", "change_name"]
_EXCLUDED_COLUMNS = ["team_id", "indicator_id", "period", "rule_codes"]
#: an open flag of this severity leaves its month out of the limits
EXCLUDING_SEVERITY = "error"
#: ... and so does an open flag of these rules (a number of cases far from the team's own
#: median: an extra zero, a dropped digit)
EXCLUDING_RULES = frozenset({"outlier-denominator"})


def excluded_months(flags: pd.DataFrame | None) -> pd.DataFrame:
    """The months charts leave out of their limits: (team_id, indicator_id, period as a
    monthly Period, rule_codes joined by ', ') of every open flag of severity
    `EXCLUDING_SEVERITY` or of a rule in `EXCLUDING_RULES`, once per month."""
    if flags is None or flags.empty:
        return pd.DataFrame(columns=_EXCLUDED_COLUMNS)
    f = flags[(flags["status"] == "open") & flags["team_id"].notna()
              & flags["indicator_id"].notna() & flags["period"].notna()]
    f = f[(f["severity"] == EXCLUDING_SEVERITY) | f["rule_code"].isin(EXCLUDING_RULES)]
    if f.empty:
        return pd.DataFrame(columns=_EXCLUDED_COLUMNS)
    f = f.assign(period=pd.PeriodIndex(f["period"].astype(str), freq="M"))
    out = f.groupby(["team_id", "indicator_id", "period"]).agg(
        rule_codes=("rule_code", lambda codes: ", ".join(sorted(set(map(str, codes)))))
    ).reset_index()
    return out[_EXCLUDED_COLUMNS]


def _chart_of(indicators: pd.DataFrame) -> pd.Series:
    chart = indicators.set_index("indicator_id")["chart"].fillna("run").astype(str)
    return chart.where(chart != "", "run")


#: the chart of a pooled series, by the teams' chart: Laney's p′ and u′ (see module docstring)
_POOLED_CHART = {"p": "pp", "u": "up"}


def pooled_chart_type(indicators: pd.DataFrame) -> pd.DataFrame:
    """`indicators` with `chart` as drawn for the collaborative's pooled series: p → p′,
    u → u′ (Laney), others unchanged."""
    chart = _chart_of(indicators)
    return indicators.assign(chart=indicators["indicator_id"].map(
        chart.replace(_POOLED_CHART)).to_numpy())


#: month keys: a series' number times this plus the month's ordinal shifted to be positive
_MONTH_SPAN = 10**7
_MONTH_SHIFT = 5 * 10**6
_NO_MONTH = -_MONTH_SHIFT  # NaT: before every month
_NAT = np.iinfo(np.int64).min  # how pandas stores NaT


def _monthly(values: pd.Series) -> pd.PeriodIndex:
    """Monthly Periods of a column of months (Periods as they are, else parsed as text)."""
    if values.dtype == MONTHLY:
        return pd.PeriodIndex(values)
    return pd.PeriodIndex(values.astype(str), freq="M")


def _month_numbers(periods: pd.Series | pd.PeriodIndex) -> np.ndarray:
    """Monthly ordinals of Periods (NaT: `_NO_MONTH`), as int64."""
    out = pd.PeriodIndex(periods).asi8.astype(np.int64)  # a copy
    out[out == _NAT] = _NO_MONTH  # NaT is stored as the smallest int64 (`isna` is dearer)
    return out


def _month_keys(series: np.ndarray, months: np.ndarray) -> np.ndarray:
    """One integer per series × month."""
    keys: np.ndarray = series * _MONTH_SPAN + (months + _MONTH_SHIFT)
    return keys


class _SeriesCodes:
    """Team × indicator series numbers of the sorted data, and of other frames' rows."""

    def __init__(self, team: np.ndarray, teams: pd.Index, indicator: np.ndarray,
                 indicators: pd.Index) -> None:
        self.teams, self.indicators = teams, indicators
        self.width = len(indicators) + 1
        self.of_rows: np.ndarray = team * self.width + indicator

    def of(self, frame: pd.DataFrame) -> np.ndarray:
        """The series number of each row of `frame` (team_id, indicator_id); -1 where the
        data have no such series."""
        team = self.teams.get_indexer(pd.Index(frame["team_id"]))
        indicator = self.indicators.get_indexer(pd.Index(frame["indicator_id"]))
        out: np.ndarray = np.where((team >= 0) & (indicator >= 0),
                                   team.astype(np.int64) * self.width + indicator, -1)
        return out


def _parts(data: pd.DataFrame, phases: pd.DataFrame | None, codes: _SeriesCodes
           ) -> np.ndarray:
    """Phase number (1, 2, …) of each row: 1 + the phases of its series that start on or
    before its month."""
    if phases is None or phases.empty:
        return np.ones(len(data), dtype=int)
    series = codes.of(phases)
    cuts = _month_numbers(_monthly(phases["period"]))
    keep = (series >= 0) & (cuts != _NO_MONTH)
    starts = np.sort(_month_keys(series[keep], cuts[keep]))
    rows = _month_keys(codes.of_rows, _month_numbers(data["period"]))
    passed = (np.searchsorted(starts, rows, side="right")
              - np.searchsorted(starts, _month_keys(codes.of_rows, np.full(
                  len(data), _NO_MONTH)), side="right"))
    return (1 + passed).astype(int)


def _phase_reasons(data: pd.DataFrame, phases: pd.DataFrame | None, codes: _SeriesCodes
                   ) -> pd.DataFrame:
    """`data` with, on every row of a phase after the first, why that phase starts:
    `phase_rule` (`shift` / `adoption`, see `adoption_phases`), `phase_adopted` (the month of
    the adopt decision, `YYYY-MM`) and `phase_change` (the change idea's name); '' in phase
    1."""
    blank = {"phase_rule": "", "phase_adopted": "", "phase_change": ""}
    if phases is None or phases.empty or "rule" not in phases:
        return data.assign(**blank)
    p = phases.sort_values(["team_id", "indicator_id", "period"], kind="stable")
    part = p.groupby(["team_id", "indicator_id"]).cumcount().to_numpy() + 2
    series = codes.of(p)
    width = int(max(part.max(), data["part"].max())) + 1
    known = series >= 0
    at = pd.Index((series * width + part)[known]).get_indexer(
        codes.of_rows * width + data["part"].to_numpy(dtype=np.int64))
    hit = at >= 0
    reasons = {"phase_rule": p["rule"].astype(str).to_numpy()[known],
               "phase_adopted": p["adopted"].astype(str).to_numpy()[known],
               "phase_change": p["change_name"].map(text_or_blank).to_numpy()[known]}
    out = {}
    row_reason = np.where(hit, at, int(known.sum()))  # past the end: the blank reason
    for column, values in reasons.items():  # texts typed once per phase, taken per row
        choices = pd.array(np.append(values, "").astype(object), dtype="str")
        out[column] = pd.Series(choices.take(row_reason), index=data.index)
    return data.assign(**out)


def _left_out(data: pd.DataFrame, excluded: pd.DataFrame | None, codes: _SeriesCodes
              ) -> np.ndarray:
    """Per row of `data`: is its month in `excluded` (team_id, indicator_id, period)?"""
    if excluded is None or not len(excluded):
        return np.zeros(len(data), dtype=bool)
    series = codes.of(excluded)
    months = _month_numbers(_monthly(excluded["period"]))
    marks = _month_keys(series[series >= 0], months[series >= 0])
    rows = _month_keys(codes.of_rows, _month_numbers(data["period"]))
    left_out: np.ndarray = np.isin(rows, marks)
    return left_out


def _chart_keys(data: pd.DataFrame, codes: _SeriesCodes) -> np.ndarray:
    """One integer per team × indicator × phase of `data` (sorted by team, indicator,
    period): the `series` of the `qic()` calls, compared as integers, not as joined text."""
    series = codes.of_rows
    new = np.ones(len(data), dtype=bool)
    new[1:] = series[1:] != series[:-1]
    part = data["part"].to_numpy(dtype=np.int64)
    keys: np.ndarray = (np.cumsum(new) - 1) * (int(part.max()) + 1) + part
    return keys


def _positions_left_out(group: pd.DataFrame) -> pd.Series:
    """Per row, the positions (1 = first point of its series `key`) of its series' excluded
    points, as a tuple: series with the same tuple share one `qic()` call."""
    pos = group.groupby("key", sort=False).cumcount() + 1
    left_out = pos[group["excluded"]].groupby(group.loc[group["excluded"], "key"]).agg(tuple)
    positions = np.empty(len(group), dtype=object)
    positions.fill(())  # most series leave nothing out: no lookup per row
    keys = group["key"]
    hit = keys.isin(left_out.index).to_numpy()
    if hit.any():
        positions[hit] = keys[hit].map(left_out).to_numpy()
    return pd.Series(positions, index=group.index)


def _qic_groups(data: pd.DataFrame, chart_of_row: np.ndarray, charts: np.ndarray
                ) -> list[tuple[str, tuple[int, ...], np.ndarray]]:
    """(chart, positions left out, rows of `data`) of each `qic()` call: one per chart type
    and set of left-out positions. `chart_of_row`: each row's chart as a position in
    `charts` (the rows grouped by integer codes, not by 660,000 texts)."""
    calls: list[tuple[str, tuple[int, ...], np.ndarray]] = []
    excluded = data["excluded"].to_numpy(dtype=bool)
    for code, chart in enumerate(charts.tolist()):
        rows = np.flatnonzero(chart_of_row == code)
        if not len(rows):
            continue
        if not excluded[rows].any():
            calls.append((str(chart), (), rows))
            continue
        left_out = _positions_left_out(data.iloc[rows]).reset_index(drop=True)
        for positions, at in left_out.groupby(left_out, sort=False).indices.items():
            calls.append((str(chart), cast("tuple[int, ...]", positions),
                          rows[np.asarray(at, dtype=np.int64)]))
    return calls


_LINES = ["cl", "lcl", "ucl"]
_SIGNALS = ["sigma_signal", "runs_signal"]


def _points_of_rows(group: pd.DataFrame, pts: pd.DataFrame, summary: pd.DataFrame
                    ) -> tuple[np.ndarray, np.ndarray]:
    """The point of each row of `group` (-1: none) and the summary row of each point, of one
    `qic()` call over `group`'s series `key` (one phase each). When every row is a point, in
    the rows' order (one row per series and month, as the store holds them), they are read
    off by position; else matched by series and month."""
    series = pts["series"].to_numpy()
    keys = group["key"].to_numpy(dtype=np.int64)
    if len(pts) == len(group) and np.array_equal(series.astype(np.int64), keys) and (
            np.array_equal(pts["x"].to_numpy(), group["x"].to_numpy())):
        first = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
        if np.array_equal(summary["series"].to_numpy().astype(np.int64), keys[first]):
            run = np.zeros(len(keys), dtype=np.int64)
            np.cumsum(keys[1:] != keys[:-1], out=run[1:])
            return np.arange(len(group)), run
    x_codes, xs = pd.factorize(pts["x"])
    pts_months = pd.PeriodIndex(pd.DatetimeIndex(xs).to_period("M")).asi8[x_codes]
    point_of_row = pd.Index(_month_keys(series.astype(np.int64), pts_months)).get_indexer(
        _month_keys(keys, _month_numbers(group["period"])))
    run_of_point = pd.Index(summary["series"]).get_indexer(pts["series"])
    return point_of_row, run_of_point


def _chart_lines(group: pd.DataFrame, chart: str, positions: tuple[int, ...]
                 ) -> dict[str, Any]:
    """The lines, signals and runs analysis of the rows of `group` (one `qic()` call), row by
    row (missing where the chart has no point)."""
    exclude = list(positions) or None
    if chart in NEEDS_N:
        result = qic(group[["x", "numerator", "denominator", "key"]], chart, x="x",
                     y="numerator", n="denominator", series="key", exclude=exclude, lean=True)
    else:  # lean: only the lines and the runs analysis read here are assembled
        result = qic(group[["x", "value", "key"]], chart, x="x", y="value", series="key",
                     exclude=exclude, lean=True)
    pts, summary = result.points, result.summary
    point_of_row, run_of_point = _points_of_rows(group, pts, summary)
    run_of_row = np.where(point_of_row >= 0, run_of_point[point_of_row], -1)
    out: dict[str, Any] = {}
    for column in _LINES:
        out[column] = pd.api.extensions.take(pts[column].to_numpy(), point_of_row,
                                             allow_fill=True)
    for column in _SIGNALS:
        values = pts[column].to_numpy(dtype=bool)
        out[column] = np.where(point_of_row >= 0, values[point_of_row], False)
    for column in RUNS_COLUMNS:
        out[column] = pd.api.extensions.take(summary[column].array, run_of_row,
                                             allow_fill=True)
    return out


def spc_frame(measurements: pd.DataFrame, indicators: pd.DataFrame,
              phases: pd.DataFrame | None = None,
              excluded: pd.DataFrame | None = None) -> pd.DataFrame:
    """SPC lines for every (team, indicator) series of a tidy frame, on the value scale.

    `phases`: optional (team_id, indicator_id, period) rows, each the first month of a new
    phase. `excluded`: optional (team_id, indicator_id, period) rows (`excluded_months`)
    left out of the centre line, limits and runs analysis but still drawn (qicharts2
    `exclude`). Returns `SPC_COLUMNS`, sorted by team, indicator, period; `x` is the first
    day of the month (a Timestamp), `part` counts phases from 1; the runs columns hold the
    Anhøj analysis of the point's phase; `excluded` marks the rows left out; `phase_rule`,
    `phase_adopted`, `phase_change` say why the point's phase starts (`_phase_reasons`).

    Teams and indicators are sorted and matched as integer codes (`_SeriesCodes`), not as
    text: at 2,000 teams the text keys cost more than the charts.
    """
    if measurements.empty:
        return pd.DataFrame(columns=SPC_COLUMNS)
    team, teams = frame_codes(measurements, "team_id")  # shared with `adoption_phases`
    indicator, indicator_ids = frame_codes(measurements, "indicator_id")
    order = _series_order(measurements)
    data = measurements.take(order).reset_index(drop=True)
    codes = _SeriesCodes(team[order], teams, indicator[order], indicator_ids)
    charts = np.append(_chart_of(indicators).reindex(indicator_ids).fillna("run").to_numpy(
        dtype=object), "run")  # per indicator code (missing: run); each row takes its own
    data["chart"] = pd.array(charts, dtype="str").take(indicator[order])
    kinds, kind_of_indicator = np.unique(charts.astype(str), return_inverse=True)
    num = data["numerator"].to_numpy(dtype=float)
    den = data["denominator"].to_numpy(dtype=float)
    needs_n = np.array([chart in NEEDS_N for chart in charts], dtype=bool)[indicator[order]]
    with np.errstate(invalid="ignore"):
        bad = (num < 0) | (needs_n & ((den <= 0) | np.isnan(den)))
        bad |= np.array([chart in ("p", "pp") for chart in charts],
                        dtype=bool)[indicator[order]] & (num > den)
    data.loc[bad, ["numerator", "denominator", "value"]] = np.nan
    data["part"] = _parts(data, phases, codes)
    data = _phase_reasons(data, phases, codes)
    data["x"] = data["period"].dt.to_timestamp()
    data["key"] = _chart_keys(data, codes)
    data["excluded"] = _left_out(data, excluded, codes)
    positions, pieces = [], []
    for chart, left_out, rows in _qic_groups(data, kind_of_indicator[indicator[order]], kinds):
        positions.append(rows)
        pieces.append(_chart_lines(data.iloc[rows], chart, left_out))
    back = np.empty(len(data), dtype=np.int64)
    back[np.concatenate(positions)] = np.arange(len(data))
    for column in [*_LINES, *_SIGNALS, *RUNS_COLUMNS]:
        joined = pd.concat([pd.Series(piece[column]) for piece in pieces], ignore_index=True)
        data[column] = joined.take(back).reset_index(drop=True)
    data["y"] = data["value"]
    out = data[SPC_COLUMNS]
    seed_codes(out, "team_id", *compact_codes(team[order], teams))  # for `signal_status`
    seed_codes(out, "indicator_id", *compact_codes(indicator[order], indicator_ids))
    return out


def _centres(kind: np.ndarray, start: np.ndarray, stop: np.ndarray, num: np.ndarray,
             den: np.ndarray, value: np.ndarray) -> np.ndarray:
    """The centre line qicharts2 draws (reference `spc-rules.md` §2.5) for each phase
    `start[k]:stop[k]` of the flat arrays `num`, `den`, `value`, of chart `kind[k]`: Σy/Σn
    for p, p′, u, u′; the median for run and g charts; else the mean; NaN for no point.

    The phases of one length and one rule are summed as the rows of one block: each row's
    sum adds its points as numpy adds one phase's points alone (the same value to the bit)."""
    out = np.full(len(start), np.nan)
    length = np.asarray(stop - start, dtype=np.int64)
    rule = np.array([0 if k in NEEDS_N else 1 if k in ("run", "g") else 2 for k in
                     kind.tolist()], dtype=np.int64)
    groups = rule * (int(length.max(initial=0)) + 1) + length
    for group in np.unique(groups[length > 0]).tolist():
        at = np.flatnonzero(groups == group)
        points = start[at][:, None] + np.arange(int(length[at[0]]))
        if rule[at[0]] == 0:
            total = den[points].sum(axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                out[at] = np.where(total > 0, num[points].sum(axis=1) / total, np.nan)
        elif rule[at[0]] == 1:
            out[at] = np.median(value[points], axis=1)
        else:
            out[at] = value[points].mean(axis=1)
    return out


def _run_starts(months: np.ndarray, better: np.ndarray, first: np.ndarray,
                window: int, run: int) -> np.ndarray:
    """Per row: the first month of `first` … `first + window - 1` that begins `run` points
    in a row on the better side (`better`: +1 better, -1 worse, 0 on the line or no point:
    skipped, IHI), or NaN.

    `months` and `better` (2-D, one row per phase-after) hold each phase's usable points in
    month order, padded at the end with `better` 0."""
    rows, width = better.shape
    if not rows or not width:
        return np.full(rows, np.nan)
    useful = better != 0
    order = np.argsort(~useful, axis=1, kind="stable")  # the useful points first, in order
    m = np.take_along_axis(months, order, axis=1)
    n_useful = useful.sum(axis=1)
    column = np.arange(width)
    real = column < n_useful[:, None]
    side = np.take_along_axis(better > 0, order, axis=1) & real
    # the window's points: from the first month >= first to the first >= first + window
    lo = (real & (m < first[:, None])).sum(axis=1)
    hi = (real & (m < (first + window)[:, None])).sum(axis=1)
    better_before = np.zeros((rows, width + 1), dtype=np.int64)
    np.cumsum(side, axis=1, out=better_before[:, 1:])
    end = column + run
    runs = (end[None, :] <= n_useful[:, None]) & (
        better_before[:, np.minimum(end, width)] - better_before[:, :width] == run)
    hit = runs & (column >= lo[:, None]) & (column < hi[:, None])
    at = hit.argmax(axis=1)
    out: np.ndarray = np.where(hit.any(axis=1), m[np.arange(rows), at], np.nan)
    return out


def _padded(start: np.ndarray, stop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The positions `start[k]:stop[k]` as the rows of one block (padded with the last
    position, or 0), and which of them are real."""
    width = int((stop - start).max(initial=0))
    at = start[:, None] + np.arange(width)
    real = at < stop[:, None]
    return np.where(real, at, np.maximum(stop - 1, 0)[:, None]), real


@dataclass(frozen=True)
class _SeriesRows:
    """The data rows of team × indicator series as flat arrays sorted by series and month:
    series `i` (numbered by `codes`; `number[i]`) holds `month[start[i]:start[i + 1]]`, and
    its rows a chart uses (usable, not left out) `used[used_start[i]:used_start[i + 1]]`,
    with their numerators, denominators and values; `kind[i]` its chart."""

    codes: _SeriesCodes
    number: np.ndarray
    start: np.ndarray
    month: np.ndarray
    used_start: np.ndarray
    used: np.ndarray
    num: np.ndarray
    den: np.ndarray
    value: np.ndarray
    kind: np.ndarray

    def position(self, frame: pd.DataFrame) -> np.ndarray:
        """The series position of each row of `frame` (team_id, indicator_id); -1 where
        the data have no such series."""
        number = self.codes.of(frame)
        at = np.searchsorted(self.number, number)
        found = (number >= 0) & (at < len(self.number))
        found[found] = self.number[at[found]] == number[found]
        out: np.ndarray = np.where(found, at, -1)
        return out

    def rows_before(self, position: np.ndarray, months: np.ndarray, *, used: bool = False
                    ) -> np.ndarray:
        """How many months of series `position` come before each of `months` (`used`: of
        its months a chart uses, `used`, instead of all its months, `month`)."""
        start, month = (self.used_start, self.used) if used else (self.start, self.month)
        stop = start[position + 1]
        first = start[position]
        keys = position.astype(float) * _MONTH_SPAN + (months + _MONTH_SHIFT)
        series_of_rows = np.repeat(np.arange(len(self.number)), np.diff(start))
        all_keys = series_of_rows.astype(float) * _MONTH_SPAN + (month + _MONTH_SHIFT)
        out: np.ndarray = np.minimum(np.searchsorted(all_keys, keys), stop) - first
        return out


def _in_order(codes: list[np.ndarray]) -> bool:
    """Are the rows sorted by `codes` (integer codes >= 0, the first the most significant)?
    Checked on one integer per row; False when the codes' combinations would not fit in one
    int64."""
    spans = [int(c.max(initial=0)) + 1 for c in codes]
    if math.prod(spans) >= 2**62:
        return False
    key = np.zeros(len(codes[0]), dtype=np.int64)
    for code, span in zip(codes, spans, strict=True):
        key = key * span + code
    return bool((key[1:] >= key[:-1]).all())


def _series_order(data: pd.DataFrame) -> np.ndarray:
    """The rows of `data` by team, indicator and month (stable, as sort_values; months
    missing last), sorted once per frame inside `shared_preparation`."""
    def compute() -> np.ndarray:
        team, _ = frame_codes(data, "team_id")
        indicator, _ = frame_codes(data, "indicator_id")
        month, _ = frame_codes(data, "period")
        if _in_order([team, indicator, month]):  # as the store reads them: no sort
            return np.arange(len(data))
        order: np.ndarray = np.lexsort((month, indicator, team))
        return order
    return shared("series order", data, compute=compute)


def _series_rows(data: pd.DataFrame, chart: pd.Series, excluded: pd.DataFrame | None,
                 wanted: pd.DataFrame) -> _SeriesRows:
    """The series of `data` that `wanted` (team_id, indicator_id) names, as `_SeriesRows`
    (matched and sorted by team, indicator and month on integer codes, not on text)."""
    team, teams = frame_codes(data, "team_id")  # shared with `spc_frame`
    indicator, indicator_ids = frame_codes(data, "indicator_id")
    every = _SeriesCodes(team, teams, indicator, indicator_ids)
    keep = np.isin(every.of_rows, every.of(wanted))
    order = _series_order(data)  # of every row, shared with `spc_frame`: the kept ones
    order = order[keep[order]]
    d = data[["period", "numerator", "denominator", "value"]].take(  # the columns read here
        order).reset_index(drop=True)
    month = ordinals(d["period"])
    codes = _SeriesCodes(team[order], teams, indicator[order], indicator_ids)
    kinds = np.append(chart.reindex(indicator_ids).astype(object).fillna("run").to_numpy(
        dtype=object), "run")  # per indicator code (missing: run)
    of_row = indicator[order]
    num, den = d["numerator"].astype(float), d["denominator"].astype(float)
    value = d["value"].to_numpy(dtype=float)
    needs_n = np.array([k in NEEDS_N for k in kinds], dtype=bool)[of_row]
    n, m = num.to_numpy(), den.to_numpy()
    with np.errstate(invalid="ignore"):
        bad = (n < 0) | (needs_n & ((m <= 0) | np.isnan(m))) | np.isnan(value)
        bad |= np.array([k in ("p", "pp") for k in kinds], dtype=bool)[of_row] & (n > m)
    bad |= _left_out(d, excluded, codes)
    number = codes.of_rows
    start = np.flatnonzero(np.r_[True, number[1:] != number[:-1]]) if len(d) else np.zeros(
        0, dtype=np.int64)
    use = np.flatnonzero(~bad)
    bounds = np.append(start, len(d))
    return _SeriesRows(
        codes=codes, number=number[start], start=bounds, month=month,
        used_start=np.searchsorted(use, bounds), used=month[use],
        num=num.to_numpy()[use], den=den.to_numpy()[use],
        value=d["value"].astype(float).to_numpy()[use],
        kind=pd.Series(kinds[of_row[start]], dtype=object).astype(str).to_numpy())


def _kept_breaks(table: _SeriesRows, position: np.ndarray, before: np.ndarray,
                 used_before: np.ndarray, length: np.ndarray, decided: np.ndarray,
                 sign: np.ndarray, min_points: int
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Of candidate breaks (`adoption_phases`; in order within each series: series
    `position`, its months `before` and used months `used_before` the month after the
    decision, its `length`, the decision's month `decided`, the indicator's better `sign`),
    which are kept, the first month of each kept phase and whether the shift rule placed it.

    A candidate's phase-before starts at the previous kept break of its series: the k-th
    candidates of every series are decided together, round k, after round k - 1."""
    count = len(position)
    kept = np.zeros(count, dtype=bool)
    shift = np.zeros(count, dtype=bool)
    start = np.asarray(decided, dtype=float) + 1
    if not count:
        return kept, start, shift
    order = np.argsort(position, kind="stable")
    new = np.r_[True, position[order][1:] != position[order][:-1]]
    rank = np.empty(count, dtype=np.int64)
    rank[order] = np.arange(count) - np.maximum.accumulate(np.where(new, np.arange(count), 0))
    # the last break kept in each series: how many of its months, and of its used months,
    # come before it (none yet: 0, 0)
    cut = np.zeros(len(table.number), dtype=np.int64)
    lo = np.zeros(len(table.number), dtype=np.int64)
    used_before = np.asarray(used_before, dtype=np.int64)
    for round_ in range(int(rank.max()) + 1):
        c = np.flatnonzero(rank == round_)
        i = position[c]
        c = c[(before[c] - cut[i] >= min_points) & (length[c] - before[c] >= min_points)]
        i = position[c]
        kept[c] = True
        u0 = table.used_start[i]
        cl = _centres(table.kind[i], u0 + lo[i], u0 + used_before[c], table.num, table.den,
                      table.value)
        kept_at, kept_used = before[c].copy(), used_before[c].copy()
        tried = np.flatnonzero((sign[c] != 0) & ~np.isnan(cl))
        if len(tried):
            t = c[tried]
            after, real = _padded(u0[tried] + used_before[t], table.used_start[i[tried] + 1])
            months = np.where(real, table.used[after], np.nan)
            better = np.where(real, np.sign(table.value[after] - cl[tried, None])
                              * sign[t][:, None], 0.0)
            shifted = _run_starts(months, better, start[t], SHIFT_WINDOW, SHIFT_RUN)
            got = np.flatnonzero(~np.isnan(shifted))
            have, real_have = _padded(table.start[i[tried[got]]], table.start[i[tried[got]] + 1])
            shifted_at = (real_have & (table.month[have] < shifted[got, None])).sum(axis=1)
            ok = length[t[got]] - shifted_at >= min_points
            moved, at = t[got[ok]], tried[got[ok]]
            start[moved] = shifted[got[ok]]
            shift[moved] = True
            kept_at[at] = shifted_at[ok]
            kept_used[at] += (real[got[ok]] & (months[got[ok]] < shifted[got[ok], None])
                              ).sum(axis=1)
        cut[i], lo[i] = kept_at, kept_used
    return kept, start, shift


def adoption_phases(events: pd.DataFrame, measurements: pd.DataFrame,
                    indicators: pd.DataFrame | None = None,
                    min_points: int = MIN_PHASE_POINTS, *,
                    excluded: pd.DataFrame | None = None) -> pd.DataFrame:
    """First months of new phases after adopted changes: THE rule every chart follows.

    An `adopt` decision is a candidate phase break in the charts of its linked indicators.
    It is kept when the phase before (from the previous break) holds at least `min_points`
    months of data before the month after adoption, and the months from the month after
    adoption on hold at least `min_points` too (the phase must be long enough for usable
    limits).

    Where the kept phase starts (`rule`):

    - `shift`: at the first month of the `SHIFT_WINDOW` months from the month after
      adoption that begins a run of `SHIFT_RUN` points in a row on the better side of the
      old phase's centre line (the centre line the chart drew before the break, over the
      months from the previous break up to the adoption month; better by the indicator's
      `direction`; points on the line skipped, missing months and months left out of the
      limits, `excluded`, ignored), provided the phase from there still holds `min_points`
      months. An effect that takes hold a month or two after the decision (the change
      spreads over shifts) then no longer leaves those months "unusual" below the new
      phase's limits, and the old phase does not absorb them either.
    - `adoption`: otherwise (no such run yet, the indicator has no direction, or no
      `indicators` given), the month after the decision, when an adopted change is first
      routine.

    Why this rule: qicharts2 (`part`) and NHSRplotthedots (`rebase`) split a chart only where
    the analyst says, and both refuse automatic re-basing on a sustained run (NHSRplotthedots
    #142/#151) because a break placed by the data alone finds "improvements" in noise;
    runcharter re-bases on any run of 9. The workbench re-bases only after a logged, adopted
    change (the team's decision is the human confirmation the reference asks for: "offer
    suggested re-base points, for example a sustained run after a logged change"), and lets
    the data place the break within `SHIFT_WINDOW` months of it using the IHI shift rule
    (Perla, Provost & Murray 2011: 6 or more consecutive points on one side of the centre
    line; `/work/shared/reference/qi-tools-and-user-needs.md` B2 and (d) 4).

    Returns (team_id, indicator_id, period, cycle_id, rule, adopted, change_id, change_name):
    `period` the phase's first month, `adopted` the month of the decision (both monthly
    Periods).
    """
    if events.empty or measurements.empty:
        return pd.DataFrame(columns=_PHASE_COLUMNS)
    adopted = events[events["kind"] == "adopt"].sort_values(
        ["team_id", "indicator_id", "date"], kind="stable")
    sign: dict[Any, int] = {}
    if indicators is not None and len(indicators):
        chart = _chart_of(indicators)
        ind = indicators.drop_duplicates("indicator_id").set_index("indicator_id")
        direction = (ind["direction"].fillna("increase").astype(str) if "direction" in ind
                     else pd.Series("increase", index=ind.index))
        sign = {i: {"increase": 1, "decrease": -1}.get(d, 0) for i, d in direction.items()}
    else:
        chart = pd.Series(dtype=object)
    table = _series_rows(measurements, chart, excluded, adopted)
    if not len(table.number):
        return pd.DataFrame(columns=_PHASE_COLUMNS)
    decided = ordinals(to_periods(adopted["period"]))
    position = table.position(adopted)
    # a decision without `min_points` months before the month after it, or from it on, is
    # never kept, whatever the breaks before it: dropped here at once, not one by one
    known = position >= 0
    before = np.full(len(adopted), -1, dtype=np.int64)
    before[known] = table.rows_before(position[known], decided[known] + 1)
    length = np.diff(table.start)[np.where(known, position, 0)]
    candidate = known & (before >= min_points) & (length - before >= min_points)
    names = (adopted["change_name"] if "change_name" in adopted else adopted["change_id"])
    at_rows = np.flatnonzero(candidate)
    # per candidate, at once: its series' months and used months before the month after it
    used_before = table.rows_before(position[at_rows], decided[at_rows] + 1, used=True)
    kept, start, shift = _kept_breaks(
        table, position[at_rows], before[at_rows], used_before, length[at_rows],
        decided[at_rows], np.array([sign.get(i, 0) for i in adopted["indicator_id"].to_numpy(
            dtype=object)[at_rows].tolist()], dtype=np.int64), min_points)
    at_rows = at_rows[kept]
    rows: list[tuple[Any, ...]] = [
        (team, ind_id, first, cycle, "shift" if shifted else "adoption", month, change,
         text_or_blank(name) or text_or_blank(change))
        for team, ind_id, first, cycle, shifted, month, change, name in zip(
            *(adopted[c].to_numpy(dtype=object)[at_rows].tolist()
              for c in ("team_id", "indicator_id")),
            start[kept].tolist(), adopted["cycle_id"].to_numpy(dtype=object)[at_rows].tolist(),
            shift[kept].tolist(), decided[at_rows].tolist(),
            adopted["change_id"].to_numpy(dtype=object)[at_rows].tolist(),
            names.to_numpy(dtype=object)[at_rows].tolist(), strict=True)]
    out = pd.DataFrame(rows, columns=_PHASE_COLUMNS)
    out["period"] = from_ordinals(out["period"]).array
    out["adopted"] = from_ordinals(out["adopted"]).array
    return out


@dataclass(frozen=True)
class TeamCharts:
    """The charts of `team_charts`: `spc` (SPC_COLUMNS), `events` (EVENT_COLUMNS, up to the
    end of `period`), `phases` (first months of new phases), `period` (reporting month),
    `excluded` (months left out of the limits, `excluded_months`)."""

    spc: pd.DataFrame
    events: pd.DataFrame
    phases: pd.DataFrame
    period: pd.Period | None
    excluded: pd.DataFrame | None = None


def team_charts(measurements: pd.DataFrame, indicators: pd.DataFrame,
                cycles: pd.DataFrame | None = None, change_ideas: pd.DataFrame | None = None,
                *, period: object = None, flags: pd.DataFrame | None = None,
                events: pd.DataFrame | None = None) -> TeamCharts:
    """Every team × indicator chart as drawn for the reporting month `period` (default: the
    latest month in `measurements`): data up to that month, PDSA events decided by its end,
    a new phase after each adopted change (where the data show the shift, else the month
    after adoption: `adoption_phases`), the months under an open error flag (`flags`,
    the store's flags) left out of the limits (rules in the module docstring).

    `events`, when given, is `pdsa_events(cycles, change_ideas)` already computed (an app
    that changes month keeps it: it does not depend on the month); `cycles` and
    `change_ideas` are then not read."""
    rp = reporting_period(measurements, period)
    m = measurements
    if rp is not None and len(m):
        up_to = m["period"] <= rp
        if not up_to.all():  # the frame itself otherwise: its codes are shared (`prepare`)
            m = m[up_to]
    if events is None:
        events = pdsa_events(cycles, change_ideas)
    if rp is not None and len(events):
        decided = events["date"] <= rp.to_timestamp(how="end")
        if not (decided.all() and events.index.equals(pd.RangeIndex(len(events)))):
            events = events[decided].reset_index(drop=True)  # else the frame as it is
    excluded = excluded_months(flags)
    with shared_preparation():  # the phases and the lines match `m` by one set of codes
        phases = adoption_phases(events, m, indicators, excluded=excluded)
        spc = spc_frame(m, indicators, phases, excluded)
    return TeamCharts(spc=spc, events=events, phases=phases, period=rp, excluded=excluded)

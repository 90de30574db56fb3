"""What a chart costs on the wire: lean small multiples for a live app.

An app sends each `jupyter_bokeh.BokehModel` to the browser as bokeh document JSON. Columns
held as Python lists (of floats, timestamps, hover strings) travel as JSON text; numpy arrays
of float64 travel as compact binary (base64) buffers and serialise many times faster. The
compact panels of `workbench.charts.small_multiples` also carry per-point hover strings
(month label, value text, numerator / denominator, signal words, PDSA details) that a panel of
150 px hardly needs: `lighten_small_multiples` swaps them for one hover computed in the browser
from the point itself (month and value), and `lean_columns` does the same to new panel data
before it patches a shown grid.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from bokeh.models import ColumnDataSource, HoverTool, Plot
from jupyter_bokeh import BokehModel

from workbench.charts.series import (
    ChartNumbers,
    _phase_starts,
    chart_numbers,
    chart_range,
    event_marks,
    event_tags,
    phase_heights,
)

__all__ = ["HOVER_ONLY", "PreparedBokehModel", "as_array", "lean_columns",
           "lighten_small_multiples", "prepare_bundle", "small_multiples_panels"]

#: per-point text columns used only by the full-size chart's hover tooltips and labels
HOVER_ONLY = frozenset({"label", "value_text", "num_den", "signal_text", "flag_text",
                        "detail", "month"})


def as_array(values: Any) -> Any:
    """A column as a numpy array bokeh sends as a binary buffer; text columns unchanged.

    Timestamps become float64 milliseconds since the epoch (what BokehJS uses for datetime
    axes), numbers float64 (missing values NaN). Anything else (markers, colours) and an
    empty column are returned as they were (BokehJS rejects a float array as colours).
    """
    if isinstance(values, np.ndarray) and values.dtype.kind in "fiu":
        return values.astype(float, copy=False)
    seq = list(values)
    if not seq:  # unknown kind: an empty float array would be an invalid colour or marker
        return []
    first = next((v for v in seq if v is not None), None)
    if isinstance(first, (pd.Timestamp, np.datetime64)) or (
            hasattr(first, "year") and hasattr(first, "month")):
        stamps = pd.to_datetime(pd.Series(seq))
        ms = stamps.astype("datetime64[ms]").astype("int64").to_numpy().astype(float)
        ms[stamps.isna().to_numpy()] = np.nan
        return ms
    try:
        return np.asarray(seq, dtype=float)
    except (TypeError, ValueError):
        return seq


def lean_columns(data: Mapping[str, Any]) -> dict[str, Any]:
    """One source's data without hover-only text, numbers and dates as arrays."""
    return {key: as_array(col) for key, col in data.items() if key not in HOVER_ONLY}


def lighten_small_multiples(grid: Any, percent: bool = False) -> Any:
    """Make a small-multiples grid cheap to send and draw, in place; returns it.

    Every `ColumnDataSource` gets `lean_columns` data; each panel's hover tools become one
    hover on its monthly points showing the month and the value (computed in the browser).
    """
    value = "@y{0%}" if percent else "@y{0.[0]}"
    for plot in grid.select({"type": Plot}):
        points = [r for r in plot.renderers if getattr(r, "data_source", None) is not None
                  and r.data_source.name.endswith(":points")]
        plot.tools = [t for t in plot.tools if not isinstance(t, HoverTool)]
        if points:
            plot.add_tools(HoverTool(renderers=points, tooltips=[
                ("Month", "@x{%b %Y}"), ("Value", value)], formatters={"@x": "datetime"}))
    for source in grid.select({"type": ColumnDataSource}):
        source.data = lean_columns(source.data)
    return grid


def prepare_bundle(fig: Any) -> dict[str, Any]:
    """The render bundle of `fig` (its document JSON), computed ahead of time: this is the
    slow part of making a `jupyter_bokeh.BokehModel` (seconds for a grid of 24 panels)."""
    bundle: dict[str, Any] = BokehModel._model_to_traits(fig)
    return bundle


class PreparedBokehModel(BokehModel):  # type: ignore[misc]  # jupyter_bokeh ships no types
    """A `jupyter_bokeh.BokehModel` whose first render bundle was computed ahead of time by
    `prepare_bundle(fig)` (the caller guarantees `fig` has not changed since). Later figures
    (`update_from_model`) are serialised as usual."""

    def __init__(self, model: Any, bundle: dict[str, Any] | None = None,
                 **kwargs: Any) -> None:
        self._bundle_once = bundle
        super().__init__(model, **kwargs)

    def update_from_model(self, model: Any) -> None:
        bundle, self._bundle_once = getattr(self, "_bundle_once", None), None
        if bundle is None:
            super().update_from_model(model)
            return
        self._model = model
        self.render_bundle = bundle
        self._document.on_change_dispatch_to(self)


def small_multiples_panels(spc: pd.DataFrame, indicator: Mapping[str, Any],
                           events: pd.DataFrame | None = None) -> dict[str, dict[str, Any]]:
    """Per team (key `team_id`), the data of its compact panel of `indicator` as a live app
    patches it in: what `lean_columns` makes of each source of
    `workbench.charts.series.small_multiples_sources` (its `range` as it is), in one pass over
    `spc`.

    The hover text those sources spend most of their time on is never made, and the numbers
    go from each team's slice of `spc`'s columns to float arrays (dates as milliseconds)
    without a frame, a list or a timestamp per team; their values come from
    `series.chart_numbers`, `chart_range`, `phase_heights`, `event_marks` and `event_tags`,
    as every control chart's do.
    """
    ind_id = indicator.get("indicator_id")
    rows = spc[spc["indicator_id"] == ind_id] if "indicator_id" in spc else spc
    rows = rows.sort_values(["team_id", "period"], kind="stable")
    if rows.empty:
        return {}
    teams = rows["team_id"].to_numpy()
    starts = np.flatnonzero(np.r_[True, teams[1:] != teams[:-1]])
    ends = np.r_[starts[1:], len(teams)]
    xs = rows["x"].to_numpy()
    y, cl, lcl, ucl = (rows[c].to_numpy(float) for c in ("y", "cl", "lcl", "ucl"))
    part = rows["part"].to_numpy()
    sig, runs = rows["sigma_signal"].to_numpy(bool), rows["runs_signal"].to_numpy(bool)
    left_out = (rows["excluded"].fillna(False).to_numpy(bool) if "excluded" in rows
                else np.zeros(len(rows), bool))
    events_of = _EventsByTeam(events, ind_id)
    phase_columns = {c: rows[c].to_numpy() for c in ("period", "phase_rule", "phase_adopted",
                                                     "phase_change") if c in rows}
    out: dict[str, dict[str, Any]] = {}
    for a, b in zip(starts, ends, strict=True):
        team = teams[a]
        nums = chart_numbers(xs[a:b], y[a:b], cl[a:b], lcl[a:b], ucl[a:b], part[a:b],
                             sig[a:b], runs[a:b], left_out[a:b], indicator)
        phases = _phase_starts({c: col[a:b] for c, col in phase_columns.items()}, xs[a:b],
                               nums.new_part, indicator)
        phases.update(phase_heights(nums, len(phases["x"])))
        out[str(team)] = {
            "points": {"x": _milliseconds(xs[a:b]), **nums.points},
            "lines": {key: _milliseconds(col) if key == "x" else col
                      for key, col in nums.lines.items()},
            "events": events_of.lean(team, nums), "flagged": {key: [] for key in _POINT_COLUMNS},
            "phases": lean_columns(phases), "range": chart_range(nums, lane=False)}
    return out


class _EventsByTeam:
    """The PDSA events of one indicator's panels, each team's in the order `event_columns`
    gives them (by date, as `DataFrame.sort_values` orders equal dates), as the lean columns
    of a compact panel's `events` source."""

    def __init__(self, events: pd.DataFrame | None, indicator_id: Any) -> None:
        self._rows: Mapping[Any, Any] = {}
        if events is None or not len(events):
            return
        events = events[events["indicator_id"] == indicator_id]
        self._rows = events.groupby("team_id", sort=False).indices
        self._dates = events["date"].to_numpy()
        self._columns = {c: (events[c].to_numpy() if c in events
                             else np.full(len(events), "", dtype=object))
                         for c in ("kind", "change_id", "cycle_number")}

    def lean(self, team: Any, nums: ChartNumbers) -> dict[str, Any]:
        found = self._rows.get(team)
        if found is None:
            return {key: [] for key in _EVENT_COLUMNS}
        dates = self._dates[found]
        # what `sort_values("date")` does (pandas' `nargsort`): the dates known sorted as
        # datetime64 by numpy's quicksort, which is not stable (equal dates keep its
        # order, not the frame's), then the missing ones
        known = ~np.isnat(dates)
        order = np.r_[np.flatnonzero(known)[dates[known].argsort(kind="quicksort")],
                      np.flatnonzero(~known)]
        rows = found[order]
        kinds = [str(k) for k in self._columns["kind"][rows]]
        marks = event_marks(kinds, nums, lane=False)
        tags = event_tags(kinds, self._columns["change_id"][rows].tolist(),
                          self._columns["cycle_number"][rows].tolist())
        return {"x": _milliseconds(self._dates[rows]), "y0": as_array(marks["y0"]),
                "y1": as_array(marks["y1"]), "y_mark": as_array(marks["y_mark"]),
                "marker": as_array(marks["marker"]), "color": as_array(marks["color"]),
                "tag": as_array(tags), "kind": as_array(kinds)}


#: the lean columns of a panel's `events` source
_EVENT_COLUMNS = ("x", "y0", "y1", "y_mark", "marker", "color", "tag", "kind")
#: the columns of a panel's `points` (and `flagged`) source in a live app
_POINT_COLUMNS = ("x", "y", "y_signal", "y_excluded")


def _milliseconds(dates: np.ndarray) -> Any:
    """datetime64 values as `as_array` gives them: float milliseconds since the epoch (NaT:
    NaN); an empty column as an empty list."""
    if not len(dates):
        return []
    ms = np.asarray(dates).astype("datetime64[ms]")
    out = ms.astype("int64").astype(float)
    out[np.isnat(ms)] = np.nan
    return out

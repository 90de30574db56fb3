"""Frames behind the charts: SPC points per team × indicator, PDSA events, phases, flags.

Pure functions on the store's frames (no I/O), vectorised over all teams. The chart of a
team × indicator is assembled once, in analytics (`workbench.rollup.series.team_charts`:
phases after adopted changes, PDSA events, months left out); this module re-exports those
names for the charts and adds what only a drawing needs: open data flags beside the points
(`chart_view`, `flag_notes`) and month labels. `workbench.briefs` and the forms
(`workbench.widgets`) read the store and call `chart_view`, so the report and the forms draw
the same chart with the same limits.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from workbench.i18n import current_language, format_month
from workbench.rollup.series import (
    MIN_PHASE_POINTS,
    SPC_COLUMNS,
    adoption_phases,
    pdsa_events,
    spc_frame,
    team_charts,
)

__all__ = [
    "MIN_PHASE_POINTS",
    "SPC_COLUMNS",
    "ChartView",
    "adoption_phases",
    "chart_view",
    "flag_notes",
    "month_label",
    "pdsa_events",
    "spc_frame",
]


def month_label(period: pd.Period | str) -> str:
    """`Jan 2025` (`janv. 2025` in French) for a monthly period (or a 'YYYY-MM' string)."""
    return _month_label(period, current_language())


@functools.lru_cache(maxsize=4096)
def _month_label(period: pd.Period | str, language: str) -> str:
    """`month_label` in `language` (the current one: a key of the cache): a chart labels
    every month it shows, and the months are the same from chart to chart."""
    return format_month(pd.Period(period, freq="M"))


def flag_notes(flags: pd.DataFrame | None, statuses: Iterable[str] = ("open",)) -> pd.DataFrame:
    """One row per (team_id, indicator_id, period) with the messages of its flags joined."""
    cols = ["team_id", "indicator_id", "period", "flag_text", "flag_ids"]
    if flags is None or flags.empty:
        return pd.DataFrame(columns=cols)
    f = flags[flags["status"].isin(list(statuses)) & flags["period"].notna()
              & flags["indicator_id"].notna()]
    if f.empty:
        return pd.DataFrame(columns=cols)
    from workbench.validate.messages import flag_messages

    f = f.assign(period=pd.PeriodIndex(f["period"].astype(str), freq="M"),
                 text=f["rule_code"].astype(str) + ": " + flag_messages(f).astype(str))
    out = f.groupby(["team_id", "indicator_id", "period"]).agg(
        flag_text=("text", "; ".join), flag_ids=("flag_id", list)).reset_index()
    return out[cols]


@dataclass(frozen=True)
class ChartView:
    """What a team × indicator chart shows: `spc` points and lines, `events` (PDSA),
    `flags` (open data flags per month, `flag_notes`) and the reporting `period`."""

    spc: pd.DataFrame
    events: pd.DataFrame
    flags: pd.DataFrame
    period: pd.Period | None

    def of(self, indicator_id: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """(points, events, flags) of one indicator, for `charts.series.control_chart`."""
        return (self.spc[self.spc["indicator_id"] == indicator_id],
                self.events[self.events["indicator_id"] == indicator_id],
                self.flags[self.flags["indicator_id"] == indicator_id])


def chart_view(measurements: pd.DataFrame, indicators: pd.DataFrame,
               cycles: pd.DataFrame | None = None, change_ideas: pd.DataFrame | None = None,
               flags: pd.DataFrame | None = None, *, period: object = None,
               flag_statuses: Iterable[str] = ("open",),
               events: pd.DataFrame | None = None) -> ChartView:
    """The charts of these measurements as the report draws them for `period` (default: the
    latest month): `workbench.rollup.series.team_charts` (months under an open error flag
    left out of the limits) plus the flags to ring. `events`: `pdsa_events(cycles,
    change_ideas)` already computed, if the caller keeps it."""
    charts = team_charts(measurements, indicators, cycles, change_ideas, period=period,
                         flags=flags, events=events)
    return ChartView(spc=charts.spc, events=charts.events,
                     flags=flag_notes(flags, flag_statuses), period=charts.period)

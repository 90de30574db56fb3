"""The learning-session app's analytics, computed on demand: THE cache of the app.

At 2,000 teams × 10 indicators the app cannot recompute every team's charts, statuses and
gains on each filter, month or "as of" change (that took over a minute). `SessionData` holds
what was read from the store for one "as of" date (measurements, PDSA cycles, flags), and per
reporting month one `MonthAnalytics`, which computes, with the library functions only
(`charts.data.chart_view` → `rollup.series.team_charts`, `rollup.status_matrix` with
`rollup.signal_status`, `rollup.gain_from_baseline`), just the (team, indicator) series asked
for, each once:

- the small multiples and the status of every team selected for the indicator shown (the
  overview by district and wave, the top and bottom lists), and their gains;
- the teams on the page for every indicator (the status matrix);
- every series only when a sort by number of signals asks for it;
- the small-multiple panels of the teams on a page (`MonthAnalytics.panels`), each once;
- the PDSA events of the date's cycles, once (`SessionData.events`: they do not depend on
  the month; each month's charts take theirs, `team_charts(..., events=)`);
- the share of teams at target over time, once per set of teams for every month
  (`SessionData.attainment`: a month's rows do not depend on later months, so another
  reporting month is a slice of it).

Each team × indicator chart depends only on that team's data, PDSA cycles and flags, so a
series computed for a subset of teams is the series computed with all of them (tests check
this against the whole-collaborative functions). Keys: the "as of" date (`SessionData`), the
reporting month (`MonthAnalytics`, `SessionData.MONTHS` kept), then the (team, indicator)
pairs (and the set of teams for the share at target); nothing else is cached, so going back
to a month seen recomputes nothing.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from workbench.briefs.summary import as_of_timestamp, cycles_as_of, flags_as_of
from workbench.charts import data as chartdata
from workbench.charts.payload import small_multiples_panels
from workbench.rollup import metrics as rollup
from workbench.rollup.base import (
    reporting_month,
    shared_preparation,
    teams_reporting_by_month,
)
from workbench.rollup.series import pdsa_events
from workbench.store import read_collaborative_measurements, read_flags, read_pdsa_cycles

__all__ = ["MonthAnalytics", "SessionData", "empty_matrix"]


class MonthAnalytics:
    """Charts, statuses and gains of one reporting month, per (team, indicator), on demand."""

    def __init__(self, measurements: pd.DataFrame, indicators: pd.DataFrame,
                 teams: pd.DataFrame, cycles: pd.DataFrame, ideas: pd.DataFrame,
                 flags: pd.DataFrame, period: pd.Period | None,
                 events_of: Callable[[list[tuple[str, str]]], pd.DataFrame],
                 rows: Mapping[Hashable, Any] | None = None,
                 by_indicator: Callable[[str], pd.DataFrame] | None = None,
                 no_matrix: Callable[[], pd.DataFrame] | None = None) -> None:
        self.period = period
        self._events_of = events_of
        self._measurements = measurements
        self._indicators, self._teams = indicators, teams
        self._cycles, self._ideas, self._flags = cycles, ideas, flags
        self._order = list(indicators["indicator_id"])
        #: the rows of each (team, indicator) pair, every month (the `SessionData`'s, shared
        #: by its months: a month's rows are these cut at the month, `_take`)
        self._all_rows = rows if rows is not None else measurements.groupby(
            ["team_id", "indicator_id"], sort=False).indices
        self._by_indicator = by_indicator
        self._no_matrix = no_matrix  # the matrix of no pair (the same every month)
        self._done: set[tuple[str, str]] = set()  # (team, indicator) charted
        self._spc: list[pd.DataFrame] = []
        self._spc_all: pd.DataFrame | None = None
        self._events: list[pd.DataFrame] = []
        self._events_all: pd.DataFrame | None = None
        self._matrix: list[pd.DataFrame] = []
        self._matrix_all: pd.DataFrame | None = None
        self._gains: dict[tuple[str, tuple[str, ...] | None], pd.DataFrame] = {}
        self._panels: dict[str, dict[str, dict[str, Any]]] = {}  # indicator -> team -> data

    # -- what the app asks for ----------------------------------------------------------------
    def ensure(self, teams: Iterable[str], indicators: Iterable[str]) -> None:
        """Compute the charts and statuses of `teams` × `indicators` not computed yet."""
        teams, indicators = list(dict.fromkeys(teams)), list(dict.fromkeys(indicators))
        self.ensure_pairs([(t, i) for t in teams for i in indicators])

    def ensure_pairs(self, pairs: Iterable[tuple[str, str]],
                     along: Iterable[tuple[str, str]] = ()) -> None:
        """Compute the charts and statuses of these (team, indicator) pairs not computed yet,
        in one call of each library function (`chart_view`, `signal_status`,
        `status_matrix`). `along`: pairs computed in the same batch if any of `pairs` is
        to be computed (the indicator shown for every team and the page's teams for every
        indicator, after another month or filter: each call of the library functions costs
        ~0.05 s whatever its size, so one batch costs less than two)."""
        missing = list(dict.fromkeys(p for p in pairs if p not in self._done))
        if not missing:
            return
        missing = list(dict.fromkeys([*missing, *(p for p in along if p not in self._done)]))
        self._done.update(missing)
        team_ids = sorted({t for t, _i in missing})
        ind_ids = [i for i in self._order if i in {i for _t, i in missing}]
        every = self._take(self._measurements, self._all_rows, missing)
        # the month's rows: the charts' and the matrix's (it reads no later month)
        upto = every[every["period"] <= self.period] if self.period is not None else every
        chosen = self._indicators[self._indicators["indicator_id"].isin(ind_ids)]
        wanted = pd.MultiIndex.from_tuples(missing, names=["team_id", "indicator_id"])
        teams_frame = self._teams[self._teams["team_id"].isin(team_ids)]
        # one block: the charts, their signals and the matrix match these rows by one set
        # of integer codes (`rollup.base.frame_codes`), each computed once
        with shared_preparation():
            # the PDSA events of these charts, taken from the as-of date's (they do not
            # depend on the month: `SessionData.events`)
            view = chartdata.chart_view(upto, chosen, None, self._ideas, self._flags,
                                        period=self.period, events=self._events_of(missing))
            matrix = rollup.status_matrix(upto, chosen, teams_frame, period=self.period,
                                          signals=rollup.signal_status(view.spc, chosen))
        self._spc.append(view.spc)
        self._spc_all = None
        if len(view.events):  # these pairs' own (`events_of`)
            self._events.append(view.events)
            self._events_all = None
        keep = pd.MultiIndex.from_frame(matrix[["team_id", "indicator_id"]]).isin(wanted)
        self._matrix.append(matrix[keep])
        self._matrix_all = None

    def ensure_all(self) -> None:
        """Every team × indicator (a sort by number of signals needs them all)."""
        self.ensure(self._teams["team_id"], self._order)

    @property
    def spc(self) -> pd.DataFrame:
        """The charts computed so far (`team_charts(...).spc` rows)."""
        if self._spc_all is None:
            self._spc_all = (pd.concat(self._spc, ignore_index=True) if self._spc
                             else chartdata.chart_view(self._measurements.iloc[:0],
                                                       self._indicators,
                                                       period=self.period).spc)
            self._spc = [self._spc_all]
        return self._spc_all

    @property
    def events(self) -> pd.DataFrame:
        """The PDSA events of the teams charted so far."""
        if self._events_all is None:
            self._events_all = (pd.concat(self._events, ignore_index=True) if self._events
                                else pd.DataFrame())
            self._events = [self._events_all] if self._events else []
        return self._events_all

    @property
    def matrix(self) -> pd.DataFrame:
        """`rollup.status_matrix` rows of the pairs computed so far, in its order (team, then
        indicator)."""
        if self._matrix_all is None:
            if self._matrix:
                frame = pd.concat(self._matrix, ignore_index=True)
                rank = {k: i for i, k in enumerate(self._order)}
                frame = frame.assign(_i=frame["indicator_id"].map(rank)).sort_values(
                    ["team_id", "_i"]).drop(columns="_i").reset_index(drop=True)
            elif self._no_matrix is not None:
                frame = self._no_matrix()
            else:
                frame = empty_matrix(self._measurements, self._indicators, self._teams,
                                     self.period)
            self._matrix_all = frame
            self._matrix = [frame]
        return self._matrix_all

    def gains(self, indicator_id: str, teams: Iterable[str] | None = None) -> pd.DataFrame:
        """`rollup.gain_from_baseline` of these teams (None: every team) for one indicator
        (each team's gain is its own series': the teams selected are computed, not 2,000)."""
        chosen = None if teams is None else tuple(sorted(set(teams)))
        if chosen is not None and len(chosen) >= len(self._teams):
            chosen = None
        whole = self._gains.get((indicator_id, None))
        if whole is not None:
            return whole if chosen is None else whole[whole["team_id"].isin(chosen)]
        key = (indicator_id, chosen)
        if key not in self._gains:
            m = (self._by_indicator(indicator_id) if self._by_indicator is not None else
                 self._measurements[self._measurements["indicator_id"] == indicator_id])
            frame = self._teams
            if chosen is not None:
                m, frame = m[m["team_id"].isin(chosen)], frame[frame["team_id"].isin(chosen)]
            ind = self._indicators[self._indicators["indicator_id"] == indicator_id]
            if len(self._gains) >= 4:  # the latest sets asked for
                self._gains.pop(next(iter(self._gains)))
            self._gains[key] = rollup.gain_from_baseline(
                m, ind, frame, period=self.period, levels=("team",))
        return self._gains[key]

    def panels(self, indicator_id: str, teams: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The small-multiple panel data of `teams` for one indicator
        (`charts.payload.small_multiples_panels`: `charts.series.small_multiples_sources`
        without the hover-only text),
        each team computed once, when first shown; teams without data are left out."""
        teams = list(teams)
        known = self._panels.setdefault(indicator_id, {})
        missing = set(teams) - set(known)
        if missing:
            self.ensure(sorted(missing), [indicator_id])
            ind = self._indicators.set_index("indicator_id").loc[indicator_id].to_dict()
            ind["indicator_id"] = indicator_id
            spc = self.spc[self.spc["team_id"].isin(missing)
                           & (self.spc["indicator_id"] == indicator_id)]
            events = self.events
            if len(events):
                events = events[events["team_id"].isin(missing)
                                & (events["indicator_id"] == indicator_id)]
            known.update(small_multiples_panels(spc, {str(k): v for k, v in ind.items()},
                                                events if len(events) else None))
        return {team: known[team] for team in teams if team in known}

    @staticmethod
    def _take(frame: pd.DataFrame, rows: Mapping[Hashable, Any],
              pairs: list[tuple[str, str]]) -> pd.DataFrame:
        found = [rows[p] for p in pairs if p in rows]
        index = np.sort(np.concatenate(found)) if found else np.array([], dtype=int)
        return frame.iloc[index]


def empty_matrix(measurements: pd.DataFrame, indicators: pd.DataFrame, teams: pd.DataFrame,
                 period: pd.Period | None) -> pd.DataFrame:
    """`rollup.status_matrix` of no rows: its columns and dtypes, which do not depend on the
    month (`SessionData` makes it once for all its months)."""
    return rollup.status_matrix(measurements.iloc[:0], indicators, teams.iloc[:0],
                                period=period)


class SessionData:
    """What the store held on one "as of" date (None: now), and its months' analytics."""

    #: reporting months whose analytics are kept (back to an earlier month at once)
    MONTHS = 4
    #: sets of teams whose share at target over time is kept
    TEAM_SETS = 4

    def __init__(self, engine: Engine, indicators: pd.DataFrame, teams: pd.DataFrame,
                 ideas: pd.DataFrame, as_of: str | None) -> None:
        stamp = as_of_timestamp(as_of) if as_of else None
        when = stamp.to_pydatetime() if stamp is not None else None
        self.as_of = as_of
        self.measurements = read_collaborative_measurements(engine, as_of=when)
        self.cycles = cycles_as_of(read_pdsa_cycles(engine), stamp)
        self.flags = flags_as_of(read_flags(engine), stamp)  # months left out of the limits
        self.reporting = teams_reporting_by_month(self.measurements)
        self.default_period = reporting_month(self.measurements)
        self._indicators, self._teams, self._ideas = indicators, teams, ideas
        self._months: OrderedDict[object, MonthAnalytics] = OrderedDict()
        self._rows: Mapping[Hashable, Any] | None = None  # (team, indicator) -> rows
        self._indicator_rows: dict[str, pd.DataFrame] = {}
        self._events_frame: pd.DataFrame | None = None
        self._event_rows: Mapping[Hashable, Any] | None = None  # (team, indicator) -> rows
        self._attainment: OrderedDict[tuple[str, ...], pd.DataFrame] = OrderedDict()
        self._no_matrix: pd.DataFrame | None = None

    def attainment(self, team_ids: Iterable[str], period: pd.Period | None) -> pd.DataFrame:
        """`rollup.indicator_summary` of these teams up to `period`: computed once per set of
        teams for every month (`TEAM_SETS` kept), then the months up to `period` taken."""
        key = tuple(sorted(set(team_ids)))
        whole = self._attainment.get(key)
        if whole is None:
            chosen = set(key)
            whole = rollup.indicator_summary(
                self.measurements[self.measurements["team_id"].isin(chosen)], self._indicators,
                self._teams[self._teams["team_id"].isin(chosen)])
            self._attainment[key] = whole
            while len(self._attainment) > self.TEAM_SETS:
                self._attainment.popitem(last=False)
        else:
            self._attainment.move_to_end(key)
        if period is None or whole.empty:
            return whole
        return whole[whole["period"] <= period].reset_index(drop=True)

    def events(self) -> pd.DataFrame:
        """Every PDSA event of the as-of date's cycles (`rollup.series.pdsa_events`), computed
        once: it does not depend on the reporting month (each month's charts take their
        events by date, `rollup.series.team_charts(..., events=)`)."""
        if self._events_frame is None:
            self._events_frame = pdsa_events(self.cycles, self._ideas)
        return self._events_frame

    def events_of(self, pairs: list[tuple[str, str]]) -> pd.DataFrame:
        """The rows of `events()` on these (team, indicator) charts, in its order."""
        events = self.events()
        if self._event_rows is None:
            self._event_rows = (events.groupby(["team_id", "indicator_id"], sort=False).indices
                                if len(events) else {})
        return MonthAnalytics._take(events, self._event_rows, pairs).reset_index(drop=True)

    def of_indicator(self, indicator_id: str) -> pd.DataFrame:
        """The measurements of one indicator, every month (kept: each month's gains read them)."""
        if indicator_id not in self._indicator_rows:
            if len(self._indicator_rows) >= 2:  # the indicator shown and the one before
                self._indicator_rows.pop(next(iter(self._indicator_rows)))
            m = self.measurements
            self._indicator_rows[indicator_id] = m[m["indicator_id"] == indicator_id]
        return self._indicator_rows[indicator_id]

    def no_matrix(self) -> pd.DataFrame:
        """The status matrix of no pair (`empty_matrix`), made once per as-of date: a month's
        matrix before its first pair is computed (a new month's page is listed before its
        statuses are computed)."""
        if self._no_matrix is None:
            self._no_matrix = empty_matrix(self.measurements, self._indicators, self._teams,
                                           self.default_period)
        return self._no_matrix

    def month(self, period: pd.Period | None) -> MonthAnalytics:
        """The analytics of reporting month `period` (kept for the `MONTHS` latest asked)."""
        key = str(period)
        if key in self._months:
            self._months.move_to_end(key)
        else:
            if self._rows is None:  # grouped once per as-of date, not once per month
                self._rows = self.measurements.groupby(["team_id", "indicator_id"],
                                                       sort=False).indices
            self._months[key] = MonthAnalytics(self.measurements, self._indicators, self._teams,
                                               self.cycles, self._ideas, self.flags, period,
                                               self.events_of, self._rows, self.of_indicator,
                                               self.no_matrix)
            while len(self._months) > self.MONTHS:
                self._months.popitem(last=False)
        return self._months[key]

"""The collaborative summary: read the store once, compute every roll-up.

`collaborative_rollup(engine, period, as_of)` is what the report notebooks, the learning
session app and `workbench summary` call; the computing is in `workbench.rollup` (pure).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any, cast

import pandas as pd
from sqlalchemy import Connection, Engine

from workbench.errors import ValidationFailed
from workbench.i18n import N_
from workbench.learning.spread import spread_frames
from workbench.model import merged_settings
from workbench.rollup import metrics as rollup
from workbench.rollup.base import as_period, reporting_month, shared_preparation, to_periods
from workbench.rollup.series import TeamCharts, team_charts
from workbench.rollup.status import chart_signals_of

__all__ = ["ROLLUP_KEYS", "CollaborativeInputs", "collaborative_rollup", "as_of_timestamp",
           "cycles_as_of", "flags_as_of", "read_collaborative_inputs", "rollup_of_inputs",
           "rollup_records"]

#: The frames `collaborative_rollup` returns, in display order.
ROLLUP_KEYS = ("context", "indicators", "indicator_months", "time_to_target", "gains", "waves",
               "assessments", "status_matrix", "most_improved",
               "spread", "sustainability", "slipping")  # workbench.learning.spread
#: the frames of `learning.spread.spread_frames` (read from time_to_target)
_SPREAD_KEYS = ("spread", "sustainability", "slipping")


def as_of_timestamp(value: str | dt.datetime | pd.Timestamp | None) -> pd.Timestamp | None:
    """A naive-UTC timestamp from `2025-06-30`, `2025-06-30T12:00` or a datetime; None stays."""
    if value is None:
        return None
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise ValidationFailed(N_("as-of {value!r} is not a date or time; write it as YYYY-MM-DD "
                                  "or YYYY-MM-DDTHH:MM, e.g. 2025-06-30T12:00."),
                               params={"value": value}) from exc
    if cast(object, ts) is pd.NaT or pd.isna(ts):  # pandas-stubs: Timestamp() can give NaT
        raise ValidationFailed(N_("as-of {value!r} is not a date or time; write it as YYYY-MM-DD."),
                               params={"value": value})
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return ts


def cycles_as_of(cycles: pd.DataFrame, stamp: pd.Timestamp | None) -> pd.DataFrame:
    """The PDSA cycles entered up to `stamp` (all of them for None): an "as of" view sees
    the chart phases and events as they were then."""
    if stamp is None or cycles.empty:
        return cycles
    return cycles[pd.to_datetime(cycles["created_at"]) <= stamp]


def flags_as_of(flags: pd.DataFrame, stamp: pd.Timestamp | None) -> pd.DataFrame:
    """The data flags raised up to `stamp` (all of them for None), with their current status:
    an "as of" view leaves out of the limits what was under an open flag then."""
    if stamp is None or flags.empty:
        return flags
    return flags[pd.to_datetime(flags["created_at"]) <= stamp]


@dataclass(frozen=True)
class CollaborativeInputs:
    """What the roll-ups read from the store, read once (`read_collaborative_inputs`):
    measurements and assessments entered up to `as_of`, PDSA cycles entered and flags raised
    up to then (`cycles_as_of`, `flags_as_of`; of the cycles the columns the charts read,
    `store.CHART_CYCLE_COLUMNS`, of the assessments those the roll-ups read,
    `store.ROLLUP_ASSESSMENT_COLUMNS`), and the definitions."""

    name: str
    assessment_target: float
    as_of: pd.Timestamp | None
    measurements: pd.DataFrame
    indicators: pd.DataFrame
    teams: pd.DataFrame
    assessments: pd.DataFrame
    cycles: pd.DataFrame
    change_ideas: pd.DataFrame
    flags: pd.DataFrame
    waves: pd.DataFrame


def read_collaborative_inputs(engine: Engine | Connection,
                              as_of: str | dt.datetime | None = None) -> CollaborativeInputs:
    """Read what `collaborative_rollup` needs, once (one read per table, in one
    `read_transaction`: one state of the store, whatever an import writes meanwhile): of the
    PDSA cycles and the assessments only the columns the roll-ups read
    (`store.CHART_CYCLE_COLUMNS`, `store.ROLLUP_ASSESSMENT_COLUMNS`). The measurements, the
    largest read, are read on a second connection while the other tables are read
    (`store.side_read.SideRead`: as that transaction sees them all the same)."""
    from workbench.store import (
        CHART_CYCLE_COLUMNS,
        ROLLUP_ASSESSMENT_COLUMNS,
        collaborative_indicators,
        read_assessments,
        read_change_ideas,
        read_collaborative,
        read_collaborative_measurements,
        read_flags,
        read_pdsa_cycles,
        read_teams,
        read_transaction,
        read_waves,
    )
    from workbench.store.reads import measurements_mark
    from workbench.store.side_read import SideRead

    stamp = as_of_timestamp(as_of)

    def measurements(conn: Connection) -> pd.DataFrame:  # teams' own measures: not rolled up
        return read_collaborative_measurements(conn,
                                               as_of=stamp.to_pydatetime() if stamp else None)

    with (SideRead(engine, measurements, measurements_mark) as side,
          read_transaction(engine) if isinstance(engine, Engine) else nullcontext(engine)
          as conn):  # one state of the store, even while an import writes
        collab = read_collaborative(conn)
        settings = merged_settings(collab.get("settings"))
        assessments = read_assessments(conn, columns=ROLLUP_ASSESSMENT_COLUMNS)
        if stamp is not None and len(assessments):
            assessments = assessments[pd.to_datetime(assessments["created_at"]) <= stamp]
        return CollaborativeInputs(
            name=collab["name"], assessment_target=float(settings["assessment_target"]),
            as_of=stamp,
            indicators=collaborative_indicators(conn), teams=read_teams(conn),
            assessments=assessments,
            cycles=cycles_as_of(read_pdsa_cycles(conn, columns=CHART_CYCLE_COLUMNS), stamp),
            change_ideas=read_change_ideas(conn),
            flags=flags_as_of(read_flags(conn), stamp), waves=read_waves(conn),
            measurements=side.result(conn))  # last: read meanwhile on the side


def collaborative_rollup(engine: Engine | Connection, period: str | pd.Period | None = None,
                         as_of: str | dt.datetime | None = None, *, most_improved_n: int = 5,
                         keys: Collection[str] = ROLLUP_KEYS) -> dict[str, pd.DataFrame]:
    """Every collaborative roll-up of the database, as of a time and for a reporting month.

    `period`: the reporting month (`YYYY-MM`; default `rollup.base.reporting_month`, the
    latest month in which most teams reported);
    `as_of`: only measurement revisions and assessments entered up to then count (a learning
    session snapshot can be reproduced later). Returns a dict of frames (see ROLLUP_KEYS):

    - context: one row — collaborative (name), period, as_of, assessment_target;
    - indicators: `rollup.latest_indicator_summary` (the reporting month);
    - indicator_months: `rollup.indicator_summary` (every month up to it);
    - time_to_target: `rollup.time_to_threshold`; gains: `rollup.gain_from_baseline`;
    - waves: `rollup.wave_cohorts`; assessments: `rollup.assessment_summary`;
    - status_matrix: `rollup.status_matrix`, its signal from the teams' charts with their
      adoption phases (PDSA cycles entered up to `as_of`) and the months under an open error
      flag (raised up to `as_of`) left out of the limits; most_improved:
      `rollup.most_improved`;
    - spread, sustainability, slipping: `learning.spread.spread_frames` (spread waves against
      the first on equal follow-up; graduated teams holding their gains 6 and 12 months on).

    `keys`: the frames wanted (of `ROLLUP_KEYS`, as `rollup_of_inputs` takes them: each
    computed as it is for all of them; `context` always comes).
    """
    as_period(period)  # a bad month is refused before anything is read
    inputs = read_collaborative_inputs(engine, as_of)
    return rollup_of_inputs(inputs, period, most_improved_n=most_improved_n, keys=keys)[0]


def rollup_of_inputs(inputs: CollaborativeInputs, period: str | pd.Period | None = None, *,
                     most_improved_n: int = 5, keys: Collection[str] = ROLLUP_KEYS
                     ) -> tuple[dict[str, pd.DataFrame], TeamCharts]:
    """`collaborative_rollup` of inputs already read, and the teams' charts its status
    matrix was read from (`rollup.series.team_charts` for the reporting month: the charts
    the reports draw, so a page that shows them need not assemble them again).

    `keys`: the frames wanted (of `ROLLUP_KEYS`; a page that shows a few asks for those,
    each computed as `collaborative_rollup` computes it); the teams' charts are always
    assembled."""
    asked = as_period(period)
    measurements = inputs.measurements
    if asked is not None and len(measurements):
        months = to_periods(measurements["period"])
        if not months.min() <= asked <= months.max():
            raise ValidationFailed(N_("no data for {asked}: the collaborative's data run from "
                                      "{first} to {last}; choose a month in that range."),
                                   params={"asked": asked, "first": months.min(),
                                           "last": months.max()})
    wanted = set(keys)
    with shared_preparation():  # the tidy frame is prepared once for all the roll-ups
        rp = asked if asked is not None else reporting_month(measurements)  # codes shared
        frames, charts = _rollups(inputs, rp, most_improved_n, wanted)
        if wanted & set(_SPREAD_KEYS):
            frames.update(spread_frames(frames["time_to_target"], measurements,
                                        inputs.indicators, inputs.teams, inputs.waves, rp))
    return {key: frames[key] for key in ROLLUP_KEYS if key in wanted}, charts


def _rollups(inputs: CollaborativeInputs, rp: pd.Period | None, most_improved_n: int,
             wanted: set[str]) -> tuple[dict[str, pd.DataFrame], TeamCharts]:
    measurements, indicators, teams = inputs.measurements, inputs.indicators, inputs.teams
    charts = team_charts(measurements, indicators, inputs.cycles, inputs.change_ideas,
                         period=rp, flags=inputs.flags)
    frames: dict[str, pd.DataFrame] = {}

    def need(*keys: str) -> bool:
        return bool(wanted.intersection(keys))

    frames["context"] = pd.DataFrame([{"collaborative": inputs.name, "period": rp,
                                       "as_of": inputs.as_of,
                                       "assessment_target": inputs.assessment_target}])
    if need("indicators"):
        frames["indicators"] = rollup.latest_indicator_summary(measurements, indicators, teams,
                                                               period=rp)
    if need("indicator_months"):
        frames["indicator_months"] = rollup.indicator_summary(measurements, indicators, teams,
                                                              period=rp)
    if need("time_to_target", *_SPREAD_KEYS):
        frames["time_to_target"] = rollup.time_to_threshold(measurements, indicators, teams,
                                                             period=rp)
    if need("gains", "most_improved"):
        frames["gains"] = rollup.gain_from_baseline(measurements, indicators, teams, period=rp)
        frames["most_improved"] = rollup.most_improved(frames["gains"], n=most_improved_n)
    if need("waves"):
        frames["waves"] = rollup.wave_cohorts(measurements, indicators, teams, period=rp)
    if need("assessments"):
        frames["assessments"] = rollup.assessment_summary(inputs.assessments, period=rp,
                                                          target=inputs.assessment_target)
    if need("status_matrix"):
        signals = chart_signals_of(charts, indicators)  # the one signal status, read once
        frames["status_matrix"] = rollup.status_matrix(
            measurements, indicators, teams, period=rp, signals=signals, cycles=inputs.cycles,
            change_ideas=inputs.change_ideas, flags=inputs.flags)
    return frames, charts


def rollup_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-ready rows: periods and timestamps as text, NaN/NA/NaT as None, numpy as Python.

    Built column by column (one conversion per column, not per cell: the status matrix of
    2,000 teams has 20,000 rows)."""
    columns = [str(column) for column in frame.columns]
    values = [_json_values(frame.iloc[:, i]) for i in range(frame.shape[1])]
    return [dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True)]


def _json_values(col: pd.Series) -> list[Any]:
    """One column as Python values: periods and timestamps as text, missing as None."""
    missing = col.isna().to_numpy(dtype=bool)
    if isinstance(col.dtype, pd.PeriodDtype) or pd.api.types.is_datetime64_any_dtype(col):
        return [None if gone else str(v)
                for v, gone in zip(col.astype(object).tolist(), missing, strict=True)]
    items = col.tolist()  # numpy scalars become Python ones
    if col.dtype == object:
        items = [str(v) if isinstance(v, pd.Period | pd.Timestamp) else
                 (v.item() if hasattr(v, "item") and not isinstance(v, str | bytes) else v)
                 for v in items]
    if missing.any():
        return [None if gone else v for v, gone in zip(items, missing, strict=True)]
    return items

"""Measurements: append-only revisions in, the tidy frame out.

The tidy frame is the lingua franca of the workbench: one row per `team_id, indicator_id,
period` with `numerator, denominator, value` (`period` is a pandas monthly Period; `value` is
numerator ÷ denominator, or the numerator where an indicator has no denominator).

`add_revisions` is the store's own door: it refuses impossible values (a count that is not a
whole number of 0 or more, a period that is not a month — `workbench.model`'s value policy)
with a `StoreError`, so nothing the store holds is refused when exported and imported again;
a month outside the collaborative's calendar (`read_calendar`: from its start to next month,
`workbench.model.calendar_problem`) is refused the same way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, and_, func, select

from workbench.errors import Message, StoreError
from workbench.i18n import N_
from workbench.model import Calendar, calendar_of, calendar_problem, read_count
from workbench.model import parse_periods as _parse_periods
from workbench.store.engine import current_user, inserted_id, utcnow
from workbench.store.schema import collaborative
from workbench.store.schema import measurement_revisions as mr

__all__ = [
    "TIDY_COLUMNS",
    "add_revisions",
    "Unreadable",
    "read_calendar",
    "read_measurements",
    "readable_rows",
    "read_revisions",
    "current_revisions",
    "latest_revision_id",
    "tidy",
    "count_values",
]

#: what a read does with a current row whose stored count is not a number (`readable_rows`):
#: raise a StoreError naming it, or leave the row out
Unreadable = Literal["raise", "skip"]

TIDY_COLUMNS = ["team_id", "indicator_id", "period", "numerator", "denominator", "value"]


def _latest_ids(as_of: dt.datetime | None,  # type: ignore[no-untyped-def]
                team_ids: Sequence[str] | None = None,
                indicator_ids: Sequence[str] | None = None):
    """The latest revision id of every key; only the keys of `team_ids` / `indicator_ids`
    when given (filtered inside the grouping, so one team's read does not group the whole
    table: its cost does not grow with the number of teams)."""
    query = select(func.max(mr.c.revision_id).label("revision_id")).group_by(
        mr.c.team_id, mr.c.indicator_id, mr.c.period
    )
    return revisions_of(query, as_of, team_ids, indicator_ids).subquery()


def revisions_of(query: Any, as_of: dt.datetime | str | None,
                 team_ids: Sequence[str] | None = None,
                 indicator_ids: Sequence[str] | None = None) -> Any:
    """`query` on the measurement revisions kept to those entered by `as_of`, of `team_ids`
    and of `indicator_ids` (each: all when `None`)."""
    if as_of is not None:
        query = query.where(mr.c.created_at <= _naive_utc(as_of))
    if team_ids is not None:
        query = query.where(mr.c.team_id.in_(list(team_ids)))
    if indicator_ids is not None:
        query = query.where(mr.c.indicator_id.in_(list(indicator_ids)))
    return query


def _naive_utc(value: dt.datetime | str | pd.Timestamp) -> dt.datetime:
    ts = pd.Timestamp(value)
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return ts.to_pydatetime()


def current_revisions(
    bind: Engine | Connection,
    *,
    as_of: dt.datetime | str | None = None,
    team_ids: Sequence[str] | None = None,
    indicator_ids: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The latest revision row of every key (all revision columns), optionally as of a time."""
    return _current(bind, list(mr.c), as_of, team_ids, indicator_ids)


def _current(bind: Engine | Connection, columns: list[Any], as_of: dt.datetime | str | None,
             team_ids: Sequence[str] | None, indicator_ids: Sequence[str] | None
             ) -> pd.DataFrame:
    latest = _latest_ids(_naive_utc(as_of) if as_of is not None else None, team_ids,
                         indicator_ids)
    query = select(*columns).join(latest, mr.c.revision_id == latest.c.revision_id)
    if team_ids is not None:
        query = query.where(mr.c.team_id.in_(list(team_ids)))
    if indicator_ids is not None:
        query = query.where(mr.c.indicator_id.in_(list(indicator_ids)))
    query = query.order_by(mr.c.team_id, mr.c.indicator_id, mr.c.period)
    with _conn(bind) as conn:  # plain tuples: mappings cost seconds at 700,000 rows
        rows = [tuple(row) for row in conn.execute(query)]
    return pd.DataFrame(rows, columns=[column.key for column in columns])


def read_measurements(
    bind: Engine | Connection,
    *,
    as_of: dt.datetime | str | None = None,
    team_ids: Sequence[str] | None = None,
    indicator_ids: Sequence[str] | None = None,
    unreadable: Unreadable = "raise",
) -> pd.DataFrame:
    """The tidy frame of current values (latest revision per key).

    `as_of`: only revisions created up to then count, so a snapshot shown at a learning
    session can be reproduced later. Keys whose latest revision has no numerator and no
    denominator (a withdrawn entry) are left out. `unreadable`: what to do with a current
    row whose stored count is not a number (`readable_rows`; text that reached a SQLite
    file around the store): "raise" a `StoreError` naming it (the default), or "skip" it
    (the row is left out; an older revision of its key does not take its place).
    """
    columns = [mr.c.team_id, mr.c.indicator_id, mr.c.period, mr.c.numerator, mr.c.denominator]
    frame = _current(bind, columns, as_of, team_ids, indicator_ids)  # only what tidy keeps
    frame = frame[frame["numerator"].notna() | frame["denominator"].notna()]
    return tidy(frame, unreadable=unreadable)


def tidy(frame: pd.DataFrame, *, unreadable: Unreadable = "raise") -> pd.DataFrame:
    """Reduce revision rows to the tidy frame, deriving `value`. A row whose count is not a
    number (`readable_rows`) raises a `StoreError` naming it, or with `unreadable="skip"` is
    left out."""
    if unreadable == "skip" and len(frame):
        frame = frame[readable_rows(frame)]
    out = frame.loc[:, ["team_id", "indicator_id", "period", "numerator", "denominator"]].copy()
    if len(out):  # each distinct month parsed once
        codes, months = pd.factorize(out["period"].astype(str))
        out["period"] = pd.PeriodIndex(months, freq="M")[codes]
    else:
        out["period"] = pd.Series([], dtype="period[M]")
    _refuse_unreadable(out)
    num = out["numerator"].astype(float)
    den = out["denominator"].astype(float)
    out["numerator"] = num
    out["denominator"] = den
    out["value"] = count_values(num.to_numpy(), den.to_numpy())
    return out.reset_index(drop=True)


def count_values(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """The value of each numerator and denominator: their ratio, NaN for a zero
    denominator, the numerator where there is no denominator (NaN)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = numerator / np.where(denominator != 0, denominator, np.nan)
    return np.where(np.isnan(denominator), numerator, ratio).astype(float)


def _unreadable(counts: pd.Series) -> np.ndarray:
    """Whether each stored count is not a number (NULL is a number not given)."""
    if pd.api.types.is_numeric_dtype(counts):
        return np.zeros(len(counts), dtype=bool)
    return np.asarray(counts.notna() & pd.to_numeric(counts, errors="coerce").isna())


def readable_rows(frame: pd.DataFrame) -> np.ndarray:
    """THE answer to which revision rows can be read: whether each row's numerator and
    denominator are numbers or NULL (not a text that reached the store around the import
    checks, which only a SQLite file can hold); a fraction or a negative count is a number,
    read as it is."""
    return np.asarray(~(_unreadable(frame["numerator"]) | _unreadable(frame["denominator"])))


def unreadable_counts(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of `frame` whose stored numerator or denominator is not a number (text that
    reached the store around the import checks), with the column named: team_id,
    indicator_id, period, column, value."""
    found = []
    for column in ("numerator", "denominator"):
        bad = _unreadable(frame[column])
        for row in frame[bad].itertuples(index=False):
            found.append((row.team_id, row.indicator_id, str(row.period), column,
                          getattr(row, column)))
    return pd.DataFrame(found, columns=["team_id", "indicator_id", "period", "column", "value"])


def _refuse_unreadable(frame: pd.DataFrame) -> None:
    if not len(frame) or all(pd.api.types.is_numeric_dtype(frame[c])
                             for c in ("numerator", "denominator")):
        return
    bad = unreadable_counts(frame)
    if len(bad):
        first = bad.iloc[0]
        more = Message(N_(" (and {count} more)"), {"count": len(bad) - 1}) if len(bad) > 1 else ""
        raise StoreError(N_("Stored {column} {value!r} of team {team_id}, indicator "
                            "{indicator_id}, month {period} is not a number{more}: correct it as "
                            "a new revision (workbench flags resolve … --action correct, or "
                            "import the right count)."),
                         params={"column": first['column'], "value": first['value'],
                                 "team_id": first['team_id'],
                                 "indicator_id": first['indicator_id'], "period": first['period'],
                                 "more": more},
                         team_id=str(first["team_id"]), indicator_id=str(first["indicator_id"]),
                         period=str(first["period"]), column=str(first["column"]))


def read_revisions(
    bind: Engine | Connection,
    team_id: str | None = None,
    indicator_id: str | None = None,
    period: str | None = None,
) -> pd.DataFrame:
    """Every revision (the full history) of the keys selected, oldest first."""
    query = select(mr)
    for column, value in (("team_id", team_id), ("indicator_id", indicator_id), ("period", period)):
        if value is not None:
            query = query.where(mr.c[column] == value)
    query = query.order_by(mr.c.team_id, mr.c.indicator_id, mr.c.period, mr.c.revision_id)
    with _conn(bind) as conn:
        return pd.DataFrame(conn.execute(query).mappings().all(), columns=list(mr.c.keys()))


def add_revisions(
    conn: Connection,
    rows: Iterable[Mapping[str, Any]],
    *,
    source: str,
    author: str | None = None,
    reason: str = "",
    batch_id: int | None = None,
    created_at: dt.datetime | None = None,
    return_ids: bool = True,
) -> list[int]:
    """Append measurement revisions inside the caller's transaction; returns their ids.

    Each row needs `team_id, indicator_id, period, numerator, denominator`; it may carry its own
    `author, reason, comment, created_at, flag_id, source`. Nothing is ever updated in place.
    With `return_ids=False` the rows go in as one bulk statement (imports) and [] is returned.
    An impossible value (`workbench.model`: a negative or fractional count, a period that is
    not a month) raises `StoreError` naming the row; nothing is written.
    """
    now = created_at or utcnow()
    author = author or current_user()
    rows = list(rows)
    if not rows:
        return []
    _refuse_impossible(rows, read_calendar(conn))
    records = []
    for row in rows:
        records.append(
            {
                "team_id": row["team_id"],
                "indicator_id": row["indicator_id"],
                "period": str(row["period"]),
                "numerator": _num(row.get("numerator")),
                "denominator": _num(row.get("denominator")),
                "source": row.get("source", source),
                "batch_id": row.get("batch_id", batch_id),
                "flag_id": row.get("flag_id"),
                "author": row.get("author") or author,
                "created_at": row.get("created_at") or now,
                "reason": row.get("reason", reason) or "",
                "comment": row.get("comment") or "",
            }
        )
    if not records:
        return []
    if not return_ids:
        conn.execute(mr.insert(), records)
        return []
    ids = []
    for record in records:  # one statement per row keeps ids reliable on every backend
        ids.append(inserted_id(conn.execute(mr.insert().values(**record))))
    return ids


def read_calendar(bind: Engine | Connection) -> Calendar:
    """The months this collaborative's data may have (`workbench.model.calendar_of` of its
    start period; without a collaborative row, from the first year a period may have)."""
    with _conn(bind) as conn:
        start = conn.execute(select(collaborative.c.start_period)).scalar()
    return calendar_of(start)


def _refuse_impossible(rows: Sequence[Mapping[str, Any]], calendar: Calendar) -> None:
    """StoreError for the first row holding an impossible value (`workbench.model`)."""
    if not rows:
        return
    periods = _parse_periods(pd.Series([row["period"] for row in rows], dtype=object))
    months = periods.astype("string").fillna("")
    outside = periods.isna() | (months < calendar.first) | (months > calendar.last)
    for i in np.flatnonzero(outside.to_numpy())[:1]:
        row = rows[i]
        key = f"{row['team_id']} {row['indicator_id']} {row['period']}"
        why = calendar_problem(row["period"], calendar)  # a non-month: period_problem
        raise StoreError(N_("measurement row {number} ({key}), period: {why}. Nothing was "
                            "written."),
                         params={"number": i + 1, "key": key, "why": why}, row=int(i) + 1,
                         column="period", value=row["period"])
    for i, row in enumerate(rows):
        key = f"{row['team_id']} {row['indicator_id']} {row['period']}"
        for column in ("numerator", "denominator"):
            _, problem = read_count(row.get(column))
            if problem is not None:
                raise StoreError(N_("measurement row {number} ({key}), {column}: {message}. "
                                    "Nothing was written."),
                                 params={"number": i + 1, "key": key, "column": column,
                                         "message": problem.message},
                                 row=i + 1, column=column, value=row.get(column),
                                 reason=problem.reason)


def _num(value: Any) -> float | None:
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return float(value)


class _conn:
    """Use a Connection as is, or open one from an Engine for the block."""

    def __init__(self, bind: Engine | Connection) -> None:
        self.bind = bind
        self._owned: Connection | None = None

    def __enter__(self) -> Connection:
        if isinstance(self.bind, Engine):
            self._owned = self.bind.connect()
            return self._owned
        return self.bind

    def __exit__(self, *exc: object) -> None:
        if self._owned is not None:
            self._owned.close()


def latest_revision_id(
    conn: Connection, team_id: str, indicator_id: str, period: str
) -> int | None:
    """Id of the current revision of one key, or None."""
    return conn.execute(
        select(func.max(mr.c.revision_id)).where(
            and_(mr.c.team_id == team_id, mr.c.indicator_id == indicator_id, mr.c.period == period)
        )
    ).scalar()

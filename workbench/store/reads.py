"""Reads the report view-models need beyond the plain tables (`workbench.store.records`).

`measurements_state` fingerprints the measurements (the key of a cache of collaborative
aggregates); `read_pdsa_history` reads the versions of PDSA cycles (the site-visit brief
finds stalled cycles in them); `read_current_measurements` is `read_measurements`, the same
frame, read in under half the time from a SQLite file, column by column
(`workbench.store.by_column`; the collaborative-wide roll-ups read 700,000 rows at 2,000
teams). SQL on the schema lives in `workbench.store` only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, func, select

from workbench.store import schema as s
from workbench.store.by_column import (
    NULL_COUNT,
    TEXT_COUNT,
    RevisionColumns,
    revision_columns,
)
from workbench.store.measurements import (
    Unreadable,
    _conn,
    count_values,
    read_measurements,
    readable_rows,
    revisions_of,
    tidy,
)

__all__ = ["PDSA_HISTORY_COLUMNS", "measurements_mark", "measurements_state",
           "read_current_measurements", "read_pdsa_history"]

PDSA_HISTORY_COLUMNS = ["cycle_id", "version", "status", "created_at"]


def measurements_state(bind: Engine | Connection) -> tuple[str, ...]:
    """A fingerprint of `measurement_revisions` (append-only: any change adds rows): row
    count, last revision id and time, sums of numerators and denominators, as text."""
    mr = s.measurement_revisions
    query = select(func.count(), func.max(mr.c.revision_id), func.max(mr.c.created_at),
                   func.sum(mr.c.numerator), func.sum(mr.c.denominator))
    with _conn(bind) as conn:
        row = conn.execute(query).one()
    return tuple(str(v) for v in row)


def measurements_mark(bind: Engine | Connection) -> tuple[object, ...]:
    """What the collaborative's measurements read in a transaction depend on, read in O(1):
    the last measurement revision id (revisions are only ever added, each with a higher id:
    two states with the same last id hold the same revisions) and which indicators are a
    team's own (`team_measures.read_collaborative_measurements` leaves those out). Equal
    marks of two read transactions: equal measurement reads (`store.side_read.SideRead`).
    `measurements_state` is the fingerprint kept across processes (it scans the table)."""
    mr, i = s.measurement_revisions, s.indicators
    with _conn(bind) as conn:
        last = conn.execute(select(func.max(mr.c.revision_id))).scalar()
        owners = conn.execute(select(i.c.indicator_id, i.c.team_id)
                              .order_by(i.c.indicator_id)).all()
    return (last, *(tuple(row) for row in owners))


def read_pdsa_history(bind: Engine | Connection, cycle_ids: Iterable[int]) -> pd.DataFrame:
    """The versions of these PDSA cycles, oldest first per cycle: cycle_id, version, status
    (from the version's snapshot; None when absent), created_at."""
    ids = [int(c) for c in cycle_ids]
    if not ids:
        return pd.DataFrame(columns=PDSA_HISTORY_COLUMNS)
    h = s.pdsa_history
    query = (select(h.c.cycle_id, h.c.version, h.c.snapshot, h.c.created_at)
             .where(h.c.cycle_id.in_(ids)).order_by(h.c.cycle_id, h.c.version))
    with _conn(bind) as conn:
        rows = conn.execute(query).all()
    return pd.DataFrame([(r.cycle_id, r.version, (r.snapshot or {}).get("status"),
                          r.created_at) for r in rows], columns=PDSA_HISTORY_COLUMNS)


_CURRENT_COLUMNS = ["team_id", "indicator_id", "period", "numerator", "denominator"]


def read_current_measurements(bind: Engine | Connection, *,
                              as_of: dt.datetime | str | None = None,
                              team_ids: Sequence[str] | None = None,
                              indicator_ids: Sequence[str] | None = None,
                              unreadable: Unreadable = "raise") -> pd.DataFrame:
    """`read_measurements(bind, as_of=…, team_ids=…, indicator_ids=…, unreadable=…)`: the
    same frame (`unreadable="skip"` leaves out a current row whose count is not a number,
    `measurements.readable_rows`, instead of raising).

    On SQLite the revisions (up to `as_of`, of the teams and indicators asked for) are read
    in one scan of the table, as one aggregate row of their columns
    (`by_column.revision_columns`: no Python tuple or object per row and value; the rows
    themselves when a count is not a whole number of 0 or more or a code holds a comma), and
    the latest revision of each key is picked and sorted on integer codes, where the store's
    query groups, joins and sorts 700,000 rows at 2,000 teams (1.6 s of SQLite's time
    against 0.3 for the aggregate; 1.6 s CPU for the whole read by rows against 0.7 by
    columns, same frame at 48, 300 and 2,000 teams). Each team, indicator and month is one text
    object shared by its rows (the driver makes one per row), so the roll-ups that group and
    match them hash and compare far less (at 2,000 teams `workbench.briefs.summary`'s
    roll-ups took 5.6–6.2 s CPU on this frame against 8.4 on the store's, same values).
    Texts sort by code point, as SQLite's BINARY collation sorts them; other databases sort
    by their own collation, so they keep the store's query (`read_measurements`).
    A current count stored as a text is the row read's to raise on (it names the row); to
    leave out, the column read leaves it out itself when `readable_rows` says it is not a
    number (else the rows are read).
    """
    with _conn(bind) as conn:
        if conn.dialect.name != "sqlite":
            return read_measurements(conn, as_of=as_of, team_ids=team_ids,
                                     indicator_ids=indicator_ids, unreadable=unreadable)
        mr = s.measurement_revisions
        found = revision_columns(  # one aggregate row: the columns as texts
            conn, lambda query: revisions_of(query, as_of, team_ids, indicator_ids),
            mr.c.revision_id, [mr.c[c] for c in _CURRENT_COLUMNS[:3]], mr.c.numerator,
            mr.c.denominator)
        if found is not None:
            frame = _current_of_columns(conn, found, unreadable)
            if frame is not None:
                return frame
        query = revisions_of(select(mr.c.revision_id, *(mr.c[c] for c in _CURRENT_COLUMNS)),
                             as_of, team_ids, indicator_ids)
        # plain tuples from the driver (these columns have no result processing on SQLite)
        rows = conn.execute(query).cursor.fetchall()
    frame = _latest_rows(rows)
    frame = frame[frame["numerator"].notna() | frame["denominator"].notna()]
    return tidy(frame, unreadable=unreadable)


def _current_of_columns(conn: Connection, found: RevisionColumns, unreadable: Unreadable
                        ) -> pd.DataFrame | None:
    """The tidy frame of the latest revision of each key of these revisions (their keys as
    codes into sorted texts, their counts whole numbers): `tidy` of `_latest_rows`, without a
    Python object per row. None (read the rows) when a current count is a text, unless it is
    to be left out and `_unreadable_revisions` says it is not a number."""
    key = np.zeros(len(found.revision_id), dtype=np.int64)  # team, indicator, month as one
    keys = 1
    for codes, texts in zip(found.codes, found.texts, strict=True):
        keys *= len(texts)
        if keys >= 1 << 62:  # past int64: the rows are read
            return None
        key = key * len(texts) + codes
    kept = _latest_of_keys(key, found.revision_id, keys)
    numerators, denominators = found.numerator[kept], found.denominator[kept]
    entered = (numerators != NULL_COUNT) | (denominators != NULL_COUNT)  # not withdrawn
    kept, numerators, denominators = kept[entered], numerators[entered], denominators[entered]
    text = (numerators == TEXT_COUNT) | (denominators == TEXT_COUNT)
    if text.any():
        if unreadable == "raise" or not _unreadable_revisions(conn, found.revision_id[kept[text]]):
            return None  # the row read raises, naming the row (or reads the number)
        readable = ~text
        kept, numerators, denominators = (kept[readable], numerators[readable],
                                          denominators[readable])
    numerator = np.where(numerators == NULL_COUNT, np.nan, numerators)
    denominator = np.where(denominators == NULL_COUNT, np.nan, denominators)
    (teams, indicators, months), (team_texts, indicator_texts, month_texts) = (
        found.codes, found.texts)
    month_of = months[kept]
    used = np.flatnonzero(np.bincount(month_of, minlength=len(month_texts)))  # parsed as
    month_codes = np.full(len(month_texts), -1, dtype=np.int64)  # tidy parses: only these
    month_codes[used] = np.arange(len(used))
    periods = pd.PeriodIndex(month_texts[used], freq="M")
    return pd.DataFrame({
        "team_id": pd.array(team_texts, dtype="str").take(teams[kept]),
        "indicator_id": pd.array(indicator_texts, dtype="str").take(indicators[kept]),
        "period": periods.array.take(month_codes[month_of]),
        "numerator": numerator, "denominator": denominator,
        "value": count_values(numerator, denominator)}, copy=False)


def _unreadable_revisions(conn: Connection, revision_ids: np.ndarray) -> bool:
    """Whether the counts of every one of these revisions (a few: each holds a text) are
    not numbers by `readable_rows` (a text such as 'inf' is one)."""
    if len(revision_ids) > 10_000:  # damage on this scale: the rows are read
        return False
    mr = s.measurement_revisions
    query = select(mr.c.numerator, mr.c.denominator).where(
        mr.c.revision_id.in_(revision_ids.tolist()))
    counts = pd.DataFrame([tuple(row) for row in conn.execute(query)],
                          columns=["numerator", "denominator"], dtype=object)
    return len(counts) == len(revision_ids) and not readable_rows(counts).any()


def _latest_of_keys(key: np.ndarray, revision_id: np.ndarray, keys: int) -> np.ndarray:
    """The row of the latest revision (highest id; ids are unique) of each key of `key`
    (integers from 0 to `keys` - 1), in key order. Without a sort where the keys are few
    for the rows (a table of `keys` integers: the highest id of each key, then the row that
    holds it; at 2,000 teams 660,000 rows into 720,000 keys, 0.01 s against 0.07 for the
    sort); else by sorting by key, then revision."""
    if keys > 4 * len(key) + (1 << 20):  # too many keys for a table of them: sort
        order = np.lexsort((revision_id, key))
        ordered = key[order]
        last = np.ones(len(order), dtype=bool)  # the last row of each key: its latest
        np.not_equal(ordered[1:], ordered[:-1], out=last[:-1])
        return np.asarray(order[last])
    none = np.iinfo(np.int64).min
    latest = np.full(keys, none, dtype=np.int64)  # the highest revision id of each key
    np.maximum.at(latest, key, revision_id)
    rows = np.flatnonzero(revision_id == latest[key])  # one row a key: ids are unique
    row_of = np.empty(keys, dtype=np.int64)
    row_of[key[rows]] = rows
    return np.asarray(row_of[latest != none])


def _latest_rows(rows: Sequence[Sequence[object]]) -> pd.DataFrame:
    """Of (revision_id, team_id, indicator_id, period, numerator, denominator) rows, the
    latest revision of each key, sorted by key: the frame the store's query gives (its
    columns typed as pandas types the rows of that query)."""
    if not rows:
        return pd.DataFrame([], columns=_CURRENT_COLUMNS)
    table = np.array(rows, dtype=object)
    key = np.zeros(len(table), dtype=np.int64)  # team, indicator, month as one integer
    texts = []
    for i in (1, 2, 3):
        codes, distinct = pd.factorize(table[:, i], sort=True)
        key = key * (len(distinct) + 1) + codes
        texts.append((codes, np.asarray(distinct, dtype=object)))
    order = np.lexsort((table[:, 0].astype(np.int64), key))  # by key, then revision
    last = np.ones(len(order), dtype=bool)  # the last row of each key: its latest revision
    last[:-1] = key[order][1:] != key[order][:-1]
    kept = order[last]
    # each text once (one object per team, indicator and month, not one per row: every
    # grouping downstream hashes and compares them), the numbers as the rows give them
    # (a text array of the distinct values, taken by code: the values are not checked and
    # typed once per row, as a Series of a list is)
    columns = {name: pd.Series(pd.array(distinct, dtype="str").take(codes[kept]))
               for name, (codes, distinct) in zip(_CURRENT_COLUMNS, texts, strict=False)}
    for i, name in ((4, "numerator"), (5, "denominator")):
        columns[name] = pd.Series(table[kept, i].tolist())
    return pd.DataFrame(columns)

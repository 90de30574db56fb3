"""Imports: a file becomes measurement revisions in one transaction — all rows or none.

Formats (`fmt`): `csv` (tidy: team_id, indicator_id, period, numerator, denominator[,
comment]), `xlsx` (the data-entry workbook of `workbench template xlsx`, or any sheet with
those headers), `dhis2-json` and `dhis2-csv` (dataValueSets, data-quality reference §1a; the
CSV is positional and its header row is ignored), `kobo` (KoboToolbox / ODK Central CSV
exports, reference §5). DHIS2 and Kobo need a mapping file (`workbench.ingest.mapping`).

Checking is lazy, pandera-style: every problem in the file is collected into one failures
frame (row, column, reason, value, message, severity — `workbench.ingest.cells`) and raised as
`IngestError(failure_cases=...)`; nothing is written. Reason codes: encoding-error, bad-file,
bad-json, unknown-format, missing-column, empty-file, unknown-team, unknown-indicator,
bad-period, outside-calendar (before the collaborative's start or after next month:
`workbench.model.calendar_problem`), not-a-number, not-an-integer, negative-count,
incomplete-pair, duplicate-key (the same key twice with different values: DHIS2's
"conflicting duplicates"), unmapped-data-element (only with `unmapped_data_elements: error`).

Numerator > denominator is *not* an import error: data from existing systems comes in and the
validator reviews it as a flag (`workbench.validate`).

A clean file is compared with the current revisions: each key is new, revised or unchanged;
only new and revised keys get a revision, so importing the same file twice is a no-op for the
measurements. A key whose current revision is a reviewed correction (source "correction",
`workbench flags resolve --action correct`) is never overwritten: an imported value that differs
is `kept_correction` — counted, listed in `ImportResult.kept_corrections` (key, corrected value,
imported value) and not written — so re-importing an old file cannot silently undo a review.
The current values are read under the write lock (`workbench.store.write_transaction`), so this
holds against a correction saved while the import runs: it is either seen or saved after.
Every (non-dry-run) import records an `import_batches` row with its summary.
Rows whose numerator and denominator are both blank are skipped (a month not reported).

Reading each format into tidy candidate rows is `workbench.ingest.formats`, checking them
`workbench.ingest.checks` (`read_candidates`); this module compares the clean rows with the
current revisions and writes them (`import_file`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine

from workbench.errors import IngestError
from workbench.i18n import N_, ngettext
from workbench.ingest.checks import read_candidates
from workbench.ingest.formats import FORMATS, KEY, detect_format
from workbench.ingest.mapping import Mapping
from workbench.store import (
    authorize,
    current_user,
    inserted_id,
    record_write,
    utcnow,
    write_transaction,
)
from workbench.store import schema as s

__all__ = ["FORMATS", "ImportResult", "detect_format", "read_candidates", "import_file",
           "current_values", "fetch_tuples"]

_CHUNK = 50_000


@dataclass
class ImportResult:
    """What an import did (or, with dry_run, would do)."""

    file: str
    format: str
    rows: int  # data rows read (before blanks were skipped)
    new: int
    revised: int
    unchanged: int
    blank: int
    ignored: int  # DHIS2 values of unmapped data elements, deleted values
    batch_id: int | None
    dry_run: bool
    kept_correction: int = 0  # keys whose current value is a reviewed correction: not written
    kept_corrections: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def fetch_tuples(conn: Connection, sql: str, params: tuple[Any, ...] = ()
                 ) -> list[tuple[Any, ...]]:
    """Plain tuples straight from the DBAPI cursor (SQLAlchemy Rows are slow to frame in bulk).

    `sql` uses `?` placeholders; they become `%s` on drivers with that paramstyle.
    """
    if conn.dialect.paramstyle in ("format", "pyformat"):
        sql = sql.replace("?", "%s")
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql, params)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def current_values(conn: Connection | Engine) -> pd.DataFrame:
    """Current numerator, denominator, comment, revision_id and source of every key (fast)."""
    sql = ("SELECT m.team_id, m.indicator_id, m.period, m.numerator, m.denominator, m.comment, "
           "m.revision_id, m.source FROM measurement_revisions m JOIN (SELECT max(revision_id) "
           "AS rid FROM measurement_revisions GROUP BY team_id, indicator_id, period) l "
           "ON m.revision_id = l.rid")
    if isinstance(conn, Engine):
        with conn.connect() as c:
            rows = fetch_tuples(c, sql)
    else:
        rows = fetch_tuples(conn, sql)
    return pd.DataFrame.from_records(
        rows, columns=["team_id", "indicator_id", "period", "numerator", "denominator",
                       "comment", "revision_id", "source"])


def _classify(clean: pd.DataFrame, current: pd.DataFrame) -> tuple[pd.Series, pd.DataFrame]:
    """new | revised | unchanged | kept_correction for each clean row, and the current rows.

    A key whose current revision is a reviewed correction (source "correction") is never
    overwritten by an import: different values are `kept_correction`, equal values unchanged
    (the comment does not count there).
    """
    if current.empty:
        return pd.Series("new", index=clean.index), current
    merged = clean[KEY].merge(current, on=KEY, how="left", suffixes=("", "_cur"),
                              validate="one_to_one")
    merged.index = clean.index
    exists = merged["revision_id"].notna()

    def same(a: pd.Series, b: pd.Series) -> pd.Series:
        a = a.astype(float)
        b = b.astype(float)
        return (a == b) | (a.isna() & b.isna())

    values = (same(clean["numerator"], merged["numerator"])
              & same(clean["denominator"], merged["denominator"]))
    equal = values & (clean["comment"].fillna("").astype(str)
                      == merged["comment"].fillna("").astype(str))
    corrected = merged["source"] == "correction"
    status = np.where(~exists, "new", np.where(equal, "unchanged", "revised"))
    status = np.where(corrected, np.where(values, "unchanged", "kept_correction"), status)
    return pd.Series(status, index=clean.index), merged


def _kept(clean: pd.DataFrame, merged: pd.DataFrame, kept: pd.Series) -> list[dict[str, Any]]:
    def num(v: Any) -> float | None:
        return None if pd.isna(v) else float(v)

    return [{"team_id": t, "indicator_id": i, "period": p,
             "corrected": {"numerator": num(cn), "denominator": num(cd), "revision_id": int(r)},
             "imported": {"numerator": num(n), "denominator": num(d), "row": int(row)}}
            for t, i, p, n, d, row, cn, cd, r in zip(
                clean["team_id"][kept], clean["indicator_id"][kept], clean["period"][kept],
                clean["numerator"][kept], clean["denominator"][kept], clean["row"][kept],
                merged["numerator"][kept], merged["denominator"][kept],
                merged["revision_id"][kept], strict=True)]


def _insert_revisions(conn: Connection, rows: pd.DataFrame, *, source: str, author: str,
                      batch_id: int, progress: Callable[[int, int], None] | None) -> None:
    """Bulk insert: raw executemany on SQLite, Core executemany elsewhere; chunked."""
    now = utcnow()
    total = len(rows)
    num = rows["numerator"].astype(float)
    den = rows["denominator"].astype(float)
    columns = {
        "team_id": rows["team_id"].astype(str).tolist(),
        "indicator_id": rows["indicator_id"].astype(str).tolist(),
        "period": rows["period"].astype(str).tolist(),
        "numerator": num.astype(object).where(num.notna(), None).tolist(),
        "denominator": den.astype(object).where(den.notna(), None).tolist(),
        "comment": rows["comment"].fillna("").astype(str).tolist(),
    }
    sqlite = conn.dialect.name == "sqlite"
    if sqlite and total > _CHUNK:  # a bigger page cache for index inserts (this connection)
        conn.exec_driver_sql("PRAGMA cache_size=-262144")
    stamp = now.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else now
    sql = ("INSERT INTO measurement_revisions (team_id, indicator_id, period, numerator, "
           "denominator, source, batch_id, flag_id, author, created_at, reason, comment) "
           "VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, '', ?)")
    for start in range(0, total, _CHUNK):
        stop = min(start + _CHUNK, total)
        chunk = zip(columns["team_id"][start:stop], columns["indicator_id"][start:stop],
                    columns["period"][start:stop], columns["numerator"][start:stop],
                    columns["denominator"][start:stop], columns["comment"][start:stop],
                    strict=True)
        if sqlite:
            conn.exec_driver_sql(sql, [(t, i, p, n, d, source, batch_id, author, stamp, c)
                                       for t, i, p, n, d, c in chunk])
        else:
            conn.execute(s.measurement_revisions.insert(), [
                {"team_id": t, "indicator_id": i, "period": p, "numerator": n,
                 "denominator": d, "source": source, "batch_id": batch_id, "flag_id": None,
                 "author": author, "created_at": stamp, "reason": "", "comment": c}
                for t, i, p, n, d, c in chunk])
        if progress is not None:
            progress(stop, total)


def _unclean(path: Path, failures: pd.DataFrame) -> IngestError:
    """The error of a file with problems: how many, and the first one with its row and
    column (the message reads in the language it is shown in; the problem's own text was
    written in the import's)."""
    n = len(failures)
    rows = int(failures["row"].nunique(dropna=False))
    first = failures.iloc[0]
    has_row, has_column = pd.notna(first["row"]), bool(first["column"])
    template = (_FIRST_AT_ROW_COLUMN if has_row and has_column else _FIRST_AT_ROW if has_row
                else _FIRST_AT_COLUMN if has_column else _FIRST)
    return IngestError(template, params={
        "file": path.name, "problems": _Shown(_problems, n), "rows": _Shown(_rows, rows),
        "row": first["row"], "column": first["column"], "message": first["message"]},
        file=str(path), failure_cases=failures)


def _problems(n: int) -> str:
    return ngettext("{n} problem", "{n} problems", n).format(n=n)


def _rows(n: int) -> str:
    return ngettext("{n} row", "{n} rows", n).format(n=n)


class _Shown:
    """`text(n)` made when it is shown (`str`, `format`): it reads in the reader's language."""

    def __init__(self, text: Callable[[int], str], n: int) -> None:
        self.text, self.n = text, n

    def __str__(self) -> str:
        return self.text(self.n)

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


_FIRST_AT_ROW_COLUMN = N_("{file}: {problems} in {rows}; nothing was imported. First: row "
                          "{row}, column {column}: {message}. Fix every listed problem and "
                          "import again.")
_FIRST_AT_ROW = N_("{file}: {problems} in {rows}; nothing was imported. First: row {row}, "
                   "{message}. Fix every listed problem and import again.")
_FIRST_AT_COLUMN = N_("{file}: {problems} in {rows}; nothing was imported. First: column "
                      "{column}: {message}. Fix every listed problem and import again.")
_FIRST = N_("{file}: {problems} in {rows}; nothing was imported. First: {message}. Fix every "
            "listed problem and import again.")


def import_file(engine: Engine, path: str | Path, *, fmt: str = "auto",
                mapping: str | Path | Mapping | None = None, dry_run: bool = False,
                author: str | None = None,
                progress: Callable[[int, int], None] | None = None) -> ImportResult:
    """Import a file in one transaction; raises IngestError (with failure_cases) if unclean."""
    path = Path(path)
    clean, failures, info = read_candidates(path, engine, fmt, mapping)
    if len(failures):
        raise _unclean(path, failures)
    source = {"dhis2-json": "dhis2", "dhis2-csv": "dhis2", "kobo": "kobo"}.get(
        info["format"], "import")
    author = current_user(author)
    if not dry_run:  # refused before anything is read under the lock (analyst or admin)
        with engine.connect() as conn:
            authorize(conn, author, "import")
    # the current values are read under the write lock: a correction saved while this import
    # runs is either seen here (kept_correction) or written after it (and so stays current)
    with (engine.begin() if dry_run
          else write_transaction(engine, s.measurement_revisions)) as conn:
        status, merged = _classify(clean, current_values(conn))
        counts = status.value_counts()
        kept = status == "kept_correction"
        result = ImportResult(
            file=path.name, format=info["format"], rows=int(info.get("rows", len(clean))),
            new=int(counts.get("new", 0)), revised=int(counts.get("revised", 0)),
            unchanged=int(counts.get("unchanged", 0)), blank=int(info.get("blank", 0)),
            ignored=int(info.get("ignored", 0)), batch_id=None, dry_run=dry_run,
            kept_correction=int(kept.sum()),
            kept_corrections=_kept(clean, merged, kept) if kept.any() else [])
        if dry_run:
            return result
        summary = {k: v for k, v in result.to_dict().items()
                   if k in ("rows", "new", "revised", "unchanged", "blank", "ignored",
                            "kept_correction", "kept_corrections")}
        batch_id = inserted_id(conn.execute(s.import_batches.insert().values(
            file_name=path.name, format=info["format"], sha256=info["sha256"], author=author,
            created_at=utcnow(), summary=summary)))
        result.batch_id = int(batch_id)
        changed = clean[status.isin(["new", "revised"]).values]
        _insert_revisions(conn, changed, source=source, author=author, batch_id=batch_id,
                          progress=progress)
        record_write(conn, author, "import", "import_batches", batch_id,
                     {"file": path.name, "format": info["format"], **summary})
    return result

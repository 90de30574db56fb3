"""Bringing a collaborative database to the newest schema revision (`workbench upgrade`).

`upgrade_database(db)` reads top to bottom: take the database for ourselves (SQLite: BEGIN
EXCLUSIVE; PostgreSQL: an advisory lock and every workbench table locked NOWAIT), read its
revision (a database made before Alembic is r1 and gets stamped), back a SQLite file up to
`<name>.before-<revision>.db`, run the pending Alembic revisions inside that one transaction,
and compare the tables, columns and indexes before and after to say what changed. A dry run
does all of it but the backup and rolls back. Alembic is configured in code
(`alembic_config`): the revisions are in `workbench/store/migrations/versions/`.
"""

from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, Engine, RootTransaction, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from workbench.errors import Message, StoreError
from workbench.i18n import N_
from workbench.store.engine import (
    _existing_engine,
    _pre_alembic_revision,
    _safe,
    database_revision,
    unknown_revision_error,
)
from workbench.store.revisions import (
    MIGRATIONS,
    alembic_config,
    known_revisions,
    script_directory,
)
from workbench.store.schema import SCHEMA_REVISION, metadata

__all__ = [
    "MIGRATIONS",
    "UpgradeStep",
    "UpgradeResult",
    "alembic_config",
    "script_directory",
    "known_revisions",
    "pending_steps",
    "upgrade_database",
    "schema_differences",
    "backup_path",
    "include_object",
]

#: pg_try_advisory_xact_lock key of `workbench upgrade` ("workbenc" as a 64-bit integer)
PG_LOCK_KEY = int.from_bytes(b"workbenc", "big")
#: how long an upgrade waits for another SQLite writer before it refuses (milliseconds)
SQLITE_WAIT_MS = 2000
#: tables that share a workbench database but are not the store's (the demo's answer key
#: and its marker, `workbench.demo.build`)
FOREIGN_TABLES = frozenset({"demo_injections", "demo_marker"})


@dataclass(frozen=True)
class UpgradeStep:
    """One revision to apply: its id and the first line of its docstring."""

    revision: str
    title: str


@dataclass
class UpgradeResult:
    """What `upgrade_database` found and did (or, on a dry run, would do)."""

    url: str
    current: str
    target: str
    pre_alembic: bool
    steps: list[UpgradeStep] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    backup: Path | None = None
    dry_run: bool = False

    def as_dict(self) -> dict[str, Any]:
        """The result as plain JSON-ready data (`workbench upgrade --json`)."""
        data = asdict(self)
        data["backup"] = str(self.backup) if self.backup else None
        return data


def pending_steps(current: str) -> list[UpgradeStep]:
    """The revisions after `current` up to the head, in the order they run."""
    scripts = script_directory().iterate_revisions("heads", current)
    return [UpgradeStep(script.revision, (script.doc or "").split("\n")[0])
            for script in reversed(list(scripts))]


def backup_path(database: Path, revision: str) -> Path:
    """Where a SQLite file is copied before upgrading: `demo.db` -> `demo.before-r1.db`."""
    return database.with_name(f"{database.stem}.before-{revision}.db")


def upgrade_database(db: str | None, *, dry_run: bool = False) -> UpgradeResult:
    """Bring the database at `db` to this code's schema revision, in one transaction."""
    url, engine = _upgrade_engine(db)
    try:
        with engine.connect() as conn:
            transaction = _take(conn, url)
            result = _plan(conn, url, dry_run)
            if result.steps:
                before = _shape(conn)
                if not dry_run and conn.dialect.name == "sqlite":
                    result.backup = _backup(conn, Path(make_url(url).database or ""),
                                            result.current)
                _migrate(conn, url, result)
                result.changes = _differences(before, _shape(conn))
            if dry_run:
                transaction.rollback()
            else:
                transaction.commit()
    finally:
        engine.dispose()
    return result


def schema_differences(conn: Connection) -> list[Any]:
    """What `alembic check` would report between the tables and `workbench.store.schema`."""
    context = MigrationContext.configure(
        conn, opts={"compare_type": True, "include_object": include_object})
    return list(compare_metadata(context, metadata))


def include_object(obj: Any, name: str | None, type_: str, reflected: bool,
                   compare_to: Any) -> bool:
    """Alembic's filter: tables that are not the store's stay out of comparisons."""
    return not (type_ == "table" and name in FOREIGN_TABLES)


# --------------------------------------------------------------------------- stages

def _upgrade_engine(db: str | None) -> tuple[str, Engine]:
    """An engine whose transactions hold the database alone (SQLite: BEGIN EXCLUSIVE)."""
    url, engine = _existing_engine(db)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_own_transactions)
        event.listen(engine, "begin", _sqlite_begin_exclusive)
    return url, engine


def _sqlite_own_transactions(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    """Let SQLAlchemy emit BEGIN itself, so DDL is inside the transaction too."""
    dbapi_connection.isolation_level = None
    dbapi_connection.execute(f"PRAGMA busy_timeout={SQLITE_WAIT_MS}")


def _sqlite_begin_exclusive(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN EXCLUSIVE")


def _busy(url: str, detail: object) -> StoreError:
    return StoreError(N_("another process is using {url} ({detail}); stop the apps, reports and "
                         "imports that use it, then run workbench upgrade again. Nothing was "
                         "changed."),
                      params={"url": _safe(url), "detail": ' '.join(str(detail).split())})


def _take(conn: Connection, url: str) -> RootTransaction:
    """Begin the one transaction and make sure no other process holds the database."""
    try:
        transaction = conn.begin()
    except OperationalError as exc:
        raise _busy(url, exc.orig) from exc
    if conn.dialect.name == "postgresql":
        _lock_postgres(conn, url)
    return transaction


def _lock_postgres(conn: Connection, url: str) -> None:
    got = conn.execute(text("SELECT pg_try_advisory_xact_lock(:key)"),
                       {"key": PG_LOCK_KEY}).scalar()
    if not got:
        raise _busy(url, "another workbench upgrade is running")
    quote = conn.dialect.identifier_preparer.quote
    tables = [name for name in inspect(conn).get_table_names()
              if name in metadata.tables or name == "alembic_version"]
    if tables:
        try:
            conn.execute(text(f"LOCK TABLE {', '.join(quote(t) for t in tables)} "
                              "IN ACCESS EXCLUSIVE MODE NOWAIT"))
        except OperationalError as exc:
            raise _busy(url, "a table is in use") from exc


def _plan(conn: Connection, url: str, dry_run: bool) -> UpgradeResult:
    """The database's revision and the steps to the head; a newer database is refused."""
    pre_alembic = not inspect(conn).has_table("alembic_version")
    current = _pre_alembic_revision(conn, url) if pre_alembic else database_revision(conn, url)
    if current not in known_revisions():
        raise unknown_revision_error(current, url)
    steps = pending_steps(current) if current != SCHEMA_REVISION else []
    return UpgradeResult(url=_safe(url), current=current, target=SCHEMA_REVISION,
                         pre_alembic=pre_alembic, steps=steps, dry_run=dry_run)


def _backup(conn: Connection, database: Path, revision: str) -> Path:
    """Copy the SQLite file beside itself while this connection holds it locked."""
    target = backup_path(database, revision)
    if target.exists():
        raise StoreError(N_("backup file {target} already exists (an earlier upgrade's?); move "
                            "it away, then run workbench upgrade again. Nothing was changed."),
                         params={"target": target})
    if conn.exec_driver_sql("PRAGMA journal_mode").scalar() != "wal":
        raise StoreError(N_("{database} is not in write-ahead-log mode, so it cannot be backed "
                            "up while locked; open it once with any workbench command, then run "
                            "workbench upgrade again. Nothing was changed."),
                         params={"database": database})
    # a second, read-only connection: in WAL mode readers pass our exclusive lock, and it sees
    # the file as committed (a backup through the locking connection itself would never end)
    source = sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
    except BaseException:
        copy.close()
        target.unlink(missing_ok=True)  # no half-written backup left to mislead anyone
        raise
    finally:
        copy.close()
        source.close()
    return target


def _migrate(conn: Connection, url: str, result: UpgradeResult) -> None:
    """Stamp a pre-Alembic database, then run every pending revision on this connection.

    A revision that fails ends the upgrade with the driver's message; the caller's
    transaction is rolled back, so the database is as it was.
    """
    config = alembic_config(conn)
    try:
        if result.pre_alembic:
            command.stamp(config, result.current)
        command.upgrade(config, "heads")
    except SQLAlchemyError as exc:
        backup = (Message(N_(" The backup is {backup}."), {"backup": result.backup})
                  if result.backup else "")
        raise StoreError(N_("upgrading {url} from {current} to {target} failed: {reason}. "
                            "Nothing was changed (the transaction was rolled back).{backup}"),
                         params={"url": _safe(url), "current": result.current,
                                 "target": result.target,
                                 "reason": ' '.join(str(getattr(exc, 'orig', exc)).split()),
                                 "backup": backup}) from exc


def _shape(conn: Connection) -> dict[str, dict[str, set[str]]]:
    """Every table's columns and indexes (Alembic's own table left out)."""
    inspector = inspect(conn)
    return {
        table: {"columns": {c["name"] for c in inspector.get_columns(table)},
                "indexes": {str(i["name"]) for i in inspector.get_indexes(table)}}
        for table in inspector.get_table_names() if table != "alembic_version"
    }


def _differences(before: dict[str, dict[str, set[str]]],
                 after: dict[str, dict[str, set[str]]]) -> list[str]:
    """What changed, one line each: `added table users`, `added column teams.graduated_on`."""
    lines = [f"added table {t} ({len(after[t]['columns'])} columns)"
             for t in sorted(after.keys() - before.keys())]
    lines += [f"removed table {t}" for t in sorted(before.keys() - after.keys())]
    for table in sorted(before.keys() & after.keys()):
        for kind, noun in (("columns", "column"), ("indexes", "index")):
            lines += [f"added {noun} {table}.{n}"
                      for n in sorted(after[table][kind] - before[table][kind])]
            lines += [f"removed {noun} {table}.{n}"
                      for n in sorted(before[table][kind] - after[table][kind])]
    for table in sorted(after.keys() - before.keys()):
        lines += [f"added index {table}.{n}" for n in sorted(after[table]["indexes"])]
    return lines

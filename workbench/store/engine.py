"""Opening a workbench database from a URL or a file path, at the schema revision of this code.

`open_engine` is the one door every command, app and notebook opens a database through; it
reads the database's schema revision (one query of Alembic's `alembic_version` table) and refuses
a database older or newer than the code in one line that says what to run
(`this database is at schema r1; run: workbench upgrade --db demo.db`). A database made before
Alembic (schema_info version 1, no alembic_version table) is at r1. `create_database` makes new
databases at the newest revision, stamped.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import getpass
import importlib.util
import os
import re
import shlex
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    CursorResult,
    Engine,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    create_engine,
    event,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DatabaseError,
    OperationalError,
    ProgrammingError,
    SQLAlchemyError,
)
from sqlalchemy.schema import CreateIndex, CreateTable

from workbench.errors import Message, StoreError
from workbench.i18n import N_
from workbench.store.schema import SCHEMA_REVISION, SCHEMA_VERSION, metadata, schema_info

__all__ = [
    "read_transaction",
    "DEFAULT_DB",
    "create_tables",
    "resolve_url",
    "password_env",
    "DB_PASSWORD_ENV",
    "open_engine",
    "when_opened",
    "as_engine",
    "engine_url",
    "masked_url",
    "create_database",
    "connect",
    "current_user",
    "known_user",
    "USER_ENV",
    "utcnow",
    "inserted_id",
    "write_transaction",
    "database_revision",
    "require_current_revision",
    "unknown_revision_error",
]

#: the schema_info version of databases made before Alembic, and the revision they are at
PRE_ALEMBIC = {1: "r1"}

DEFAULT_DB = "workbench.db"


def utcnow() -> dt.datetime:
    """Naive UTC now, the form every timestamp is stored in."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def inserted_id(result: CursorResult[Any]) -> Any:
    """The primary key of the row a single-row INSERT just wrote."""
    key = result.inserted_primary_key
    assert key is not None  # always set after a single-row INSERT
    return key[0]


#: the acting user a process was started with (`workbench serve --user`, a shell's export)
USER_ENV = "WORKBENCH_USER"


def known_user(explicit: str | None = None, *, session: str | None = None) -> str | None:
    """Who is acting, when someone said so; None when only the OS user is left.

    Under JupyterHub the hub's user name (`JUPYTERHUB_USER`, set by the hub in the environment
    of the user's own server) always, whatever else is given: a hub user cannot act as another.
    Otherwise `explicit` (the CLI's `--user`, a name given to an app page), then
    `WORKBENCH_USER` (`workbench serve --user`, or exported), then `session`: the name a person
    typed once on a served app page, kept for their browser session (`apps.session_user`).
    It is last because it is only what someone said: a server's `--user` is not overridden by
    a cookie left from another server on the same host. The served apps ask for a name when
    this is None, instead of saving under the OS user of the machine serving them.
    """
    hub_user = os.environ.get("JUPYTERHUB_USER", "").strip()
    if hub_user:
        return hub_user
    if explicit is not None and str(explicit).strip():
        return str(explicit).strip()
    if os.environ.get(USER_ENV, "").strip():
        return os.environ[USER_ENV].strip()
    if session is not None and str(session).strip():
        return str(session).strip()
    return None


def current_user(explicit: str | None = None) -> str:
    """Who is acting: THE one place the workbench decides it.

    `known_user(explicit)` (JupyterHub's user, then `explicit`, then `WORKBENCH_USER`), else
    the OS user (a command run in one's own shell, a form in one's own JupyterLab).
    """
    known = known_user(explicit)
    if known is not None:
        return known
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no passwd entry in some containers
        return "unknown"


#: The environment variable that carries a database password to a child process (a report
#: kernel) whose URL was given masked (`masked_url`), so the URL a notebook stores in its
#: parameters never holds the password.
DB_PASSWORD_ENV = "WORKBENCH_DB_PASSWORD"


def password_env(url: str | URL | Engine) -> dict[str, str]:
    """The environment a child process needs to open `masked_url(url)`: the password, if any."""
    if isinstance(url, Engine):
        url = url.url
    try:
        parsed = url if isinstance(url, URL) else make_url(url)
    except (ArgumentError, ValueError):
        return {}
    return {DB_PASSWORD_ENV: parsed.password} if parsed.password else {}


def resolve_url(db: str | None) -> str:
    """A SQLAlchemy URL from `--db`: a URL, or a plain file path (made absolute).

    Default: `WORKBENCH_DB`, then `./workbench.db`. A URL whose password is masked (`***`,
    as `masked_url` shows it) gets the password from `WORKBENCH_DB_PASSWORD` when that is set.
    """
    db = db or os.environ.get("WORKBENCH_DB") or DEFAULT_DB
    if "://" in db:
        return _unmasked(db)
    return f"sqlite:///{Path(db).expanduser().resolve()}"


def _unmasked(db: str) -> str:
    secret = os.environ.get(DB_PASSWORD_ENV)
    if not secret or "***" not in db:
        return db
    try:
        parsed = make_url(db)
    except (ArgumentError, ValueError):
        return db
    if parsed.password != "***":
        return db
    return parsed.set(password=secret).render_as_string(hide_password=False)


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _one_line(error: object) -> str:
    """A driver's message on one line, ending as a sentence."""
    text = " ".join(str(error).split())
    return text if text.endswith(("?", "!")) else text.rstrip(".") + "."


def masked_url(url: str | URL | Engine) -> str:
    """A database URL as it may be shown or stored (messages, `serve` output, a report
    folder's manifest.json): the password masked as `***`. The one function for it; a path or
    text that is not a URL is returned as it is."""
    if isinstance(url, Engine):
        url = url.url
    try:
        parsed = url if isinstance(url, URL) else make_url(url)
        return parsed.render_as_string(hide_password=True)
    except (ArgumentError, ValueError):  # not parsable: mask what looks like user:password@
        return re.sub(r"(://[^:/@\s]*:)[^@\s]*@", r"\1***@", str(url))


def _parse(url: str) -> URL:
    """`make_url`, with a URL it cannot read refused in one line (password masked)."""
    try:
        return make_url(url)
    except (ArgumentError, ValueError) as exc:
        raise StoreError(N_("cannot use database URL {url!r}: {exc}. Give a file path or a URL "
                            "such as sqlite:///workbench.db or "
                            "postgresql://user@host:5432/dbname."),
                         params={"url": masked_url(url), "exc": exc}) from exc


_safe = masked_url  # the name inside this package


def _postgres_driver(parsed: URL) -> URL:
    """A bare `postgresql://` URL uses whichever driver is installed (psycopg 3, else psycopg2);
    SQLAlchemy 2.1 would insist on psycopg 3."""
    if parsed.drivername != "postgresql":
        return parsed
    for module, driver in (("psycopg", "postgresql+psycopg"), ("psycopg2", "postgresql+psycopg2")):
        if importlib.util.find_spec(module) is not None:
            return parsed.set(drivername=driver)
    return parsed


def _engine(url: str) -> Engine:
    try:
        parsed = _postgres_driver(make_url(url))
        engine = create_engine(parsed, future=True)
    except (ArgumentError, SQLAlchemyError, ValueError, ImportError) as exc:
        raise StoreError(N_("cannot use database URL {url!r}: {exc}. Give a file path or a URL "
                            "such as sqlite:///workbench.db or postgresql://user@host/dbname."),
                         params={"url": masked_url(url), "exc": exc}) from exc
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def create_database(db: str | None) -> Engine:
    """Create a database at the newest schema revision (stamped) and return the engine.

    On a database that already holds the schema nothing is created; it must be at this code's
    revision (an older one is refused with the `workbench upgrade` line, like `open_engine`).
    """
    url = resolve_url(db)
    parsed = _parse(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        parent = Path(parsed.database).parent
        if not parent.is_dir():
            raise StoreError(
                N_("cannot create database {database}: folder {folder} does not exist. "
                   "Create the folder first or choose another path."),
                params={"database": parsed.database, "folder": parent})
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            if inspect(conn).has_table("schema_info"):
                revision = database_revision(conn, url)
            else:
                _create_schema(conn)
                conn.commit()
                revision = SCHEMA_REVISION
    except OperationalError as exc:
        raise StoreError(N_("cannot create database at {url}: {orig} Check the URL and server."),
                         params={"url": _safe(url), "orig": _one_line(exc.orig)}) from exc
    require_current_revision(revision, db, url)
    return engine


#: Alembic's version table as Alembic makes it (`DefaultImpl.version_table_impl`: the column,
#: its primary key named `alembic_version_pkc`); `_create_schema` writes the stamp in it
#: without importing Alembic (0.13 s of CPU a new database), tested equal to Alembic's stamp
ALEMBIC_VERSION = Table("alembic_version", MetaData(),
                        Column("version_num", String(32), nullable=False),
                        PrimaryKeyConstraint("version_num", name="alembic_version_pkc"))


def create_tables(conn: Connection, tables: MetaData) -> None:
    """`tables.create_all(conn)` in a fixed order: the tables in dependency order, each with
    its indexes by name (SQLAlchemy keeps a table's indexes in a set, so create_all made them
    in an order that changed from run to run, and two equal databases differed in their
    schema's order). A table already there is left as it is, as create_all does."""
    there = set(inspect(conn).get_table_names())
    for table in tables.sorted_tables:
        if table.name in there:
            continue
        conn.execute(CreateTable(table))
        for index in sorted(table.indexes, key=lambda index: str(index.name)):
            conn.execute(CreateIndex(index))


def _create_schema(conn: Connection) -> None:
    """Every table of the newest schema, schema_info, and the stamp of the head: Alembic's
    version table holding SCHEMA_REVISION alone (as `alembic stamp` leaves it; a version
    table left by tables dropped before is emptied first)."""
    create_tables(conn, metadata)
    conn.execute(schema_info.insert().values(version=SCHEMA_VERSION, applied_at=utcnow()))
    ALEMBIC_VERSION.create(conn, checkfirst=True)
    conn.execute(ALEMBIC_VERSION.delete())
    conn.execute(ALEMBIC_VERSION.insert().values(version_num=SCHEMA_REVISION))


def _existing_engine(db: str | None) -> tuple[str, Engine]:
    """The URL and an engine of a database that exists (a SQLite file must be there)."""
    url = resolve_url(db)
    parsed = _parse(url)
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database
        if path and parsed.query.get("uri") == "true" and path.startswith("file:"):
            path = path.removeprefix("file:")  # sqlite:///file:PATH?mode=ro&uri=true
        if path in (None, "", ":memory:") or not Path(path).is_file():
            raise StoreError(
                N_("no workbench database at {path}. Create one with `workbench init --db PATH "
                   "--config collaborative.yaml` or `workbench demo`."),
                params={"path": path or url})
    return url, _engine(url)


def database_revision(conn: Connection, url: str) -> str:
    """The schema revision the database is at: one query of `alembic_version`.

    Without that table, a database made before Alembic is recognised by its schema_info
    version (1 -> r1); anything else is not a workbench database.
    """
    try:
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except (OperationalError, ProgrammingError):
        conn.rollback()
        if inspect(conn).has_table("alembic_version"):
            raise
        return _pre_alembic_revision(conn, url)
    if revision is None:
        raise StoreError(N_("{url} has an empty alembic_version table, so its schema revision is "
                            "unknown. Restore it from a backup."),
                         params={"url": _safe(url)})
    return str(revision)


def _pre_alembic_revision(conn: Connection, url: str) -> str:
    if not inspect(conn).has_table("schema_info"):
        raise StoreError(
            N_("{url} is not a workbench database (no schema_info table). Point --db at a "
               "database made by `workbench init` or `workbench demo`."),
            params={"url": masked_url(url)})
    version = conn.execute(select(schema_info.c.version)).scalar()
    if version not in PRE_ALEMBIC:
        raise StoreError(N_("{url} has schema version {version} but no alembic_version table; "
                            "this workbench cannot tell its revision. Restore it from a backup."),
                         params={"url": _safe(url), "version": version})
    return PRE_ALEMBIC[version]


def require_current_revision(revision: str, db: str | None, url: str) -> None:
    """Refuse, in one line, a database older or newer than this code's schema."""
    if revision == SCHEMA_REVISION:
        return
    from workbench.store.revisions import known_revisions

    if revision in known_revisions():
        shown = db if db and "://" not in db else _safe(url)
        raise StoreError(N_("this database is at schema {revision}; run: workbench upgrade "
                            "--db {db}"), params={"revision": revision, "db": shlex.quote(shown)})
    raise unknown_revision_error(revision, url)


def unknown_revision_error(revision: str, url: str) -> StoreError:
    """The refusal of a revision this code does not know: a newer workbench's, or not ours."""
    if re.fullmatch(r"r\d+(_\w+)?", revision):
        return StoreError(N_("this database is at schema {revision}, newer than this workbench "
                             "(schema {SCHEMA_REVISION}); install the workbench release that "
                             "upgraded it: pip install --upgrade coaching-workbench"),
                          params={"revision": revision, "SCHEMA_REVISION": SCHEMA_REVISION})
    return StoreError(N_("{url} is at Alembic revision {revision!r}, which is not a workbench "
                         "schema revision (r1, r2, …). Point --db at a workbench database."),
                      params={"url": _safe(url), "revision": revision})


#: What to do with each database `open_engine` opens in this context (`when_opened`).
_ON_OPEN: contextvars.ContextVar[Callable[[Engine], None] | None] = contextvars.ContextVar(
    "workbench_on_open", default=None)


@contextmanager
def when_opened(callback: Callable[[Engine], None] | None) -> Iterator[None]:
    """In the block, `callback(engine)` runs once, on the first database `open_engine` opens
    (the CLI reads the collaborative's language there: its command still opens the database
    once). None does nothing."""
    done = False

    def once(engine: Engine) -> None:
        nonlocal done
        if callback is not None and not done:
            done = True
            callback(engine)

    token = _ON_OPEN.set(once)
    try:
        yield
    finally:
        _ON_OPEN.reset(token)


def open_engine(db: str | None) -> Engine:
    """Open an existing workbench database at this code's schema revision.

    A clear one-line error if it is missing, not ours, or at another revision.
    """
    engine = _open_engine(db)
    on_open = _ON_OPEN.get()
    if on_open is not None:
        on_open(engine)
    return engine


def _open_engine(db: str | None) -> Engine:
    url, engine = _existing_engine(db)
    try:
        with engine.connect() as conn:
            revision = database_revision(conn, url)
    except DatabaseError as exc:  # OperationalError, or a file that is not a database
        advice = (N_("Point --db at a workbench database, or restore it from a backup.")
                  if engine.dialect.name == "sqlite" else N_("Check the URL and server."))
        raise StoreError(N_("cannot open database {url}: {reason} {advice}"), params={
            "url": _safe(url), "reason": _one_line(exc.orig), "advice": Message(advice)}) from exc
    require_current_revision(revision, db, url)
    return engine


def as_engine(db: str | Engine | None) -> Engine:
    """An open Engine as is; a path or URL (`None`: the default) opened with `open_engine`.

    The one place where library functions that take "a database" turn it into an Engine; a
    command opens the database once and passes the Engine on.
    """
    return db if isinstance(db, Engine) else open_engine(db)


def engine_url(engine: Engine) -> str:
    """The URL of `engine` in full (password included), for a child process to open it."""
    return engine.url.render_as_string(hide_password=False)


connect = open_engine


WRITE_LOCK_WAIT_S = 10
"""How long a write waits for another one to finish (SQLite's busy timeout is the same)."""


@contextmanager
def write_transaction(engine: Engine, *tables: Table) -> Iterator[Connection]:
    """A transaction that holds the write lock from its first statement, so that what it
    decides from what it reads (a loaded revision is still current, a key holds a correction,
    a flag is still at its version) is still true when it commits.

    SQLite: `BEGIN IMMEDIATE` — the file's one write lock; readers carry on under WAL.
    PostgreSQL: `LOCK TABLE … IN SHARE ROW EXCLUSIVE MODE` on each of `tables` (in name order,
    so two writers never wait for each other crosswise): other writers of those tables wait for
    the commit, readers do not. Name every table whose rows the decision reads.

    Commits when the block ends, rolls back if it raises. A lock not granted within
    `WRITE_LOCK_WAIT_S` seconds is a `StoreError` and nothing is written.

        with write_transaction(engine, measurement_revisions) as conn:
            ...  # read, decide, write
    """
    with engine.connect() as conn:
        _take_write_lock(conn, tables)
        try:
            yield conn
        except BaseException:
            conn.rollback()
            raise
        conn.commit()


@contextmanager
def read_transaction(engine: Engine) -> Iterator[Connection]:
    """A connection whose reads all see one state of the store, whatever is written meanwhile
    (the reads of a roll-up, a report or an export agree with each other).

    SQLite: `BEGIN` — the driver begins no transaction before a SELECT, so each read would
    see the file as it is then; under WAL a read transaction keeps the snapshot of its first
    read and blocks no writer. PostgreSQL: REPEATABLE READ (its default, READ COMMITTED, gives
    each statement its own snapshot). Rolled back at the end: nothing is written.

        with read_transaction(engine) as conn:
            ...  # read
    """
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN")
        elif conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        try:
            yield conn
        finally:
            conn.rollback()


def _take_write_lock(conn: Connection, tables: tuple[Table, ...]) -> None:
    backend = conn.dialect.name
    try:
        if backend == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        elif backend == "postgresql" and tables:
            conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{int(WRITE_LOCK_WAIT_S)}s'")
            names = sorted({conn.dialect.identifier_preparer.format_table(t) for t in tables})
            for name in names:
                conn.exec_driver_sql(f"LOCK TABLE {name} IN SHARE ROW EXCLUSIVE MODE")
            conn.exec_driver_sql("SET LOCAL lock_timeout TO DEFAULT")
    except OperationalError as exc:
        conn.rollback()
        raise StoreError(
            N_("the database {url} is busy: another write (an import, a save or a review) has "
               "held it for more than {seconds} s. Nothing was written; try again when it has "
               "finished."),
            params={"url": _safe(str(conn.engine.url)), "seconds": WRITE_LOCK_WAIT_S}) from exc

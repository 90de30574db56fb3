"""A new database's schema stamp is Alembic's own: `create_database` writes the version table
without importing Alembic, and it must be the table and row `alembic stamp` would leave (on
SQLite to the letter of its DDL; on PostgreSQL column, type, nullability and key name), at the
head of the migrations, read by Alembic as the current head."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic.migration import MigrationContext
from sqlalchemy import Connection, Engine, inspect, text

from workbench.store import create_database, open_engine
from workbench.store.engine import ALEMBIC_VERSION
from workbench.store.revisions import script_directory
from workbench.store.schema import SCHEMA_REVISION


def _version_table(conn: Connection) -> dict[str, Any]:
    """What the database says of alembic_version: columns, key, rows (and DDL on SQLite)."""
    found = inspect(conn)
    columns = [(c["name"], str(c["type"]), c["nullable"])
               for c in found.get_columns("alembic_version")]
    key = found.get_pk_constraint("alembic_version")
    shown = {"columns": columns, "key": (key["name"], key["constrained_columns"]),
             "rows": conn.execute(text("SELECT version_num FROM alembic_version")).all()}
    if conn.dialect.name == "sqlite":
        shown["ddl"] = conn.execute(text(
            "SELECT sql FROM sqlite_master WHERE name = 'alembic_version'")).scalar()
    return shown


def _ours_then_alembics(engine: Engine) -> tuple[dict[str, Any], dict[str, Any]]:
    with engine.begin() as conn:
        ours = _version_table(conn)
        ALEMBIC_VERSION.drop(conn)
        MigrationContext.configure(conn).stamp(script_directory(), SCHEMA_REVISION)
    with engine.connect() as conn:
        return ours, _version_table(conn)


def test_the_stamp_of_a_new_sqlite_database_is_alembics_own(tmp_path: Path) -> None:
    engine = create_database(str(tmp_path / "new.db"))
    ours, alembics = _ours_then_alembics(engine)
    assert ours == alembics
    assert ours["rows"] == [(SCHEMA_REVISION,)]
    assert ours["key"] == ("alembic_version_pkc", ["version_num"])


def test_the_stamp_is_the_head_of_the_migrations_and_alembic_reads_it(tmp_path: Path) -> None:
    create_database(str(tmp_path / "new.db"))
    engine = open_engine(str(tmp_path / "new.db"))  # opens: the code's revision
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_heads() == (SCHEMA_REVISION,)
    assert script_directory().get_heads() == [SCHEMA_REVISION]


def test_the_stamp_of_a_new_postgresql_database_is_alembics_own(pg_url: str) -> None:
    ours, alembics = _ours_then_alembics(create_database(pg_url))
    assert ours == alembics
    assert ours["rows"] == [(SCHEMA_REVISION,)]


def test_a_version_table_left_by_dropped_tables_is_stamped_afresh(pg_url: str) -> None:
    """On a server the demo drops the workbench's tables (not Alembic's): the new schema's
    stamp replaces what is left, as `alembic stamp` would have."""
    from workbench.store import schema as s

    engine = create_database(pg_url)
    with engine.begin() as conn:
        conn.execute(ALEMBIC_VERSION.update().values(version_num="r1"))
        s.metadata.drop_all(conn)
    engine.dispose()
    with create_database(pg_url).connect() as conn:
        assert _version_table(conn)["rows"] == [(SCHEMA_REVISION,)]

"""Alembic environment: runs the revisions on the connection `migrations.migrate` gives.

`workbench.store.migrations.migrate.alembic_config(connection)` puts an open connection,
already inside its transaction, in `config.attributes["connection"]`; the revisions then run
in that one transaction (SQLite too: the upgrade engine emits BEGIN EXCLUSIVE itself). Without a
connection, the URL of `sqlalchemy.url` is opened (for the plain `alembic` command line).
Offline (SQL script) mode is not supported.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from workbench.store.migrations.migrate import include_object
from workbench.store.schema import metadata

__all__: list[str] = []


def run(connection: Connection) -> None:
    """Configure the migration context on `connection` and run the revisions asked for."""
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        include_object=include_object,
        compare_type=True,
        transaction_per_migration=False,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("workbench migrations run online only: use `workbench upgrade`.")

_given = context.config.attributes.get("connection")
if _given is not None:
    run(_given)
else:
    with create_engine(context.config.get_main_option("sqlalchemy.url") or "").connect() as _conn:
        run(_conn)
        _conn.commit()

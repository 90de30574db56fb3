"""The schema revisions this code knows: Alembic's script directory, configured in code.

The revisions live in `workbench/store/migrations/versions/` (r1 is the schema as released in
0.1.0). `workbench.store.engine` asks `known_revisions()` to judge a database's revision when it
opens it; `workbench.store.migrations.migrate` runs them (`workbench upgrade`).
"""

from __future__ import annotations

import functools
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

__all__ = ["MIGRATIONS", "alembic_config", "script_directory", "known_revisions"]

MIGRATIONS = Path(__file__).with_name("migrations")


@functools.cache
def script_directory() -> ScriptDirectory:
    """The workbench's Alembic revisions (loaded once per process)."""
    return ScriptDirectory.from_config(alembic_config())


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic `Config` without an ini file; `env.py` runs on `connection` when given."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    config.attributes["connection"] = connection
    return config


def known_revisions() -> list[str]:
    """Every revision this code knows, oldest first (`["r1", "r2"]`)."""
    return [script.revision for script in reversed(list(script_directory().walk_revisions()))]

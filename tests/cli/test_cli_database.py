"""Each command opens the database once and passes the Engine on; `--db` is resolved by
`workbench.store.resolve_url` alone (default: $WORKBENCH_DB, then ./workbench.db)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import event
from sqlalchemy.pool import Pool

from workbench.cli import main

COMMANDS = {
    "status": ["status"],
    "validate": ["validate", "--period", "2026-10"],
    "flags": ["flags", "--status", "open"],
    "export": ["export", "measurements"],
    "template": ["template", "xlsx", "--team", "T01", "--months", "3", "--out", "{tmp}/T01.xlsx"],
    "summary": ["summary", "--period", "2026-10", "--json"],
    "report (no data for the month)": ["report", "--period", "1999-01"],
    "serve (unknown app)": ["serve", "--app", "nope"],
}


@pytest.fixture
def opened() -> Iterator[list[str]]:
    """The URL of every database connection pool that connects for the first time: one per
    Engine opened."""
    seen: list[str] = []

    def first_connect(_dbapi_connection, record) -> None:  # type: ignore[no-untyped-def]
        seen.append(str(record))

    event.listen(Pool, "first_connect", first_connect)
    yield seen
    event.remove(Pool, "first_connect", first_connect)


@pytest.mark.parametrize("argv", COMMANDS.values(), ids=COMMANDS.keys())
def test_a_command_opens_the_database_once(demo_db_master: Path, tmp_path: Path,
                                           opened: list[str], argv: list[str]) -> None:
    db = tmp_path / "demo.db"
    shutil.copy(demo_db_master, db)
    args = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    result = CliRunner().invoke(main, [*args, "--db", str(db)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert len(opened) == 1, f"{args[0]} opened {len(opened)} engines"


def test_without_db_the_command_uses_workbench_db_then_the_file_here(
        demo_db_master: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "elsewhere.db"
    shutil.copy(demo_db_master, db)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WORKBENCH_DB", str(db))
    by_env = CliRunner().invoke(main, ["status", "--json"])
    assert by_env.exit_code == 0 and '"teams": 48' in by_env.output
    monkeypatch.delenv("WORKBENCH_DB")
    here = CliRunner().invoke(main, ["status"])
    assert here.exit_code == 1
    assert f"no workbench database at {tmp_path / 'workbench.db'}" in here.output

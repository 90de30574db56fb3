"""Shared fixtures: real SQLite files in tmp folders, a session-wide demo collaborative."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from voila_fixtures import browser  # noqa: F401  (one Chromium for every browser test)

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "templates" / "collaborative.yaml"


@pytest.fixture(autouse=True)
def _author(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every write in a test is by a known user."""
    monkeypatch.delenv("JUPYTERHUB_USER", raising=False)
    monkeypatch.setenv("WORKBENCH_USER", "tester")


@pytest.fixture
def empty_db(tmp_path: Path) -> str:
    """A file path of a database created from templates/collaborative.yaml (2 teams, no data)."""
    from workbench.ingest.collaborative import init_collaborative

    path = tmp_path / "collab.db"
    # closed, as `workbench init` leaves it: its write-ahead log is in the file, so a test
    # may compare the file's bytes (an engine left open keeps them in collab.db-wal until
    # the garbage collector closes it)
    init_collaborative(str(path), TEMPLATE).dispose()
    return str(path)


@pytest.fixture(scope="session")
def demo_db_master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo collaborative built once per test session (treat as read-only)."""
    from workbench.demo.build import build_demo

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    build_demo(str(path))
    return path


@pytest.fixture
def demo_db(demo_db_master: Path, tmp_path: Path) -> str:
    """A private copy of the demo database that a test may write to."""
    path = tmp_path / "demo.db"
    shutil.copy(demo_db_master, path)
    return str(path)


@pytest.fixture
def postgres_url() -> str:
    """A PostgreSQL URL from WORKBENCH_TEST_PG (CI starts a server); skip when absent."""
    url = os.environ.get("WORKBENCH_TEST_PG")
    if not url:
        pytest.skip("WORKBENCH_TEST_PG is not set: no PostgreSQL server for this run")
    return url


@pytest.fixture
def pg_url(postgres_url: str) -> Iterator[str]:
    """A URL of a new, uniquely named database on the test server, dropped afterwards (the one
    way tests make a PostgreSQL database of their own)."""
    import uuid

    import psycopg2
    from sqlalchemy.engine import make_url

    server = make_url(postgres_url)
    admin = psycopg2.connect(host=server.host, port=server.port, user=server.username,
                             password=server.password, dbname=server.database or "postgres")
    admin.autocommit = True
    name = f"wb_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()

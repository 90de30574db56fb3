"""Shared fixtures: real SQLite files in tmp folders, a session-wide demo collaborative."""

from __future__ import annotations

import os
import shutil
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
    init_collaborative(str(path), TEMPLATE)
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

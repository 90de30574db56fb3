"""Fixtures for the real-browser tests: a Voilà server on the demo collaborative, Chromium.

Imported by tests/browser/test_apps_browser.py (`from tests.voila_fixtures import *` style is
avoided: the test module imports the fixtures by name so pytest registers them there).
"""

from __future__ import annotations

import shutil
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def app_server(demo_db_master: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """`workbench serve` (every app, preheated) on a private copy of the demo database."""
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium: install Debian chromium to run the browser tests")
    from workbench.apps.server.serve import start_server

    folder = tmp_path_factory.mktemp("served")
    db = folder / "demo.db"
    shutil.copy(demo_db_master, db)
    from workbench.store import open_engine
    from workbench.validate.run import run_validation

    engine = open_engine(str(db))
    run_validation(engine)  # as `workbench demo` does: the validation queue has open flags
    engine.dispose()
    server = start_server(str(db), port=free_port(), log_path=folder / "voila.log",
                          extra_env={"WORKBENCH_USER": "browser-tester"})
    started = time.perf_counter()
    try:
        server.wait_ready(timeout=240)
        server.ready_seconds = time.perf_counter() - started
        server.db = str(db)
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator:
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser) -> Iterator:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(90_000)
    yield page
    context.close()

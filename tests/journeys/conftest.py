"""Fixtures of the user journeys: the real `workbench serve` on a demo database, Chromium.

A journey is what one person does in a row. It runs against the command a user types
(`workbench serve --db … --port …`, a child process on a free loopback port) and a
headless Debian Chromium at a projector's 1920×1080, and it calls `step(page, name)` after
every action (see `journey.py`): a screenshot goes to `tests/journeys/artifacts/` and the
browser console must have logged no error since the previous step.

Chromium, its launch options and the free-port helper are those of the other browser tests
(`tests/voila_fixtures.py`); without /usr/bin/chromium every journey is skipped.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from journey import VIEWPORT, watch
from voila_fixtures import CHROMIUM, free_port

from workbench.apps.context import READY_MARK

#: a loaded 2-core machine: building every preheated app takes a minute or two
SERVE_TIMEOUT = 300


@dataclass
class ServedApps:
    """`workbench serve` running as a child process, and the database it serves."""

    process: subprocess.Popen
    port: int
    db: str
    voila_log: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, app: str, query: str = "") -> str:
        url = f"{self.base_url}/voila/render/{app}.ipynb"
        return f"{url}?{query}" if query else url

    def log(self) -> str:
        return self.voila_log.read_text(errors="replace") if self.voila_log.exists() else ""

    def stop(self) -> None:
        """Ctrl-C, as a user stops it; the process group is killed if it does not stop."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)


def _hear_ctrl_c() -> None:
    """In the child: SIGINT as in a terminal (a shell's background job ignores it)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _wait_until_preheated(served: ServedApps, apps: int) -> None:
    """Until `serve` printed its URLs and every app's preheated kernel waits for a request."""
    deadline = time.monotonic() + SERVE_TIMEOUT
    while time.monotonic() < deadline:
        if served.process.poll() is not None:
            raise RuntimeError(f"workbench serve stopped (exit {served.process.returncode}):\n"
                               + served.log()[-3000:])
        if served.log().count(READY_MARK) >= apps:
            return
        time.sleep(0.5)
    raise RuntimeError(f"the apps were not preheated within {SERVE_TIMEOUT} s:\n"
                       + served.log()[-3000:])


@pytest.fixture(scope="session")
def journey_db(demo_db_master: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A private copy of the demo collaborative, validated as `workbench demo` leaves it."""
    from workbench.store import open_engine
    from workbench.validate.run import run_validation

    db = tmp_path_factory.mktemp("journeys") / "demo.db"
    shutil.copy(demo_db_master, db)
    engine = open_engine(str(db))
    run_validation(engine)
    engine.dispose()
    return str(db)


@pytest.fixture(scope="session")
def served(journey_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedApps]:
    """`workbench serve --db DEMO --port FREE`, the command a facilitator types."""
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium: install Debian chromium to run the journeys")
    from workbench.apps.serve import app_names

    port = free_port()
    logs = tmp_path_factory.mktemp("serve")
    env = dict(os.environ, PYTHONUNBUFFERED="1", TMPDIR=str(logs), WORKBENCH_USER="journey")
    out = (logs / "serve.out").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "workbench", "serve", "--db", journey_db, "--port", str(port)],
        stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
        start_new_session=True, preexec_fn=_hear_ctrl_c)
    out.close()
    apps = ServedApps(process, port, journey_db, logs / f"workbench-voila-{port}.log")
    try:
        _wait_until_preheated(apps, len(app_names()))
        yield apps
    finally:
        apps.stop()


@pytest.fixture
def serve_with(journey_db: str, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """`serve_with(*options, env=…)`: one more `workbench serve` on a fresh copy of the
    journey's demo with these options (e.g. `--app data_entry --user amina`) and this
    environment (none of the journeys' `WORKBENCH_USER` unless given); stopped after the test."""
    started: list[ServedApps] = []

    def start(*options: str, env: dict[str, str] | None = None,
              apps: int = 1) -> ServedApps:
        if not CHROMIUM.exists():
            pytest.skip("no /usr/bin/chromium: install Debian chromium to run the journeys")
        logs = tmp_path_factory.mktemp("serve_with")
        db = logs / "demo.db"
        shutil.copy(journey_db, db)
        port = free_port()
        base = {k: v for k, v in os.environ.items()
                if k not in ("WORKBENCH_USER", "JUPYTERHUB_USER")}
        child_env = dict(base, PYTHONUNBUFFERED="1", TMPDIR=str(logs), **(env or {}))
        out = (logs / "serve.out").open("w")
        process = subprocess.Popen(
            [sys.executable, "-m", "workbench", "serve", "--db", str(db), "--port", str(port),
             *options], stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=child_env, start_new_session=True, preexec_fn=_hear_ctrl_c)
        out.close()
        served = ServedApps(process, port, str(db), logs / f"workbench-voila-{port}.log")
        started.append(served)
        _wait_until_preheated(served, apps)
        return served

    yield start
    for served in started:
        served.stop()


@pytest.fixture
def page(browser, request: pytest.FixtureRequest) -> Iterator:
    """A 1920×1080 page whose console errors `step` checks; screenshots named after the test."""
    context = browser.new_context(viewport=VIEWPORT)
    pg = context.new_page()
    pg.set_default_timeout(90_000)
    watch(pg, request.node.name)
    yield pg
    _leave(context)


def _leave(context) -> None:  # type: ignore[no-untyped-def]
    """Leave every page as a person does (navigating away): Voila's `beforeunload` beacon asks
    the server to shut that page's kernel down. Closing the browser context alone sends no
    beacon, and the session's shared `workbench serve` would keep one kernel per finished
    journey until its per-app cap (10) answers the next journey with the busy page (503)."""
    for pg in context.pages:
        try:
            pg.goto("about:blank", timeout=10_000)
        except Exception:  # noqa: BLE001 - a page that cannot leave is closed all the same
            pass
    time.sleep(0.5)  # the beacons are sent asynchronously
    context.close()

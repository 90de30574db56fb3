"""A real JupyterHub (written by `workbench hub init`) in front of the apps, on 127.0.0.1 with a
PostgreSQL store, driven by headless Chromium (issue 17: "a real multi-user deployment").

A team member and a coach log in (first-use passwords); each lands on the app of their role,
acting as their hub name: the team member saves their own team's month and is refused another
team's with the message that says who may; the coach records a visit to an assigned team. A
name that is not a workbench user cannot log in, and a user cannot open another user's server.
Screenshots go to test-artifacts/hub/.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from voila_fixtures import ARTIFACTS, free_port

from workbench.hub.config import proxy_command

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "templates" / "collaborative.yaml"
SHOTS = ARTIFACTS / "hub"
PERIOD = "2025-05"


@pytest.fixture(scope="module")
def store() -> Iterator[str]:
    """A new PostgreSQL database: the template collaborative, a month of data for T01 and
    T02, and three users (root admin, amina coach of T01, tom team member of T02)."""
    from workbench.ingest.collaborative import init_collaborative
    from workbench.store import add_revisions, add_user

    postgres_url = os.environ.get("WORKBENCH_TEST_PG")
    if not postgres_url:
        pytest.skip("WORKBENCH_TEST_PG is not set: no PostgreSQL server for this run")

    name = f"users_hub_{uuid.uuid4().hex[:8]}"
    server = create_engine(make_url(postgres_url).set(drivername="postgresql+psycopg2"),
                           isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    try:
        engine = init_collaborative(url, TEMPLATE)
        with engine.begin() as conn:
            add_revisions(conn, [{"team_id": team, "indicator_id": "AMTSL", "period": PERIOD,
                                  "numerator": 40, "denominator": 50}
                                 for team in ("T01", "T02")], source="import", author="seed")
        add_user(engine, "root", ["admin"], acting="setup")
        add_user(engine, "amina", ["coach"], teams=["T01"], acting="root")
        add_user(engine, "tom", ["team_member"], teams=["T02"], acting="root")
        engine.dispose()
        yield url
    finally:
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


def _wait_for(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail("JupyterHub exited:\n" + log.read_text()[-4000:])
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"JupyterHub did not answer {url} within {timeout} s:\n"
                + log.read_text()[-4000:])


@pytest.fixture(scope="module")
def hub(store: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`workbench hub init` then `jupyterhub -f …` on free loopback ports; the hub's URL."""
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("no /usr/bin/chromium")
    try:
        proxy_command()
    except Exception as exc:  # noqa: BLE001 - the reason is shown in the skip
        pytest.skip(str(exc))
    from click.testing import CliRunner

    from workbench.cli import main

    folder = tmp_path_factory.mktemp("hub")
    port = free_port()
    written = CliRunner().invoke(main, [
        "hub", "init", str(folder), "--db", store, "--port", str(port),
        "--hub-port", str(free_port()), "--proxy-api-port", str(free_port()),
        "--max-servers", "3", "--idle-timeout", "600"])
    assert written.exit_code == 0, written.output
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    env.pop("WORKBENCH_USER", None)
    log = folder / "hub.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([str(bin_dir / "jupyterhub"), "-f",
                                 str(folder / "jupyterhub_config.py")],
                                cwd=folder, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(f"{base}/hub/health", proc, log, timeout=120)
        yield base
    finally:
        proc.send_signal(signal.SIGTERM)  # the hub stops the users' servers and its proxy
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        SHOTS.mkdir(parents=True, exist_ok=True)
        (SHOTS / "hub.log").write_bytes(log.read_bytes())


def _login(browser, hub: str, name: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(150_000)
    page.goto(f"{hub}/hub/login")
    page.fill("#username_input", name)
    page.fill("#password_input", f"{name}-first-use-pw")
    page.click("#login_submit")
    return page


def _shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _save_month(page, team: str, numerator: int) -> None:  # type: ignore[no-untyped-def]
    month = page.get_by_role("textbox", name="Month").first
    month.fill(PERIOD)
    month.press("Enter")
    page.wait_for_selector(f"text={team} {PERIOD}:")
    row = page.locator(".widget-hbox", has=page.locator("b:text-is('AMTSL')")).first
    row.get_by_placeholder("numerator").fill(str(numerator))
    row.get_by_placeholder("denominator").fill("50")
    page.get_by_role("button", name="Save month").click()


def test_a_team_member_saves_their_team_and_is_refused_another(hub, store, browser) -> None:
    from workbench.store import open_engine, read_audit, read_revisions

    page = _login(browser, hub, "tom")
    page.wait_for_url("**/user/tom/voila/render/data_entry.ipynb?team=T02*",
                      wait_until="commit")
    page.wait_for_selector(".wb-title:has-text('Monthly data entry')")
    page.wait_for_selector("text=Saving as tom")  # the hub's user, passed to the app
    _save_month(page, "T02", 44)
    page.wait_for_selector(f"text=Saved 1 value(s) for T02 {PERIOD}: AMTSL 44 / 50")
    _shot(page, "team-member-saved-own-team")

    page.goto(f"{hub}/user/tom/voila/render/data_entry.ipynb?team=T01&period={PERIOD}",
              wait_until="commit")  # another team's month opens (reading is open to all)
    page.wait_for_selector(f"text=T01 {PERIOD}: 1 of 3 indicators entered.")
    _save_month(page, "T01", 33)
    refusal = ("tom is a team member for T02; saving T01's monthly data needs the team "
               "member of T01, its coach, or an admin")
    page.wait_for_selector(f"text={refusal}")
    _shot(page, "team-member-refused-other-team")

    engine = open_engine(store)
    assert read_revisions(engine, "T02", "AMTSL", PERIOD).iloc[-1]["author"] == "tom"
    assert list(read_revisions(engine, "T01", "AMTSL", PERIOD)["numerator"]) == [40]
    saved = read_audit(engine, user="tom")
    assert list(saved["action"]) == ["monthly_data.save"]

    other = page.goto(f"{hub}/user/amina/voila/render/coach.ipynb?team=T01")
    assert "/user/amina/" not in page.url or (other is not None and other.status >= 400)
    page.context.close()


def test_a_coach_records_a_visit_to_an_assigned_team(hub, store, browser) -> None:
    from workbench.store import open_engine, read_audit, read_visits

    page = _login(browser, hub, "amina")
    page.wait_for_url("**/user/amina/voila/render/coach.ipynb?team=T01*", wait_until="commit")
    page.wait_for_selector(".wb-title:has-text('Coaching visit')")
    page.wait_for_selector("text=Saving as amina")
    page.get_by_placeholder("What you saw, what the team told you").fill(
        "Registers complete; partograph audit started")
    page.get_by_role("button", name="Save visit").click()
    page.wait_for_selector("text=Saved visit 1.")
    _shot(page, "coach-saved-visit")
    visits = read_visits(open_engine(store))
    assert list(zip(visits["team_id"], visits["author"], strict=True)) == [("T01", "amina")]
    assert "visit.save" in set(read_audit(open_engine(store), user="amina")["action"])
    page.context.close()


def test_a_name_that_is_not_a_workbench_user_cannot_log_in(hub, browser) -> None:
    page = _login(browser, hub, "mallory")
    page.wait_for_selector("text=mallory is not a user of this collaborative")
    _shot(page, "stranger-refused")
    assert "/hub/login" in page.url
    page.context.close()

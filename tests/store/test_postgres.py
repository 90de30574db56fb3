"""The data path on a real PostgreSQL server: init, import, validate, resolve with a correction,
history and as-of reads. Needs WORKBENCH_TEST_PG (a server URL; CI starts one); each test gets
its own freshly created database, dropped afterwards."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from workbench.ingest.collaborative import init_collaborative
from workbench.ingest.importer import import_file
from workbench.store import read_flags, read_measurements, read_revisions, utcnow
from workbench.validate.flags import flag_history, resolve_flag
from workbench.validate.run import run_validation

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "templates" / "collaborative.yaml"
TIDY = "team_id,indicator_id,period,numerator,denominator,comment\n"


def _admin(url: str):  # type: ignore[no-untyped-def]
    import psycopg2

    parsed = make_url(url)
    con = psycopg2.connect(host=parsed.host, port=parsed.port, user=parsed.username,
                           password=parsed.password, dbname=parsed.database or "postgres")
    con.autocommit = True
    return con


@pytest.fixture
def pg_db(postgres_url: str) -> Iterator[str]:
    """A URL of a new, uniquely named database on the test server (dropped afterwards)."""
    name = f"wb_test_{uuid.uuid4().hex[:12]}"
    admin = _admin(postgres_url)
    try:
        with admin.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
        url = make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
        yield url
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _csv(path: Path, body: str) -> Path:
    path.write_text(TIDY + body, encoding="utf-8")
    return path


def test_postgres_import_validate_correct_and_read_back(pg_db, tmp_path):
    engine = init_collaborative(pg_db, TEMPLATE)
    first = _csv(tmp_path / "jan.csv", "T01,AMTSL,2024-01,60,50,twins?\nT01,PPH,2024-01,1,50,\n"
                 "T02,AMTSL,2024-10,5,9,\n")
    result = import_file(engine, first)
    assert (result.new, result.revised, result.unchanged) == (3, 0, 0)
    assert import_file(engine, first).unchanged == 3  # re-import is a no-op

    summary = run_validation(engine)
    assert summary["found"]["numerator-exceeds-denominator"] == 1
    assert run_validation(engine)["new"] == 0  # idempotent
    flags = read_flags(engine)
    fid = int(flags.query("rule_code == 'numerator-exceeds-denominator'")["flag_id"].iloc[0])
    before_fix = utcnow()
    time.sleep(0.01)
    done = resolve_flag(engine, fid, "correct", "recounted from the register", user="amugisha",
                        numerator=41)
    assert (done["status"], done["version"]) == ("corrected", 2)

    history = read_revisions(engine, "T01", "AMTSL", "2024-01")
    assert history[["numerator", "denominator", "source"]].values.tolist() == [
        [60.0, 50.0, "import"], [41.0, 50.0, "correction"]]
    assert int(history["flag_id"].iloc[1]) == fid
    assert flag_history(engine, fid)["action"].tolist() == ["opened", "corrected"]

    def amtsl(frame):  # type: ignore[no-untyped-def]
        row = frame[(frame["team_id"] == "T01") & (frame["indicator_id"] == "AMTSL")]
        return row[["numerator", "denominator"]].values.tolist()

    assert amtsl(read_measurements(engine)) == [[41.0, 50.0]]
    assert amtsl(read_measurements(engine, as_of=before_fix)) == [[60.0, 50.0]]

    again = run_validation(engine)
    assert (again["reopened"], again["new"]) == (0, 0)
    kept = import_file(engine, first)  # the old file does not undo the correction
    assert (kept.kept_correction, kept.revised) == (1, 0)
    assert amtsl(read_measurements(engine)) == [[41.0, 50.0]]


def test_postgres_through_the_cli_with_a_period_and_cleared_flags(pg_db, tmp_path):
    import json

    from click.testing import CliRunner

    from workbench.cli import main

    def run(*args):  # type: ignore[no-untyped-def]
        return CliRunner().invoke(main, [str(a) for a in args])

    assert run("init", "--db", pg_db, "--config", TEMPLATE).exit_code == 0
    rows = "".join(f"T01,PPH,2024-{m:02d},1,50,\n" for m in range(1, 7))
    path = _csv(tmp_path / "h1.csv", rows + "T01,PPH,2024-07,3,0,\n")
    assert run("import", path, "--db", pg_db).exit_code == 0
    early = json.loads(run("validate", "--db", pg_db, "--period", "2024-06", "--json").output)
    assert (early["period"], early["found"].get("zero-denominator")) == ("2024-06", None)
    full = json.loads(run("validate", "--db", pg_db, "--json").output)
    assert full["found"]["zero-denominator"] == 1
    fixed = _csv(tmp_path / "fix.csv", "T01,PPH,2024-07,3,48,\n")
    assert run("import", fixed, "--db", pg_db).exit_code == 0
    after = json.loads(run("validate", "--db", pg_db, "--json").output)
    assert after["cleared"] == 1  # one problem, one flag: the outlier finding was attached
    listed = json.loads(run("flags", "--db", pg_db, "--status", "cleared", "--json").output)
    assert [f["rule_code"] for f in listed] == ["zero-denominator"]
    assert "also: outlier-denominator" in listed[0]["message"]

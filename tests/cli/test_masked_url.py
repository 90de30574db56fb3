"""A database URL's password is never shown: one function (`workbench.store.masked_url`) masks
it in every message, in `init`'s and `serve`'s output and in a report folder's manifest."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from workbench.cli import main
from workbench.store import masked_url

TEMPLATE = Path(__file__).resolve().parents[2] / "templates" / "collaborative.yaml"


@pytest.mark.parametrize(("url", "shown"), [
    ("postgresql://ana:s3cret@db.example.org:5432/collab",
     "postgresql://ana:***@db.example.org:5432/collab"),
    ("postgresql+psycopg://ana:s3cret@h/collab", "postgresql+psycopg://ana:***@h/collab"),
    ("postgresql://ana@h/collab", "postgresql://ana@h/collab"),
    ("postgresql://ana:s3cret@h:notaport/collab", "postgresql://ana:***@h:notaport/collab"),
    ("sqlite:////tmp/collab.db", "sqlite:////tmp/collab.db"),
    ("/tmp/collab.db", "/tmp/collab.db"),
])
def test_masked_url_hides_the_password_and_nothing_else(url, shown):
    assert masked_url(url) == shown


@pytest.mark.parametrize("url", [
    "postgresql://ana:s3cret@127.0.0.1:1/collab",           # no server there
    "postgresql://ana:s3cret@h:notaport/collab",             # a port that is not a number
    "nosuchdriver://ana:s3cret@h/collab",                    # no such dialect
])
def test_an_error_about_a_database_url_never_shows_its_password(url):
    result = CliRunner().invoke(main, ["status", "--db", url], catch_exceptions=False)
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and result.output.count("\n") == 1
    assert "s3cret" not in result.output and "ana:***@" in result.output


@pytest.mark.postgres
def test_init_on_postgresql_shows_the_url_without_its_password(postgres_url):
    import psycopg2
    from sqlalchemy.engine import make_url

    server = make_url(postgres_url)
    name = f"inputs_mask_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(host=server.host, port=server.port, user=server.username,
                             password=server.password, dbname=server.database or "postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    try:  # trust authentication: the password is in the URL only to be hidden
        url = server.set(database=name, password="s3cret").render_as_string(hide_password=False)
        result = CliRunner().invoke(main, ["init", "--db", url, "--config", str(TEMPLATE)],
                                    catch_exceptions=False)
        assert result.exit_code == 0, result.output
        assert "s3cret" not in result.output
        assert f"{server.username}:***@" in result.output and name in result.output
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def test_a_masked_url_opens_with_the_password_from_the_environment(monkeypatch):
    from workbench.store import password_env, resolve_url

    full = "postgresql://ana:s3cret@db.example.org:5432/collab"
    assert password_env(full) == {"WORKBENCH_DB_PASSWORD": "s3cret"}
    assert password_env("sqlite:////tmp/x.db") == {}
    shown = masked_url(full)
    monkeypatch.delenv("WORKBENCH_DB_PASSWORD", raising=False)
    assert resolve_url(shown) == shown  # nothing to fill in: the driver will refuse it
    monkeypatch.setenv("WORKBENCH_DB_PASSWORD", "s3cret")
    assert resolve_url(shown) == full
    assert resolve_url("postgresql://ana:other@h/collab") == "postgresql://ana:other@h/collab"


@pytest.mark.postgres
@pytest.mark.slow
def test_a_report_batch_keeps_no_password_in_its_notebooks_or_manifest(pg_url, tmp_path):
    from sqlalchemy.engine import make_url

    server = make_url(pg_url)  # trust authentication: the password is there only to be hidden
    url = server.set(password="s3cret").render_as_string(hide_password=False)
    runner = CliRunner()
    assert runner.invoke(main, ["init", "--db", url, "--config", str(TEMPLATE)]).exit_code == 0
    data = tmp_path / "month.csv"
    data.write_text("team_id,indicator_id,period,numerator,denominator\n"
                    "T01,AMTSL,2024-01,40,50\n", encoding="utf-8")
    assert runner.invoke(main, ["import", str(data), "--db", url]).exit_code == 0
    out = tmp_path / "reports"
    result = runner.invoke(main, ["report", "--db", url, "--period", "2024-01", "--teams",
                                  "T01", "--format", "both", "--out", str(out),
                                  "--workers", "1", "--no-progress"])
    assert result.exit_code == 0, result.output
    written = [p for p in (out / "2024-01").rglob("*") if p.is_file()]
    assert any(p.suffix == ".ipynb" for p in written)
    assert any(p.name == "manifest.json" for p in written)
    for path in written:
        assert b"s3cret" not in path.read_bytes(), path.name
    notebook = next(p for p in written if p.suffix == ".ipynb").read_text(encoding="utf-8")
    assert f"{server.username}:***@" in notebook  # the kernel opened the masked URL

"""`workbench demo --force` replaces only what the demo built: never a collaborative made by
`workbench init`, anything else only when named with --db and confirmed; `make demo` writes its
own file. On SQLite files and (marker `postgres`) on a PostgreSQL server."""

from __future__ import annotations

import gzip
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.engine import make_url

from workbench.cli import main
from workbench.demo.build import (
    DEMO_MARKER,
    ReplaceNotConfirmed,
    build_demo,
    demo_marker,
    demo_target,
)
from workbench.errors import StoreError
from workbench.ingest.collaborative import init_collaborative
from workbench.store import open_engine, read_collaborative, read_teams

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "templates" / "collaborative.yaml"
RELEASE_0_1_0 = ROOT / "tests" / "data" / "demo-release-0.1.0.db.gz"
INIT_NAME = "Essential Obstetric and Newborn Care Collaborative"


def _run(*args: str, input: str | None = None, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args), input=input, env=env, catch_exceptions=False)


def _refusal(where: str) -> str:
    return (f"Error: {where} holds the collaborative {INIT_NAME!r}, made by `workbench init`, "
            "not by the demo; `workbench demo` never replaces it, with or without --force. "
            "Choose another --db for the demo, e.g. --db demo.db.\n")


# --------------------------------------------------------------------------- SQLite, CLI

@pytest.mark.parametrize("flags", [["--force"], ["--force", "--yes"], []])
def test_demo_never_replaces_a_collaborative_made_by_init(empty_db: str, flags) -> None:  # type: ignore[no-untyped-def]
    before = Path(empty_db).read_bytes()
    result = _run("demo", "--no-serve", *flags, "--db", empty_db)
    assert result.exit_code == 1
    assert result.stderr == _refusal(empty_db)
    assert Path(empty_db).read_bytes() == before
    assert read_teams(open_engine(empty_db))["team_id"].tolist() == ["T01", "T02"]


def test_the_old_make_demo_command_leaves_a_collaborative_in_workbench_db_alone(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("WORKBENCH_DB", raising=False)
    init_collaborative("workbench.db", TEMPLATE)
    result = _run("demo", "--force", "--no-serve", "--db", "workbench.db")
    assert result.exit_code == 1
    assert result.stderr == _refusal(str(tmp_path / "workbench.db"))
    assert read_collaborative(open_engine("workbench.db"))["name"] == INIT_NAME


def test_a_file_the_demo_did_not_build_is_kept_when_the_prompt_is_declined(
        tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("minutes of the learning session")
    result = _run("demo", "--force", "--no-serve", "--db", str(path), input="n\n")
    assert result.exit_code == 1
    assert (f"{path} is a file that is not a SQLite database, not a database built by "
            "`workbench demo`. Delete everything in it and build the demo there? [y/N]: n\n"
            ) in result.stderr
    assert result.stderr.endswith(f"Error: nothing was replaced; {path} is as it was.\n")
    assert path.read_text() == "minutes of the learning session"


def test_a_database_reached_through_workbench_db_is_not_replaced_without_naming_it(
        tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("minutes of the learning session")
    result = _run("demo", "--force", "--yes", "--no-serve", env={"WORKBENCH_DB": str(path)})
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {path} is a file that is not a SQLite database, not a database built by "
        "`workbench demo`; nothing was replaced. To replace it, name it with --db on the "
        "command line and confirm (or add --yes); otherwise choose another --db path.\n")
    assert path.read_text() == "minutes of the learning session"


# --------------------------------------------------------------------------- SQLite, library

def test_a_database_the_demo_built_is_marked_and_replaced_with_force_alone(
        tmp_path: Path) -> None:
    path = str(tmp_path / "demo.db")
    build_demo(path, seed=3)
    assert demo_target(path).kind == "demo"
    engine = build_demo(path, seed=5, force=True)
    with engine.connect() as conn:
        assert conn.execute(select(demo_marker)).all() == [(DEMO_MARKER, 5)]


def test_a_demo_from_release_0_1_0_has_no_marker_so_it_is_replaced_only_when_confirmed(
        tmp_path: Path) -> None:
    path = tmp_path / "old-demo.db"
    with gzip.open(RELEASE_0_1_0) as packed, path.open("wb") as out:
        shutil.copyfileobj(packed, out)
    before = path.read_bytes()
    with pytest.raises(ReplaceNotConfirmed, match="from an older release, without the demo's "
                                                  "marker, not a database built by"):
        build_demo(str(path), force=True)
    assert path.read_bytes() == before
    engine = build_demo(str(path), force=True, confirmed=True, seed=3)
    assert demo_target(str(path)).kind == "demo"
    assert len(read_teams(engine)) == 48


def test_confirming_does_not_let_the_demo_replace_a_collaborative(empty_db: str) -> None:
    with pytest.raises(StoreError, match="made by `workbench init`, not by the demo"):
        build_demo(empty_db, force=True, confirmed=True)
    assert read_collaborative(open_engine(empty_db))["name"] == INIT_NAME


def test_make_demo_writes_its_own_demo_db() -> None:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    dry = subprocess.run(["make", "-n", "-s", "-C", str(ROOT), "demo"], capture_output=True,
                         text=True, check=True)
    assert "workbench demo --force --db demo.db" in dry.stdout


# --------------------------------------------------------------------------- PostgreSQL

@pytest.mark.postgres
def test_on_postgresql_the_demo_never_drops_a_collaborative_made_by_init(pg_url: str) -> None:
    init_collaborative(pg_url, TEMPLATE)
    result = _run("demo", "--force", "--yes", "--no-serve", "--db", pg_url)
    assert result.exit_code == 1
    assert result.stderr == _refusal(make_url(pg_url).render_as_string(hide_password=True))
    assert read_teams(open_engine(pg_url))["team_id"].tolist() == ["T01", "T02"]


@pytest.mark.postgres
def test_on_postgresql_a_database_the_demo_built_is_rebuilt_with_force(pg_url: str) -> None:
    build_demo(pg_url, seed=3)
    with pytest.raises(StoreError, match="already holds a collaborative. Use --force"):
        build_demo(pg_url, seed=5)
    engine = build_demo(pg_url, seed=5, force=True)
    with engine.connect() as conn:
        assert conn.execute(select(demo_marker)).all() == [(DEMO_MARKER, 5)]
    assert len(read_teams(engine)) == 48

"""The foundation commands: init, demo, status, export; help and errors of every command."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from workbench.cli import main

TEMPLATE = Path(__file__).resolve().parents[2] / "templates" / "collaborative.yaml"


def _run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _all_commands(group: click.Group, prefix: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    for name, command in sorted(group.commands.items()):
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from _all_commands(command, (*prefix, name))


def test_init_creates_the_collaborative_from_yaml(tmp_path: Path) -> None:
    db = tmp_path / "amtsl.db"
    result = _run("init", "--db", str(db), "--config", str(TEMPLATE))
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"Created 'Essential Obstetric and Newborn Care Collaborative' in sqlite:///{db}: "
        "2 teams, 3 indicators, 2 waves.\n")


def test_init_with_bad_yaml_fails_in_one_line_and_creates_nothing(tmp_path: Path) -> None:
    config = tmp_path / "broken.yaml"
    config.write_text(TEMPLATE.read_text().replace("direction: decrease", "direction: down"))
    db = tmp_path / "x.db"
    result = _run("init", "--db", str(db), "--config", str(config))
    assert result.exit_code == 1
    line = next(i for i, text in enumerate(config.read_text().splitlines(), 1)
                if "direction: down" in text)
    assert result.stderr == (f"Error: {config}, line {line}, indicators[1].direction: must be "
                             "one of increase, decrease, not 'down'\n")
    assert result.stdout == ""
    assert not db.exists()


def test_init_with_yaml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    config = tmp_path / "syntax.yaml"
    config.write_text("collaborative:\n  name: x\n    topic: y\n")
    result = _run("init", "--db", str(tmp_path / "x.db"), "--config", str(config))
    assert result.exit_code == 1
    assert result.stderr == (f"Error: {config}, line 3: not valid YAML (mapping values are not "
                             "allowed here). Check indentation and quoting there.\n")


def test_status_of_a_missing_database_fails_with_how_to_create_one(tmp_path: Path) -> None:
    db = tmp_path / "missing.db"
    result = _run("status", "--db", str(db), "--json")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: no workbench database at {db}. Create one with "
        "`workbench init --db PATH --config collaborative.yaml` or `workbench demo`.\n")
    assert not db.exists()


def test_status_of_an_unusable_url_fails_in_one_line() -> None:
    result = _run("status", "--db", "nosuchdriver://host/db")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: cannot use database URL 'nosuchdriver://host/db': Can't load plugin: "
        "sqlalchemy.dialects:nosuchdriver. Give a file path or a URL such as "
        "sqlite:///workbench.db or postgresql://user@host/dbname.\n")


def test_status_of_an_unreachable_server_fails_in_one_line() -> None:
    result = _run("status", "--db", "postgresql://nobody:secret@127.0.0.1:1/nodb")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "Error: cannot open database postgresql://nobody:***@127.0.0.1:1/nodb: ")
    assert result.stderr.endswith(" Check the URL and server.\n")
    assert result.stderr.count("\n") == 1 and "secret" not in result.stderr


@pytest.mark.slow
def test_demo_no_serve_builds_the_database_runs_the_main_job_and_exits(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    built = _run("demo", "--no-serve", "--db", str(db))
    assert built.exit_code == 0, built.output
    assert built.stderr.startswith("Demo collaborative 'EONC Improvement Collaborative (demo)': "
                                   "48 teams, 6 indicators, 24 months (2024-11 to 2026-10), ")
    assert json.loads(_run("status", "--db", str(db), "--json").stdout)["teams"] == 48


def test_demo_does_not_replace_an_existing_file_without_force(demo_db: str) -> None:
    before = Path(demo_db).stat().st_mtime_ns
    again = _run("demo", "--no-serve", "--db", demo_db)
    assert again.exit_code == 1
    assert again.stderr == (f"Error: {demo_db} already exists. Use --force to replace it with "
                            "a new demo collaborative, or choose another --db path.\n")
    assert Path(demo_db).stat().st_mtime_ns == before


def test_status_json_counts_the_demo_collaborative(demo_db: str) -> None:
    status = _run("status", "--db", demo_db, "--json")
    assert status.exit_code == 0
    counts = json.loads(status.stdout)
    assert (counts["teams"], counts["months"], counts["indicators"], counts["waves"]) == (
        48, 24, 6, 3)
    assert (counts["first_period"], counts["last_period"]) == ("2024-11", "2026-10")
    assert counts["pdsa_cycles"] > 100 and counts["coaching_visits"] > 100
    assert counts["measurement_revisions"] > counts["measurements"]  # duplicates kept


def test_export_measurements_as_tidy_csv(demo_db: str, tmp_path: Path) -> None:
    counts = json.loads(_run("status", "--db", demo_db, "--json").stdout)
    out = tmp_path / "data.csv"
    exported = _run("export", "measurements", "--db", demo_db, "--format", "csv",
                    "--out", str(out))
    assert exported.exit_code == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert list(rows[0])[:5] == ["team_id", "indicator_id", "period", "numerator",
                                 "denominator"]
    assert len(rows) == counts["measurements"]
    assert {r["period"] for r in rows} >= {"2024-11", "2026-10"}
    assert rows[0]["numerator"].isdigit()  # whole numbers without ".0"

    early = _run("export", "measurements", "--db", demo_db, "--as-of", "2025-01-31")
    assert early.exit_code == 0
    periods = {r["period"] for r in csv.DictReader(io.StringIO(early.stdout))}
    assert periods == {"2024-11", "2024-12"}


def test_status_text_output_lists_the_counts(demo_db: str) -> None:
    result = _run("status", "--db", demo_db)
    assert result.exit_code == 0
    assert "                 teams: 48\n" in result.stdout


@pytest.mark.parametrize("path", [p for p, _ in _all_commands(main)], ids=" ".join)
def test_every_command_has_help_with_an_example(path: tuple[str, ...]) -> None:
    result = _run(*path, "--help")
    assert result.exit_code == 0
    assert "Example:" in result.stdout, f"`workbench {' '.join(path)} --help` has no example"


def test_the_group_help_lists_the_foundation_commands() -> None:
    result = _run("--help")
    assert result.exit_code == 0 and "Example:" in result.stdout
    for name in ("init", "demo", "status", "export"):
        assert name in main.commands and f"  {name} " in result.stdout


def test_python_dash_m_workbench_is_the_same_command() -> None:
    result = subprocess.run([sys.executable, "-m", "workbench", "--help"], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Usage: python -m workbench") or "Usage:" in result.stdout
    assert "status" in result.stdout

"""`workbench measure add|list`: a team adds its own measure; its rows are imported from that
team only, another team's rows are refused in one line naming the row; bad options are one
`Error:` line and change nothing."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from workbench.cli import main
from workbench.store import open_engine, read_measurements, team_measures

ADD = ["--team", "T01", "--id", "T01_SKIN", "--name", "Skin-to-skin within 1 hour",
       "--numerator", "babies put skin to skin within 1 hour", "--denominator", "live births",
       "--target", "80", "--direction", "up"]


def _run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_measure_add_says_what_was_added_and_list_shows_it(empty_db: str) -> None:
    result = _run("measure", "add", "--db", empty_db, *ADD)
    assert result.exit_code == 0, result.output
    assert result.stdout == ("Added T01_SKIN (Skin-to-skin within 1 hour) to team T01: target "
                             "80%, higher is better. It shows in the team's report and journal "
                             "only.\n")
    listed = json.loads(_run("measure", "list", "--db", empty_db, "--json").stdout)
    assert [(r["team_id"], r["indicator_id"], r["target"], r["direction"]) for r in listed] == [
        ("T01", "T01_SKIN", 0.8, "increase")]
    assert _run("measure", "list", "--db", empty_db, "--team", "T02").stdout == (
        "No team has a measure of its own.\n")


def test_measure_commands_have_help_with_an_example() -> None:
    for args in (["measure"], ["measure", "add"], ["measure", "list"]):
        result = _run(*args, "--help")
        assert result.exit_code == 0 and "Example: workbench measure" in result.stdout, args


def test_a_bad_measure_is_one_error_line_and_nothing_is_added(empty_db: str) -> None:
    args = [a if a != "80" else "800" for a in ADD]
    result = _run("measure", "add", "--db", empty_db, *args)
    assert result.exit_code == 1
    assert result.stderr == ("Error: the team measure was not added: --target 800: a percentage "
                             "from 0 to 100 (90 for 90 %).\n")
    assert team_measures(open_engine(empty_db)).empty


def test_a_team_measures_rows_come_from_that_team_only(empty_db: str, tmp_path: Path) -> None:
    assert _run("measure", "add", "--db", empty_db, *ADD).exit_code == 0
    ours = tmp_path / "t01.csv"
    ours.write_text("team_id,indicator_id,period,numerator,denominator,comment\n"
                    "T01,T01_SKIN,2024-11,6,10,\n")
    assert _run("import", str(ours), "--db", empty_db).exit_code == 0
    theirs = tmp_path / "t02.csv"
    theirs.write_text("team_id,indicator_id,period,numerator,denominator,comment\n"
                      "T02,AMTSL,2024-11,6,10,\nT02,T01_SKIN,2024-11,6,10,\n")
    result = _run("import", str(theirs), "--db", empty_db)
    assert result.exit_code == 1
    assert ("row 3, column team_id: indicator 'T01_SKIN' is team T01's own measure; only T01 "
            "reports it") in \
        result.stderr
    m = read_measurements(open_engine(empty_db))
    assert list(zip(m["team_id"], m["indicator_id"], strict=True)) == [("T01", "T01_SKIN")]

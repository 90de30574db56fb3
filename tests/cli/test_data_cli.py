"""The data commands end to end: import, template, validate, flags, export (exact texts)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from workbench.cli import main

TIDY = "team_id,indicator_id,period,numerator,denominator\n"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_import_prints_what_changed_and_reimport_is_a_no_op(empty_db, tmp_path):
    path = tmp_path / "a.csv"
    path.write_text(TIDY + "T01,AMTSL,2024-01,40,50\nT01,PPH,2024-01,1,50\n", encoding="utf-8")
    first = run("import", path, "--db", empty_db)
    assert first.exit_code == 0, first.output
    assert "Imported a.csv (csv) as batch 1: 2 new, 0 revised, 0 unchanged." in first.output
    again = run("import", path, "--db", empty_db, "--json")
    payload = json.loads(again.output[again.output.index("{"):])
    assert (payload["new"], payload["unchanged"]) == (0, 2)


def test_import_lists_every_failure_and_exits_1(empty_db, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(TIDY + "T09,AMTSL,2024-01,4,5\nT01,AMTSL,2024-02,x,5\n", encoding="utf-8")
    result = run("import", path, "--db", empty_db)
    assert result.exit_code == 1
    assert "unknown-team" in result.output and "not-a-number" in result.output
    assert result.output.splitlines()[-1] == (
        "Error: bad.csv: 2 problems in 2 rows; nothing was imported. First: row 2, column "
        "team_id: team 'T09' is not in this collaborative (teams: T01, T02); fix the code. Fix "
        "every listed problem and import again.")


def test_validate_flags_resolve_and_history(empty_db, tmp_path):
    path = tmp_path / "a.csv"
    path.write_text(TIDY + "T01,AMTSL,2024-01,60,50\n", encoding="utf-8")
    run("import", path, "--db", empty_db)
    result = run("validate", "--db", empty_db)
    assert result.exit_code == 0 and "numerator-exceeds-denominator 1" in result.output
    listed = json.loads(run("flags", "--db", empty_db, "--status", "open", "--json").output)
    fid = next(f["flag_id"] for f in listed if f["rule_code"] == "numerator-exceeds-denominator")
    done = run("flags", "resolve", fid, "--db", empty_db, "--action", "correct", "--numerator",
               41, "--note", "register recount", "--user", "amugisha")
    assert done.exit_code == 0, done.output
    assert done.output.startswith(f"Flag {fid} corrected by amugisha (version 2, revision 2)")
    conflict = run("flags", "resolve", fid, "--db", empty_db, "--action", "dismiss", "--note",
                   "late", "--user", "other")
    assert conflict.exit_code == 1
    assert conflict.output == (
        f"Error: flag {fid} is already corrected by amugisha. Nothing was written; to review it "
        "again pass its version (2).\n")
    history = run("flags", "history", fid, "--db", empty_db)
    assert "corrected" in history.output and "amugisha" in history.output
    opened, corrected = history.output.splitlines()
    assert " - -> open " in opened and "nan" not in history.output
    assert corrected.endswith("open -> corrected  register recount")
    missing = run("flags", "resolve", 999, "--db", empty_db, "--action", "confirm", "--note", "x")
    assert missing.output == ("Error: flag 999 does not exist. List flags with `workbench flags "
                              "--db URL`.\n")


def test_template_and_export_commands(empty_db, tmp_path):
    out = tmp_path / "T01.xlsx"
    result = run("template", "xlsx", "--db", empty_db, "--team", "T01", "--months", "2", "--out",
                 out)
    assert result.exit_code == 0 and out.exists()
    csv_out = run("export", "measurements", "--db", empty_db)
    assert csv_out.output == "team_id,indicator_id,period,numerator,denominator,comment\n"
    needs_out = run("export", "flags", "--db", empty_db, "--format", "xlsx")
    assert needs_out.output == "Error: --format xlsx needs --out FILE.xlsx.\n"
    unknown = run("template", "xlsx", "--db", empty_db, "--team", "T99", "--out", out)
    assert unknown.output.startswith("Error: unknown team 'T99'.")


def test_every_data_command_has_help_with_an_example():
    for args in (["import"], ["template", "xlsx"], ["validate"], ["flags"],
                 ["flags", "resolve"], ["flags", "history"], ["export"]):
        result = run(*args, "--help")
        assert result.exit_code == 0 and "Example: workbench" in result.output, args


def test_reimporting_an_old_file_keeps_a_reviewed_correction(empty_db, tmp_path):
    old = tmp_path / "old.csv"
    old.write_text(TIDY + "T01,AMTSL,2024-01,60,50\nT01,PPH,2024-01,1,50\n", encoding="utf-8")
    run("import", old, "--db", empty_db)
    run("validate", "--db", empty_db)
    listed = json.loads(run("flags", "--db", empty_db, "--status", "open", "--json").output)
    fid = next(f["flag_id"] for f in listed if f["rule_code"] == "numerator-exceeds-denominator")
    run("flags", "resolve", fid, "--db", empty_db, "--action", "correct", "--numerator", 41,
        "--note", "register recount", "--user", "amugisha")
    again = run("import", old, "--db", empty_db)
    assert again.exit_code == 0, again.output
    assert again.output.splitlines()[-2:] == [
        "Kept reviewed corrections (the file's values were not written):",
        "  T01 AMTSL 2024-01: corrected 41/50, file row 2 has 60/50"]
    assert "0 new, 0 revised, 1 unchanged, 1 kept_correction." in again.output
    payload = json.loads(run("import", old, "--db", empty_db, "--json").output)
    assert (payload["kept_correction"], payload["revised"], payload["unchanged"]) == (1, 0, 1)
    assert payload["kept_corrections"] == [{
        "team_id": "T01", "indicator_id": "AMTSL", "period": "2024-01",
        "corrected": {"numerator": 41.0, "denominator": 50.0, "revision_id": 3},
        "imported": {"numerator": 60.0, "denominator": 50.0, "row": 2}}]
    exported = run("export", "measurements", "--db", empty_db).output.splitlines()
    assert exported[1] == "T01,AMTSL,2024-01,41,50,"
    same = tmp_path / "same.csv"
    same.write_text(TIDY + "T01,AMTSL,2024-01,41,50\n", encoding="utf-8")
    payload = json.loads(run("import", same, "--db", empty_db, "--json").output)
    assert (payload["kept_correction"], payload["revised"], payload["unchanged"]) == (0, 0, 1)


@pytest.mark.parametrize(("typed", "problem"), [
    ("1,000", "'1,000' has a thousands separator; write 1000 without thousands separators."),
    ("-3", "'-3' is negative; counts are 0 or more."),
    ("40.5", "'40.5' is not a whole number; counts are 0, 1, 2 …."),
    ("true", "'true' is not a number; enter a whole count such as 12."),
])
def test_a_corrected_count_on_the_command_line_meets_the_count_rule(empty_db, typed, problem):
    result = run("flags", "resolve", 1, "--db", empty_db, "--action", "correct", "--numerator",
                 typed, "--note", "recount")
    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == (
        f"Error: Invalid value for '--numerator': {problem}")

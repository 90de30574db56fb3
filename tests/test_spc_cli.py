"""`workbench spc`: the CSV in, JSON or a table out, and exact error texts (STYLE: CLI)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from workbench.cli.spc_cmd import spc

TWO_TEAMS = """series,x,y,n
A,2024-01,5,20
A,2024-02,6,22
A,2024-03,,
A,2024-04,8,20
B,2024-01,1,10
B,2024-02,2,10
B,2024-03,3,10
"""


def run(tmp_path, text: str, *args: str):
    path = tmp_path / "data.csv"
    path.write_text(text)
    return CliRunner().invoke(spc, [str(path), *args])


def test_json_output_has_one_entry_per_series_with_points_and_summary(tmp_path):
    result = run(tmp_path, TWO_TEAMS, "--chart", "p", "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert [s["series"] for s in payload["series"]] == ["A", "B"]
    team_a = payload["series"][0]
    assert team_a["chart"] == "p"
    assert [p["x"] for p in team_a["points"]] == ["2024-01", "2024-02", "2024-03", "2024-04"]
    # CL = (5 + 6 + 8) / (20 + 22 + 20); the empty month is a gap: y and limits null, n 0
    assert team_a["points"][0]["cl"] == pytest.approx(19 / 62)
    gap = team_a["points"][2]
    assert (gap["y"], gap["n"], gap["ucl"], gap["sigma_signal"]) == (None, 0.0, None, False)
    summary = team_a["summary"][0]
    assert (summary["n_obs"], summary["n_useful"], summary["runs_signal"]) == (4, 3, False)
    assert set(summary) >= {"part", "longest_run", "longest_run_max", "n_crossings",
                            "n_crossings_min", "lcl", "cl", "ucl", "sigma_signals"}


def test_json_output_of_rule_sets_carries_their_flags_and_version(tmp_path):
    result = run(tmp_path, TWO_TEAMS, "--chart", "i", "--rules", "nhs", "--target", "0.5",
                 "--json")
    team_b = json.loads(result.output)["series"][1]
    assert team_b["rules"] == "nhs-mdc-ptd-0.2.2"
    assert {"nhs_special_cause", "nhs_trend"} <= set(team_b["points"][0])
    assert team_b["summary"][0]["nhs_assurance"] in {"consistent_pass", "consistent_fail",
                                                     "inconsistent"}


def test_a_file_without_series_gives_one_series_named_null(tmp_path):
    result = run(tmp_path, "x,y\n1,3\n2,5\n3,4\n", "--json")
    payload = json.loads(result.output)
    assert [s["series"] for s in payload["series"]] == [None]
    assert payload["series"][0]["points"][0]["cl"] == 4.0  # median of 3, 5, 4


def test_positions_options_reach_the_chart(tmp_path):
    text = "x,y\n" + "".join(f"{i},{i}\n" for i in range(1, 11))
    result = run(tmp_path, text, "--freeze", "4", "--exclude", "10", "--json")
    points = json.loads(result.output)["series"][0]["points"]
    assert points[0]["cl"] == 2.5
    assert [p["baseline"] for p in points] == [True] * 4 + [False] * 6
    assert points[9]["include"] is False
    parts = run(tmp_path, text, "--part", "5", "--json")
    assert [s["part"] for s in json.loads(parts.output)["series"][0]["summary"]] == [1, 2]


def test_text_output_is_a_readable_table_per_series(tmp_path):
    result = run(tmp_path, TWO_TEAMS, "--chart", "p")
    assert result.exit_code == 0
    assert "P chart — A  (rules: anhoej-qicharts2-0.8.1)" in result.output
    assert "part 1: 4 points, 3 useful" in result.output


@pytest.mark.parametrize(("text", "args", "message"), [
    ("x,value\n1,2\n", [],
     "Error: data.csv: column 'y' is missing; the header must name x and y (and n for p, pp, "
     "u and up charts, series for several series).\n"),
    ("x,y\n1,2\n", ["--chart", "p"],
     "Error: a p chart needs a denominator: add an 'n' column with the number of cases "
     "(opportunities) of each row.\n"),
    ("x,y,n\n1,2,10\n2,12,10\n", ["--chart", "p"],
     "Error: row 3, column 'y': 12 is larger than its denominator n; a proportion needs "
     "y <= n.\n"),
    ("x,y\n1,2\n2,three\n", ["--chart", "i"],
     "Error: row 3, column 'y': 'three' is not a number. Write a number, or leave the cell "
     "empty for a missing value.\n"),
    ("x,y\n1,2\n2,3\n", ["--freeze", "9"],
     "Error: freeze position 9 is out of range: positions count the points of a series from "
     "1, and the longest series here has 2 points.\n"),
    ("x,y\n1,2\n,3\n", [],
     "Error: row 3, column 'x': empty; every row needs an x (a month YYYY-MM, a date "
     "YYYY-MM-DD, a number or a label).\n"),
])
def test_bad_input_prints_the_error_and_exits_1(tmp_path, text, args, message):
    result = run(tmp_path, text, *args)
    assert result.exit_code == 1
    assert result.output == message


def test_positions_that_are_not_numbers_are_a_usage_error(tmp_path):
    result = run(tmp_path, TWO_TEAMS, "--part", "a,b")
    assert result.exit_code == 2
    assert ("Error: Invalid value for --part: 'a,b': give point positions separated by "
            "commas, e.g. 12,24.") in result.output


def test_help_documents_row_numbering_and_ends_with_an_example():
    result = CliRunner().invoke(spc, ["--help"])
    assert result.exit_code == 0
    assert "first data row is row 2" in result.output
    assert result.output.rstrip().splitlines()[-1].strip() != ""
    assert "Example: workbench spc" in result.output.split("Options:")[0]

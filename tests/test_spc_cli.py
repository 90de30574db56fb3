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


def reference_json(text: str, *args: str, tmp_path, capsys) -> str:
    """The --json text built value by value: qic() frames -> records -> `echo_json`."""
    from workbench.cli.options import echo_json
    from workbench.cli.spc_cmd import _POINT_FIELDS, _SUMMARY_FIELDS, read_spc_csv
    from workbench.spc.qic import qic

    path = tmp_path / "reference.csv"
    path.write_text(text)
    frame, _ = read_spc_csv(path)
    options = dict(zip(args[::2], args[1::2], strict=True))
    result = qic(frame, options["--chart"], n="n", series="series",
                 rules=options.get("--rules", "anhoej"))
    points = result.points.assign(x=result.points["x"].dt.strftime("%Y-%m"))
    extra_points = [c for c in points.columns if c.startswith(("ihi_", "nhs_"))]
    extra_summary = [c for c in result.summary.columns if c.startswith(("ihi_", "nhs_"))]
    entries = []
    for key in ["A", "B"]:
        mine, summary = points[points["series"] == key], result.summary
        summary = summary[summary["series"] == key]
        records = []
        for frame_, fields in ((mine, _POINT_FIELDS + extra_points),
                               (summary, _SUMMARY_FIELDS + extra_summary)):
            rows = frame_[fields].astype(object)
            records.append(rows.where(frame_[fields].notna(), None).to_dict(orient="records"))
        entries.append({"series": key, "chart": options["--chart"], "rules": result.rules,
                        "points": records[0], "summary": records[1]})
    capsys.readouterr()
    echo_json({"series": entries})
    return capsys.readouterr().out


@pytest.mark.parametrize("args", [("--chart", "p"), ("--chart", "i", "--rules", "nhs"),
                                  ("--chart", "run", "--rules", "ihi")])
def test_json_text_is_what_echo_json_writes_for_the_records_of_each_series(tmp_path, capsys,
                                                                           args):
    # the whole frame is serialised at once (issue 15 item 4); the text must not change
    expected = reference_json(TWO_TEAMS, *args, tmp_path=tmp_path, capsys=capsys)
    result = run(tmp_path, TWO_TEAMS, *args, "--json")
    assert result.exit_code == 0, result.output
    assert result.output == expected


def test_summary_only_json_has_the_summary_of_each_series_and_no_points(tmp_path):
    full = json.loads(run(tmp_path, TWO_TEAMS, "--chart", "p", "--json").output)
    result = run(tmp_path, TWO_TEAMS, "--chart", "p", "--json", "--summary-only")
    brief = json.loads(result.output)
    assert [set(s) for s in brief["series"]] == [{"series", "chart", "rules", "summary"}] * 2
    assert [s["summary"] for s in brief["series"]] == [s["summary"] for s in full["series"]]


def test_summary_only_text_prints_the_part_lines_without_the_table(tmp_path):
    result = run(tmp_path, TWO_TEAMS, "--chart", "p", "--summary-only")
    assert result.output.splitlines()[:2] == [
        "P chart — A  (rules: anhoej-qicharts2-0.8.1)",
        "part 1: 4 points, 3 useful, longest run 2 (max 5), crossings 1 (min 0), runs signal "
        "no, 0 outside the limits"]
    assert "sigma_signal" not in result.output

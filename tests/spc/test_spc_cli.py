"""`workbench spc`: the CSV in, JSON or a table out, and exact error texts (STYLE: CLI)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from workbench.cli.analysis.spc_cmd import spc

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
    # the columns are aligned over the whole file, so every series' table lines up
    team_b = result.output.split("P chart — B  (rules: anhoej-qicharts2-0.8.1)\n")[1]
    assert team_b.splitlines()[:3] == [
        "      x      y     cl     lcl    ucl part include sigma_signal runs_signal",
        "2024-01    0.1    0.2       0 0.5795    1    True        False       False",
        "2024-02    0.2    0.2       0 0.5795    1    True        False       False"]


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
    from workbench.cli.analysis.spc_cmd import _POINT_FIELDS, _SUMMARY_FIELDS, read_spc_csv
    from workbench.cli.options import echo_json
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


def nhs_csv() -> str:
    # A and B: 12 baseline months (10, 12 alternating: mean 11, limits 5.68 and 16.32), then
    # six months of 11; A is rebased at 2025-01, where its second part starts
    rows = ["series,x,y"]
    for team in "AB":
        for i, y in enumerate([10, 12] * 6 + [11] * 6):
            rows.append(f"{team},{2024 + i // 12}-{i % 12 + 1:02d},{y}")
    return "\n".join(rows) + "\n"


def test_nhs_options_rebase_and_targets_per_series_reach_the_chart(tmp_path):
    result = run(tmp_path, nhs_csv(), "--chart", "i", "--rules", "nhs", "--freeze", "12",
                 "--rebase", "B=2025-01", "--target", "A=4", "--target", "B=20", "--json")
    assert result.exit_code == 0, result.output
    team_a, team_b = json.loads(result.output)["series"]
    assert [s["part"] for s in team_a["summary"]] == [1]
    assert [s["part"] for s in team_b["summary"]] == [1, 2]
    assert team_a["summary"][0]["nhs_assurance"] == "consistent_pass"
    assert team_a["points"][0]["target"] == 4.0 and team_b["points"][0]["target"] == 20.0
    assert team_b["points"][12]["part"] == 2 and team_b["points"][12]["x"] == "2025-01"


def test_qicharts2_options_reach_the_chart(tmp_path):
    text = "x,y\n" + "".join(f"2024-01-{d:02d},{y}\n" for d, y in
                             zip(range(1, 11), [1, 5, 1, 5, 1, 5, 1, 5, 1, 5], strict=True))
    result = run(tmp_path, text, "--chart", "i", "--x-period", "week", "--agg-fun", "sum",
                 "--cl", "10", "--no-y-neg", "--json")
    assert result.exit_code == 0, result.output
    points = json.loads(result.output)["series"][0]["points"]
    # 2024-01-01 is a Monday: days 1-7 sum to 19, days 8-10 to 11
    assert [(p["x"], p["y"], p["cl"]) for p in points] == [("2024-01-01", 19.0, 10.0),
                                                            ("2024-01-08", 11.0, 10.0)]
    assert points[0]["lcl"] == 0.0  # 10 - 3 * 8 / 1.128 < 0, cut at 0


@pytest.mark.parametrize(("args", "message"), [
    (["--target", "A=high"], "Error: Invalid value for --target: 'high' is not a number."),
    (["--target", "3", "--target", "A=4"], "Error: Invalid value for --target: give one value "
                                           "for every series, or SERIES=VALUE for each series"),
    (["--rebase", "July"], "Error: Invalid value for --rebase: 'July' is not a date; write "
                           "YYYY-MM or YYYY-MM-DD, e.g. 2024-07."),
])
def test_badly_written_per_series_options_are_usage_errors(tmp_path, args, message):
    result = run(tmp_path, TWO_TEAMS, *args)
    assert result.exit_code == 2
    assert message in result.output


def test_a_rebase_date_without_a_point_is_an_error_naming_the_date(tmp_path):
    result = run(tmp_path, TWO_TEAMS, "--rebase", "2023-05")
    assert result.exit_code == 1
    assert result.output == ("Error: rebase date 2023-05-01 is not an x of any series; a rebase "
                             "date must be the date of the first point of the new part.\n")


def test_help_documents_the_peer_options():
    result = CliRunner().invoke(spc, ["--help"])
    for option in ("--cl", "--target", "--no-y-neg", "--agg-fun", "--x-period", "--rebase",
                   "--trajectory", "--summary-only", "ihi-exact"):
        assert option in result.output

"""Team self-assessment on the IHI scale: validation, append-only saving, history, CLI."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from click.testing import CliRunner

from workbench.briefs import collaborative_summary_data, team_report_data
from workbench.cli import main
from workbench.errors import ValidationFailed
from workbench.records.assessments import (
    SelfAssessment,
    latest_faculty_score,
    save_self_assessment,
    self_assessment_history,
    validate_self_assessment,
)
from workbench.store import add_revisions, open_engine, read_assessments, utcnow
from workbench.store import schema as s


@pytest.fixture
def engine(empty_db):  # type: ignore[no-untyped-def]
    """T01 (joined 2024-01) and T02 (joined 2024-10); data up to 2025-06; one faculty score."""
    engine = open_engine(empty_db)
    with engine.begin() as conn:
        add_revisions(conn, [{"team_id": "T01", "indicator_id": "AMTSL", "period": p,
                              "numerator": 40, "denominator": 50}
                             for p in ("2025-04", "2025-05", "2025-06")],
                      source="import", author="seed")
        conn.execute(s.assessments.insert().values(
            team_id="T01", period="2025-05", score=2.5, assessor_type="faculty",
            assessor="A. Mugisha", justification="tests under way", created_at=utcnow()))
    return engine


def item(**changes):  # type: ignore[no-untyped-def]
    values = {"team_id": "T01", "period": "2025-06", "score": 3.0,
              "justification": "AMTSL above the median for four months", "assessor": "Team lead"}
    return SelfAssessment(**{**values, **changes})


def test_a_self_assessment_is_saved_as_one_self_row_and_read_back(engine) -> None:
    saved = save_self_assessment(engine, item(), user="clerk")
    rows = read_assessments(engine, team_id="T01")
    mine = rows[rows["assessor_type"] == "self"]
    assert len(mine) == 1 and len(rows) == 2
    row = mine.iloc[0]
    assert (row["assessment_id"], row["period"], row["score"], row["assessor"],
            row["justification"]) == (saved.assessment_id, "2025-06", 3.0, "Team lead",
                                      "AMTSL above the median for four months")
    assert pd.isna(row["visit_id"])  # not tied to a coaching visit
    assert saved.summary() == ("Saved the self-assessment of T01 for 2025-06: 3.0 (Modest "
                               f"improvement), by Team lead (assessment {saved.assessment_id}).")
    history = self_assessment_history(engine, "T01")
    assert history[["period", "score", "level", "current"]].values.tolist() == [
        ["2025-06", 3.0, "Modest improvement", True]]


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"team_id": "T99"}, "team_id",
     "unknown team 'T99'; use a team code of the collaborative (see `workbench status --json`)"),
    ({"team_id": ""}, "team_id", "choose the team"),
    ({"period": "June"}, "period",
     "'June' is not a month; write it as YYYY-MM (year 1900 or later), e.g. 2025-06"),
    ({"period": "2025-07"}, "period",
     "2025-07 is after the latest month with data (2025-06); assess a month that has ended and "
     "been reported"),
    ({"team_id": "T02", "period": "2024-09"}, "period",
     "2024-09 is before T02 joined the collaborative (2024-10); assess 2024-10 or later"),
    ({"score": 3.3}, "score",
     "3.3 is not a step of the IHI scale; choose one of 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, "
     "4.0, 4.5, 5.0"),
    ({"score": "high"}, "score",
     "'high' is not a number; choose one of 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0"),
    ({"score": None}, "score",
     "choose the score on the IHI scale (0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0)"),
    ({"justification": "  "}, "justification",
     "justify the score: say what evidence places the team at this level (charts, PDSA "
     "results, changes in place)"),
    ({"assessor": ""}, "assessor", "name who scored (the team lead or the team)"),
])
def test_each_invalid_field_is_named_and_nothing_is_written(engine, changes, field,
                                                            message) -> None:
    bad = item(**changes)
    assert validate_self_assessment(engine, bad) == [(field, message)]
    with pytest.raises(ValidationFailed) as info:
        save_self_assessment(engine, bad)
    assert info.value.failure_cases == [(field, message)]
    assert f"was not saved: {field}: {message}" in str(info.value)
    assert (read_assessments(engine)["assessor_type"] == "self").sum() == 0


def test_every_failure_is_reported_at_once(engine) -> None:
    bad = SelfAssessment("T01", "2025-13", 7, "", "")
    assert [f.field for f in validate_self_assessment(engine, bad)] == [
        "period", "score", "justification", "assessor"]


def test_without_data_the_latest_month_allowed_is_the_calendar_month(empty_db) -> None:
    engine = open_engine(empty_db)
    today = dt.date(2025, 3, 14)
    assert validate_self_assessment(engine, item(period="2025-03"), today=today) == []
    assert [f.field for f in validate_self_assessment(engine, item(period="2025-04"),
                                                      today=today)] == ["period"]


def test_a_month_entered_again_needs_a_reason_and_then_appends_a_second_row(engine) -> None:
    first = save_self_assessment(engine, item())
    entered = read_assessments(engine).set_index("assessment_id").loc[
        first.assessment_id, "created_at"].date().isoformat()
    with pytest.raises(ValidationFailed) as info:
        save_self_assessment(engine, item(score=2.5, assessor="Nurse B"))
    assert info.value.failure_cases == [(
        "reason", f"T01 2025-06 already has a self-assessment (3.0, entered on {entered} by "
                  "Team lead); to enter a new one, give the reason for the correction")]
    assert len(self_assessment_history(engine, "T01")) == 1

    second = save_self_assessment(engine, item(score=2.5, assessor="Nurse B",
                                                justification="only one change tested",
                                                reason="we over-scored the month"))
    rows = read_assessments(engine)
    rows = rows[rows["assessor_type"] == "self"]
    assert rows["assessment_id"].tolist() == [first.assessment_id, second.assessment_id]
    assert rows["justification"].tolist() == [
        "AMTSL above the median for four months",
        f"Correction of the entry of {entered} by Team lead: we over-scored the month. only one "
        "change tested"]
    assert second.corrected["assessment_id"] == first.assessment_id
    history = self_assessment_history(engine, "T01")
    assert history[["assessment_id", "score", "current"]].values.tolist() == [
        [second.assessment_id, 2.5, True], [first.assessment_id, 3.0, False]]


def test_history_marks_the_latest_entry_of_each_month_current_newest_month_first(engine
                                                                                  ) -> None:
    save_self_assessment(engine, item(period="2025-04", score=2.0))
    save_self_assessment(engine, item(period="2025-05", score=2.5))
    save_self_assessment(engine, item(period="2025-04", score=1.5, reason="miscounted"))
    history = self_assessment_history(engine, "T01")
    assert history[["period", "score", "current"]].values.tolist() == [
        ["2025-05", 2.5, True], ["2025-04", 1.5, True], ["2025-04", 2.0, False]]
    assert self_assessment_history(engine, "T02").empty


def test_faculty_score_to_compare_is_the_latest_up_to_the_month(engine) -> None:
    assert latest_faculty_score(engine, "T01", "2025-06")["score"] == 2.5
    assert latest_faculty_score(engine, "T01", "2025-04") is None
    assert latest_faculty_score(engine, "T02") is None


def test_the_team_report_chart_uses_only_the_current_score_of_a_month(engine) -> None:
    save_self_assessment(engine, item(score=4.0))
    save_self_assessment(engine, item(score=2.0, reason="too generous"))
    report = team_report_data(engine, "T01", "2025-06")
    mine = report.assessments[report.assessments["assessor_type"] == "self"]
    assert mine[["period", "score"]].values.tolist() == [["2025-06", 2.0]]
    figure = report.assessment_figure()
    source = figure.select_one({"name": "self:assessment"})
    assert list(source.data["y"]) == [2.0]  # not the median 3.0 of both entries
    summary = collaborative_summary_data(engine, "2025-06")
    rows = summary.rollup["assessment_rows"]
    assert rows.loc[rows["assessor_type"] == "self", "score"].tolist() == [2.0]


def _run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, ["assess", *args], catch_exceptions=False)


def test_cli_saves_and_says_what_the_level_means(engine, empty_db) -> None:
    result = _run("--db", empty_db, "--team", "T01", "--period", "2025-06", "--score", "3.5",
                  "--justification", "PDSA on the checklist adopted", "--assessor", "Team lead")
    assert result.exit_code == 0, result.output
    (row,) = read_assessments(engine).query("assessor_type == 'self'").itertuples()
    assert result.stdout == (
        f"Saved the self-assessment of T01 for 2025-06: 3.5 (Improvement), by Team lead "
        f"(assessment {row.assessment_id}).\n"
        "Level 3.5 — Improvement: Testing and implementation go on; more movement towards the "
        "goals; some outcome improvement.\n"
        "Faculty's latest score: 2.5 (2025-05, by A. Mugisha).\n")


def test_cli_assessor_defaults_to_the_current_user(engine, empty_db) -> None:
    result = _run("--db", empty_db, "--team", "T02", "--period", "2025-06", "--score", "1.0",
                  "--justification", "charter signed")
    assert result.exit_code == 0, result.output
    assert "by tester" in result.stdout  # WORKBENCH_USER of tests/conftest.py
    assert "The faculty has not scored this team yet." in result.stdout


def test_cli_refuses_a_second_entry_without_reason_in_one_error_line(engine, empty_db) -> None:
    args = ["--db", empty_db, "--team", "T01", "--period", "2025-06", "--score", "3.0",
            "--justification", "charts on the wall", "--assessor", "Team lead"]
    assert _run(*args).exit_code == 0
    entered = utcnow().date().isoformat()
    result = _run(*args)
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: the self-assessment of T01 for 2025-06 was not saved: reason: T01 2025-06 "
        f"already has a self-assessment (3.0, entered on {entered} by Team lead); to enter a "
        "new one, give the reason for the correction\n")
    assert len(self_assessment_history(engine, "T01")) == 1


def test_cli_reports_a_score_off_the_scale_and_writes_nothing(engine, empty_db) -> None:
    result = _run("--db", empty_db, "--team", "T01", "--period", "2025-06", "--score", "6",
                  "--justification", "x")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: the self-assessment of T01 for 2025-06 was not saved: score: 6 is not a step of "
        "the IHI scale; choose one of 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0\n")
    assert self_assessment_history(engine, "T01").empty

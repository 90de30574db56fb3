"""The reporting month: the latest month most teams reported, one rule for every surface."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from workbench.cli import main
from workbench.rollup.base import reporting_month, teams_reporting_by_month


def _tidy(rows: list[tuple[str, str, float | None]]) -> pd.DataFrame:
    """(team, month, value) rows of one indicator."""
    return pd.DataFrame([{"team_id": t, "indicator_id": "AMTSL", "period": p, "numerator": v,
                          "denominator": 1 if v is not None else 0, "value": v}
                         for t, p, v in rows])


def test_one_early_reporter_does_not_move_the_reporting_month() -> None:
    rows = [(t, p, 0.5) for t in ("T01", "T02", "T03") for p in ("2026-09", "2026-10")]
    frame = _tidy(rows + [("T02", "2026-11", 0.6)])
    assert reporting_month(frame) == pd.Period("2026-10", "M")


def test_the_month_moves_on_once_more_than_half_of_the_teams_reported_it() -> None:
    rows = [(t, p, 0.5) for t in ("T01", "T02", "T03") for p in ("2026-09", "2026-10")]
    frame = _tidy(rows + [("T02", "2026-11", 0.6), ("T03", "2026-11", 0.7)])
    assert reporting_month(frame) == pd.Period("2026-11", "M")


def test_a_row_without_a_value_is_not_a_report() -> None:
    rows = [(t, "2026-10", 0.5) for t in ("T01", "T02", "T03")]
    frame = _tidy(rows + [("T01", "2026-11", None), ("T02", "2026-11", None)])
    assert reporting_month(frame) == pd.Period("2026-10", "M")
    assert teams_reporting_by_month(frame).to_dict() == {pd.Period("2026-10", "M"): 3}


def test_teams_reporting_in_turns_get_the_latest_of_their_best_months() -> None:
    frame = _tidy([("T01", "2026-09", 0.5), ("T02", "2026-10", 0.5)])
    assert reporting_month(frame) == pd.Period("2026-10", "M")


def test_no_data_has_no_month() -> None:
    assert reporting_month(_tidy([("T01", "2026-09", 0.5)]).iloc[0:0]) is None


@pytest.mark.slow
def test_summary_and_learning_session_report_the_same_month_after_an_early_report(
        demo_db: str, tmp_path: Path) -> None:
    from workbench.apps.builders import build_learning_session_app

    early = tmp_path / "early.csv"
    early.write_text("team_id,indicator_id,period,numerator,denominator\n"
                     "T03,AMTSL,2026-11,40,44\n")
    imported = CliRunner().invoke(main, ["import", str(early), "--db", demo_db])
    assert imported.exit_code == 0, imported.output
    summary = CliRunner().invoke(main, ["summary", "--db", demo_db, "--json"])
    assert summary.exit_code == 0, summary.output
    app = build_learning_session_app(demo_db)
    assert json.loads(summary.output)["period"] == str(app.period) == "2026-10"
    assert "reporting month Oct 2026" in app.status.value


def test_teams_are_counted_once_per_month_and_rows_without_a_value_or_team_do_not_count(
        ) -> None:
    frame = _tidy([("T01", "2026-09", 0.5), ("T01", "2026-09", 0.7), ("T02", "2026-09", None),
                   ("T02", "2026-10", 0.5), ("T03", "2026-10", 0.1), ("T01", "2026-12", 0.4)])
    frame.loc[5, "team_id"] = None  # a month reported only without a team: counted as 0
    counts = teams_reporting_by_month(frame)
    assert counts.to_dict() == {
        pd.Period("2026-09", "M"): 1, pd.Period("2026-10", "M"): 2,
        pd.Period("2026-12", "M"): 0}
    assert str(counts.dtype) == "int64"
    assert reporting_month(frame) == pd.Period("2026-10", "M")  # 2 of the 3 teams named


def test_teams_reporting_over_many_years_are_counted_as_over_a_few_months() -> None:
    months = pd.period_range("1950-01", periods=600, freq="M").astype(str)  # sparse pairs
    frame = _tidy([(f"T{i % 40:02d}", month, 1.0) for i, month in enumerate(months)]
                  + [("T00", months[-1], 1.0), ("T01", months[-1], 1.0)])
    counts = teams_reporting_by_month(frame)
    assert len(counts) == 600 and counts.iloc[:-1].eq(1).all() and counts.iloc[-1] == 3
    assert reporting_month(frame) == pd.Period("1999-12", "M")

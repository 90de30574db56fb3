"""`workbench demo --teams N --indicators K --months M --districts D`: a demo of any size with
the same kinds of data, PDSA ramps, visits and injected problems, in proportion; the default
size stays the embedded demo (tests/demo/test_demo.py pins it). On SQLite and (marker
`postgres`) on a PostgreSQL server."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from sqlalchemy.engine import Engine

from workbench.cli import main
from workbench.demo import DEFAULT_SIZE, DemoSize, build_demo, read_injections
from workbench.demo.size import injection_counts
from workbench.errors import ConfigError
from workbench.store import (
    open_engine,
    read_collaborative,
    read_flags,
    read_indicators,
    read_measurements,
    read_pdsa_cycles,
    read_revisions,
    read_teams,
    read_visits,
)
from workbench.validate.quality import detection_quality
from workbench.validate.run import run_validation

SIZE = DemoSize(teams=40, indicators=8, months=30, districts=4)


@pytest.fixture(scope="module")
def larger(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    return build_demo(str(tmp_path_factory.mktemp("size") / "larger.db"), **SIZE._asdict())


def _run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_the_default_size_is_the_embedded_demo() -> None:
    assert DEFAULT_SIZE == DemoSize(teams=24, indicators=6, months=24, districts=3)
    assert injection_counts(DEFAULT_SIZE) == {
        "numerator_exceeds_denominator": 5, "outlier": 5, "missing_month": 5, "late_entry": 5,
        "conflicting_duplicate": 5, "recount_disagrees": 5, "zero_denominator": 3,
        "dropped_digit": 3}


def test_a_larger_demo_has_its_teams_in_district_blocks_with_one_coach_each(larger) -> None:  # type: ignore[no-untyped-def]
    teams = read_teams(larger)
    assert teams["team_id"].tolist() == [f"T{i:02d}" for i in range(1, 41)]
    assert teams.groupby("district").size().to_dict() == {
        "Kabale": 10, "Kanungu": 10, "Kisoro": 10, "Rukungiri": 10}
    assert teams.groupby("district")["coach"].nunique().tolist() == [1, 1, 1, 1]
    assert teams["coach"].nunique() == 4
    assert teams["name"].is_unique
    # the 24 facilities' pattern of waves repeated: 8 of the first 24, 6 of the next 16
    assert teams["wave_id"].value_counts().to_dict() == {"W1": 26, "W2": 14}
    assert teams.groupby("wave_id")["joined_period"].agg(set).to_dict() == {
        "W1": {"2024-05"}, "W2": {"2025-02"}}  # 30 months ending 2026-10


def test_a_larger_demo_has_the_six_indicators_then_extra_process_indicators(larger) -> None:  # type: ignore[no-untyped-def]
    indicators = read_indicators(larger)
    assert indicators["indicator_id"].tolist() == [
        "AMTSL", "PARTOGRAPH", "NEWBORN_CARE", "PPH", "ASPHYXIA", "OXY_STOCK", "EARLY_BF",
        "PNC_48H"]
    assert indicators["type"].tolist()[-2:] == ["process", "process"]
    assert read_collaborative(larger)["aims"][0]["by"] == "2026-10"


def test_every_team_reports_every_month_from_joining_but_the_missing_ones(larger) -> None:  # type: ignore[no-untyped-def]
    values = read_measurements(larger)
    periods = sorted(values["period"].astype(str).unique())
    assert periods[0] == "2024-05" and periods[-1] == "2026-10" and len(periods) == 30
    teams = read_teams(larger).set_index("team_id")
    expected = sum((30 if wave == "W1" else 21) * 8 for wave in teams["wave_id"])
    missing = injection_counts(SIZE)["missing_month"]
    assert len(values) == expected - missing


def test_a_larger_demo_injects_problems_in_proportion_and_validation_finds_them_all(larger) -> None:  # type: ignore[no-untyped-def]
    injected = read_injections(larger)["kind"].value_counts().to_dict()
    assert injected == {"numerator_exceeds_denominator": 14, "outlier": 14,
                        "missing_month": 14, "late_entry": 14, "conflicting_duplicate": 14,
                        "recount_disagrees": 10, "zero_denominator": 8, "dropped_digit": 8}
    run_validation(larger)
    quality = detection_quality(read_flags(larger), read_injections(larger))
    assert quality["injected"] == sum(injected.values())
    assert quality["recall"] == 1.0


def test_a_larger_demo_has_pdsa_ramps_and_visits_for_every_team(larger) -> None:  # type: ignore[no-untyped-def]
    cycles = read_pdsa_cycles(larger)
    visits = read_visits(larger)
    assert set(cycles["team_id"]) == set(visits["team_id"]) == set(read_teams(larger)["team_id"])
    assert {"adopt", "adapt", "abandon"} <= set(cycles["act_decision"].dropna())
    assert set(cycles["change_id"]) >= {"T01-I1", "T10-I1"}  # the two teams' innovations
    later = cycles[cycles["cycle_number"] > 1]
    assert later["parent_cycle_id"].notna().all()
    parents = cycles.set_index("cycle_id").loc[later["parent_cycle_id"].astype(int)]
    assert (parents["cycle_number"].to_numpy() == later["cycle_number"].to_numpy() - 1).all()
    assert (parents["change_id"].to_numpy() == later["change_id"].to_numpy()).all()


def test_a_larger_demo_is_the_same_for_the_same_seed(larger, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    again = build_demo(str(tmp_path / "again.db"), **SIZE._asdict())
    pd.testing.assert_frame_equal(read_revisions(again), read_revisions(larger))
    pd.testing.assert_frame_equal(read_pdsa_cycles(again), read_pdsa_cycles(larger))


@pytest.mark.parametrize(("option", "value", "message"), [
    ("--teams", "1", "--teams 1 is out of range: the demo takes 2 to 99999 teams."),
    ("--indicators", "21", "--indicators 21 is out of range: the demo takes 1 to 20 "
                           "indicators."),
    ("--months", "6", "--months 6 is out of range: the demo takes 12 to 240 months."),
    ("--districts", "25", "--districts 25 is out of range: the demo takes 1 to 24 districts "
                          "(at most one district per team)."),
])
def test_a_size_out_of_range_is_refused_before_anything_is_written(
        tmp_path: Path, option: str, value: str, message: str) -> None:
    db = tmp_path / "sized.db"
    result = _run("demo", "--db", str(db), "--build-only", option, value)
    assert result.exit_code == 1
    assert result.stderr == f"Error: {message}\n"
    assert not db.exists()


def test_build_only_builds_the_database_and_says_its_size(tmp_path: Path) -> None:
    db = tmp_path / "small.db"
    result = _run("demo", "--db", str(db), "--build-only", "--teams", "6", "--indicators", "3",
                  "--months", "12", "--districts", "2")
    assert result.exit_code == 0, result.output
    assert "(6 teams, 3 indicators, 12 months, 2 districts)" in result.stderr
    engine = open_engine(str(db))
    assert len(read_teams(engine)) == 6
    assert read_indicators(engine)["indicator_id"].tolist() == ["AMTSL", "PARTOGRAPH",
                                                                "NEWBORN_CARE"]
    assert not (tmp_path / "reports").exists()  # no main job


def test_library_refuses_a_size_with_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--months 300 is out of range"):
        build_demo(str(tmp_path / "x.db"), months=300)
    assert not (tmp_path / "x.db").exists()


# --------------------------------------------------------------------------- PostgreSQL

@pytest.mark.postgres
def test_on_postgresql_a_larger_demo_holds_the_same_data_as_on_sqlite(
        pg_url: str, tmp_path: Path) -> None:
    size = {"teams": 30, "indicators": 7, "months": 14, "districts": 2}
    on_pg = build_demo(pg_url, **size)
    on_sqlite = build_demo(str(tmp_path / "same.db"), **size)
    pd.testing.assert_frame_equal(read_measurements(on_pg), read_measurements(on_sqlite))
    cycles = [read_pdsa_cycles(e).drop(columns=["created_at", "updated_at"])
              for e in (on_pg, on_sqlite)]
    pd.testing.assert_frame_equal(*cycles, check_dtype=False)
    on_pg.dispose()


def test_a_demo_of_another_size_is_the_launch_collaborative_alone(larger) -> None:  # type: ignore[no-untyped-def]
    from workbench.store import read_package_versions, read_waves

    assert read_waves(larger)["wave_id"].tolist() == ["W1", "W2"]
    assert read_package_versions(larger)["label"].tolist() == ["v1"]
    assert read_teams(larger)["graduated_on"].isna().all()

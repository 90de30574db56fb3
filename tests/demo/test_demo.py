"""The demo collaborative: deterministic, realistic in shape, with its injected problems visible."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from workbench.demo.build import DEMO_PERIODS, INJECTION_COUNTS, build_demo, read_injections
from workbench.errors import StoreError
from workbench.store import (
    open_engine,
    read_assessments,
    read_change_ideas,
    read_measurements,
    read_package,
    read_pdsa_cycles,
    read_recounts,
    read_revisions,
    read_teams,
    read_visits,
    read_waves,
)

PROCESS = ["AMTSL", "PARTOGRAPH", "NEWBORN_CARE"]


@pytest.fixture(scope="module")
def demo(demo_db_master: Path):  # type: ignore[no-untyped-def]
    return open_engine(str(demo_db_master))


@pytest.fixture(scope="module")
def injections(demo) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    return read_injections(demo)


@pytest.fixture(scope="module")
def current(demo) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    frame = read_measurements(demo)
    frame["period"] = frame["period"].astype(str)
    return frame.set_index(["team_id", "indicator_id", "period"])


def _injected_keys(injections: pd.DataFrame) -> set[tuple[str, str, str]]:
    return set(zip(injections["team_id"], injections["indicator_id"], injections["period"],
                   strict=True))


def _month_end(period: str) -> dt.datetime:
    return (pd.Period(period, "M") + 1).start_time.to_pydatetime()


@pytest.fixture(scope="module")
def again_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo built a second time with the same (default) seed."""
    path = tmp_path_factory.mktemp("again") / "again.db"
    build_demo(str(path)).dispose()
    return path


#: the columns that say when the database was built (the wall clock of the build), per table
BUILT_AT = {"audit_log": "created_at", "collaborative": "created_at",
            "package_versions": "created_at", "schema_info": "applied_at"}


def _database(path: Path) -> dict[str, Any]:
    """Every table's rows in rowid order (the columns of BUILT_AT blanked) and the schema's
    statements in the order they were made."""
    con = sqlite3.connect(path)
    try:
        tables = [name for (name,) in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        found: dict[str, Any] = {"schema": [sql for (sql,) in con.execute(
            "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY rowid")]}
        for table in tables:
            cursor = con.execute(f'SELECT * FROM "{table}" ORDER BY rowid')  # names from SQLite
            names = [column[0] for column in cursor.description]
            rows = [list(row) for row in cursor]
            if table in BUILT_AT:
                at = names.index(BUILT_AT[table])
                for row in rows:
                    row[at] = "<built at>"
            found[table] = rows
        return found
    finally:
        con.close()


def test_the_same_seed_gives_the_same_database_but_for_when_it_was_built(
        demo_db_master: Path, again_path: Path) -> None:
    built, again = _database(demo_db_master), _database(again_path)
    assert list(built) == list(again)
    for table in built:
        assert built[table] == again[table], table
    assert len(built["measurement_revisions"]) > 4000  # the whole demo, story included
    assert built["demo_marker"] == [["built by workbench demo", 20240101]]


def test_the_same_seed_gives_identical_data(demo, again_path: Path) -> None:  # type: ignore[no-untyped-def]
    again = open_engine(str(again_path))
    pd.testing.assert_frame_equal(read_measurements(again), read_measurements(demo))
    pd.testing.assert_frame_equal(read_revisions(again), read_revisions(demo))
    pd.testing.assert_frame_equal(read_pdsa_cycles(again), read_pdsa_cycles(demo))
    pd.testing.assert_frame_equal(read_visits(again), read_visits(demo))
    pd.testing.assert_frame_equal(read_recounts(again), read_recounts(demo))
    pd.testing.assert_frame_equal(read_injections(again), read_injections(demo))
    pd.testing.assert_frame_equal(read_teams(again), read_teams(demo))  # the graduations
    pd.testing.assert_frame_equal(read_package(again, "v2"), read_package(demo, "v2"))
    pd.testing.assert_frame_equal(read_assessments(again), read_assessments(demo))
    pd.testing.assert_frame_equal(read_waves(again), read_waves(demo))  # who joined with v2


def test_a_different_seed_gives_different_data(demo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    other = read_measurements(build_demo(str(tmp_path / "other.db"), seed=7))
    base = read_measurements(demo)
    assert len(other) == len(base)  # same shape, different numbers
    assert not np.array_equal(other["numerator"].to_numpy(), base["numerator"].to_numpy())


def test_48_teams_24_in_3_districts_and_2_waves_then_24_spread_teams_in_a_fourth(demo) -> None:  # type: ignore[no-untyped-def]
    teams = read_teams(demo)
    assert teams["team_id"].tolist() == [f"T{i:02d}" for i in range(1, 49)]
    assert teams.groupby("district").size().to_dict() == {"Kabale": 8, "Kanungu": 24,
                                                          "Kisoro": 8, "Rukungiri": 8}
    assert teams.groupby("district")["coach"].nunique().tolist() == [1, 1, 1, 1]
    assert teams["coach"].nunique() == 4
    assert teams.groupby("wave_id")["joined_period"].agg(set).to_dict() == {
        "W1": {"2024-11"}, "W2": {"2025-08"}, "W3": {"2025-12"}}
    assert teams["wave_id"].value_counts().to_dict() == {"W1": 16, "W2": 8, "W3": 24}
    assert set(teams.loc[teams["wave_id"] == "W3", "district"]) == {"Kanungu"}


def test_24_months_of_6_indicators(current: pd.DataFrame) -> None:
    periods = sorted(current.index.get_level_values("period").unique())
    assert periods == DEMO_PERIODS
    assert DEMO_PERIODS[0] == "2024-11" and DEMO_PERIODS[-1] == "2026-10" and len(periods) == 24
    assert sorted(current.index.get_level_values("indicator_id").unique()) == [
        "AMTSL", "ASPHYXIA", "NEWBORN_CARE", "OXY_STOCK", "PARTOGRAPH", "PPH"]


def test_wave_2_joins_in_2025_08_and_has_no_data_before(demo, current) -> None:  # type: ignore[no-untyped-def]
    wave2 = read_teams(demo, wave_id="W2")["team_id"].tolist()
    frame = current.reset_index()
    assert frame[frame["team_id"].isin(wave2)]["period"].min() == "2025-08"
    revisions = read_revisions(demo)
    assert len(wave2) == 8
    assert revisions[revisions["team_id"].isin(wave2)]["period"].min() == "2025-08"


def test_clean_entries_are_plausible_and_entered_3_to_20_days_after_the_month(
    demo, injections  # type: ignore[no-untyped-def]
) -> None:
    revisions = read_revisions(demo)
    keys = list(zip(revisions["team_id"], revisions["indicator_id"], revisions["period"],
                    strict=True))
    clean = revisions[[k not in _injected_keys(injections) for k in keys]]
    assert (clean["numerator"] >= 0).all()
    assert (clean["numerator"] <= clean["denominator"]).all()
    births = clean[clean["indicator_id"] == "PARTOGRAPH"]["denominator"]
    assert births.min() >= 5 and births.max() <= 400
    assert births.max() > 150 and births.min() < 20  # hospitals and small health centres
    delay = clean["created_at"] - clean["period"].map(_month_end)
    assert delay.min() >= pd.Timedelta(days=2) and delay.max() <= pd.Timedelta(days=21)
    assert (revisions["source"] == "demo").all()


@pytest.mark.parametrize("kind", list(INJECTION_COUNTS))
def test_each_injected_kind_is_recorded(injections: pd.DataFrame, kind: str) -> None:
    launch = injections[injections["team_id"] <= "T24"]
    spread = injections[injections["team_id"] > "T24"]
    assert (launch["kind"] == kind).sum() == INJECTION_COUNTS[kind]
    # the spread wave's data in proportion: 24 teams x 11 months against the launch's 504
    assert (spread["kind"] == kind).sum() == {5: 3, 3: 2}[INJECTION_COUNTS[kind]]


def test_injected_keys_do_not_overlap(injections: pd.DataFrame) -> None:
    assert len(_injected_keys(injections)) == len(injections)


def test_numerator_exceeds_denominator_rows_really_do(injections, current) -> None:  # type: ignore[no-untyped-def]
    for row in injections.query("kind == 'numerator_exceeds_denominator'").itertuples():
        value = current.loc[(row.team_id, row.indicator_id, row.period)]
        assert value["numerator"] > value["denominator"]
        assert value["numerator"] == row.detail["numerator"]


def test_outliers_are_a_count_with_an_extra_zero(injections, current) -> None:  # type: ignore[no-untyped-def]
    for row in injections.query("kind == 'outlier'").itertuples():
        value = current.loc[(row.team_id, row.indicator_id, row.period)]
        assert value["denominator"] == 10 * row.detail["true_value"]
        series = current.loc[(row.team_id, row.indicator_id), "denominator"]
        assert value["denominator"] > 4 * series.drop(row.period).median()


def test_missing_months_have_no_revision_but_neighbours_do(demo, injections) -> None:  # type: ignore[no-untyped-def]
    for row in injections.query("kind == 'missing_month'").itertuples():
        assert read_revisions(demo, row.team_id, row.indicator_id, row.period).empty
        around = read_revisions(demo, row.team_id, row.indicator_id)["period"].tolist()
        before = str(pd.Period(row.period, "M") - 1)
        after = str(pd.Period(row.period, "M") + 1)
        assert before in around and after in around


def test_late_entries_arrive_60_days_or_more_after_the_month(demo, injections) -> None:  # type: ignore[no-untyped-def]
    for row in injections.query("kind == 'late_entry'").itertuples():
        first = read_revisions(demo, row.team_id, row.indicator_id, row.period).iloc[0]
        assert first["created_at"] - _month_end(row.period) >= pd.Timedelta(days=60)
        as_of_month_later = read_measurements(demo, as_of=_month_end(row.period)
                                              + dt.timedelta(days=30),
                                              team_ids=[row.team_id],
                                              indicator_ids=[row.indicator_id])
        assert row.period not in as_of_month_later["period"].astype(str).tolist()


def test_conflicting_duplicates_are_two_values_on_the_same_day(demo, injections) -> None:  # type: ignore[no-untyped-def]
    for row in injections.query("kind == 'conflicting_duplicate'").itertuples():
        revisions = read_revisions(demo, row.team_id, row.indicator_id, row.period)
        assert len(revisions) == 2
        assert revisions["created_at"].dt.date.nunique() == 1
        assert revisions["numerator"].tolist() == [row.detail["first"]["numerator"],
                                                   row.detail["second"]["numerator"]]
        assert revisions["numerator"].nunique() == 2


def test_only_the_injected_recounts_disagree(demo, injections) -> None:  # type: ignore[no-untyped-def]
    recounts = read_recounts(demo)
    factor = recounts["recounted_numerator"] / recounts["reported_numerator"]
    outside = recounts[(factor < 0.90) | (factor > 1.10)]
    injected = injections.query("kind == 'recount_disagrees'")
    assert sorted(outside["visit_id"]) == sorted(d["visit_id"] for d in injected["detail"])
    inside = factor[(factor >= 0.90) & (factor <= 1.10)]
    assert (abs(inside - 1) <= 0.05).all()
    assert (inside == 1).mean() > 0.5


def test_zero_denominators_and_dropped_digits_are_in_the_data(injections, current) -> None:  # type: ignore[no-untyped-def]
    for row in injections.query("kind == 'zero_denominator'").itertuples():
        value = current.loc[(row.team_id, row.indicator_id, row.period)]
        assert value["denominator"] == 0 and value["numerator"] > 0
        assert np.isnan(value["value"])
    dropped = injections.query("kind == 'dropped_digit'")
    assert len(dropped) == 3 + 2  # the launch teams', the spread wave's
    for row in dropped.itertuples():
        value = current.loc[(row.team_id, row.indicator_id, row.period)]
        assert value["numerator"] == row.detail["true_value"] // 10 == row.detail["value"]
        assert value["value"] <= 0.1


def test_every_demo_count_is_one_an_import_accepts(current) -> None:  # type: ignore[no-untyped-def]
    from workbench.model import read_count

    counts = pd.concat([current["numerator"], current["denominator"]]).dropna()
    assert counts.size > 1000
    assert [v for v in counts.unique() if read_count(v)[1] is not None] == []


def test_adopted_changes_move_their_process_indicators_up(demo, current) -> None:  # type: ignore[no-untyped-def]
    cycles = read_pdsa_cycles(demo)
    linked = read_change_ideas(demo).set_index("change_id")["indicator_ids"]
    adopted = cycles[cycles["act_decision"] == "adopt"]
    gains, still = [], []
    values = current["value"].clip(0, 1)
    for team_id in read_teams(demo)["team_id"]:
        for indicator in PROCESS:
            series = values.loc[(team_id, indicator)].sort_index()
            ideas = adopted[(adopted["team_id"] == team_id)
                            & adopted["change_id"].map(lambda c, i=indicator: i in linked[c])]
            if ideas.empty:
                still.append(series.iloc[-6:].mean() - series.iloc[:3].mean())
                continue
            first = str(pd.Period(ideas["end_date"].min()[:7], "M") + 1)
            before, after = series[series.index < first], series[series.index >= first]
            if len(before) >= 2 and len(after) >= 3:
                gains.append(after.iloc[-3:].mean() - before.iloc[:3].mean())
    assert len(gains) >= 30
    assert np.mean(gains) > 0.15
    assert np.mean(np.array(gains) > 0) > 0.8
    assert np.mean(gains) > np.mean(still) + 0.1


def test_pdsa_cycles_are_full_worksheets_in_ramps(demo) -> None:  # type: ignore[no-untyped-def]
    cycles = read_pdsa_cycles(demo)
    assert set(cycles["status"]) == {"plan", "do", "study", "closed"}
    closed = cycles[cycles["status"] == "closed"]
    assert set(closed["act_decision"]) == {"adopt", "adapt", "abandon"}
    assert closed["study_notes"].str.len().min() > 20 and closed["end_date"].notna().all()
    assert cycles[cycles["status"] != "closed"]["act_decision"].isna().all()
    for questions in cycles["questions"]:
        assert questions and all(q["question"] and q["prediction"] for q in questions)
    for tasks in cycles["plan_tasks"]:
        assert all(set(task) == {"who", "what", "when", "where"} for task in tasks)
    assert cycles["linked_indicators"].map(len).min() >= 1
    ramps = cycles.groupby(["team_id", "change_id"])["cycle_number"].agg(list)
    assert all(numbers == list(range(1, len(numbers) + 1)) for numbers in ramps)
    assert ramps.map(len).max() == 4
    by_id = cycles.set_index("cycle_id")
    later = cycles[cycles["cycle_number"] > 1]
    assert (by_id.loc[later["parent_cycle_id"], "cycle_number"].to_numpy()
            == later["cycle_number"].to_numpy() - 1).all()


def test_coaching_visits_every_one_to_two_months_with_rising_scores(demo) -> None:  # type: ignore[no-untyped-def]
    visits = read_visits(demo)
    gaps = visits.groupby("team_id")["visit_date"].agg(
        lambda d: pd.to_datetime(d).diff().dt.days.max())
    assert gaps.max() <= 62 and visits["team_id"].nunique() == 48
    assert all(set(action) == {"action", "owner", "due"} for acts in visits["actions"]
               for action in acts)
    scores = read_assessments(demo)
    faculty = scores[scores["assessor_type"] == "faculty"]
    own = scores[scores["assessor_type"] == "self"]
    assert set(scores["score"]) <= {x / 2 for x in range(1, 11)}
    assert own["score"].mean() > faculty["score"].mean()
    monthly = faculty.groupby("period")["score"].mean()
    assert monthly.iloc[-6:].mean() > monthly.iloc[:3].mean() + 1
    recounts = read_recounts(demo)
    assert recounts.groupby("visit_id").size().between(1, 2).all()


def test_an_existing_file_is_only_replaced_with_force(tmp_path: Path) -> None:
    path = tmp_path / "demo.db"
    path.write_text("not a database")
    with pytest.raises(StoreError) as err:
        build_demo(str(path))
    assert str(err.value) == (f"{path} already exists. Use --force to replace it with a new "
                              "demo collaborative, or choose another --db path.")
    Path(f"{path}-wal").write_text("stale")
    engine = build_demo(str(path), force=True, confirmed=True, seed=3)  # not the demo's own
    assert read_teams(engine).shape[0] == 48
    assert not Path(f"{path}-wal").exists() or Path(f"{path}-wal").read_bytes() != b"stale"

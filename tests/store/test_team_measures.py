"""A team's own measures (seed 3.4) in the store: added in one audited transaction with every
problem named at once; `collaborative_indicators` (the one answer roll-ups read) leaves them
out; a team sees the collaborative's indicators and its own; an r3 database upgrades to
r5 (team measures) with every indicator collaborative."""

from __future__ import annotations

import gzip
import shutil
import sqlite3
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine

from workbench.errors import NotFoundError, ValidationFailed
from workbench.store import (
    TeamMeasure,
    add_team_measure,
    collaborative_indicators,
    open_engine,
    read_audit,
    read_collaborative_measurements,
    read_indicators,
    read_measurements,
    team_indicators,
    team_measure_owners,
    team_measures,
)
from workbench.store import schema as s
from workbench.store.migrations.migrate import alembic_config, upgrade_database

RELEASE = Path(__file__).resolve().parents[1] / "data" / "demo-release-0.1.0.db.gz"


def skin(**changes: object) -> TeamMeasure:
    fields = {"team_id": "T01", "indicator_id": "T01_SKIN",
              "name": "Skin-to-skin within 1 hour",
              "numerator_definition": "babies put skin to skin within 1 hour",
              "denominator_definition": "live births", "target_percent": 80.0,
              "direction": "up"}
    fields.update(changes)
    return TeamMeasure(**fields)  # type: ignore[arg-type]


def test_a_team_measure_is_stored_as_its_teams_proportion_and_audited(empty_db: str) -> None:
    engine = open_engine(empty_db)
    row = add_team_measure(engine, skin(), user="ana")
    assert (row["team_id"], row["kind"], row["target"], row["direction"], row["multiplier"]) == (
        "T01", "proportion", 0.8, "increase", 100.0)
    stored = read_indicators(engine).set_index("indicator_id").loc["T01_SKIN"]
    assert (stored["team_id"], stored["name"]) == ("T01", "Skin-to-skin within 1 hour")
    audit = read_audit(engine)
    assert audit.iloc[-1][["user", "action", "row_id"]].tolist() == [
        "ana", "team_measure.add", "T01_SKIN"]


def test_collaborative_indicators_leave_out_every_teams_own_measure(empty_db: str) -> None:
    engine = open_engine(empty_db)
    before = collaborative_indicators(engine)
    add_team_measure(engine, skin())
    add_team_measure(engine, skin(team_id="T02", indicator_id="T02_KMC", name="KMC"))
    after = collaborative_indicators(engine)
    assert after.equals(before)
    assert before["team_id"].isna().all() and len(before) == 3
    assert list(team_measures(engine)["indicator_id"]) == ["T01_SKIN", "T02_KMC"]
    assert list(team_measures(engine, "T02")["indicator_id"]) == ["T02_KMC"]
    assert team_measure_owners(engine) == {"T01_SKIN": "T01", "T02_KMC": "T02"}
    t01 = list(team_indicators(engine, "T01")["indicator_id"])
    assert t01 == [*before["indicator_id"], "T01_SKIN"]


def test_collaborative_measurements_leave_out_a_team_measures_rows(empty_db: str,
                                                                    tmp_path: Path) -> None:
    from workbench.ingest.importer import import_file

    engine = open_engine(empty_db)
    add_team_measure(engine, skin())
    path = tmp_path / "m.csv"
    path.write_text("team_id,indicator_id,period,numerator,denominator,comment\n"
                    "T01,AMTSL,2024-11,8,10,\nT01,T01_SKIN,2024-11,3,10,\n")
    import_file(engine, path)
    assert sorted(read_measurements(engine)["indicator_id"]) == ["AMTSL", "T01_SKIN"]
    assert list(read_collaborative_measurements(engine)["indicator_id"]) == ["AMTSL"]
    assert read_collaborative_measurements(engine, indicator_ids=["T01_SKIN"]).empty


def test_every_problem_with_a_team_measure_is_named_at_once_and_nothing_is_written(
        empty_db: str) -> None:
    engine = open_engine(empty_db)
    with pytest.raises(ValidationFailed) as err:
        add_team_measure(engine, skin(indicator_id="amtsl", name=" ", target_percent=120.0,
                                      direction="sideways"))
    assert str(err.value) == (
        "the team measure was not added: --id 'amtsl': an indicator with this code exists "
        "already; choose another code; --name: required (what is counted, in words); "
        "--target 120: a percentage from 0 to 100 (90 for 90 %); --direction 'sideways': use "
        "up (higher is better) or down.")
    assert team_measures(engine).empty


def test_a_team_measure_of_an_unknown_team_is_refused(empty_db: str) -> None:
    with pytest.raises(NotFoundError, match="unknown team 'T99'"):
        add_team_measure(open_engine(empty_db), skin(team_id="T99"))


def test_a_code_that_is_not_a_code_is_refused(empty_db: str) -> None:
    with pytest.raises(ValidationFailed, match=r"--id 'a b': a code of 1 to 40 letters"):
        add_team_measure(open_engine(empty_db), skin(indicator_id="a b"))


def test_an_r3_database_upgrades_to_team_measures_with_every_indicator_collaborative(
        tmp_path: Path) -> None:
    path = tmp_path / "collab.db"
    with gzip.open(RELEASE) as packed, path.open("wb") as out:
        shutil.copyfileobj(packed, out)
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:  # the release, brought to r3 as release 0.3 left it
        config = alembic_config(conn)
        command.stamp(config, "r1")
        command.upgrade(config, "r3")
    engine.dispose()
    with sqlite3.connect(path) as raw:
        before = raw.execute("SELECT * FROM indicators ORDER BY indicator_id").fetchall()
        assert "team_id" not in {r[1] for r in raw.execute("PRAGMA table_info(indicators)")}

    result = upgrade_database(str(path))

    assert (result.current, result.target) == ("r3", s.SCHEMA_REVISION)
    assert [step.revision for step in result.steps] == ["r4", "r5"]
    with sqlite3.connect(path) as raw:
        after = raw.execute("SELECT * FROM indicators ORDER BY indicator_id").fetchall()
        versions = [r[0] for r in raw.execute("SELECT version FROM schema_info ORDER BY 1")]
    assert [row[:-1] for row in after] == before and all(row[-1] is None for row in after)
    assert versions[-1] == 5
    upgraded = open_engine(str(path))
    assert len(collaborative_indicators(upgraded)) == len(before)
    add_team_measure(upgraded, skin())
    assert list(team_measures(upgraded)["indicator_id"]) == ["T01_SKIN"]

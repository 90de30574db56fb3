"""The collaborative store: append-only revisions, "as of" reads, transactions, engines."""

from __future__ import annotations

import datetime as dt
import sqlite3
import uuid
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from workbench.errors import StoreError
from workbench.ingest.collaborative import load_collaborative, write_collaborative
from workbench.store import (
    SCHEMA_VERSION,
    add_revisions,
    create_database,
    latest_revision_id,
    open_engine,
    read_measurements,
    read_revisions,
    resolve_url,
)
from workbench.store import schema as s

TEMPLATE = Path(__file__).resolve().parents[2] / "templates" / "collaborative.yaml"
JAN = dt.datetime(2024, 2, 10, 9, 0)
MAR = dt.datetime(2024, 3, 5, 9, 0)


def _row(numerator: float | None, denominator: float | None, period: str = "2024-01",
         team_id: str = "T01", indicator_id: str = "AMTSL") -> dict:
    return {"team_id": team_id, "indicator_id": indicator_id, "period": period,
            "numerator": numerator, "denominator": denominator}


def _enter(engine, rows, **kw) -> list[int]:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        return add_revisions(conn, rows, **kw)


def test_a_correction_is_a_new_revision_and_the_original_stays_readable(empty_db: str) -> None:
    engine = open_engine(empty_db)
    first = _enter(engine, [_row(30, 100)], source="form", created_at=JAN)
    second = _enter(engine, [_row(35, 100)], source="correction", reason="register recount",
                    author="validator", created_at=MAR)
    assert second[0] > first[0]
    history = read_revisions(engine, "T01", "AMTSL", "2024-01")
    assert history["numerator"].tolist() == [30.0, 35.0]
    assert history["source"].tolist() == ["form", "correction"]
    assert history["author"].tolist() == ["tester", "validator"]
    assert history["reason"].tolist() == ["", "register recount"]
    current = read_measurements(engine)
    assert current[["numerator", "denominator", "value"]].values.tolist() == [[35.0, 100.0, 0.35]]
    with engine.connect() as conn:
        assert latest_revision_id(conn, "T01", "AMTSL", "2024-01") == second[0]


def test_as_of_read_returns_the_values_entered_up_to_that_time(empty_db: str) -> None:
    engine = open_engine(empty_db)
    _enter(engine, [_row(30, 100), _row(2, 100, indicator_id="PPH")], source="form",
           created_at=JAN)
    _enter(engine, [_row(35, 100), _row(40, 90, period="2024-02")], source="form",
           created_at=MAR)
    before = read_measurements(engine, as_of="2024-02-28")
    assert before[["indicator_id", "period", "numerator"]].astype(str).values.tolist() == [
        ["AMTSL", "2024-01", "30.0"], ["PPH", "2024-01", "2.0"]]
    after = read_measurements(engine, as_of=dt.datetime(2024, 3, 31))
    assert len(after) == 3
    assert after.loc[after["period"] == pd.Period("2024-01", "M"), "numerator"].tolist() == [
        35.0, 2.0]
    assert read_measurements(engine, as_of="2024-01-01").empty


def test_tidy_frame_has_monthly_periods_and_derived_value(empty_db: str) -> None:
    engine = open_engine(empty_db)
    _enter(engine, [_row(3, 0), _row(20, 30, "2024-02")], source="form")
    frame = read_measurements(engine)
    assert list(frame.columns) == ["team_id", "indicator_id", "period", "numerator",
                                   "denominator", "value"]
    assert str(frame["period"].dtype) == "period[M]"
    assert pd.isna(frame["value"].iloc[0])  # zero denominator: no value, row kept
    assert frame["value"].iloc[1] == pytest.approx(2 / 3)


def test_a_withdrawn_entry_is_left_out_of_current_values(empty_db: str) -> None:
    engine = open_engine(empty_db)
    _enter(engine, [_row(30, 100)], source="form", created_at=JAN)
    _enter(engine, [_row(None, None)], source="correction", reason="entered twice",
           created_at=MAR)
    assert read_measurements(engine).empty
    assert len(read_measurements(engine, as_of=JAN)) == 1


def test_a_failed_write_inside_a_transaction_leaves_nothing_behind(empty_db: str) -> None:
    engine = open_engine(empty_db)
    with pytest.raises(IntegrityError), engine.begin() as conn:
        add_revisions(conn, [_row(30, 100), _row(5, 10, period="2024-02")], source="import")
        add_revisions(conn, [_row(1, 2, team_id="T99")], source="import")  # unknown team
    assert read_revisions(engine).empty


def test_an_exception_in_the_caller_rolls_back_the_whole_transaction(empty_db: str) -> None:
    engine = open_engine(empty_db)
    with pytest.raises(RuntimeError), engine.begin() as conn:
        add_revisions(conn, [_row(30, 100)], source="form", return_ids=False)
        raise RuntimeError("form crashed half-way")
    assert read_revisions(engine).empty


def test_foreign_keys_are_enforced_on_sqlite(empty_db: str) -> None:
    engine = open_engine(empty_db)
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        with pytest.raises(IntegrityError):
            conn.execute(s.teams.insert().values(team_id="T09", name="X", wave_id="NOPE",
                                                 joined_period="2024-01"))


def test_sqlite_database_uses_write_ahead_logging(empty_db: str) -> None:
    with open_engine(empty_db).connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    with sqlite3.connect(empty_db) as raw:  # persistent: a plain sqlite3 client sees it too
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_schema_version_is_recorded_once(empty_db: str) -> None:
    engine = create_database(empty_db)  # re-running create is harmless
    with engine.connect() as conn:
        versions = conn.execute(select(s.schema_info.c.version)).scalars().all()
    assert versions == [SCHEMA_VERSION]


def test_open_engine_on_a_missing_file_says_how_to_create_one(tmp_path: Path) -> None:
    path = tmp_path / "nothing.db"
    with pytest.raises(StoreError) as err:
        open_engine(str(path))
    assert str(err.value) == (
        f"no workbench database at {path}. Create one with "
        "`workbench init --db PATH --config collaborative.yaml` or `workbench demo`.")
    assert not path.exists()


def test_open_engine_on_a_sqlite_file_that_is_not_a_workbench_database(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as raw:
        raw.execute("CREATE TABLE patients (id INTEGER)")
    with pytest.raises(StoreError) as err:
        open_engine(str(path))
    assert str(err.value) == (
        f"sqlite:///{path} is not a workbench database (no schema_info table). "
        "Point --db at a database made by `workbench init` or `workbench demo`.")


def test_create_database_in_a_missing_folder_names_the_folder(tmp_path: Path) -> None:
    path = tmp_path / "no" / "such" / "x.db"
    with pytest.raises(StoreError, match="folder .* does not exist"):
        create_database(str(path))


def test_db_defaults_to_workbench_db_env_then_local_file(monkeypatch: pytest.MonkeyPatch,
                                                        tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("WORKBENCH_DB", raising=False)
    assert resolve_url(None) == f"sqlite:///{tmp_path / 'workbench.db'}"
    monkeypatch.setenv("WORKBENCH_DB", "postgresql://u@h/db")
    assert resolve_url(None) == "postgresql://u@h/db"
    assert resolve_url("rel.db") == f"sqlite:///{tmp_path / 'rel.db'}"


@pytest.mark.postgres
def test_postgres_round_trip_of_definition_revisions_and_as_of(postgres_url: str) -> None:
    schema = f"wb_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(make_url(postgres_url).set(
        drivername="postgresql+psycopg2") if postgres_url.startswith("postgresql://")
        else postgres_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(postgres_url).update_query_dict(
        {"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    try:
        engine = create_database(url)
        with engine.begin() as conn:
            write_collaborative(conn, load_collaborative(TEMPLATE))
        ids = _enter(engine, [_row(30, 100), _row(2, 100, indicator_id="PPH")],
                     source="import", created_at=JAN)
        assert len(ids) == 2 and ids[1] > ids[0]
        _enter(engine, [_row(35, 100)], source="correction", created_at=MAR, return_ids=False)
        engine = open_engine(url)
        now = read_measurements(engine)
        assert now[["indicator_id", "numerator", "value"]].values.tolist() == [
            ["AMTSL", 35.0, 0.35], ["PPH", 2.0, 0.02]]
        then = read_measurements(engine, as_of="2024-02-28")
        assert then["numerator"].tolist() == [30.0, 2.0]
        assert len(read_revisions(engine, "T01", "AMTSL")) == 2
        with pytest.raises(IntegrityError), engine.begin() as conn:
            add_revisions(conn, [_row(1, 2, team_id="T99")], source="import")
        assert len(read_revisions(engine)) == 3
        engine.dispose()
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

"""r4: a report's per-team reads use an index, on databases made new and on r3 databases
upgraded (issue 14: per-report cost independent of the collaborative's size)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import create_engine, inspect, select, text

from workbench.store import create_database
from workbench.store import schema as s
from workbench.store.migrations.migrate import alembic_config, schema_differences, upgrade_database

INDEXES = {"pdsa_history": "ix_pdsa_history_cycle", "coaching_visits": "ix_visits_team",
           "verification_recounts": "ix_recounts_team", "assessments": "ix_assessments_team",
           "flags": "ix_flags_team"}


def _indexes(url: str) -> dict[str, set[str]]:
    engine = create_engine(url)
    with engine.connect() as conn:
        found = inspect(conn)
        return {t: {i["name"] or "" for i in found.get_indexes(t)} for t in INDEXES}


def _plan(url: str, sql: str) -> str:
    with create_engine(url).connect() as conn:
        return " ".join(str(row[-1]) for row in conn.execute(text("EXPLAIN QUERY PLAN " + sql)))


def test_an_r3_database_upgrades_to_the_report_indexes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'r3.db'}"
    with create_engine(url).begin() as conn:
        command.upgrade(alembic_config(conn), "r3")
    before = _indexes(url)
    assert all(name not in before[table] for table, name in INDEXES.items())
    scan = _plan(url, "SELECT * FROM coaching_visits WHERE team_id = 'T01'")
    assert "SCAN" in scan and "INDEX" not in scan

    result = upgrade_database(str(tmp_path / "r3.db"))

    assert [step.revision for step in result.steps][0] == "r4"
    assert result.target == f"r{s.SCHEMA_VERSION}"
    after = _indexes(url)
    assert all(name in after[table] for table, name in INDEXES.items())
    for table in ("coaching_visits", "verification_recounts", "assessments", "flags"):
        assert f"USING INDEX {INDEXES[table]}" in _plan(
            url, f"SELECT * FROM {table} WHERE team_id = 'T01'")
    assert "USING INDEX ix_pdsa_history_cycle" in _plan(
        url, "SELECT * FROM pdsa_history WHERE cycle_id IN (1, 2) ORDER BY cycle_id, version")
    engine = create_engine(url)
    with engine.connect() as conn:
        assert schema_differences(conn) == []
        versions = conn.execute(select(s.schema_info.c.version)
                                .order_by(s.schema_info.c.version)).scalars().all()
        assert versions[-1] == s.SCHEMA_VERSION


def test_a_new_database_has_the_report_indexes(tmp_path: Path) -> None:
    create_database(str(tmp_path / "new.db"))
    found = _indexes(f"sqlite:///{tmp_path / 'new.db'}")
    assert all(name in found[table] for table, name in INDEXES.items())

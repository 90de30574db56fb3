"""The store's table reads (`read_table`, `read_pdsa_cycles(columns=…)`) read plain tuples and
only the columns asked, and give the frame the row-mapping read gave: same columns, dtypes and
values (JSON columns decoded), on SQLite and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select

from workbench.demo import build_demo
from workbench.store import CHART_CYCLE_COLUMNS, open_engine, read_pdsa_cycles, read_table
from workbench.store import schema as s


def _by_mappings(engine, table, order_by):  # type: ignore[no-untyped-def]
    """The read as it was made before: row mappings into a frame."""
    query = select(table).order_by(*(table.c[name] for name in order_by))
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(query).mappings().all(), columns=list(table.c.keys()))


def _check(url: str) -> None:
    engine = open_engine(url)
    cycles = read_pdsa_cycles(engine)
    assert len(cycles) > 0
    pd.testing.assert_frame_equal(
        cycles, _by_mappings(engine, s.pdsa_cycles, ["team_id", "change_id", "cycle_number"]))
    assert isinstance(cycles["linked_indicators"].iloc[0], list)  # JSON decoded
    chart = read_pdsa_cycles(engine, columns=CHART_CYCLE_COLUMNS)
    assert list(chart.columns) == list(CHART_CYCLE_COLUMNS)
    pd.testing.assert_frame_equal(chart, cycles[list(CHART_CYCLE_COLUMNS)])
    for table, order in ((s.teams, ["team_id"]), (s.flags, ["flag_id"]),
                         (s.assessments, ["period", "assessment_id"])):
        pd.testing.assert_frame_equal(read_table(engine, table, order_by=",".join(order)),
                                      _by_mappings(engine, table, order))
    teams = read_table(engine, s.teams, order_by="team_id")
    one = read_table(engine, s.teams, columns=["team_id", "name"], team_id="T01")
    assert one.to_dict("records") == teams.loc[teams["team_id"] == "T01",
                                               ["team_id", "name"]].to_dict("records")
    engine.dispose()


def test_table_reads_give_the_frame_of_the_mapping_read_on_sqlite(tmp_path: Path) -> None:
    db = tmp_path / "small.db"
    build_demo(str(db), teams=4, indicators=3, months=12, districts=1).dispose()
    _check(str(db))


@pytest.mark.postgres
def test_table_reads_give_the_frame_of_the_mapping_read_on_postgresql(pg_url: str) -> None:
    build_demo(pg_url, teams=4, indicators=3, months=12, districts=1).dispose()
    _check(pg_url)

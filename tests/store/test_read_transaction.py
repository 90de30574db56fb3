"""Reads that must agree see one state of the store, while another connection writes.

A real SQLite file (the demo, in WAL mode) and, with WORKBENCH_TEST_PG, a real PostgreSQL
database: a second engine commits a new wave between two reads of the first.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import event, func, select
from store_writers import add_wave

from workbench.briefs.summary import read_collaborative_inputs
from workbench.store import create_database, open_engine, read_transaction
from workbench.store.schema import waves


def _waves_while_another_writes(url: str) -> tuple[int, int, int]:
    """(waves read, waves read again in the same transaction after another engine added one,
    waves read afterwards)."""
    engine = open_engine(url)
    try:
        with read_transaction(engine) as conn:
            first = conn.execute(select(func.count()).select_from(waves)).scalar_one()
            add_wave(url, "W-NEW")
            again = conn.execute(select(func.count()).select_from(waves)).scalar_one()
        with engine.connect() as conn:
            after = conn.execute(select(func.count()).select_from(waves)).scalar_one()
    finally:
        engine.dispose()
    return first, again, after


def test_a_read_transaction_on_sqlite_sees_the_file_as_at_its_first_read(demo_db: str) -> None:
    first, again, after = _waves_while_another_writes(demo_db)
    assert first >= 1
    assert again == first  # the wave committed meanwhile is not seen inside
    assert after == first + 1  # nothing was lost: it is there afterwards


@pytest.mark.postgres
def test_a_read_transaction_on_postgresql_sees_one_snapshot(pg_url: str) -> None:
    create_database(pg_url).dispose()
    add_wave(pg_url, "W1")
    assert _waves_while_another_writes(pg_url) == (1, 1, 2)


def test_the_summarys_inputs_are_one_state_of_the_store_while_an_import_writes(
        demo_db: str) -> None:
    """A wave committed by another connection after the summary's first read (its tables are
    read one after the other, the waves last; the measurements on a second connection,
    `test_side_read`) is in none of what it read."""
    engine = open_engine(demo_db)
    written: list[str] = []

    def write_once(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if (not written and threading.current_thread() is threading.main_thread()
                and statement.lstrip().upper().startswith("SELECT")):  # after a read
            written.append("W-NEW")
            add_wave(demo_db, "W-NEW")

    event.listen(engine, "after_cursor_execute", write_once)
    try:
        inputs = read_collaborative_inputs(engine)
    finally:
        event.remove(engine, "after_cursor_execute", write_once)
        engine.dispose()
    assert written == ["W-NEW"]  # the write did happen during the reads
    assert "W-NEW" not in set(inputs.waves["wave_id"])
    engine = open_engine(demo_db)
    try:
        assert "W-NEW" in set(read_collaborative_inputs(engine).waves["wave_id"])
    finally:
        engine.dispose()

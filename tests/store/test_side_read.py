"""A read on a second connection, in a thread (`store.side_read.SideRead`), gives what the
caller's read transaction sees: a real SQLite file (the demo, in WAL mode) and, with
WORKBENCH_TEST_PG, a real PostgreSQL database, while another engine commits."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import Connection, create_engine, func, insert, select
from store_writers import add_wave

from workbench.store import create_database, open_engine, read_transaction
from workbench.store.reads import measurements_mark
from workbench.store.schema import measurement_revisions, waves
from workbench.store.side_read import SideRead, shares_the_database
from workbench.store.team_measures import read_collaborative_measurements


def _recorded(read: Callable[[Connection], Any], threads: list[str],
              started: threading.Event | None = None,
              go: threading.Event | None = None) -> Callable[[Connection], Any]:
    """`read`, noting the thread of each call; the first call (the side's, after its mark)
    says it started and waits for `go`."""
    def run(conn: Connection) -> Any:
        threads.append(threading.current_thread().name)
        if started is not None and go is not None and len(threads) == 1:
            started.set()
            assert go.wait(60)
        return read(conn)
    return run


def _correct_one_count(url: str) -> tuple[str, str, str, float]:
    """Commit, from another engine, a correction of the first current count: (team,
    indicator, month, new numerator)."""
    writer = open_engine(url)
    try:
        with writer.begin() as conn:
            mr = measurement_revisions
            row = conn.execute(select(mr).order_by(mr.c.revision_id).limit(1)).mappings().one()
            numerator = float(row["numerator"]) + 1000
            conn.execute(insert(mr).values(
                team_id=row["team_id"], indicator_id=row["indicator_id"], period=row["period"],
                numerator=numerator, denominator=float(row["denominator"]) + 1000,
                source="correction", author="test", created_at=row["created_at"],
                reason="a recount", comment=""))
    finally:
        writer.dispose()
    return row["team_id"], row["indicator_id"], row["period"], numerator


def test_with_nothing_written_the_side_connections_read_is_the_result(demo_db: str) -> None:
    engine = open_engine(demo_db)
    threads: list[str] = []
    try:
        with SideRead(engine, _recorded(read_collaborative_measurements, threads),
                      measurements_mark) as side:
            with read_transaction(engine) as conn:
                frame = side.result(conn)
        serial = read_collaborative_measurements(engine)
    finally:
        engine.dispose()
    assert threads == ["workbench-side-read"]  # read once, beside the caller
    assert len(frame) > 1000
    pd.testing.assert_frame_equal(frame, serial)


def test_a_correction_committed_between_the_two_transactions_is_read_as_the_caller_sees_it(
        demo_db: str) -> None:
    """The side's snapshot is taken before the correction, the caller's after it: the marks
    differ and the caller's connection reads again (the corrected count, as a read now)."""
    engine = open_engine(demo_db)
    threads: list[str] = []
    started, go = threading.Event(), threading.Event()
    try:
        with SideRead(engine, _recorded(read_collaborative_measurements, threads, started, go),
                      measurements_mark) as side:
            assert started.wait(60)  # the side's snapshot is taken (its mark was read)
            team, indicator, month, numerator = _correct_one_count(demo_db)
            with read_transaction(engine) as conn:
                go.set()
                frame = side.result(conn)
        now = read_collaborative_measurements(engine)
    finally:
        engine.dispose()
    assert threads == ["workbench-side-read", threading.current_thread().name]
    row = frame[(frame["team_id"] == team) & (frame["indicator_id"] == indicator)
                & (frame["period"].astype(str) == month)]
    assert row["numerator"].tolist() == [numerator]
    pd.testing.assert_frame_equal(frame, now)


def _count_waves(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(waves)).scalar_one())




@pytest.mark.postgres
def test_on_postgresql_a_wave_committed_between_the_two_transactions_is_counted(
        pg_url: str) -> None:
    create_database(pg_url).dispose()
    add_wave(pg_url, "W1")
    engine = open_engine(pg_url)
    threads: list[str] = []
    started, go = threading.Event(), threading.Event()
    try:
        with SideRead(engine, _recorded(_count_waves, threads, started, go),
                      _count_waves) as side:
            assert started.wait(60)
            add_wave(pg_url, "W2")
            with read_transaction(engine) as conn:
                go.set()
                assert side.result(conn) == 2  # the caller's snapshot, read again
        with SideRead(engine, _recorded(_count_waves, threads), _count_waves) as side:
            with read_transaction(engine) as conn:
                assert side.result(conn) == 2
    finally:
        engine.dispose()
    assert threads == ["workbench-side-read", threading.current_thread().name,
                       "workbench-side-read"]


def test_an_in_memory_database_is_read_on_the_callers_connection() -> None:
    """Each connection of an in-memory SQLite database is a database of its own."""
    engine = create_engine("sqlite://")
    threads: list[str] = []
    try:
        with engine.begin() as conn:
            waves.create(conn)
            conn.execute(insert(waves).values(wave_id="W1", name="Wave 1",
                                              start_period="2026-11"))
        assert not shares_the_database(engine)
        with SideRead(engine, _recorded(_count_waves, threads), _count_waves) as side:
            with engine.connect() as conn:
                assert side.result(conn) == 1
    finally:
        engine.dispose()
    assert threads == [threading.current_thread().name]
    assert shares_the_database(create_engine("sqlite:////tmp/a-file.db"))
    assert not shares_the_database(create_engine("sqlite:///:memory:"))

"""A current count the store cannot read as a number (a text, which only a SQLite file can
hold: it reached the file around the store's checks) raises a StoreError naming it, or with
`read_collaborative_measurements(..., unreadable="skip")` is left out of the one read: on the
column read and on the row read alike (`measurements.readable_rows` decides for both), its
key not replaced by an older revision. A fraction is a number: read as it is either way. The
batch's collaborative medians use "skip" (`briefs.team_report.collaborative_figures`)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import Engine, literal
from sqlalchemy.exc import DBAPIError

from workbench.errors import StoreError
from workbench.store import open_engine, read_collaborative_measurements, read_measurements
from workbench.store import schema as s
from workbench.store.by_column import revision_columns
from workbench.store.measurements import Unreadable, add_revisions, readable_rows
from workbench.store.reads import _current_of_columns

TEMPLATE = Path(__file__).resolve().parents[2] / "templates" / "collaborative.yaml"
T0 = dt.datetime(2024, 3, 1, 9, 0)
MR = s.measurement_revisions


def _store(engine: Engine) -> None:
    """T01 and T02, AMTSL, 2024-01 and 2024-02; T01's January revised once."""
    with engine.begin() as conn:
        rows = [("T01", "2024-01", 1, 2), ("T01", "2024-02", 3, 4), ("T02", "2024-01", 5, 6),
                ("T02", "2024-02", 7, 8)]
        add_revisions(conn, [{"team_id": t, "indicator_id": "AMTSL", "period": p,
                              "numerator": n, "denominator": d} for t, p, n, d in rows],
                      source="form", created_at=T0)
        add_revisions(conn, [{"team_id": "T01", "indicator_id": "AMTSL", "period": "2024-01",
                              "numerator": 2, "denominator": 2}],
                      source="form", created_at=T0 + dt.timedelta(days=1))


def _set(engine: Engine, team: str, month: str, counts: dict[str, Any],
         latest: bool = True) -> None:
    """Write `counts` into the newest (or the oldest) revision of a key, around the store."""
    with engine.begin() as conn:
        ids = list(conn.execute(MR.select().with_only_columns(MR.c.revision_id).where(
            MR.c.team_id == team, MR.c.period == month).order_by(MR.c.revision_id)).scalars())
        conn.execute(MR.update().where(MR.c.revision_id == (ids[-1] if latest else ids[0]))
                     .values(counts))


def _rows(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    return [(r.team_id, str(r.period), r.numerator, r.denominator)
            for r in frame.itertuples(index=False)]


def _column_read(engine: Engine, unreadable: Unreadable) -> pd.DataFrame | None:
    """The column read's own answer (None: it leaves the answer to the row read)."""
    with engine.connect() as conn:
        found = revision_columns(conn, lambda q: q, MR.c.revision_id,
                                 [MR.c.team_id, MR.c.indicator_id, MR.c.period],
                                 MR.c.numerator, MR.c.denominator)
        assert found is not None
        return _current_of_columns(conn, found, unreadable)


ALL = [("T01", "2024-01", 2.0, 2.0), ("T01", "2024-02", 3.0, 4.0), ("T02", "2024-01", 5.0, 6.0),
       ("T02", "2024-02", 7.0, 8.0)]


@pytest.mark.parametrize("column", ["numerator", "denominator"])
def test_a_text_count_raises_by_default_and_is_left_out_when_asked(empty_db: str,
                                                                   column: str) -> None:
    engine = open_engine(empty_db)
    _store(engine)
    _set(engine, "T01", "2024-01", {column: literal("forty")})  # the revised key
    with pytest.raises(StoreError, match=f"Stored {column} 'forty' of team T01, indicator "
                                         "AMTSL, month 2024-01 is not a number"):
        read_collaborative_measurements(engine)
    skipped = read_collaborative_measurements(engine, unreadable="skip")
    assert _rows(skipped) == ALL[1:]  # not the older revision (1, 2) in its place
    assert skipped["value"].tolist() == [3 / 4, 5 / 6, 7 / 8]
    pd.testing.assert_frame_equal(skipped, read_measurements(engine, unreadable="skip"))
    column_read = _column_read(engine, "skip")  # the column read leaves it out itself
    assert column_read is not None
    pd.testing.assert_frame_equal(column_read, skipped)
    assert _column_read(engine, "raise") is None  # the row read raises, naming the row
    engine.dispose()


def _read_alike_either_way(engine: Engine, expected: list[Any]) -> None:
    """Both modes read `expected`, as the plain read does."""
    unreadable: Unreadable
    for unreadable in ("raise", "skip"):
        frame = read_collaborative_measurements(engine, unreadable=unreadable)
        assert _rows(frame) == expected
        pd.testing.assert_frame_equal(frame, read_measurements(engine))


def test_a_text_in_an_older_revision_is_not_read_at_all(empty_db: str) -> None:
    engine = open_engine(empty_db)
    _store(engine)
    _set(engine, "T01", "2024-01", {"numerator": literal("forty")}, latest=False)
    _read_alike_either_way(engine, ALL)
    engine.dispose()


def test_a_fractional_count_is_a_number_read_as_it_is_either_way(empty_db: str) -> None:
    engine = open_engine(empty_db)
    _store(engine)
    _set(engine, "T02", "2024-02", {"numerator": 7.5})  # counts are whole: around the store
    expected = [*ALL[:3], ("T02", "2024-02", 7.5, 8.0)]
    _read_alike_either_way(engine, expected)
    engine.dispose()


def test_a_text_that_is_a_number_by_the_one_rule_is_read_not_left_out(empty_db: str) -> None:
    """'inf' is a text to SQLite and a number to `readable_rows`: the column read does not
    decide, the row read reads it (as before this option)."""
    engine = open_engine(empty_db)
    _store(engine)
    _set(engine, "T02", "2024-01", {"denominator": literal("inf")})
    assert _column_read(engine, "skip") is None
    frame = read_collaborative_measurements(engine, unreadable="skip")
    assert _rows(frame)[2] == ("T02", "2024-01", 5.0, float("inf"))
    pd.testing.assert_frame_equal(frame, read_collaborative_measurements(engine))
    engine.dispose()


def test_readable_rows_is_numbers_or_null() -> None:
    frame = pd.DataFrame({"numerator": [1.0, "forty", None, 2.5, "inf"],
                          "denominator": [2.0, 3.0, None, "x", 4.0]}, dtype=object)
    assert readable_rows(frame).tolist() == [True, False, True, False, True]
    assert readable_rows(frame.astype({"numerator": object}).iloc[[0, 2]]).tolist() == [True,
                                                                                      True]


@pytest.mark.postgres
def test_on_postgresql_a_fraction_is_read_and_a_text_cannot_be_stored(pg_url: str) -> None:
    from workbench.ingest.collaborative import init_collaborative

    engine = init_collaborative(pg_url, TEMPLATE)
    _store(engine)
    _set(engine, "T02", "2024-02", {"numerator": 7.5})
    expected = [*ALL[:3], ("T02", "2024-02", 7.5, 8.0)]
    unreadable: Unreadable
    for unreadable in ("raise", "skip"):
        frame = read_collaborative_measurements(engine, unreadable=unreadable)
        assert _rows(frame) == expected
        pd.testing.assert_frame_equal(frame, read_measurements(engine))
    with pytest.raises(DBAPIError):  # a double precision column holds no text
        _set(engine, "T01", "2024-01", {"numerator": literal("forty")})
    assert _rows(read_collaborative_measurements(engine, unreadable="skip")) == expected
    engine.dispose()

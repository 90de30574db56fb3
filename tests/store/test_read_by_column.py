"""The store's large reads on SQLite go column by column (`workbench.store.by_column`: one
aggregate row of every column's values, decoded at once) and give exactly the frames the row
reads give: on the demo collaborative, and on the cases a column read could get wrong (no rows,
JSON `null`, revisions and withdrawn entries, unicode and code-point order, a comma in a code, a
fraction or a text where a count belongs, a real of 17 significant digits), where the column
read says it cannot (None) and the row read answers. PostgreSQL keeps its row reads: the same
cases give the same frames there (issue 14 item 7)."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, literal, select

from workbench.errors import StoreError
from workbench.store import (
    CHART_CYCLE_COLUMNS,
    ROLLUP_ASSESSMENT_COLUMNS,
    open_engine,
    read_assessments,
    read_flags,
    read_measurements,
    read_pdsa_cycles,
    read_recounts,
    read_teams,
    read_visits,
)
from workbench.store import schema as s
from workbench.store.by_column import _short_codes, revision_columns, table_frame
from workbench.store.measurements import add_revisions
from workbench.store.reads import _latest_of_keys, read_current_measurements

T0 = dt.datetime(2024, 3, 1, 9, 0)


def _by_mappings(engine: Engine, table: Any, order_by: list[str],
                 columns: list[str] | None = None, **equals: Any) -> pd.DataFrame:
    """The row read as it was first made: row mappings into a frame."""
    selected = [table.c[name] for name in columns] if columns else list(table.c)
    query = select(*selected).order_by(*(table.c[name] for name in order_by))
    query = query.where(*(table.c[name] == value for name, value in equals.items()))
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(query).mappings().all(),
                            columns=[c.key for c in selected])


def _reads_equal_row_reads(engine: Engine) -> None:
    """Every large read equals its row read, dtypes included."""
    pd.testing.assert_frame_equal(read_current_measurements(engine), read_measurements(engine))
    for options in ({"as_of": "2025-06-30"}, {"team_ids": ["T01", "T02"]},
                    {"indicator_ids": ["AMTSL"]}, {"team_ids": []}):
        pd.testing.assert_frame_equal(read_current_measurements(engine, **options),
                                      read_measurements(engine, **options), obj=str(options))
    cycle_order = ["team_id", "change_id", "cycle_number"]
    one = _by_mappings(engine, s.pdsa_cycles, cycle_order, team_id="T01")
    pd.testing.assert_frame_equal(read_pdsa_cycles(engine, "T01"), one)
    for frame, table, order, columns in (
            (read_pdsa_cycles(engine), s.pdsa_cycles, cycle_order, None),
            (read_pdsa_cycles(engine, columns=CHART_CYCLE_COLUMNS), s.pdsa_cycles, cycle_order,
             list(CHART_CYCLE_COLUMNS)),
            (read_assessments(engine), s.assessments, ["period", "assessment_id"], None),
            (read_assessments(engine, columns=ROLLUP_ASSESSMENT_COLUMNS), s.assessments,
             ["period", "assessment_id"], list(ROLLUP_ASSESSMENT_COLUMNS)),
            (read_visits(engine), s.coaching_visits, ["visit_date", "visit_id"], None),
            (read_recounts(engine), s.verification_recounts, ["recount_id"], None),
            (read_flags(engine), s.flags, ["flag_id"], None),
            (read_teams(engine), s.teams, ["team_id"], None)):
        pd.testing.assert_frame_equal(frame, _by_mappings(engine, table, order, columns))


@pytest.fixture
def demo_copy(demo_db_master: Path, tmp_path: Path) -> str:
    path = tmp_path / "demo.db"
    shutil.copy(demo_db_master, path)
    return str(path)


def test_the_demo_collaborative_reads_column_by_column_the_frames_of_its_row_reads(
        demo_copy: str) -> None:
    engine = open_engine(demo_copy)
    mr = s.measurement_revisions
    with engine.connect() as conn:  # the column reads answer (they do not fall back)
        assert revision_columns(conn, lambda q: q, mr.c.revision_id,
                                [mr.c.team_id, mr.c.indicator_id, mr.c.period],
                                mr.c.numerator, mr.c.denominator) is not None
        for table, order in ((s.assessments, ["period", "assessment_id"]),
                             (s.pdsa_cycles, ["team_id", "change_id", "cycle_number"])):
            frame = table_frame(conn, list(table.c), [], [table.c[n] for n in order])
            assert frame is not None and len(frame) > 100
    _reads_equal_row_reads(engine)
    cycles = read_pdsa_cycles(engine)
    links = cycles["linked_indicators"].tolist()
    assert all(isinstance(v, list) for v in links)
    assert len({id(v) for v in links}) == len(links)  # a list of its own per row
    engine.dispose()


def _add_team(conn: Any, team_id: str) -> None:
    conn.execute(s.teams.insert().values(team_id=team_id, name=f"Team {team_id}",
                                         joined_period="2024-01"))


def _measure(engine: Engine, rows: list[tuple[str, str, str, Any, Any]],
             when: dt.datetime) -> None:
    with engine.begin() as conn:
        add_revisions(conn, [{"team_id": t, "indicator_id": i, "period": p, "numerator": n,
                              "denominator": d} for t, i, p, n, d in rows],
                      source="form", created_at=when)


def _current(engine: Engine) -> list[tuple[Any, ...]]:
    frame = read_current_measurements(engine)
    return [(r.team_id, r.indicator_id, str(r.period), *(None if pd.isna(v) else v
                                                         for v in (r.numerator, r.denominator)))
            for r in frame.itertuples()]


def test_with_no_rows_the_reads_are_the_empty_frames_of_the_row_reads(empty_db: str) -> None:
    engine = open_engine(empty_db)
    _reads_equal_row_reads(engine)
    assert read_current_measurements(engine).empty and read_assessments(engine).empty


def test_the_current_value_is_the_latest_revision_and_a_withdrawn_entry_is_left_out(
        empty_db: str) -> None:
    engine = open_engine(empty_db)
    with engine.begin() as conn:
        for team in ("Z9", "a1", "B2", "Équipe-é", "T☃"):
            _add_team(conn, team)
    _measure(engine, [("B2", "AMTSL", "2024-02", 5, 10), ("Z9", "AMTSL", "2024-01", 1, 2),
                      ("a1", "AMTSL", "2024-01", 3, 4), ("Équipe-é", "PPH", "2024-01", 0, 7),
                      ("T☃", "AMTSL", "2024-01", 2, None), ("B2", "AMTSL", "2024-01", 8, 9)],
             T0)
    _measure(engine, [("B2", "AMTSL", "2024-02", 6, 10), ("Z9", "AMTSL", "2024-01", None, None)],
             T0 + dt.timedelta(days=1))
    _measure(engine, [("B2", "AMTSL", "2024-02", 7, 11)], T0 + dt.timedelta(days=2))
    # code-point order (SQLite's BINARY collation): capitals, then small letters, then é, ☃
    assert _current(engine) == [
        ("B2", "AMTSL", "2024-01", 8.0, 9.0), ("B2", "AMTSL", "2024-02", 7.0, 11.0),
        ("T☃", "AMTSL", "2024-01", 2.0, None),
        ("a1", "AMTSL", "2024-01", 3.0, 4.0), ("Équipe-é", "PPH", "2024-01", 0.0, 7.0)]
    frame = read_current_measurements(engine)
    assert frame["value"].tolist()[:2] == [8 / 9, 7 / 11] and frame["value"].tolist()[2] == 2.0
    _reads_equal_row_reads(engine)
    as_of = read_current_measurements(engine, as_of=T0 + dt.timedelta(hours=1))
    assert [(r.team_id, r.numerator) for r in as_of.itertuples()
            if str(r.period) == "2024-02"] == [("B2", 5.0)]


@pytest.mark.parametrize("keys", [3, 10**8], ids=["a table of the keys", "a sort"])
def test_the_latest_revision_of_each_key_is_found_in_key_order(keys: int) -> None:
    """Keys 0..2 of five rows; ids are not in row order. Few keys for the rows: a table of
    them; many (a sparse key space): a sort. Both give the rows in key order."""
    key = np.array([2, 0, 2, 1, 0])
    revision_id = np.array([5, 1, 9, 3, 2])
    assert _latest_of_keys(key, revision_id, keys).tolist() == [4, 3, 2]
    assert _latest_of_keys(key[:0], revision_id[:0], keys).tolist() == []


def test_a_comma_in_a_code_or_a_fraction_in_a_count_is_read_row_by_row_the_same(
        empty_db: str) -> None:
    engine = open_engine(empty_db)
    mr = s.measurement_revisions
    with engine.begin() as conn:
        _add_team(conn, "T,1")
    _measure(engine, [("T,1", "AMTSL", "2024-01", 3, 4), ("T01", "AMTSL", "2024-01", 1, 2)], T0)

    def columns() -> Any:
        with engine.connect() as conn:
            return revision_columns(conn, lambda q: q, mr.c.revision_id,
                                    [mr.c.team_id, mr.c.indicator_id, mr.c.period],
                                    mr.c.numerator, mr.c.denominator)

    assert columns() is None  # "T,1" would be two texts
    pd.testing.assert_frame_equal(read_current_measurements(engine), read_measurements(engine))
    with engine.begin() as conn:  # around the store's checks: a fraction, a huge count
        conn.execute(mr.update().where(mr.c.team_id == "T,1").values(team_id="T02"))
        conn.execute(mr.update().where(mr.c.team_id == "T01").values(numerator=1.5,
                                                                      denominator=2.0**70))
    assert columns() is None
    assert _current(engine)[0][3:] == (1.5, 2.0**70)
    pd.testing.assert_frame_equal(read_current_measurements(engine), read_measurements(engine))


def test_a_text_where_a_count_belongs_stops_the_column_read_as_it_stops_the_row_read(
        empty_db: str) -> None:
    engine = open_engine(empty_db)
    _measure(engine, [("T01", "AMTSL", "2024-01", 3, 4)], T0)
    mr = s.measurement_revisions
    with engine.begin() as conn:
        conn.execute(mr.update().values(numerator=literal("forty")))  # as text
    with pytest.raises(StoreError, match="Stored numerator 'forty' of team T01"):
        read_current_measurements(engine)
    with pytest.raises(StoreError, match="Stored numerator 'forty' of team T01"):
        read_measurements(engine)


def test_json_null_and_reals_of_17_digits_read_as_the_row_read_reads_them(
        empty_db: str) -> None:
    engine = open_engine(empty_db)
    a = s.assessments
    with engine.begin() as conn:
        conn.execute(s.change_ideas.insert().values(change_id="C1", name="Kit", source="package",
                                                    indicator_ids=["AMTSL"]))
        for number, links in enumerate((["AMTSL", "PPH"], None, [], ["PPH"]), start=1):
            conn.execute(s.pdsa_cycles.insert().values(
                team_id="T01", change_id="C1", cycle_number=number, title=f"cycle {number} ✓",
                linked_indicators=links, author="ana", created_at=T0, updated_at=T0))
        for i, score in enumerate((2.5, 3.0, 4.5)):
            conn.execute(a.insert().values(team_id="T01", period=f"2024-0{3 - i}", score=score,
                                           assessor_type="self", assessor="Ana, coach",
                                           justification="été, « ok »", created_at=T0))
    cycles = read_pdsa_cycles(engine)
    assert cycles["linked_indicators"].tolist() == [["AMTSL", "PPH"], None, [], ["PPH"]]
    assert cycles["title"].tolist() == [f"cycle {n} ✓" for n in (1, 2, 3, 4)]
    assessments = read_assessments(engine)
    assert assessments["period"].tolist() == ["2024-01", "2024-02", "2024-03"]
    assert assessments["score"].tolist() == [4.5, 3.0, 2.5]
    assert str(assessments["created_at"].dtype) == "datetime64[us]"
    with engine.connect() as conn:  # read column by column
        assert table_frame(conn, list(a.c), [], [a.c.period, a.c.assessment_id]) is not None
    _reads_equal_row_reads(engine)
    with engine.begin() as conn:  # a real of 17 digits: its 15-digit text is not it
        conn.execute(a.update().where(a.c.score == 3.0).values(score=1 / 3))
    with engine.connect() as conn:
        assert table_frame(conn, list(a.c), [], [a.c.period, a.c.assessment_id]) is None
    assert read_assessments(engine)["score"].tolist() == [4.5, 1 / 3, 2.5]
    _reads_equal_row_reads(engine)


@pytest.mark.postgres
def test_on_postgresql_the_same_cases_give_the_row_reads_frames(pg_url: str) -> None:
    from workbench.demo import build_demo

    build_demo(pg_url, teams=4, indicators=3, months=12, districts=1).dispose()
    engine = open_engine(pg_url)
    with engine.begin() as conn:
        _add_team(conn, "Équipe-é")
    first = read_measurements(engine).iloc[0]
    month, indicator = str(first["period"]), str(first["indicator_id"])
    _measure(engine, [("Équipe-é", indicator, month, 1, 2),
                      ("T01", indicator, month, None, None)], dt.datetime(2099, 1, 1))
    _reads_equal_row_reads(engine)
    current = read_current_measurements(engine)
    assert "Équipe-é" in set(current["team_id"])
    engine.dispose()


def test_codes_of_one_width_read_as_bytes_sort_by_code_point(empty_db: str) -> None:
    engine = open_engine(empty_db)
    with engine.begin() as conn:
        for team in ("é01", "Ü01", "É01"):  # two bytes each, then two digits
            _add_team(conn, team)
    _measure(engine, [(team, "AMTSL", "2024-01", 1, 2) for team in ("é01", "Ü01", "É01")], T0)
    assert [row[0] for row in _current(engine)] == ["É01", "Ü01", "é01"]
    pd.testing.assert_frame_equal(read_current_measurements(engine), read_measurements(engine))


def test_an_aggregate_longer_than_sqlite_allows_falls_back_to_the_row_read(
        demo_copy: str) -> None:
    """SQLite refuses a text longer than its length limit (SQLITE_MAX_LENGTH, 1 GB by default:
    a collaborative far beyond this one's): the column reads say so (None) and the reads
    give the row reads' frames."""
    engine = open_engine(demo_copy)
    expected = read_measurements(engine)
    mr = s.measurement_revisions
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        raw.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, 1000)  # this connection only
        assert revision_columns(conn, lambda q: q, mr.c.revision_id,
                                [mr.c.team_id, mr.c.indicator_id, mr.c.period],
                                mr.c.numerator, mr.c.denominator) is None
        assert table_frame(conn, list(s.assessments.c), [], [s.assessments.c.assessment_id]
                           ) is None
        pd.testing.assert_frame_equal(read_current_measurements(conn), expected)
    engine.dispose()


def test_integers_flat_json_and_reals_have_fast_reads_and_fall_back_where_they_do_not_apply(
        empty_db: str) -> None:
    """Integer columns are read by numpy, JSON lists of scalars are copied per row and the
    reals of a REAL column are checked in the same scan: the same frames as the row read.
    Where they do not apply (a real in an INTEGER column, nested JSON) the general decoding
    answers, and a real of 17 digits in an INTEGER column still stops the column read."""
    engine = open_engine(empty_db)
    c = s.pdsa_cycles
    with engine.begin() as conn:
        conn.execute(s.change_ideas.insert().values(change_id="C1", name="Kit", source="package",
                                                    indicator_ids=["AMTSL"]))
        for number, links in enumerate((["AMTSL", "PPH"], ["PPH"], ["AMTSL", "PPH"]), start=1):
            conn.execute(c.insert().values(
                team_id="T01", change_id="C1", cycle_number=number, title=f"cycle {number}",
                linked_indicators=links, author="ana", created_at=T0, updated_at=T0))
    order = [c.c.team_id, c.c.change_id, c.c.cycle_number]
    columns = [c.c.cycle_id, c.c.team_id, c.c.change_id, c.c.cycle_number, c.c.version,
               c.c.linked_indicators, c.c.title]

    def read() -> pd.DataFrame | None:
        with engine.connect() as conn:
            return table_frame(conn, columns, [], order)

    frame = read()
    assert frame is not None
    assert frame["cycle_number"].tolist() == [1, 2, 3]
    assert [str(frame[key].dtype) for key in ("cycle_id", "version")] == ["int64", "int64"]
    links = frame["linked_indicators"].tolist()
    assert links == [["AMTSL", "PPH"], ["PPH"], ["AMTSL", "PPH"]]
    assert links[0] is not links[2]  # a list of its own per row
    _reads_equal_row_reads(engine)
    with engine.begin() as conn:  # nested JSON: decoded as a whole, as before
        conn.execute(c.update().where(c.c.cycle_number == 2).values(
            linked_indicators=[{"id": "PPH", "months": [1, 2]}]))
    frame = read()
    assert frame is not None
    assert frame["linked_indicators"].tolist()[1] == [{"id": "PPH", "months": [1, 2]}]
    _reads_equal_row_reads(engine)
    with engine.begin() as conn:  # a real in an INTEGER column (SQLite keeps it)
        conn.execute(c.update().where(c.c.cycle_number == 3).values(version=literal(2.5)))
    frame = read()
    assert frame is not None and frame["version"].tolist() == [1.0, 1.0, 2.5]
    assert str(frame["version"].dtype) == "float64"
    _reads_equal_row_reads(engine)
    with engine.begin() as conn:  # a real of 17 digits there: the row read
        conn.execute(c.update().where(c.c.cycle_number == 3).values(
            version=literal(2 + 1 / 3)))
    assert read() is None
    assert read_pdsa_cycles(engine)["version"].tolist() == [1.0, 1.0, 2 + 1 / 3]
    _reads_equal_row_reads(engine)


def test_codes_of_several_widths_read_as_bytes_sort_by_code_point() -> None:
    """Texts of up to 16 bytes of any widths: codes into their sorted distinct texts (a
    text before the longer ones it begins, by code point); None for a longer text, a zero
    byte, or a comma inside a text (the count of texts is then wrong)."""
    data = "PPH,AMTSL,É1,a,,AMTSL2,abcdefghijklmnop,PPH".encode()
    codes, texts = _short_codes(data, 8)
    assert texts.tolist() == ["", "AMTSL", "AMTSL2", "PPH", "a", "abcdefghijklmnop", "É1"]
    assert codes.tolist() == [3, 1, 6, 4, 0, 2, 5, 3]
    assert _short_codes(b"abcdefghijklmnopq,a", 2) is None  # 17 bytes
    assert _short_codes(b"a\0,b", 2) is None
    assert _short_codes(b"a,b,c", 2) is None


def test_timestamps_are_typed_once_each_as_the_row_read_types_them(empty_db: str) -> None:
    """A DATETIME column without NULLs comes as the frame of the row read types it
    (datetime64[us], microseconds kept); ordering by it is left to the row read."""
    engine = open_engine(empty_db)
    a = s.assessments
    stamps = [T0 + dt.timedelta(microseconds=7), T0, T0 + dt.timedelta(days=40, seconds=1)]
    with engine.begin() as conn:
        for i, stamp in enumerate(stamps):
            conn.execute(a.insert().values(team_id="T01", period=f"2024-0{i + 1}", score=2.0,
                                           assessor_type="self", assessor="Ana",
                                           justification="ok", created_at=stamp))
    with engine.connect() as conn:
        frame = table_frame(conn, [a.c.assessment_id, a.c.created_at], [], [a.c.assessment_id])
        assert table_frame(conn, [a.c.assessment_id, a.c.created_at], [],
                           [a.c.created_at, a.c.assessment_id]) is None
    assert frame is not None and str(frame["created_at"].dtype) == "datetime64[us]"
    assert frame["created_at"].tolist() == [pd.Timestamp(v) for v in stamps]
    _reads_equal_row_reads(engine)

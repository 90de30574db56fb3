"""`store.reads.read_current_measurements` gives the frame `read_measurements` gives (the
latest revision of each key, withdrawn entries left out, as of a time, of some teams or
indicators): on SQLite, where it reads the table in one scan, and on PostgreSQL, where it is
the store's query (issue 14 item 7)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from workbench.demo import build_demo
from workbench.store import open_engine, read_measurements
from workbench.store.measurements import add_revisions
from workbench.store.reads import read_current_measurements

LATER = dt.datetime(2099, 1, 1)


def _revise(url: str) -> tuple[str, str, str]:
    """Correct one month, withdraw another and correct a third twice, after `LATER`; the
    keys (team, indicator, month) of the corrected one."""
    engine = open_engine(url)
    base = read_measurements(engine)
    first, second, third = (base.iloc[i] for i in (0, 5, len(base) - 1))

    def row(r: pd.Series, numerator: float | None, denominator: float | None) -> dict:
        return {"team_id": r["team_id"], "indicator_id": r["indicator_id"],
                "period": str(r["period"]), "numerator": numerator, "denominator": denominator}

    with engine.begin() as conn:
        add_revisions(conn, [row(first, 1, 2), row(second, None, None), row(third, 0, 5)],
                      source="correction", reason="recount", created_at=LATER)
        add_revisions(conn, [row(third, 3, 5)], source="correction", reason="recount again",
                      created_at=LATER + dt.timedelta(days=1))
    engine.dispose()
    return str(first["team_id"]), str(first["indicator_id"]), str(first["period"])


def _check(url: str) -> None:
    team, indicator, month = _revise(url)
    engine = open_engine(url)
    now = read_current_measurements(engine)
    pd.testing.assert_frame_equal(now, read_measurements(engine))
    corrected = now[(now["team_id"] == team) & (now["indicator_id"] == indicator)
                    & (now["period"].astype(str) == month)]
    assert corrected[["numerator", "denominator"]].values.tolist() == [[1.0, 2.0]]
    before = read_current_measurements(engine, as_of=LATER - dt.timedelta(days=1))
    assert len(now) == len(before) - 1  # the withdrawn entry
    for options in ({"as_of": LATER}, {"as_of": LATER - dt.timedelta(days=1)},
                    {"as_of": "2025-06-30"}, {"as_of": "1990-01-01"},
                    {"indicator_ids": [indicator]}, {"team_ids": [team, "T02"]},
                    {"team_ids": [team], "indicator_ids": [indicator], "as_of": LATER},
                    {"indicator_ids": []}):
        pd.testing.assert_frame_equal(read_current_measurements(engine, **options),
                                      read_measurements(engine, **options), obj=str(options))
    engine.dispose()


def test_the_current_values_read_in_one_scan_are_the_stores_on_sqlite(tmp_path: Path) -> None:
    db = tmp_path / "small.db"
    build_demo(str(db), teams=6, indicators=3, months=14, districts=2).dispose()
    _check(str(db))


def test_each_team_indicator_and_month_is_one_text_object_shared_by_its_rows(
        tmp_path: Path) -> None:
    db = tmp_path / "small.db"
    build_demo(str(db), teams=6, indicators=3, months=14, districts=2).dispose()
    frame = read_current_measurements(open_engine(str(db)))
    assert str(frame["team_id"].dtype) == "str" and str(frame["indicator_id"].dtype) == "str"
    for column in ("team_id", "indicator_id"):
        values = frame[column].to_numpy(dtype=object)
        assert len({id(v) for v in values}) == frame[column].nunique() < len(frame)


@pytest.mark.postgres
def test_the_current_values_are_the_stores_on_postgresql(pg_url: str) -> None:
    build_demo(pg_url, teams=6, indicators=3, months=14, districts=2).dispose()
    _check(pg_url)

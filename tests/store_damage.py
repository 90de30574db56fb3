"""Damage a store as only a hand outside the workbench could: for the tests of what the
workbench does with a value it cannot read (a report fails alone, naming the record; a median
leaves the row out)."""

from __future__ import annotations

from sqlalchemy import Engine

from workbench.store import open_engine
from workbench.store import schema as s

__all__ = ["break_numerator"]


def break_numerator(db: str | Engine, team: str, indicator: str, month: str,
                    text: str = "garbage") -> int:
    """Write `text` into the newest revision's numerator of this team-month (SQLite keeps a
    text in a number column); the revision id written."""
    engine = open_engine(db) if isinstance(db, str) else db
    mr = s.measurement_revisions
    with engine.begin() as conn:
        newest = conn.execute(
            mr.select().with_only_columns(mr.c.revision_id)
            .where(mr.c.team_id == team, mr.c.indicator_id == indicator, mr.c.period == month)
            .order_by(mr.c.revision_id.desc()).limit(1)).scalar_one()
        conn.exec_driver_sql("UPDATE measurement_revisions SET numerator = ? "
                             "WHERE revision_id = ?", (text, newest))
    if isinstance(db, str):
        engine.dispose()
    return int(newest)

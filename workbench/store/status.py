"""Counts of what a collaborative database holds (`workbench status`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, Table, distinct, func, select

from workbench.store import schema as s
from workbench.store.measurements import _latest_ids

__all__ = ["status_counts"]


def status_counts(engine: Engine) -> dict[str, Any]:
    """Teams, indicators, current measurements, revisions, PDSA cycles, visits, flags, months."""
    mr = s.measurement_revisions
    latest = _latest_ids(None)
    with engine.connect() as conn:
        def count(table: Table) -> int:
            return int(conn.execute(select(func.count()).select_from(table)).scalar() or 0)

        collab = conn.execute(select(s.collaborative.c.name)).scalar()
        periods = conn.execute(
            select(func.min(mr.c.period), func.max(mr.c.period), func.count(distinct(mr.c.period)))
        ).one()
        open_flags = conn.execute(
            select(func.count()).select_from(s.flags).where(s.flags.c.status == "open")
        ).scalar()
        return {
            "collaborative": collab,
            "teams": count(s.teams),
            "waves": count(s.waves),
            "indicators": count(s.indicators),
            "measurements": int(
                conn.execute(select(func.count()).select_from(latest)).scalar() or 0
            ),
            "measurement_revisions": count(mr),
            "months": int(periods[2] or 0),
            "first_period": periods[0],
            "last_period": periods[1],
            "change_ideas": count(s.change_ideas),
            "pdsa_cycles": count(s.pdsa_cycles),
            "coaching_visits": count(s.coaching_visits),
            "verification_recounts": count(s.verification_recounts),
            "assessments": count(s.assessments),
            "flags": count(s.flags),
            "open_flags": int(open_flags or 0),
        }

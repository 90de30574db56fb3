"""How far the data has moved: cheap versions of what the database holds.

Three questions other layers ask without reading the data itself:

- `data_version`: has anything the apps show changed since they loaded it? (one row of
  maxima; it changes with every write);
- `report_data_versions`: what does each team's data look like now, for the report
  fingerprints of `workbench.reports` (counts, latest ids, change times and versions: one
  grouped query per table), with the collaborative-wide rows every report depends on;
- `measurement_span`: the first and last month with measurements.

The queries live here so that no layer above `store/` touches the schema.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from workbench.store import schema as s
from workbench.store.measurements import _conn

__all__ = ["DataVersions", "data_version", "measurement_span", "report_data_versions"]


def data_version(bind: Engine | Connection) -> tuple[Any, ...]:
    """A cheap fingerprint of everything the apps show; it changes with every write
    (latest measurement revision, flag change, PDSA cycle change, coaching visit)."""
    with _conn(bind) as conn:
        return tuple(conn.execute(select(
            select(func.max(s.measurement_revisions.c.revision_id)).scalar_subquery(),
            select(func.max(s.flags.c.updated_at)).scalar_subquery(),
            select(func.max(s.pdsa_cycles.c.updated_at)).scalar_subquery(),
            select(func.max(s.coaching_visits.c.visit_id)).scalar_subquery(),
        )).one())


def measurement_span(bind: Engine | Connection) -> tuple[str | None, str | None]:
    """The first and last month (`YYYY-MM`) with a measurement; (None, None) when none."""
    mr = s.measurement_revisions
    with _conn(bind) as conn:
        first, last = conn.execute(select(func.min(mr.c.period), func.max(mr.c.period))).one()
    return first, last


@dataclass
class DataVersions:
    """What the data of a report looks like, up to a period.

    `per_team`: {team_id: {table: [count, latest id or time, …] as text}} for the team's
    measurements (up to the period), PDSA cycles, visits, recounts, assessments and flags;
    `teams`: {team_id: the team's row}; `measurements`: [count, latest revision id] of every
    team's measurements up to the period; `tables`: the collaborative, indicators, change
    ideas and waves, every row, in a stable order.
    """

    per_team: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    teams: dict[str, dict[str, Any]] = field(default_factory=dict)
    measurements: list[str] = field(default_factory=list)
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def _grouped_versions(conn: Connection, period: str) -> dict[str, dict[str, list[str]]]:
    """Per team and table: counts, latest ids, change times and version sums."""
    mr, pc, cv = s.measurement_revisions, s.pdsa_cycles, s.coaching_visits
    vr, asm, fl = s.verification_recounts, s.assessments, s.flags
    queries = {
        "measurements": select(mr.c.team_id, func.count(), func.max(mr.c.revision_id))
        .where(mr.c.period <= period).group_by(mr.c.team_id),
        "pdsa_cycles": select(pc.c.team_id, func.count(), func.max(pc.c.updated_at),
                              func.sum(pc.c.version)).group_by(pc.c.team_id),
        "visits": select(cv.c.team_id, func.count(), func.max(cv.c.visit_id),
                         func.max(cv.c.created_at)).group_by(cv.c.team_id),
        "recounts": select(vr.c.team_id, func.count(), func.max(vr.c.recount_id))
        .group_by(vr.c.team_id),
        "assessments": select(asm.c.team_id, func.count(), func.max(asm.c.assessment_id))
        .group_by(asm.c.team_id),
        "flags": select(fl.c.team_id, func.count(), func.max(fl.c.updated_at),
                        func.sum(fl.c.version)).group_by(fl.c.team_id),
    }
    per_team: dict[str, dict[str, list[str]]] = {}
    for table_name, query in queries.items():
        rows: Iterable[Any] = conn.execute(query)
        for team_id, *values in rows:
            per_team.setdefault(team_id, {})[table_name] = [str(v) for v in values]
    return per_team


def report_data_versions(bind: Engine | Connection, period: str) -> DataVersions:
    """The versions of every team's data up to `period`, and the collaborative-wide rows
    (see `DataVersions`). Cheap: one grouped query per table."""
    mr = s.measurement_revisions
    with _conn(bind) as conn:
        versions = DataVersions(per_team=_grouped_versions(conn, period))
        versions.teams = {row["team_id"]: dict(row)
                          for row in conn.execute(select(s.teams)).mappings()}
        versions.measurements = [str(v) for v in conn.execute(
            select(func.count(), func.max(mr.c.revision_id)).where(mr.c.period <= period)
        ).one()]
        ordered = {"collaborative": (s.collaborative, None),
                   "indicators": (s.indicators, s.indicators.c.indicator_id),
                   "change_ideas": (s.change_ideas, s.change_ideas.c.change_id),
                   "waves": (s.waves, s.waves.c.wave_id)}
        for name, (table, key) in ordered.items():
            query = select(table) if key is None else select(table).order_by(key)
            versions.tables[name] = [dict(r) for r in conn.execute(query).mappings()]
    return versions

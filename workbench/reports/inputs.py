"""What a report is made from, as a fingerprint: a report whose fingerprint is unchanged
since it was last written is skipped by `workbench.reports.run_reports`.

The inputs: the notebook file, the nbconvert template, the workbench library and its
version, the parameters, and the data the report reads — the team's rows in every table
(counts, latest ids, change times and versions: one grouped query per table), and the
collaborative-wide measurements up to the period, because a team report compares the team
with the collaborative.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select

from workbench import __version__
from workbench.paths import templates_dir

__all__ = ["report_fingerprints"]


def _sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@cache
def _code_fingerprint(notebook: Path) -> dict[str, str]:
    """Hashes of what turns data into the report: notebook, template, library, version."""
    template = hashlib.sha256()
    for path in sorted((templates_dir() / "workbench_report").rglob("*")):
        if path.is_file():
            template.update(path.name.encode() + path.read_bytes())
    library = hashlib.sha256()
    package = Path(__file__).resolve().parents[1]  # the whole workbench package
    for path in sorted(package.rglob("*.py")):
        library.update(path.relative_to(package).as_posix().encode() + path.read_bytes())
    return {"notebook": _sha256_file(notebook), "template": template.hexdigest()[:16],
            "library": library.hexdigest()[:16], "version": __version__}


def _data_inputs(engine: Engine, period: str) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """What each team's data looks like now (counts, latest ids and change times), and the
    collaborative-wide part every report depends on. Cheap: one grouped query per table."""
    from workbench.store import schema as s

    per_team: dict[str, dict[str, Any]] = {}

    def add(table_name: str, rows: Iterable[Any]) -> None:
        for team_id, *values in rows:
            per_team.setdefault(team_id, {})[table_name] = [str(v) for v in values]

    with engine.connect() as conn:
        mr, pc, cv = s.measurement_revisions, s.pdsa_cycles, s.coaching_visits
        vr, asm, fl = s.verification_recounts, s.assessments, s.flags
        add("measurements", conn.execute(
            select(mr.c.team_id, func.count(), func.max(mr.c.revision_id))
            .where(mr.c.period <= period).group_by(mr.c.team_id)))
        add("pdsa_cycles", conn.execute(
            select(pc.c.team_id, func.count(), func.max(pc.c.updated_at), func.sum(pc.c.version))
            .group_by(pc.c.team_id)))
        add("visits", conn.execute(
            select(cv.c.team_id, func.count(), func.max(cv.c.visit_id), func.max(cv.c.created_at))
            .group_by(cv.c.team_id)))
        add("recounts", conn.execute(
            select(vr.c.team_id, func.count(), func.max(vr.c.recount_id)).group_by(vr.c.team_id)))
        add("assessments", conn.execute(
            select(asm.c.team_id, func.count(), func.max(asm.c.assessment_id))
            .group_by(asm.c.team_id)))
        add("flags", conn.execute(
            select(fl.c.team_id, func.count(), func.max(fl.c.updated_at), func.sum(fl.c.version))
            .group_by(fl.c.team_id)))
        for row in conn.execute(select(s.teams)).mappings():
            per_team.setdefault(row["team_id"], {})["team"] = _digest(dict(row))
        shared = {
            "measurements": [str(v) for v in conn.execute(
                select(func.count(), func.max(mr.c.revision_id)).where(mr.c.period <= period)
            ).one()],
            "collaborative": _digest([dict(r) for r in conn.execute(
                select(s.collaborative)).mappings()]),
            "indicators": _digest([dict(r) for r in conn.execute(
                select(s.indicators).order_by(s.indicators.c.indicator_id)).mappings()]),
            "change_ideas": _digest([dict(r) for r in conn.execute(
                select(s.change_ideas).order_by(s.change_ideas.c.change_id)).mappings()]),
            "waves": _digest([dict(r) for r in conn.execute(
                select(s.waves).order_by(s.waves.c.wave_id)).mappings()]),
        }
    return per_team, shared


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def report_fingerprints(engine: Engine, period: str, notebook: Path,
                        jobs: Sequence[tuple[str | None, dict[str, Any]]]
                        ) -> list[tuple[str, dict[str, Any]]]:
    """(fingerprint, inputs) for each (team_id or None for all teams, parameters)."""
    per_team, shared = _data_inputs(engine, period)
    code = _code_fingerprint(notebook.resolve())
    out = []
    for team_id, parameters in jobs:
        data = per_team.get(team_id, {}) if team_id is not None else {"teams": _digest(per_team)}
        inputs = {"code": code, "parameters": parameters, "collaborative": shared, "team": data}
        out.append((_digest(inputs), inputs))
    return out

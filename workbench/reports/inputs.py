"""What a report is made from, as a fingerprint: a report whose fingerprint is unchanged
since it was last written is skipped by `workbench.reports.run_reports`.

The inputs: the notebook file, the nbconvert template, the workbench library and its
version, the parameters, and the data the report reads — the team's rows in every table
(counts, latest ids, change times and versions: one grouped query per table), and the
collaborative-wide measurements up to the period, because a team report compares the team
with the collaborative. The data's versions come from `workbench.store.versions`; this module
only hashes them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from workbench import __version__
from workbench.paths import templates_dir
from workbench.store.versions import report_data_versions

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
    """What each team's data looks like now (`workbench.store.versions`), and the
    collaborative-wide part every report depends on, digested."""
    versions = report_data_versions(engine, period)
    per_team: dict[str, dict[str, Any]] = {
        team_id: dict(tables) for team_id, tables in versions.per_team.items()}
    for team_id, row in versions.teams.items():
        per_team.setdefault(team_id, {})["team"] = _digest(row)
    shared: dict[str, Any] = {"measurements": versions.measurements}
    shared.update({name: _digest(rows) for name, rows in versions.tables.items()})
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

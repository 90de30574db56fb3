"""The monthly cycle of a collaborative, one command from the month's files to every report.

    result = run_cycle(engine, "2026-10", imports=["october.csv"], out_dir="reports")
    result.exit_code, [(s.name, s.status) for s in result.stages]

The stages run in order, each a named function, each recorded as a `StageResult` (status,
counts, wall and CPU seconds, a message) in the period folder's manifest (`"cycle"`) and shown
at the top of its `index.html`:

1. `import` — each file in one transaction (`workbench.ingest.importer.import_file`): a file
   with problems is refused whole, the stage fails, and the cycle goes on with the data
   already in the store;
2. `validate` — every data-quality rule (`workbench.validate.run.run_validation`);
3. `team_reports` — every team's monthly report (`run_reports`, team_report);
4. `site_visit_briefs` — the coach's brief of every team due a visit in the month after the
   period (`teams_due_a_visit`); a brief shows its team report's data and charts, kept by
   stage 3 for those teams and read back rather than computed again
   (`workbench.briefs.reuse`; removed after this stage);
5. `collaborative_summary` — the summary notebook, once.

A stage that fails is reported, and every later stage still runs (a bad import file does not
stop the reports of the data already there). Rerunning resumes: an import already made adds
nothing, validation is idempotent, and the reports whose inputs did not change are skipped
(their fingerprints are in the manifest). `CycleResult.exit_code`: 0 when every stage
succeeded, 1 when any failed, 130 when the cycle was interrupted (Ctrl-C), in which case the
reports not written are marked `interrupted` in the manifest and the next run does them.
"""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Engine

from workbench.errors import WorkbenchError
from workbench.i18n import gettext as _
from workbench.reports.batch import (
    BatchInterrupted,
    BatchResult,
    Format,
    default_visit_date,
    reuse_folder,
    run_reports,
)
from workbench.reports.engines import Executor
from workbench.reports.folder import read_manifest, write_index, write_manifest

__all__ = [
    "STAGES",
    "VISIT_INTERVAL_DAYS",
    "StageResult",
    "CycleResult",
    "run_cycle",
    "teams_due_a_visit",
]

STAGES = ("import", "validate", "team_reports", "site_visit_briefs", "collaborative_summary")
#: A team is due a visit when its last visit is at least this many days before the visit date.
VISIT_INTERVAL_DAYS = 28
StageStatus = Literal["ok", "failed", "interrupted", "not run"]


@dataclass
class StageResult:
    """What one stage of the cycle did."""

    name: str
    status: StageStatus
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    message: str = ""

    def manifest_entry(self) -> dict[str, Any]:
        entry = asdict(self)
        entry["seconds"] = round(self.seconds, 3)
        entry["cpu_seconds"] = round(self.cpu_seconds, 3)
        return entry


@dataclass
class CycleResult:
    """Every stage of one `run_cycle` call, in order."""

    period: str
    folder: Path
    stages: list[StageResult]
    index_path: Path
    seconds: float

    @property
    def interrupted(self) -> bool:
        return any(s.status == "interrupted" for s in self.stages)

    @property
    def exit_code(self) -> int:
        """130 when interrupted, 1 when any stage failed, else 0."""
        if self.interrupted:
            return 130
        return 1 if any(s.status == "failed" for s in self.stages) else 0

    def summary_table(self) -> str:
        rows = [("stage", "status", "wall s", "cpu s", "counts / message")]
        for s in self.stages:
            counts = ", ".join(f"{k} {v}" for k, v in s.counts.items())
            rows.append((s.name, s.status, f"{s.seconds:.1f}", f"{s.cpu_seconds:.1f}",
                         "; ".join(x for x in (counts, s.message) if x)))
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        return "\n".join(f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c:>{widths[2]}}  "
                         f"{d:>{widths[3]}}  {e}" for a, b, c, d, e in rows)


def teams_due_a_visit(engine: Engine, visit_date: str,
                      interval_days: int = VISIT_INTERVAL_DAYS) -> list[str]:
    """Team codes due a coaching visit on `visit_date` (YYYY-MM-DD): never visited, or last
    visited at least `interval_days` before it (visits after `visit_date` are not counted).
    A team graduated on or before `visit_date` is not due: its coaching has ended (it is
    followed by the sustainability monitoring of `learning.spread` instead)."""
    import pandas as pd

    from workbench.store import read_teams, read_visits

    roster = read_teams(engine)
    if "graduated_on" in roster.columns:
        graduated = roster["graduated_on"].notna() & (
            roster["graduated_on"].astype(str) <= visit_date)
        roster = roster[~graduated]
    teams = sorted(roster["team_id"].astype(str))
    visits = read_visits(engine)
    when = pd.Timestamp(visit_date)
    if len(visits):
        dates = pd.to_datetime(visits["visit_date"], errors="coerce")
        visits = visits.assign(when=dates)[dates <= when]
    last = visits.groupby("team_id")["when"].max() if len(visits) else pd.Series(dtype=object)
    return [t for t in teams
            if t not in last.index or (when - last[t]).days >= interval_days]


# -- stages ------------------------------------------------------------------------------------
class _Clock:
    """Wall and CPU time (this process and its finished children) of one stage."""

    def __init__(self) -> None:
        self.wall = time.perf_counter()
        self.cpu = _cpu_now()

    def stop(self, stage: StageResult) -> StageResult:
        stage.seconds = time.perf_counter() - self.wall
        stage.cpu_seconds = _cpu_now() - self.cpu
        return stage


def _cpu_now() -> float:
    import os

    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _import_stage(engine: Engine, files: Sequence[str | Path], progress: bool) -> StageResult:
    from tqdm import tqdm

    from workbench.ingest.importer import import_file

    counts = {"files": len(files), "failed files": 0, "new": 0, "revised": 0, "unchanged": 0}
    problems: list[str] = []
    for path in tqdm(list(files), desc="import", unit="file", file=sys.stderr,
                     disable=not progress or not files):
        try:
            result = import_file(engine, path)
        except WorkbenchError as exc:
            counts["failed files"] += 1
            problems.append(str(exc))
            continue
        for key in ("new", "revised", "unchanged"):
            counts[key] += int(getattr(result, key))
    if problems:
        return StageResult("import", "failed", counts=counts, message=" ".join(problems))
    message = "" if files else "no file given"
    return StageResult("import", "ok", counts=counts, message=message)


def _validate_stage(engine: Engine, period: str, progress: bool) -> StageResult:
    from tqdm import tqdm

    from workbench.validate.run import run_validation

    with tqdm(total=1, desc="validate", unit="run", file=sys.stderr, disable=not progress) as bar:
        summary = run_validation(engine, period)
        bar.update(1)
    counts = {k: int(summary[k]) for k in ("new", "reopened", "cleared", "open")}
    return StageResult("validate", "ok", counts={f"{k} flags": v for k, v in counts.items()})


def _report_stage(name: str, batch: BatchResult) -> StageResult:
    counts = {s: len(batch.with_status(s)) for s in ("ok", "skipped", "failed")}
    counts = {"written" if k == "ok" else k: v for k, v in counts.items()}
    failed = [r.team_id or "collaborative" for r in batch.failed]
    message = f"failed: {', '.join(failed[:20])}{' …' if len(failed) > 20 else ''}" \
        if failed else ""
    return StageResult(name, "failed" if failed else "ok", counts=counts, message=message)


# -- orchestration -----------------------------------------------------------------------------
def run_cycle(db: str | Engine, period: str, *, imports: Sequence[str | Path] = (),
              out_dir: str | Path = "reports", workers: int = 1,
              executor: Executor | None = None, fmt: Format = "html",
              self_contained: bool = False, force: bool = False, progress: bool = True,
              timeout: float | None = 600, lang: str | None = None) -> CycleResult:
    """Import, validate and write every report of `period` into `out_dir/<period>/` (see the
    module docstring). Never raises for a failing stage; `KeyboardInterrupt` ends the cycle
    with the stages not run marked `not run` (and `exit_code` 130). `lang`: the reports'
    language (`run_reports`)."""
    from workbench.store.engine import as_engine

    started = time.perf_counter()
    engine = as_engine(db)
    folder = Path(out_dir) / period
    folder.mkdir(parents=True, exist_ok=True)
    stages: list[StageResult] = []
    report_options: dict[str, Any] = dict(
        out_dir=out_dir, workers=workers, fmt=fmt, force=force, progress=progress,
        timeout=timeout, executor=executor, self_contained=self_contained, lang=lang)
    visit_date = default_visit_date(period)

    due: list[str] = []

    def reports(name: str, teams: Callable[[], list[str] | None]) -> StageResult:
        chosen = teams()
        if chosen is not None and not chosen:
            return StageResult(name, "ok", counts={"written": 0},
                               message=_("no team due a visit on {date}").format(
                                   date=visit_date))
        # the team reports of the teams due a visit are kept for their briefs
        batch = run_reports(engine, period, name, teams=chosen, visit_date=visit_date,
                            keep_for=due if name == "team_report" else (), **report_options)
        return _report_stage(name, batch)

    def due_teams() -> list[str]:
        due[:] = teams_due_a_visit(engine, visit_date)
        return due

    def team_reports() -> StageResult:
        try:
            due_teams()  # first: their reports are kept for the briefs
        except Exception:  # noqa: BLE001 - the briefs' stage says what is wrong
            due.clear()
        return reports("team_report", lambda: None)

    def briefs() -> StageResult:
        try:
            return reports("site_visit_brief", due_teams)
        finally:
            shutil.rmtree(reuse_folder(folder), ignore_errors=True)

    steps: list[tuple[str, Callable[[], StageResult]]] = [
        ("import", lambda: _import_stage(engine, imports, progress)),
        ("validate", lambda: _validate_stage(engine, period, progress)),
        ("team_reports", team_reports),
        ("site_visit_briefs", briefs),
        ("collaborative_summary", lambda: reports("collaborative_summary", lambda: None)),
    ]
    try:
        for name, step in steps:
            clock = _Clock()
            try:
                stage = step()
            except BatchInterrupted as exc:
                stages.append(clock.stop(StageResult(name, "interrupted", message=str(exc))))
                raise KeyboardInterrupt from exc
            except WorkbenchError as exc:
                stage = StageResult(name, "failed", message=str(exc))
            except Exception as exc:  # noqa: BLE001 - a crashed stage must not stop the rest
                stage = StageResult(name, "failed", message=f"{type(exc).__name__}: {exc}")
            stage.name = name
            stages.append(clock.stop(stage))
            _record(folder, period, stages)
    except KeyboardInterrupt:
        if not stages or stages[-1].status != "interrupted":
            stages.append(StageResult(steps[len(stages)][0], "interrupted"))
        done = {s.name for s in stages}
        stages.extend(StageResult(name, "not run") for name, _ in steps if name not in done)
    index = _record(folder, period, stages)
    return CycleResult(period=period, folder=folder, stages=stages, index_path=index,
                       seconds=time.perf_counter() - started)


def _record(folder: Path, period: str, stages: list[StageResult]) -> Path:
    """Write the stages into the manifest and the index page (after every stage)."""
    manifest = read_manifest(folder)
    manifest["period"] = period
    manifest["cycle"] = {"updated_at": datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"),
                         "stages": [s.manifest_entry() for s in stages]}
    write_manifest(folder, manifest)
    return write_index(folder, manifest)

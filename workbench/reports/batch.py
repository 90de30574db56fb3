"""Batch reports: one parameterised notebook run per team, into HTML, fast and fault-tolerant.

    result = run_reports("workbench.db", "2026-10", workers=2)
    result.exit_code, result.index_path, [r.status for r in result.results]

- **Engine.** `engine="pool"` (default): each worker keeps one kernel
  (`workbench.reports.kernel_pool.KernelSession`) and runs report after report in it, reset between
  teams and restarted after any failure; papermill's parameter injection and error banner are
  kept. `engine="papermill"`: plain `papermill.execute_notebook`, a fresh kernel per report
  (slower; for comparison and as a fallback). Workers are threads of this process: the
  notebooks run in the kernels (separate processes, so two workers use two cores), and the
  thread only drives its kernel and writes the HTML. Spawned worker processes would each
  import nbconvert, papermill and bokeh again (about 2.5 s of CPU each, measured on the
  2-core machine this was built on), which made 2 workers 1.36-1.6x faster than 1. The
  kernels start (and import pandas and bokeh) while the batch computes its collaborative
  figures, not after (`_WorkerThreads`).
- **Fault tolerance.** A failing team never stops the batch: its result says where the notebook
  stopped (`CellError`), its executed notebook is kept (`.ipynb`, papermill banner at the top)
  and its HTML says it is incomplete; `BatchResult.exit_code` is 1.
- **Interrupted.** Ctrl-C (or a stop of the caller) ends the batch at once: the reports not
  finished are written to the manifest as `interrupted` (never half a file: every file is
  written to a temporary name and renamed), listed in the index as not run, and
  `run_reports` raises `BatchInterrupted` (a `KeyboardInterrupt`; the CLI exits 130). The
  next run does them.
- **BokehJS once per folder.** By default a report references `bokeh-<version>.min.js`
  beside it (written once per folder; still fully offline); `self_contained=True` embeds
  BokehJS in every page instead (one file to e-mail, about 1.4 MB a report).
- **Collaborative figures once per batch.** The figures every report shows about the whole
  collaborative (the medians of each indicator and month) are computed once by the batch and
  kept beside the manifest (`.collaborative-<data version>.pkl`); each run is told the file
  (`WORKBENCH_COLLABORATIVE_CACHE`), so a report reads only its team's rows and its cost does
  not grow with the number of teams (`workbench.briefs.team_report.collaborative_medians`).
- **Engines.** `executor=None` runs the workers above in this process; a
  `workbench.reports.dask_engine.DaskExecutor` sends the same jobs to Dask workers, each with
  its own warm kernel, and returns the same results (files are written here).
- **Resume.** Each report has a fingerprint of its inputs: the notebook file, the template,
  the workbench library, the parameters, and the data the report reads (the team's rows in
  every table, and the collaborative-wide measurements up to the period, because a team report
  compares with the collaborative). A report whose fingerprint is in the manifest as `ok`, with
  its files present, is skipped; `force=True` redoes it. The manifest is written after the
  first report, then after every report (at most every `MANIFEST_EVERY` seconds past
  `MANIFEST_SMALL` reports) and at the end, so a batch killed half-way resumes where it
  stopped.
"""

from __future__ import annotations

import logging
import os
import queue
import re
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any, Literal, cast

import nbformat
from sqlalchemy import Engine

from workbench import __version__
from workbench.errors import NotFoundError, WorkbenchError
from workbench.i18n import N_, use_language
from workbench.i18n import gettext as _
from workbench.ingest.collaborative import collaborative_language
from workbench.paths import notebooks_dir
from workbench.reports.engines import Executor
from workbench.reports.folder import (
    read_manifest,
    safe_name,
    write_index,
    write_manifest,
)
from workbench.reports.inputs import report_fingerprints
from workbench.reports.kernel_pool import (
    CellError,
    KernelSession,
    NotebookRun,
    kernel_manager_class,
    load_notebook,
)
from workbench.store.engine import as_engine, engine_url, masked_url, password_env
from workbench.store.versions import measurement_span

__all__ = [
    "NOTEBOOKS",
    "BatchInterrupted",
    "ReportResult",
    "BatchResult",
    "run_reports",
    "resolve_notebook",
    "report_fingerprints",
    "collaborative_context",
    "default_visit_date",
    "default_workers",
    "demo_reports",
]

NOTEBOOKS: dict[str, str] = {
    "team_report": N_("Monthly coaching report"),
    "site_visit_brief": N_("Site visit brief"),
    "collaborative_summary": N_("Collaborative summary"),
    "synthesis": N_("Synthesis meeting pack"),
}
#: The template embeds BokehJS once, so notebooks must not (see `workbench.charts`).
KERNEL_ENV = {"WORKBENCH_BOKEHJS": "template"}
Status = Literal["ok", "failed", "skipped", "interrupted"]
#: Seconds between two writes of the manifest and index during a large batch (and after the
#: first and the last report): rewriting them after every report costs O(reports) each time,
#: so O(reports²) a batch (minutes at 2,000 teams). A large batch killed with SIGKILL redoes at
#: most this many seconds of reports; Ctrl-C records every finished report. A folder of up
#: to MANIFEST_SMALL reports of the notebook is written after every report. The interval
#: grows to MANIFEST_COST_RATIO times what the last write cost in CPU (a 2,000-report
#: manifest and index: ~0.1 s), so that writing them never takes more than a few per cent of
#: the driver's CPU, whatever the size of the collaborative.
MANIFEST_EVERY = 2.0
MANIFEST_COST_RATIO = 30
MANIFEST_SMALL = 200
#: The kernel's environment variable naming the batch's collaborative figures.
CACHE_ENV = "WORKBENCH_COLLABORATIVE_CACHE"
#: A run's variables naming the file its team report is kept in / read from
#: (`workbench.briefs.reuse.KEEP_ENV`, `REUSE_ENV`; a test checks they agree)
KEEP_ENV = "WORKBENCH_REPORT_KEEP"
REUSE_ENV = "WORKBENCH_REPORT_REUSE"


class BatchInterrupted(KeyboardInterrupt):
    """A batch stopped by Ctrl-C; the manifest marks the reports not run `interrupted`."""

    def __init__(self, message: str, result: BatchResult) -> None:
        super().__init__(message)
        self.result = result
Format = Literal["html", "ipynb", "both"]
EngineName = Literal["pool", "papermill"]


@dataclass
class ReportResult:
    """What happened to one report. `paths` are relative to the period folder."""

    team_id: str | None
    status: Status
    seconds: float
    paths: dict[str, str] = field(default_factory=dict)
    error: CellError | None = None
    key: str = ""
    team_name: str | None = None
    fingerprint: str = ""
    inputs: dict[str, Any] = field(default_factory=dict)
    #: the process that ran the notebook: the worker's kernel (pool), else this process
    kernel_pid: int | None = None
    #: CPU seconds this report cost: its kernel's (pool engine) and the worker thread's that
    #: drove the kernel and rendered the HTML (`report_cpu`); None when not measured
    cpu_seconds: float | None = None

    @property
    def error_summary(self) -> str:
        return self.error.summary if self.error else ""

    def manifest_entry(self) -> dict[str, Any]:
        error = None
        if self.error is not None:
            error = {**asdict(self.error), "summary": self.error.summary}
        return {"team_id": self.team_id, "team_name": self.team_name, "status": self.status,
                "seconds": round(self.seconds, 3),
                "cpu_seconds": None if self.cpu_seconds is None else round(self.cpu_seconds, 3),
                "paths": self.paths, "error": error,
                "fingerprint": self.fingerprint, "inputs": self.inputs,
                "finished_at": datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")}


@dataclass
class BatchResult:
    """All results of one `run_reports` call, in team order."""

    notebook: str
    period: str
    folder: Path
    results: list[ReportResult]
    index_path: Path
    manifest_path: Path
    seconds: float

    def with_status(self, status: Status) -> list[ReportResult]:
        return [r for r in self.results if r.status == status]

    @property
    def failed(self) -> list[ReportResult]:
        return self.with_status("failed")

    @property
    def interrupted(self) -> list[ReportResult]:
        return self.with_status("interrupted")

    @property
    def exit_code(self) -> int:
        """130 when interrupted, 1 when any report failed, else 0."""
        if self.interrupted:
            return 130
        return 1 if self.failed else 0

    def summary_table(self) -> str:
        """A plain-text table: team, status, seconds, file or error."""
        rows = [("team", "status", "seconds", "report / error")]
        for r in self.results:
            detail = r.error_summary if r.error else r.paths.get("html") or r.paths.get("ipynb", "")
            rows.append((r.team_id or "collaborative", r.status, f"{r.seconds:.2f}", detail))
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        return "\n".join(
            f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c:>{widths[2]}}  {d}" for a, b, c, d in rows)


# -- inputs ------------------------------------------------------------------------------------
def resolve_notebook(notebook: str | Path) -> tuple[Path, str]:
    """A shipped notebook name (`team_report`, …) or a path → (path, report name)."""
    text = str(notebook)
    if text in NOTEBOOKS:
        return notebooks_dir() / f"{text}.ipynb", text
    path = Path(text)
    if path.suffix == ".ipynb" and path.is_file():
        return path.resolve(), path.stem
    names = ", ".join(NOTEBOOKS)
    raise NotFoundError(N_("Unknown notebook {text!r}: use one of {names}, or the path of an "
                           ".ipynb file."),
                        params={"text": text, "names": names}, notebook=text)


def default_visit_date(period: str) -> str:
    """The first day of the month after `period` (`2026-10` → `2026-11-01`)."""
    first = datetime.strptime(period, "%Y-%m").date().replace(day=1)
    return (first + timedelta(days=32)).replace(day=1).isoformat()


def default_workers() -> int:
    """Workers for a batch when none are asked for: one per CPU this process may use, at
    most 4 (each worker is a kernel of about 140 MB, busy with one report at a time)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, 4))


# -- jobs --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _BatchSpec:
    notebook_path: str
    name: str
    title: str
    period: str
    folder: str
    fmt: Format
    engine: EngineName
    timeout: float | None
    self_contained: bool = False
    env: tuple[tuple[str, str], ...] = ()
    language: str = "en"


@dataclass(frozen=True)
class _Job:
    key: str
    team_id: str | None
    team_name: str | None
    stem: str
    parameters: dict[str, Any]
    fingerprint: str
    inputs: dict[str, Any]
    #: environment variables for this report's run only (`workbench.briefs.reuse`)
    env: tuple[tuple[str, str], ...] = ()


_ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*(?::[^=]*)?=", re.MULTILINE)


def _notebook_parameters(path: Path) -> set[str]:
    """Names assigned in the `parameters` cell: papermill's `inspect_notebook`, plus every
    plain `name = …` / `name: type = …` line papermill could not parse."""
    import logging

    import papermill

    papermill_log = logging.getLogger("papermill")
    level = papermill_log.level
    papermill_log.setLevel(logging.ERROR)
    try:
        names = set(papermill.inspect_notebook(str(path)))
    finally:
        papermill_log.setLevel(level)
    for cell in load_notebook(path).cells:
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            names.update(_ASSIGNMENT.findall(cell.source))
            break
    return names


def _stem(name: str, team_id: str | None) -> str:
    if team_id is None:
        return safe_name(name).replace("_", "-")
    if name == "team_report":
        return safe_name(team_id)
    return f"{safe_name(team_id)}-{safe_name(name).replace('_', '-')}"


def _expected_files(stem: str, fmt: Format) -> dict[str, str]:
    kinds = {"html": ["html"], "ipynb": ["ipynb"], "both": ["html", "ipynb"]}[fmt]
    return {kind: f"{stem}.{kind}" for kind in kinds}


# -- worker side -------------------------------------------------------------------------------
_LOCAL = threading.local()  # each worker thread's KernelSession
_ALL_SESSIONS: list[KernelSession] = []  # every thread's, for `stop_worker_sessions`


def _worker_session(cwd: str) -> KernelSession:
    """This thread's kernel, started on first use."""
    session: KernelSession | None = getattr(_LOCAL, "session", None)
    if session is None:
        session = KernelSession(cwd=cwd, env=KERNEL_ENV)
        _LOCAL.session = session
        _ALL_SESSIONS.append(session)
        session.start()
    return session


def stop_worker_sessions() -> None:
    """Stop every worker thread's kernel of this process (a Dask worker closing)."""
    while _ALL_SESSIONS:
        _ALL_SESSIONS.pop().abort()


def _current_session() -> KernelSession | None:
    return getattr(_LOCAL, "session", None)


def _shutdown_worker_session() -> None:
    session = _current_session()
    if session is not None:
        session.shutdown()
        _LOCAL.session = None
        if session in _ALL_SESSIONS:
            _ALL_SESSIONS.remove(session)


@cache
def _cached_notebook(path: str) -> nbformat.NotebookNode:
    return load_notebook(path)


def _execute_papermill(spec: _BatchSpec, job: _Job, folder: Path) -> NotebookRun:
    """A fresh kernel per report through `papermill.execute_notebook` (the fallback engine)."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    started = time.perf_counter()
    # the fresh kernel inherits them: set for the whole batch by `_execute` (a worker
    # process of Dask sets them here, for its own kernels)
    os.environ.update(dict(spec.env))
    fd, tmp = tempfile.mkstemp(prefix=f".{job.stem}.", suffix=".ipynb", dir=folder)
    os.close(fd)
    try:
        try:
            nb = papermill.execute_notebook(
                spec.notebook_path, tmp, parameters=job.parameters, progress_bar=False,
                request_save_on_cell_execute=False, cwd=str(Path(spec.notebook_path).parent),
                execution_timeout=spec.timeout, kernel_manager_class=kernel_manager_class())
            error = None
        except PapermillExecutionError as exc:
            # nbformat annotates none of its functions
            nb = cast("Callable[..., nbformat.NotebookNode]", nbformat.read)(tmp, as_version=4)
            error = CellError.from_papermill(exc)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return NotebookRun(nb=nb, error=error, seconds=time.perf_counter() - started)


@dataclass
class RenderedReport:
    """One report run and rendered, its files not yet written (`write_rendered`): a Dask
    worker on another host returns this to the batch, which writes the files."""

    result: ReportResult
    files: dict[str, str] = field(default_factory=dict)
    #: files shared by the reports of a folder that this one references (BokehJS, CSS)
    shared: tuple[str, ...] = ()


def write_rendered(folder: Path, rendered: RenderedReport, self_contained: bool) -> ReportResult:
    """Write a rendered report's files (and the BokehJS they reference, once per folder)."""
    from workbench.reports.folder import atomic_write_text
    from workbench.reports.html_export import write_shared_files

    if rendered.shared and not self_contained:
        write_shared_files(folder, rendered.shared)
    for name, text in rendered.files.items():
        atomic_write_text(folder / name, text)
    return rendered.result


def render_job(spec: _BatchSpec, job: _Job) -> RenderedReport:
    """Run one report in this thread's kernel (or a fresh one, papermill engine) and render
    its files; never raises for a failing report."""
    from workbench.reports.html_export import ReportCover, notebook_to_html

    started = time.perf_counter()
    cpu = _ReportCpu(_current_session() if spec.engine == "pool" else None)
    folder = Path(spec.folder)
    cwd = str(Path(spec.notebook_path).parent)
    files: dict[str, str] = {}
    shared: tuple[str, ...] = ()
    env = {**dict(spec.env), **dict(job.env)}
    try:
        if spec.engine == "papermill":
            run = _execute_papermill(spec, job, folder)
        else:
            run = _worker_session(cwd).execute(
                _cached_notebook(spec.notebook_path), job.parameters,
                input_path=spec.notebook_path, cwd=cwd, timeout=spec.timeout, env=env)
        paths = _expected_files(job.stem, spec.fmt)
        if run.error is not None:  # the failed notebook is always kept, banner and all
            paths["ipynb"] = f"{job.stem}.ipynb"
        if "html" in paths:
            cover = ReportCover(title=spec.title, period=spec.period, generated=datetime.utcnow(),
                                version=__version__, team_id=job.team_id,
                                team_name=job.team_name, error=run.error,
                                language=spec.language)
            files[paths["html"]], shared = notebook_to_html(
                run.nb, cover, self_contained=spec.self_contained)
        if "ipynb" in paths:
            writes = cast("Callable[..., str]", nbformat.writes)  # nbformat is unannotated
            files[paths["ipynb"]] = writes(run.nb)
        error = run.error
        status: Status = "ok" if error is None else "failed"
    except Exception as exc:  # noqa: BLE001 - one report's crash must not stop the batch
        paths = {}
        files = {}
        status = "failed"
        error = CellError(cell_index=-1, execution_count=None, source="",
                          ename=type(exc).__name__,
                          evalue=f"{exc}\n{traceback.format_exc()}".strip())
        session = _current_session()
        if session is not None:
            session.restart()
    session = _current_session()
    kernel_pid = session.kernel_pid if session is not None and spec.engine == "pool" else None
    result = ReportResult(team_id=job.team_id, status=status,
                          seconds=time.perf_counter() - started, paths=paths, error=error,
                          key=job.key, team_name=job.team_name, fingerprint=job.fingerprint,
                          inputs=job.inputs, kernel_pid=kernel_pid or os.getpid(),
                          cpu_seconds=cpu.seconds())
    return RenderedReport(result=result, files=files, shared=shared)


class _ReportCpu:
    """CPU seconds of one report: the worker thread's (`time.thread_time`: driving the
    kernel, rendering the HTML) plus, with the pool engine, the kernel process's (psutil)
    over the same span. The batch's own work before and after (fingerprints, the
    collaborative figures, the manifest) is not in it: this is what grows with the number of
    reports, and what must not grow with the size of the collaborative."""

    def __init__(self, session: KernelSession | None) -> None:
        self.thread = time.thread_time()
        self.pid = session.kernel_pid if session is not None else None
        self.kernel = self._kernel_cpu()

    def _kernel_cpu(self) -> float | None:
        if self.pid is None:
            return None
        try:
            import psutil  # installed with ipykernel

            times = psutil.Process(self.pid).cpu_times()
        except Exception:  # noqa: BLE001 - not measured (no psutil, kernel gone)
            return None
        return float(times.user + times.system)

    def seconds(self) -> float | None:
        thread = time.thread_time() - self.thread
        if self.pid is None:
            return thread
        kernel = self._kernel_cpu()
        if kernel is None or self.kernel is None:
            return None  # the kernel restarted or died: not one process to measure
        return thread + kernel - self.kernel


# -- orchestration -----------------------------------------------------------------------------
def _check_period(engine: Engine, period: str) -> None:
    from workbench.model import is_period, period_problem

    if not is_period(period):
        raise WorkbenchError(f"{period_problem(period)}.", period=period)
    first, last = measurement_span(engine)
    if first is None or last is None:
        raise NotFoundError(N_("The database holds no measurements yet: import monthly data "
                               "first (workbench import)."),
                            period=period)
    if not first <= period <= last:
        raise NotFoundError(N_("No data for {period}: the database holds {first} to {last}; pick "
                               "a month in that range."),
                            params={"period": period, "first": first, "last": last}, period=period)


def _select_teams(engine: Engine, teams: Sequence[str] | None) -> list[tuple[str, str]]:
    from workbench.store import read_teams

    frame = read_teams(engine)
    known = dict(zip(frame["team_id"].astype(str), frame["name"].astype(str), strict=True))
    if teams is None:
        return sorted(known.items())
    wanted = [t.strip() for t in teams if t and t.strip()]
    unknown = [t for t in wanted if t not in known]
    if unknown:
        listed = ", ".join(sorted(known)[:12]) + (", …" if len(known) > 12 else "")
        raise NotFoundError(N_("Unknown team code(s): {unknown}. Known codes: {listed}."),
                            params={"unknown": ', '.join(unknown), "listed": listed},
                            team_ids=unknown)
    return [(t, known[t]) for t in dict.fromkeys(wanted)]


def run_reports(db: str | Engine, period: str, notebook: str | Path = "team_report",
                teams: Sequence[str] | None = None, out_dir: str | Path = "reports",
                workers: int = 1, fmt: Format = "html", force: bool = False,
                progress: bool = True, *, engine: EngineName = "pool",
                timeout: float | None = 600, visit_date: str | None = None,
                lang: str | None = None, executor: Executor | None = None,
                self_contained: bool = False,
                keep_for: Collection[str] = ()) -> BatchResult:
    """Run `notebook` for every team (or once, when it takes no `team_id`) into
    `out_dir/<period>/`; see the module docstring. Never raises for a failing report;
    raises `BatchInterrupted` on Ctrl-C, after recording what was not run.

    `db`: the open Engine (a command opens the database once), or a path/URL to open.
    `lang`: the reports' language (None: `$WORKBENCH_LANG`, then the collaborative's
    default, then English; `workbench.i18n`), passed to notebooks that take a `lang`.
    `executor`: where the reports run (None: `workers` kernels of this machine).
    `keep_for`: teams whose team report is kept for their site-visit brief of the same
    cycle (`workbench.briefs.reuse`; `workbench.reports.cycle` names the teams due a
    visit). A site-visit brief batch reads what was kept for it, whatever this says."""
    started = time.perf_counter()
    _check_options(fmt, engine, workers)
    sql = as_engine(db)
    if executor is not None:
        executor.check_database(sql)
    language = collaborative_language(sql, lang)
    with use_language(language):
        return _run_batch(sql, period, notebook, teams, out_dir, workers, fmt, force, progress,
                          engine, timeout, visit_date, language, started, executor,
                          self_contained, frozenset(keep_for))


def _run_batch(sql: Engine, period: str, notebook: str | Path, teams: Sequence[str] | None,
               out_dir: str | Path, workers: int, fmt: Format, force: bool, progress: bool,
               engine: EngineName, timeout: float | None, visit_date: str | None,
               language: str, started: float, executor: Executor | None,
               self_contained: bool, keep_for: frozenset[str] = frozenset()) -> BatchResult:
    _check_period(sql, period)
    notebook_path, name = resolve_notebook(notebook)
    jobs = _plan_jobs(sql, period, notebook_path, name, teams, visit_date, language)
    folder = Path(out_dir) / period
    folder.mkdir(parents=True, exist_ok=True)
    manifest = read_manifest(folder)
    manifest.update(period=period, db=masked_url(sql))
    entries: dict[str, Any] = manifest["reports"].setdefault(name, {})
    results, todo = _skip_current(jobs, entries, folder, fmt, force)
    # papermill's fresh kernels share this process's environment; workers on other hosts
    # do not see this folder
    if engine == "pool" and (executor is None or getattr(executor, "shares_folder",
                                                         lambda: False)()):
        todo = _with_reuse(todo, name, folder, period, language, keep_for)
    reused = {job.key: Path(dict(job.env)[REUSE_ENV]) for job in todo
              if REUSE_ENV in dict(job.env)}  # files read by the briefs, removed after
    bar = _progress(len(jobs), len(jobs) - len(todo), name, period, progress)
    # the kernels start while the batch is prepared (`_WorkerThreads`)
    pool = (_WorkerThreads.start(str(notebook_path.parent), min(workers, len(todo)))
            if todo and executor is None and engine == "pool" else None)
    outcome = "finished"
    try:
        env = collaborative_context(sql, folder) if todo and "team_id" in (
            jobs[0].parameters if jobs else {}) else {}
        env.update(password_env(sql))
        spec = _BatchSpec(notebook_path=str(notebook_path), name=name,
                          title=_(NOTEBOOKS[name]) if name in NOTEBOOKS
                          else name.replace("_", " ").capitalize(),
                          period=period, folder=str(folder), fmt=fmt, engine=engine,
                          timeout=timeout, self_contained=self_contained,
                          env=tuple(sorted(env.items())), language=language)
        index_path = write_index(folder, manifest)
        manifest_path = write_manifest(folder, manifest)
        results_in = (_execute(spec, todo, workers, pool) if executor is None
                      else executor.run(spec, todo))
        written = 0.0  # when the manifest was last written (see MANIFEST_EVERY)
        every = MANIFEST_EVERY
        for n, result in enumerate(results_in, start=1):
            results[result.key] = result
            entries[result.key] = result.manifest_entry()
            if result.key in reused:  # read once: the brief is written
                reused.pop(result.key).unlink(missing_ok=True)
            if (n == len(todo) or len(entries) <= MANIFEST_SMALL
                    or time.monotonic() - written >= every):
                cost = time.thread_time()
                manifest_path = write_manifest(folder, manifest)
                index_path = write_index(folder, manifest)
                every = max(MANIFEST_EVERY, MANIFEST_COST_RATIO * (time.thread_time() - cost))
                written = time.monotonic()
            bar.update(1)
            if result.status == "failed":
                bar.set_postfix(failed=sum(r.status == "failed" for r in results.values()))
    except KeyboardInterrupt:
        outcome = "interrupted"
        for job in todo:
            if job.key not in results:
                results[job.key] = _interrupted(job)
                entries[job.key] = results[job.key].manifest_entry()
        manifest_path = write_manifest(folder, manifest)
        index_path = write_index(folder, manifest)
    finally:
        bar.close()
        if pool is not None:  # stopped before its results were read: its kernels with it
            pool.close(finished=False)
    batch = BatchResult(notebook=name, period=period, folder=folder,
                        results=[results[job.key] for job in jobs if job.key in results],
                        index_path=index_path, manifest_path=manifest_path,
                        seconds=time.perf_counter() - started)
    if outcome == "interrupted":
        raise BatchInterrupted(
            _("interrupted: {count} {name} report(s) not run; run the same command again to do "
              "them").format(count=len(batch.interrupted), name=name), batch)
    return batch


def _interrupted(job: _Job) -> ReportResult:
    return ReportResult(team_id=job.team_id, status="interrupted", seconds=0.0, key=job.key,
                        team_name=job.team_name, fingerprint="", inputs=job.inputs)


def collaborative_context(sql: Engine, folder: Path) -> dict[str, str]:
    """Compute the collaborative figures once for a batch writing into `folder` (see the
    module docstring); returns the environment that names their file to each report (the
    kernels', or this process's for reports made in process, as the benchmarks do)."""
    import hashlib
    import pickle

    from workbench.briefs.team_report import collaborative_figures
    from workbench.store.reads import measurements_state

    state = measurements_state(sql)
    digest = hashlib.sha256(repr((engine_url(sql), state)).encode()).hexdigest()[:16]
    path = folder / f".collaborative-{digest}.pkl"
    if not path.is_file():
        for old in folder.glob(".collaborative-*.pkl"):
            old.unlink(missing_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".collaborative-", suffix=".tmp", dir=folder)
        with os.fdopen(fd, "wb") as handle:
            pickle.dump(collaborative_figures(sql), handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    return {CACHE_ENV: str(path.resolve())}


def reuse_folder(folder: Path) -> Path:
    """Where a batch keeps team reports for the site-visit briefs of the same cycle
    (`workbench.briefs.reuse`); the cycle removes it after the briefs."""
    return folder / ".reuse"


def _reuse_file(folder: Path, job: _Job, period: str, language: str) -> Path:
    """The kept team report of `job`'s team: its name holds a digest of what the team
    report shows (the team's data, the collaborative's, the library, the month, the
    language), the same for the team report and for the brief when nothing changed."""
    import hashlib
    import json

    code = job.inputs.get("code", {})
    key = {"team_id": job.team_id, "period": period, "language": language,
           "team": job.inputs.get("team"), "collaborative": job.inputs.get("collaborative"),
           **{k: code.get(k) for k in ("library", "template", "version")}}
    digest = hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()
    return reuse_folder(folder) / f"{job.stem}-{digest[:16]}.pkl"


def _with_reuse(jobs: list[_Job], name: str, folder: Path, period: str, language: str,
                keep_for: frozenset[str]) -> list[_Job]:
    """The jobs, each told the file to keep its team report in (a team report of a team in
    `keep_for`) or to read it from (a site-visit brief whose team report was kept)."""
    from dataclasses import replace

    if name not in ("team_report", "site_visit_brief"):
        return jobs
    out = []
    for job in jobs:
        if job.team_id is not None:
            path = _reuse_file(folder, replace(job, stem=safe_name(job.team_id)), period,
                               language)
            if name == "team_report" and job.team_id in keep_for:
                job = replace(job, env=((KEEP_ENV, str(path.resolve())),))
            elif name == "site_visit_brief" and path.is_file():
                job = replace(job, env=((REUSE_ENV, str(path.resolve())),))
        out.append(job)
    return out


def _check_options(fmt: str, engine: str, workers: int) -> None:
    if fmt not in ("html", "ipynb", "both"):
        raise WorkbenchError(N_("Unknown format {fmt!r}: use html, ipynb or both."),
                             params={"fmt": fmt})
    if engine not in ("pool", "papermill"):
        raise WorkbenchError(N_("Unknown engine {engine!r}: use pool or papermill."),
                             params={"engine": engine})
    if workers < 1:
        raise WorkbenchError(N_("--workers must be at least 1, not {workers}."),
                             params={"workers": workers})


def _plan_jobs(sql: Engine, period: str, notebook_path: Path, name: str,
               teams: Sequence[str] | None, visit_date: str | None,
               language: str = "en") -> list[_Job]:
    """One job per selected team (or one for the whole collaborative), with the parameters
    the notebook declares and the fingerprint of its inputs."""
    declared = _notebook_parameters(notebook_path)
    # the kernels open the same database; the URL a notebook keeps shows its password masked
    # (the kernels get it from the environment: `store.password_env`)
    values = {"period": period, "db_url": masked_url(sql),
              "visit_date": visit_date or default_visit_date(period), "lang": language}
    base = {k: v for k, v in values.items() if k in declared}
    selected: list[tuple[str | None, str | None]] = (
        list(_select_teams(sql, teams)) if "team_id" in declared else [(None, None)])
    params = [({"team_id": t, **base} if t is not None else dict(base)) for t, _ in selected]
    prints = report_fingerprints(sql, period, notebook_path,
                                 [(t, p) for (t, _), p in zip(selected, params, strict=True)])
    return [_Job(key=t or "collaborative", team_id=t, team_name=n, stem=_stem(name, t),
                 parameters=p, fingerprint=fp, inputs=inputs)
            for (t, n), p, (fp, inputs) in zip(selected, params, prints, strict=True)]


def _skip_current(jobs: list[_Job], entries: dict[str, Any], folder: Path, fmt: Format,
                  force: bool) -> tuple[dict[str, ReportResult], list[_Job]]:
    """(results of the reports already current, skipped; the jobs still to run)."""
    results: dict[str, ReportResult] = {}
    todo: list[_Job] = []
    for job in jobs:
        previous = entries.get(job.key)
        if not force and previous is not None and _is_current(previous, job, folder, fmt):
            results[job.key] = ReportResult(
                team_id=job.team_id, status="skipped", seconds=0.0,
                paths=dict(previous["paths"]), key=job.key, team_name=job.team_name,
                fingerprint=job.fingerprint, inputs=job.inputs)
        else:
            todo.append(job)
    return results, todo


def _is_current(previous: dict[str, Any] | None, job: _Job, folder: Path, fmt: Format) -> bool:
    if not previous or previous.get("status") != "ok":
        return False
    if previous.get("fingerprint") != job.fingerprint:
        return False
    paths = previous.get("paths") or {}
    return all(paths.get(kind) == file and (folder / file).is_file()
               for kind, file in _expected_files(job.stem, fmt).items())


def _progress(total: int, done: int, name: str, period: str, enabled: bool) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, initial=done, desc=f"{name} {period}", unit="report",
                file=sys.stderr, disable=not enabled, leave=True)


def _execute(spec: _BatchSpec, jobs: list[_Job], workers: int,
             pool: _WorkerThreads | None = None) -> Iterator[ReportResult]:
    """Results as they finish, from worker threads that take the jobs in team order, each
    with its own kernel (also for one worker: this thread stays free to hear Ctrl-C and stop
    the kernels at once). `pool`: threads started before (`_WorkerThreads.start`), whose
    kernels warmed while the batch was being prepared; else started here."""
    if not jobs:
        if pool is not None:
            pool.close(finished=True)
        return
    # papermill's fresh kernels inherit this process's environment: set for the batch only
    env = {**KERNEL_ENV, **dict(spec.env)} if spec.engine == "papermill" else {}
    with environment(env):
        if pool is None:
            pool = _WorkerThreads.start(str(Path(spec.notebook_path).parent),
                                        min(workers, len(jobs)), warm=False)
        yield from pool.results(spec, jobs)


@contextmanager
def environment(env: Mapping[str, str]) -> Iterator[None]:
    """This process's environment with `env` set, as it was again after the block."""
    before = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class _WorkerThreads:
    """The batch's worker threads, each with its own kernel (pool engine), taking jobs from
    one queue in order and putting results on another.

    `start(warm=True)` starts the threads and their kernels at once, before the jobs are
    known: the kernels start and import pandas and bokeh in their own processes while this
    thread prepares the batch (the collaborative figures: seconds of CPU at 2,000 teams),
    instead of after it. A kernel that fails to start then is started again (or fails) at
    the first report, as without warming."""

    def __init__(self, cwd: str, workers: int, warm: bool) -> None:
        self.cwd = cwd
        self.warm = warm
        self.todo: queue.SimpleQueue[tuple[_BatchSpec, _Job] | None] = queue.SimpleQueue()
        self.done: queue.SimpleQueue[ReportResult] = queue.SimpleQueue()
        self.stop = threading.Event()
        self.sessions: list[KernelSession] = []
        self.threads = [threading.Thread(target=self._work, name=f"report-worker-{n + 1}",
                                         daemon=True) for n in range(workers)]
        self.closed = False

    @classmethod
    def start(cls, cwd: str, workers: int, *, warm: bool = True) -> _WorkerThreads:
        pool = cls(cwd, workers, warm)
        for thread in pool.threads:
            thread.start()
        return pool

    def _work(self) -> None:
        try:
            if self.warm:
                try:
                    self.sessions.append(_worker_session(self.cwd))
                except Exception:  # noqa: BLE001 - the first report tries again, and says why
                    _shutdown_worker_session()
            while not self.stop.is_set():
                item = self.todo.get()
                if item is None:
                    return
                spec, job = item
                try:
                    if spec.engine == "pool" and _current_session() is None:
                        self.sessions.append(_worker_session(self.cwd))
                    rendered = render_job(spec, job)
                    if self.stop.is_set():  # interrupted while it ran: written by no one
                        return
                    self.done.put(write_rendered(Path(spec.folder), rendered,
                                                 spec.self_contained))
                except BaseException as exc:  # noqa: BLE001 - fails this report only
                    self.done.put(_crashed(job, exc))
        finally:
            _shutdown_worker_session()  # in the thread that owns the kernel's channels

    def results(self, spec: _BatchSpec, jobs: list[_Job]) -> Iterator[ReportResult]:
        """Each job's result, in finishing order; the threads end with the last (or at once,
        their kernels stopped, when the caller stops reading: Ctrl-C)."""
        for job in jobs:
            self.todo.put((spec, job))
        finished = False
        try:
            for _ in jobs:
                yield self.done.get()
            finished = True
        finally:
            self.close(finished)

    def close(self, finished: bool) -> None:
        """End the threads: after their queued jobs (`finished`), else now, their kernels
        killed (interrupted; also a batch stopped before its jobs were queued)."""
        if self.closed:
            return
        self.closed = True
        for _thread in self.threads:
            self.todo.put(None)
        self.stop.set()
        papermill_log = logging.getLogger("papermill")
        level = papermill_log.level
        if not finished:  # interrupted (Ctrl-C, or the caller stopped reading): stop now
            papermill_log.setLevel(logging.CRITICAL)  # not "Kernel died": we stopped it
            for session in list(self.sessions):
                session.abort()
        for thread in self.threads:
            thread.join(timeout=None if finished else 30)
        papermill_log.setLevel(level)


def crashed_result(job: _Job, exc: BaseException) -> ReportResult:
    """The result of a job whose worker crashed (or was lost) before it could report."""
    return _crashed(job, exc)


def _crashed(job: _Job, exc: BaseException) -> ReportResult:
    return ReportResult(
        team_id=job.team_id, status="failed", seconds=0.0, key=job.key, team_name=job.team_name,
        fingerprint=job.fingerprint, inputs=job.inputs,
        error=CellError(cell_index=-1, execution_count=None, source="",
                        ename=type(exc).__name__, evalue=str(exc)))


def demo_reports(engine: Engine, *, period: str, out_dir: str | Path | None = None,
                 workers: int | None = None, echo: Any = print,
                 lang: str | None = None) -> Path:
    """`workbench demo`'s report step: every team's report and the collaborative summary for
    `period`, in `reports/` beside a database file (else `./reports`); returns the index."""
    if out_dir is None:
        out_dir = _beside_database(engine, "reports")
    echo(_("Writing the {period} reports of every team to {folder} ...").format(
           period=period, folder=Path(out_dir) / period))
    teams = run_reports(engine, period, "team_report", out_dir=out_dir,
                        workers=workers or default_workers(), lang=lang)
    summary = run_reports(engine, period, "collaborative_summary", out_dir=out_dir, workers=1,
                          lang=lang)
    for batch in (teams, summary):
        for failed in batch.failed:
            echo(f"  {batch.notebook} {failed.team_id or ''} failed: {failed.error_summary}")
    done = len(teams.results) + len(summary.results)
    echo(_("{ready} of {done} reports ready in {seconds:.0f} s.").format(
           ready=done - len(teams.failed) - len(summary.failed), done=done,
           seconds=teams.seconds + summary.seconds))
    return summary.index_path


def _beside_database(engine: Engine, name: str) -> Path:
    """`name` in the folder of a SQLite database file; `./name` for a server database."""
    database = engine.url.database if engine.url.get_backend_name() == "sqlite" else None
    if database and database != ":memory:":
        return Path(database).resolve().parent / name
    return Path(name)

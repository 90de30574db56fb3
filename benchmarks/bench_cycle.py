"""Benchmark of a collaborative's monthly cycle, stage by stage, against an in-process floor.

Run: .venv/bin/python benchmarks/bench_cycle.py              (--quick: what `make bench` runs)
     .venv/bin/python benchmarks/bench_cycle.py --teams 2000 --indicators 10 --months 36

Builds the collaborative once (`workbench demo --teams N --indicators K --months M`, the
library `build_demo`), writes the next month's file (every team × indicator: the team's last
counts, jittered), then times the monthly cycle stage by stage, as `workbench cycle` runs it:

  import        the new month's CSV (`import_file`, one transaction)
  validate      every data-quality rule (`run_validation`)
  reports 1w/2w the team reports with 1 and 2 workers (`run_reports`, warm kernels, BokehJS
                and CSS once per folder) on `--sample` teams: the reports' own times give
                what a report costs at the margin (`BatchCost`), the rest of the batch's
                wall is its fixed start-up (kernels, the plan, the collaborative figures),
                counted once when extrapolated to every team (said so in the output)
  briefs        the site-visit briefs of the sampled teams due a visit (the same way), each
                reading its team report kept by the 2-worker team reports (as the cycle)
  summary       the collaborative summary notebook, once

`--scaling` measures only what 2 workers make of 1, at the margin, for the local pool and
for a Dask LocalCluster (`--runs N` rounds; `--baseline DIR`: the same measurement of another
checkout, e.g. main's, in each round, alternating, from this file with DIR first on the
path), and what the 2-worker LocalCluster's processes (scheduler, nannies, workers) cost in
CPU beyond the reports' own. `--db FILE` uses a copy of a collaborative built before (e.g.
`workbench demo --teams 2000 --indicators 10 --months 36`) instead of building one.

`--full` also runs the real `workbench cycle --workers 2` (every team report, every due
brief, the summary) on a copy of the collaborative as built, and prints its stages' wall
and CPU seconds as the cycle recorded them in its manifest (`reports/<period>/manifest.json`),
its peak memory and its folder's size: the measurement the extrapolation stands in for.

It prints each stage's wall and CPU seconds (this process and its kernels), the peak memory
(this process, and its largest kernel), the per-report CPU at 24 teams (a demo of the same
indicators and months, given the same month's import and validation as the big one: a report
with open flags costs more than one without) and at N teams and their ratio (goal: within
10 %; also against the 24 teams as built, the comparison this benchmark made before), the
ratio of the batch
to the in-process floor measured in the same run (the same report's data, figures and tables
in this process without a kernel: goal <= 2x), 1 vs 2 workers (goal >= 1.7x), the report
folder's size for every team (goal <= 400 MB at 2,000 teams) and what a report's bytes are
(charts' documents, the rest), where a report's CPU goes in process at both sizes (data,
tables, the indicators' charts made and embedded, the assessment chart), and the whole
cycle's wall time (goal <= 15 minutes at 2,000 teams on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import psutil

QUICK = {"teams": 100, "indicators": 6, "months": 24, "sample": 12}


# -- measuring ---------------------------------------------------------------------------------
def _cpu() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


class Peak:
    """Peak RSS of this process and of its largest child tree (a kernel), sampled at 10 Hz."""

    def __init__(self) -> None:
        self.kernel = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            for child in me.children():
                try:
                    tree = [child, *child.children(recursive=True)]
                    mb = sum(p.memory_info().rss for p in tree) / 2**20
                except psutil.Error:
                    continue
                self.kernel = max(self.kernel, mb)
            self._stop.wait(0.1)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    @staticmethod
    def driver() -> float:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextmanager
def stage(rows: list[tuple[str, float, float, str]], name: str, note: str = ""
          ) -> Iterator[dict[str, Any]]:
    extra: dict[str, Any] = {"note": note}
    wall, cpu = time.perf_counter(), _cpu()
    yield extra
    rows.append((name, time.perf_counter() - wall, _cpu() - cpu, extra["note"]))


# -- data --------------------------------------------------------------------------------------
def build(folder: Path, teams: int, indicators: int, months: int) -> tuple[str, str]:
    """(database path, last month in it)."""
    from workbench.demo.build import build_demo

    db = folder / f"demo-{teams}x{indicators}x{months}.db"
    from workbench.store import open_engine
    from workbench.store.versions import measurement_span

    if not db.exists():  # --keep DIR reuses a collaborative built before
        build_demo(str(db), teams=teams, indicators=indicators, months=months,
                   districts=max(3, teams // 40))
    _first, last = measurement_span(open_engine(str(db)))  # the demo's months end near today
    assert last is not None, f"{db} holds no measurements"
    return str(db), last


def next_month(last: str) -> str:
    """The month the cycle imports after `last`: the next one, at most this month."""
    return str(min(pd.Period(last, freq="M") + 1, pd.Period.now("M")))


def next_month_file(db: str, last: str, path: Path) -> str:
    """The month after `last` for every team and indicator, as a tidy CSV; returns it.

    The import accepts months up to next month only: a demo whose data reach further (36
    months from 2024-11 end in 2027-10) gets a file of this month's counts, jittered (the
    same rows, revised: an import of the same size)."""
    import numpy as np

    from workbench.store import open_engine, read_measurements

    new = pd.Period(next_month(last), freq="M")
    m = read_measurements(open_engine(db))
    m = m[m["period"] == (new - 1 if new > pd.Period(last, freq="M") else new)]
    rng = np.random.default_rng(20261101)
    den = m["denominator"]
    jitter = rng.integers(-2, 3, len(m))
    num = (m["numerator"] + jitter).clip(lower=0)
    num = num.where(den.isna(), num.clip(upper=den))
    pd.DataFrame({"team_id": m["team_id"], "indicator_id": m["indicator_id"], "period": str(new),
                  "numerator": num.round().astype("Int64"),
                  "denominator": den.round().astype("Int64")}).to_csv(path, index=False)
    return str(new)


@contextmanager
def batch_context(db: str, folder: Path) -> Iterator[None]:
    """Reports made in this process see the collaborative figures as a batch's kernels do:
    computed once (`collaborative_context`), named in the environment."""
    from workbench.reports.batch import collaborative_context, environment
    from workbench.store import open_engine

    folder.mkdir(parents=True, exist_ok=True)
    with environment(collaborative_context(open_engine(db), folder)):
        yield


def floor_seconds(db: str, period: str, teams: list[str], out: Path) -> float:
    """The same team report in this process, no kernel: data, charts, tables, HTML (the
    charts embedded as the report embeds them: `TeamReport.charts()` and
    `TeamReport.assessment_chart()`; BokehJS referenced beside the page)."""
    from workbench import briefs
    from workbench.notebook import render

    out.mkdir(parents=True, exist_ok=True)
    engine = briefs.engine_for(db)

    def one(team_id: str) -> None:
        report = briefs.team_report_data(engine, team_id, period)
        tables = render.join(
            render.table(report.headline, briefs.COLUMNS["headline"]),
            render.table(report.pdsa_in_flight, briefs.COLUMNS["pdsa"], empty="None."),
            render.table(report.open_flags, briefs.COLUMNS["flags"], empty="None."))
        charts = [chart.html for _, chart in report.charts()]
        charts.append(report.assessment_chart().html)
        page = ('<html><head><script src="bokeh.min.js"></script></head><body>' + tables
                + "".join(charts) + "</body></html>")
        (out / f"{team_id}.html").write_text(page)

    with batch_context(db, out):
        one(teams[0])  # warm: imports
        started = _cpu()
        for team_id in teams:
            one(team_id)
        return (_cpu() - started) / len(teams)


def phases(db: str, period: str, teams: list[str]) -> dict[str, float]:
    """Where a team report's CPU goes, in this process (a warm kernel does the same): CPU
    seconds a report to read its data (`team_report_data`), build its tables, make its
    indicators' charts (`TeamReport.charts()`: their data and hover text, then their
    documents from each shape's prototype, embedded) and its assessment chart (from its
    shape's stored document: `TeamReport.assessment_chart`)."""
    from workbench import briefs
    from workbench.notebook import render

    engine = briefs.engine_for(db)
    spent = dict.fromkeys(("data", "tables", "charts", "assessment chart"), 0.0)

    def one(team_id: str, add: bool) -> None:
        mark = _cpu()

        def lap(name: str) -> None:
            nonlocal mark
            now = _cpu()
            if add:
                spent[name] += now - mark
            mark = now

        report = briefs.team_report_data(engine, team_id, period)
        lap("data")
        render.join(render.table(report.headline, briefs.COLUMNS["headline"]),
                    render.table(report.pdsa_in_flight, briefs.COLUMNS["pdsa"], empty="-"),
                    render.table(report.open_flags, briefs.COLUMNS["flags"], empty="-"))
        lap("tables")
        report.charts()
        lap("charts")
        report.assessment_chart()
        lap("assessment chart")

    with batch_context(db, Path(tempfile.mkdtemp(prefix="bench-phases-"))):
        one(teams[0], False)  # warm: imports
        for team_id in teams:
            one(team_id, True)
    return {name: seconds / len(teams) for name, seconds in spent.items()}


def report_bytes(folder: Path, teams: list[str]) -> dict[str, float]:
    """Bytes a team report, split: the charts' documents (bokeh's JSON, gzipped and
    base64-encoded), the rest."""
    import re

    sizes = {"charts": 0.0, "rest": 0.0}
    found = [folder / f"{t}.html" for t in teams if (folder / f"{t}.html").is_file()]
    for path in found:
        text = path.read_text(encoding="utf-8")
        charts = sum(len(m.encode()) for m in re.findall(  # gzipped (the default) or not
            r'atob\("[A-Za-z0-9+/=]*"\)|const docs_json = \'.*?\';', text, re.S))
        sizes["charts"] += charts
        sizes["rest"] += len(text.encode()) - charts
    return {name: value / max(1, len(found)) for name, value in sizes.items()}


def reports(db: str, period: str, teams: list[str] | None, out: Path, workers: int,
            notebook: str = "team_report", executor: Any = None,
            keep_for: list[str] | None = None) -> Any:
    from workbench.reports.batch import run_reports

    result = run_reports(db, period, notebook, teams=teams, out_dir=out, workers=workers,
                         force=True, progress=False, executor=executor,
                         keep_for=keep_for or ())
    failed = result.failed
    assert not failed, f"{len(failed)} failed: {failed[0].team_id} {failed[0].error_summary}"
    return result


@dataclass
class BatchCost:
    """One batch of `n` reports on `workers` workers: its wall and CPU seconds, and what a
    report costs at the margin, from the reports' own times (`ReportResult.seconds`, the
    wall of each run in its worker; `cpu_seconds`, its kernel's and worker thread's CPU),
    each worker's first report left out (it warms the kernel). With every worker busy, a
    report every `seconds / workers`: the batch's throughput, which two workers sharing the
    cores, or anything else they wait for, slow down; what the batch's wall has beyond
    `n` of them is its fixed start-up (kernels, the plan, the collaborative figures), which
    a batch of every team pays once. (Two batches of different sizes give the same on a
    quiet machine, but their difference swings with the load of a shared one.)"""

    n: int
    workers: int
    wall_total: float
    cpu_total: float
    seconds: list[float]
    cpus: list[float]

    @classmethod
    def of(cls, result: Any, workers: int, wall: float, cpu: float) -> BatchCost:
        done = [r for r in result.results if r.status == "ok"]
        steady = done[workers:] or done
        return cls(len(done), workers, wall, cpu, [r.seconds for r in steady],
                   [float(r.cpu_seconds) for r in steady if r.cpu_seconds is not None])

    @property
    def wall(self) -> float:
        """Marginal wall seconds a report (throughput of the busy workers)."""
        return sum(self.seconds) / len(self.seconds) / self.workers

    @property
    def cpu(self) -> float:
        """Marginal CPU seconds a report (its kernel and worker thread)."""
        return sum(self.cpus) / len(self.cpus) if self.cpus else float("nan")

    @property
    def fixed_wall(self) -> float:
        return max(0.0, self.wall_total - self.n * self.wall)

    @property
    def fixed_cpu(self) -> float:
        return max(0.0, self.cpu_total - self.n * self.cpu)

    def wall_for(self, n: int) -> float:
        """Extrapolated wall seconds of a batch of `n` reports: start-up once, then `n`."""
        return self.fixed_wall + n * self.wall if n else 0.0

    def cpu_for(self, n: int) -> float:
        return self.fixed_cpu + n * self.cpu if n else 0.0


def _tree_cpu() -> dict[int, float]:
    """CPU seconds so far of this process and of each process under it (kernels, Dask's
    workers), by process id."""
    me = psutil.Process()
    found = {}
    for process in [me, *me.children(recursive=True)]:
        try:
            times = process.cpu_times()
        except psutil.Error:
            continue
        found[process.pid] = times.user + times.system
    return found


def _tree_cpu_since(before: dict[int, float]) -> float:
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in _tree_cpu().items())


def dask_batches(db: str, period: str, teams: list[str], out: Path) -> dict[int, BatchCost]:
    """Team reports on a Dask LocalCluster of 1 and of 2 worker processes (`BatchCost`; the
    cluster's start and each worker's first kernel excluded: one warm-up report a worker
    first, into the same folder, so that the measured batch finds the collaborative figures
    computed). Their `cpu_total` is every process's of the cluster (this one, its scheduler
    and nannies; the workers; their kernels), taken while they run: beyond the reports' own,
    what the cluster costs, and the batch's plan."""
    from workbench.reports.dask_engine import DaskExecutor

    measured = {}
    for workers in (1, 2):
        executor = DaskExecutor.connect(cluster="local", workers=workers)
        try:
            reports(db, period, teams[:workers], out / f"dask{workers}", 1, executor=executor)
            started, cpu = time.perf_counter(), _tree_cpu()
            result = reports(db, period, teams, out / f"dask{workers}", 1, executor=executor)
            measured[workers] = BatchCost.of(result, workers, time.perf_counter() - started,
                                             _tree_cpu_since(cpu))
        finally:
            executor.close()
    return measured


def scaling(db: str, period: str, teams: list[str], out: Path) -> dict[str, float]:
    """1 vs 2 workers at the margin, the local pool and a Dask LocalCluster (`BatchCost`),
    and the CPU the 2-worker cluster spends beyond its reports' own, a report."""
    pool = {}
    for workers in (1, 2):
        started, cpu = time.perf_counter(), _cpu()
        done = reports(db, period, teams, out / f"pool{workers}", workers)
        pool[workers] = BatchCost.of(done, workers, time.perf_counter() - started,
                                     _cpu() - cpu)
    dask = dask_batches(db, period, teams, out / "dask")
    two = dask[2]
    return {"pool_1": pool[1].wall, "pool_2": pool[2].wall,
            "pool_ratio": pool[1].wall / pool[2].wall,
            "dask_1": dask[1].wall, "dask_2": dask[2].wall,
            "dask_ratio": dask[1].wall / dask[2].wall,
            "pool_cpu": pool[2].cpu, "report_cpu": two.cpu,
            "cluster_beyond": two.cpu_total / two.n - two.cpu,
            "load": os.getloadavg()[0]}


def _scaling_child(db: str, sample: int, out: Path) -> None:
    """`--scaling-child`: `scaling` of the workbench first on the path, as one JSON line."""
    from workbench.store import open_engine, read_teams
    from workbench.store.versions import measurement_span

    engine = open_engine(db)
    _first, period = measurement_span(engine)
    assert period is not None, f"{db} holds no measurements"
    teams = sorted(read_teams(engine)["team_id"].astype(str))
    chosen = teams[:: max(1, len(teams) // sample)][:sample]
    print(json.dumps(scaling(db, period, chosen, out)), flush=True)


def run_scaling(db: str, folder: Path, sample: int, runs: int, baseline: str | None) -> None:
    """`--scaling`: rounds of `scaling` in this checkout and the baseline's, alternating
    (each in its own process, its checkout first on the path); prints each run and the
    means."""
    trees: list[tuple[str, str | None]] = [("this", None)]
    if baseline:
        trees.append(("base", str(Path(baseline).resolve())))
    print(f"1 vs 2 workers at the margin on {sample} team reports of {db} "
          f"({len(os.sched_getaffinity(0))} CPUs; {runs} rounds"
          + (f", against {baseline}, alternating" if baseline else "") + ")")
    print(f"{'run':<10}{'pool 1w':>9}{'pool 2w':>9}{'pool x':>8}{'dask 1w':>9}{'dask 2w':>9}"
          f"{'dask x':>8}{'pool cpu':>9}{'dask cpu':>9}{'cluster+':>10}{'load':>6}")
    got: dict[str, list[dict[str, float]]] = {name: [] for name, _tree in trees}
    for n in range(runs):
        for name, tree in (trees if n % 2 == 0 else trees[::-1]):
            env = {**os.environ, "PYTHONWARNINGS": "ignore"}
            if tree:
                env["PYTHONPATH"] = tree
            out = folder / f"scaling-{name}-{n}"
            shutil.rmtree(out, ignore_errors=True)
            child = subprocess.run([sys.executable, __file__, "--scaling-child", "--db", db,
                                    "--sample", str(sample), "--keep", str(out)],
                                   env=env, check=True, capture_output=True, text=True)
            row = json.loads(child.stdout.strip().splitlines()[-1])
            got[name].append(row)
            print(_scaling_row(f"{name} {n + 1}", row), flush=True)
    for name, rows in got.items():
        mean = {key: sum(r[key] for r in rows) / len(rows) for key in rows[0]}
        print(_scaling_row(f"{name} mean", mean))
    print("x: 1 worker's marginal wall a report over 2 workers' (goal >= 1.7); pool cpu, dask "
          "cpu: a report's CPU (its kernel and the thread that drove it) with 2 workers; "
          "cluster+: the CPU the 2-worker LocalCluster's processes (this one, its scheduler "
          "and nannies, the workers, their kernels) spend beyond that, a report; load: the "
          "1-minute load average at the end")


def _scaling_row(label: str, row: dict[str, float]) -> str:
    return (f"{label:<10}{row['pool_1']:>9.3f}{row['pool_2']:>9.3f}{row['pool_ratio']:>8.2f}"
            f"{row['dask_1']:>9.3f}{row['dask_2']:>9.3f}{row['dask_ratio']:>8.2f}"
            f"{row['pool_cpu']:>9.3f}{row['report_cpu']:>9.3f}{row['cluster_beyond']:>10.3f}"
            f"{row['load']:>6.1f}")


def per_report_cpu(db: str, period: str, teams: list[str], out: Path) -> float:
    """CPU seconds per team report, 1 worker, warm kernel, as measured for each report:
    what it cost its kernel and the worker thread that drove it and wrote its HTML
    (`ReportResult.cpu_seconds`), averaged over the reports after the first (the first
    warms the kernel)."""
    result = reports(db, period, teams, out, 1)
    measured = [float(r.cpu_seconds) for r in result.results[1:] if r.cpu_seconds is not None]
    assert measured, "no report's CPU was measured (psutil missing?)"
    return sum(measured) / len(measured)


def cycled_copy(db: str, last: str, folder: Path) -> tuple[str, str]:
    """A copy of the collaborative `db` given the cycle's import of the next month and its
    validation, as the big collaborative is by the stages above (its reports then show the
    month's open flags); (its path, the new month). Made once (kept with `--keep`)."""
    import shutil

    from workbench.ingest.importer import import_file
    from workbench.store import open_engine
    from workbench.validate.run import run_validation

    copy = folder / f"{Path(db).stem}-cycled.db"
    csv = folder / f"{Path(db).stem}-next-month.csv"
    if copy.exists() and csv.exists():
        return str(copy), next_month(last)
    shutil.copyfile(db, copy)
    period = next_month_file(str(copy), last, csv)
    engine = open_engine(str(copy))
    import_file(engine, csv)
    run_validation(engine, period)
    engine.dispose()
    return str(copy), period


def full_cycle(db: str, period: str, csv: Path, out: Path) -> dict[str, Any]:
    """The real `workbench cycle --workers 2` on `db` (every team report, every due brief,
    the summary), in a process of its own; its stages as it recorded them in its manifest,
    its wall and CPU seconds and peak memory (the process and its kernels), its folder."""
    import json
    import subprocess
    import sys

    from workbench.reports.folder import MANIFEST_NAME

    command = [str(Path(sys.executable).parent / "workbench"), "cycle", "--db", db,
               "--period", period, "--import", str(csv), "--workers", "2", "--out", str(out),
               "--no-progress"]
    print(f"the real cycle: {' '.join(command)} ...", flush=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    manifest = json.loads((out / period / MANIFEST_NAME).read_text(encoding="utf-8"))
    size = sum(p.stat().st_size for p in (out / period).rglob("*") if p.is_file())
    return {"exit": done.returncode, "output": done.stdout, "wall": wall,
            "cpu": (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
            "peak_mb": after.ru_maxrss / 1024, "stages": manifest["cycle"]["stages"],
            "folder_mb": size / 1e6}


def print_full_cycle(full: dict[str, Any], teams_n: int) -> None:
    print()
    print(f"the real cycle (`workbench cycle --workers 2`, every report; exit {full['exit']}): "
          f"{full['wall']:.0f} s = {full['wall'] / 60:.1f} min wall, {full['cpu']:.0f} s CPU "
          f"(the command and its kernels); peak memory of one process {full['peak_mb']:.0f} "
          f"MB; folder {full['folder_mb']:.0f} MB; goal at 2,000 teams <= 15 min")
    print(f"  {'stage':<24}{'status':<10}{'wall s':>9}{'cpu s':>9}  counts")
    for entry in full["stages"]:
        counts = ", ".join(f"{k} {v}" for k, v in (entry.get("counts") or {}).items())
        print(f"  {entry['name']:<24}{entry['status']:<10}{entry['seconds']:>9.1f}"
              f"{entry['cpu_seconds']:>9.1f}  {counts}")
        written = (entry.get("counts") or {}).get("written")
        if entry["name"] in ("team_reports", "site_visit_briefs") and written:
            print(f"  {'':<34}a report: {entry['seconds'] / written:.3f} s wall, "
                  f"{entry['cpu_seconds'] / written:.3f} s CPU ({written} written, "
                  f"{teams_n} teams)")


# -- the run -----------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"a small collaborative ({QUICK}); the default with no size given")
    parser.add_argument("--teams", type=int)
    parser.add_argument("--indicators", type=int)
    parser.add_argument("--months", type=int)
    parser.add_argument("--sample", type=int, default=None,
                        help="team reports measured (extrapolated to every team); default "
                             "100, or 12 with --quick")
    parser.add_argument("--keep", metavar="DIR", help="build in DIR and keep it")
    parser.add_argument("--dask", action="store_true",
                        help="also the team reports on a Dask LocalCluster of 1 and 2 workers")
    parser.add_argument("--db", metavar="FILE",
                        help="a collaborative built before (a SQLite file), used in a copy")
    parser.add_argument("--scaling", action="store_true",
                        help="only 1 vs 2 workers at the margin: the local pool and Dask")
    parser.add_argument("--runs", type=int, default=3, help="--scaling: rounds (default 3)")
    parser.add_argument("--baseline", metavar="DIR",
                        help="--scaling: also another checkout, alternating (e.g. main's)")
    parser.add_argument("--scaling-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--full", action="store_true",
                        help="also run the real `workbench cycle --workers 2` (every report) "
                             "on a copy of the collaborative and print its stages")
    args = parser.parse_args()
    quick = args.quick or args.teams is None
    teams_n = args.teams or QUICK["teams"]
    indicators = args.indicators or (QUICK["indicators"] if quick else 10)
    months = args.months or (QUICK["months"] if quick else 36)
    sample = args.sample or (QUICK["sample"] if quick else 100)
    if args.scaling_child:
        _scaling_child(args.db, sample, Path(args.keep))
        return
    with tempfile.TemporaryDirectory(prefix="bench-cycle-") as tmp:
        folder = Path(args.keep or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        db = None
        if args.db:  # a copy: the cycle imports a month into it
            db = str(folder / "collaborative.db")
            shutil.copyfile(args.db, db)
        if args.scaling:
            if db is None:
                db, _last = build(folder, teams_n, indicators, months)
            run_scaling(db, folder, args.sample or 24, args.runs, args.baseline)
            return
        run(folder, teams_n, indicators, months, sample, args.dask, args.full, db)


def run(folder: Path, teams_n: int, indicators: int, months: int, sample: int,
        dask: bool = False, full: bool = False, built: str | None = None) -> None:
    from workbench.reports.cycle import teams_due_a_visit
    from workbench.reports.folder import INDEX_NAME, MANIFEST_NAME
    from workbench.store import open_engine, read_teams
    from workbench.validate.run import run_validation

    print(f"collaborative: {teams_n} teams x {indicators} indicators x {months} months "
          f"({len(os.sched_getaffinity(0))} CPUs, load average "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}); reports measured on {sample} "
          "teams")
    started = time.perf_counter()
    if built is None:
        db, last = build(folder, teams_n, indicators, months)
    else:  # --db: its sizes are its own
        from workbench.store.versions import measurement_span

        db, last = built, str(measurement_span(open_engine(built))[1])
    print(f"built in {time.perf_counter() - started:.0f} s (not part of the cycle)")
    engine = open_engine(db)
    csv = folder / "next-month.csv"
    period = next_month_file(db, last, csv)
    full_run = None
    if full:  # on a copy as built: the cycle imports the month itself
        full_db = folder / f"{Path(db).stem}-full.db"
        shutil.copyfile(db, full_db)
        shutil.rmtree(folder / "full", ignore_errors=True)
        full_run = full_cycle(str(full_db), period, csv, folder / "full")
        full_db.unlink()
    teams = sorted(read_teams(engine)["team_id"].astype(str))
    chosen = teams[:: max(1, len(teams) // sample)][:sample]
    scale = len(teams) / len(chosen)
    out = folder / "reports"
    rows: list[tuple[str, float, float, str]] = []
    peak = Peak()

    from workbench.ingest.importer import import_file

    with stage(rows, "import") as s:
        result = import_file(engine, csv)
        s["note"] = f"{period}: {result.new} new, {result.revised} revised rows"
    with stage(rows, "validate") as s:
        summary = run_validation(engine, period)
        s["note"] = f"{summary['open']} open flags"
    due = teams_due_a_visit(engine, str((pd.Period(period, freq="M") + 1).start_time.date()))
    due_sample = [t for t in chosen if t in set(due)] or chosen[:2]
    batches: dict[int, BatchCost] = {}
    for workers in (1, 2):
        with stage(rows, f"team reports, {workers} worker{'s' if workers > 1 else ''}") as s:
            # as `workbench cycle`: the reports of the teams due a visit kept for the briefs
            done = reports(db, period, chosen, out / f"w{workers}", workers,
                           keep_for=due_sample if workers == 2 else None)
            s["note"] = f"{len(chosen)} reports"
        batches[workers] = BatchCost.of(done, workers, rows[-1][1], rows[-1][2])
    with stage(rows, "site-visit briefs, 2 workers") as s:
        done = reports(db, period, due_sample, out / "w2", 2, "site_visit_brief")
        s["note"] = (f"{len(due_sample)} of {len(due)} due (each reads its team report's data "
                     "and charts, kept by the team report, as in the cycle)")
    brief_cost = BatchCost.of(done, 2, rows[-1][1], rows[-1][2])
    with stage(rows, "collaborative summary") as s:
        reports(db, period, None, out / "w2", 1, "collaborative_summary")
    peak.stop()

    floor = floor_seconds(db, period, chosen[: min(len(chosen), 20)], folder / "floor")
    # the same collaborative but for its size: 24 teams, the same indicators and months,
    # given the same import and validation (`cycled`), and as built (what this benchmark
    # compared with before: no month imported, no validation, so no open flags in its
    # reports); measured in turn, the machine's speed drifts
    small_db, small_last = build(folder, 24, indicators, months)
    cycled_db, cycled_period = cycled_copy(small_db, small_last, folder)
    small_teams = [f"T{i:02d}" for i in range(1, 13)]
    cpu_runs: dict[str, list[float]] = {"big": [], "cycled": [], "built": []}
    for n, size in enumerate(("big", "cycled", "built", "built", "cycled", "big")):
        db_n, period_n, teams_in = {
            "big": (db, period, chosen[: min(len(chosen), 12)]),
            "cycled": (cycled_db, min(period, cycled_period), small_teams),
            "built": (small_db, min(period, small_last), small_teams)}[size]
        cpu_runs[size].append(per_report_cpu(db_n, period_n, teams_in,
                                             folder / f"cpu-{size}-{n}"))
    big_cpu, small_cpu, built_cpu = (sum(cpu_runs[k]) / len(cpu_runs[k])
                                     for k in ("big", "cycled", "built"))
    big_phases = phases(db, period, chosen[: min(len(chosen), 12)])
    small_phases = phases(cycled_db, min(period, cycled_period), small_teams)

    print()
    print(f"{'stage':<40}{'wall s':>9}{'cpu s':>9}  note")
    for name, wall, cpu, note in rows:
        print(f"{name:<40}{wall:>9.1f}{cpu:>9.1f}  {note}")
    print()
    one, two = batches[1], batches[2]
    print(f"a team report at the margin (each report's own wall in its worker, over the "
          f"workers; the batch's start-up apart): 1 worker {one.wall:.3f} s wall, "
          f"{one.cpu:.3f} s CPU; 2 workers {two.wall:.3f} s wall, {two.cpu:.3f} s CPU; "
          f"1 / 2 workers {one.wall / two.wall:.2f}x (goal >= 1.7x); a batch's start-up "
          f"{one.fixed_wall:.1f} s wall (1 worker), {two.fixed_wall:.1f} s (2 workers)")
    print(f"the whole sample of {len(chosen)}, start-up included (what this benchmark "
          f"reported before): 1 worker {one.wall_total / one.n:.2f} s a report, 2 workers "
          f"{two.wall_total / two.n:.2f} s; {one.wall_total / two.wall_total:.2f}x")
    if dask:
        on_dask = dask_batches(db, period, chosen, folder / "dask")
        d1, d2 = on_dask[1], on_dask[2]
        print(f"Dask LocalCluster, a team report at the margin: 1 worker {d1.wall:.3f} s "
              f"wall, 2 workers {d2.wall:.3f} s; {d1.wall / d2.wall:.2f}x (goal >= 1.7x); "
              f"the whole sample of {len(chosen)} {d1.wall_total / d2.wall_total:.2f}x")
    print(f"per-report CPU (1 worker, warm kernel; kernel + worker thread, measured per "
          f"report): 24 teams {small_cpu:.3f} s, {teams_n} teams {big_cpu:.3f} s, ratio "
          f"{big_cpu / small_cpu:.2f} (goal within 10 %: "
          f"{'ok' if abs(big_cpu / small_cpu - 1) <= 0.10 else 'MISSED'}); by rounds: 24 teams "
          + ", ".join(f"{m:.3f}" for m in cpu_runs["cycled"]) + f"; {teams_n} teams "
          + ", ".join(f"{m:.3f}" for m in cpu_runs["big"]))
    print(f"  against the 24 teams as built (no month imported, not validated: no open flags "
          f"in their reports; the comparison this benchmark made before): {built_cpu:.3f} s, "
          f"ratio {big_cpu / built_cpu:.2f}; by rounds "
          + ", ".join(f"{m:.3f}" for m in cpu_runs["built"]))
    for label, where in (("24 teams", small_phases), (f"{teams_n} teams", big_phases)):
        print(f"where a report's CPU goes in process, {label}: "
              + ", ".join(f"{name} {sec:.3f} s" for name, sec in where.items()))
    print(f"in-process floor (same data, charts, tables; no kernel): {floor:.2f} s CPU a "
          f"report; batch / floor {big_cpu / floor:.2f}x (goal <= 2x: "
          f"{'ok' if big_cpu / floor <= 2 else 'MISSED'})")
    folder_2 = out / "w2" / period
    htmls = [p for p in folder_2.glob("*.html") if p.name != INDEX_NAME]
    team_htmls = [p for p in htmls if p.stem in set(chosen)]
    shared = sum(p.stat().st_size for p in folder_2.iterdir()
                 if p.suffix in (".js", ".css") or p.name in (MANIFEST_NAME, INDEX_NAME))
    per_html = sum(p.stat().st_size for p in team_htmls) / len(team_htmls)
    brief_htmls = [p for p in htmls if p.name.endswith("-site-visit-brief.html")]
    per_brief = (sum(p.stat().st_size for p in brief_htmls) / len(brief_htmls)
                 if brief_htmls else per_html)
    summary_html = sum(p.stat().st_size for p in htmls if p.stem == "collaborative-summary")
    full_folder = per_html * len(teams) + per_brief * len(due) + summary_html + shared
    split = report_bytes(folder_2, chosen)
    print(f"a team report's bytes: charts' documents {split['charts'] / 1e3:.0f} kB, the rest "
          f"(tables, text, cover) {split['rest'] / 1e3:.0f} kB")
    print(f"report size: {per_html / 1e3:.0f} kB a team report, {per_brief / 1e3:.0f} kB a "
          f"brief, {summary_html / 1e6:.1f} MB the summary, {shared / 1e6:.1f} MB shared "
          f"(BokehJS, CSS, index, manifest); folder for every team and brief "
          f"{full_folder / 1e6:.0f} MB{' (extrapolated)' if scale > 1 else ''}")
    print(f"peak memory: this process {Peak.driver():.0f} MB, largest kernel "
          f"{peak.kernel:.0f} MB")
    stage_wall = {name: wall for name, wall, _cpu_s, _note in rows}
    stage_cpu = {name: cpu for name, _wall, cpu, _note in rows}
    briefs_wall, briefs_cpu = brief_cost.wall_for(len(due)), brief_cost.cpu_for(len(due))
    total = (stage_wall["import"] + stage_wall["validate"] + two.wall_for(len(teams))
             + briefs_wall + stage_wall["collaborative summary"])
    how = (f"extrapolated from the marginal cost of a report in {len(chosen)} of "
           f"{len(teams)} team reports and {len(due_sample)} of {len(due)} briefs, each "
           "stage's start-up counted once" if scale > 1 else "measured")
    print(f"whole cycle with 2 workers: {total:.0f} s = {total / 60:.1f} min wall ({how}: "
          f"team reports {two.wall_for(len(teams)):.0f} s, briefs {briefs_wall:.0f} s); goal "
          "at 2,000 teams <= 15 min")
    cpu_total = (stage_cpu["import"] + stage_cpu["validate"] + two.cpu_for(len(teams))
                 + briefs_cpu + stage_cpu["collaborative summary"])
    print(f"the same in CPU seconds: {cpu_total:.0f} s; on 2 cores nobody else uses at "
          f"least {cpu_total / 2 / 60:.1f} min (the machine is shared: wall / CPU above shows "
          "the load)")
    if full_run is not None:
        print_full_cycle(full_run, len(teams))


if __name__ == "__main__":
    main()

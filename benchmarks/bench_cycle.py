"""Benchmark of a collaborative's monthly cycle, stage by stage, against an in-process floor.

Run: .venv/bin/python benchmarks/bench_cycle.py              (--quick: what `make bench` runs)
     .venv/bin/python benchmarks/bench_cycle.py --teams 2000 --indicators 10 --months 36

Builds the collaborative once (`workbench demo --teams N --indicators K --months M`, the
library `build_demo`), writes the next month's file (every team × indicator: the team's last
counts, jittered), then times the monthly cycle stage by stage, as `workbench cycle` runs it:

  import        the new month's CSV (`import_file`, one transaction)
  validate      every data-quality rule (`run_validation`)
  reports 1w/2w the team reports with 1 and 2 workers (`run_reports`, warm kernels, BokehJS
                and CSS once per folder); on `--sample` teams, extrapolated to every team
                (said so in the output) when the sample is smaller
  briefs        the site-visit briefs of the teams due a visit (extrapolated the same way),
                each reading its team report kept by the 2-worker team reports (as the cycle)
  summary       the collaborative summary notebook, once

It prints each stage's wall and CPU seconds (this process and its kernels), the peak memory
(this process, and its largest kernel), the per-report CPU at 24 teams (a demo of the same
indicators and months) and at N teams and their ratio (goal: within 10 %), the ratio of the batch
to the in-process floor measured in the same run (the same report's data, figures and tables
in this process without a kernel: goal <= 2x), 1 vs 2 workers (goal >= 1.7x), the report
folder's size for every team (goal <= 400 MB at 2,000 teams) and what a report's bytes are
(charts' documents, the rest), where a report's CPU goes in process at both sizes (data,
tables, the indicators' charts made and embedded, the assessment chart), and the whole
cycle's wall time (goal <= 15 minutes at 2,000 teams on 2 cores).
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
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


def next_month_file(db: str, last: str, path: Path) -> str:
    """The month after `last` for every team and indicator, as a tidy CSV; returns it.

    The import accepts months up to next month only: a demo whose data reach further (36
    months from 2024-11 end in 2027-10) gets a file of this month's counts, jittered (the
    same rows, revised: an import of the same size)."""
    import numpy as np

    from workbench.store import open_engine, read_measurements

    new = min(pd.Period(last, freq="M") + 1, pd.Period.now("M"))
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
    charts embedded as the report embeds them: `TeamReport.charts()`, the assessment chart
    through `figure_html`; BokehJS referenced beside the page)."""
    from workbench import briefs
    from workbench.charts import figure_html
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
        charts.append(figure_html(report.assessment_figure()))
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
    documents from each shape's prototype, embedded) and its assessment chart (built and
    embedded: `figure_html`)."""
    from workbench import briefs
    from workbench.charts import figure_html
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
        figure_html(report.assessment_figure())
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


def dask_seconds(db: str, period: str, teams: list[str], out: Path) -> dict[int, float]:
    """Wall seconds a report on a Dask LocalCluster of 1 and of 2 worker processes (the
    cluster's start and each worker's first kernel excluded: one warm-up report a worker)."""
    from workbench.reports.dask_engine import DaskExecutor

    seconds = {}
    for workers in (1, 2):
        executor = DaskExecutor.connect(cluster="local", workers=workers)
        try:
            reports(db, period, teams[:workers], out / f"dask-warm{workers}", 1,
                    executor=executor)
            started = time.perf_counter()
            reports(db, period, teams, out / f"dask{workers}", 1, executor=executor)
            seconds[workers] = (time.perf_counter() - started) / len(teams)
        finally:
            executor.close()
    return seconds


def per_report_cpu(db: str, period: str, teams: list[str], out: Path) -> tuple[float, float]:
    """CPU seconds per team report, 1 worker, warm kernel: (measured, by difference).

    Measured: what each report cost its kernel and the worker thread that drove it and wrote
    its HTML (`ReportResult.cpu_seconds`), averaged over the reports after the first (the
    first warms the kernel). By difference: the CPU of this process and its kernels for a
    batch of all `teams` less that of a batch of a third of them, over the difference in
    reports, so that what a batch does once cancels out (kernel start, fingerprints, the
    collaborative figures); it also counts the manifest and index written after each
    report, but at 2,000 teams the once-a-batch work is seconds of CPU whose noise on a
    loaded machine moves this figure by about ±0.1 s a report."""
    few = teams[: max(1, len(teams) // 3)]
    cpu = _cpu()
    reports(db, period, few, out / "few", 1)
    few_cpu = _cpu() - cpu
    cpu = _cpu()
    result = reports(db, period, teams, out / "all", 1)
    all_cpu = _cpu() - cpu
    measured = [r.cpu_seconds for r in result.results[1:] if r.cpu_seconds is not None]
    assert measured, "no report's CPU was measured (psutil missing?)"
    return sum(measured) / len(measured), (all_cpu - few_cpu) / (len(teams) - len(few))


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
    args = parser.parse_args()
    quick = args.quick or args.teams is None
    teams_n = args.teams or QUICK["teams"]
    indicators = args.indicators or (QUICK["indicators"] if quick else 10)
    months = args.months or (QUICK["months"] if quick else 36)
    sample = args.sample or (QUICK["sample"] if quick else 100)
    with tempfile.TemporaryDirectory(prefix="bench-cycle-") as tmp:
        folder = Path(args.keep or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        run(folder, teams_n, indicators, months, sample, args.dask)


def run(folder: Path, teams_n: int, indicators: int, months: int, sample: int,
        dask: bool = False) -> None:
    from workbench.reports.cycle import teams_due_a_visit
    from workbench.reports.folder import INDEX_NAME, MANIFEST_NAME
    from workbench.store import open_engine, read_teams
    from workbench.validate.run import run_validation

    print(f"collaborative: {teams_n} teams x {indicators} indicators x {months} months "
          f"({len(os.sched_getaffinity(0))} CPUs); reports measured on {sample} teams")
    started = time.perf_counter()
    db, last = build(folder, teams_n, indicators, months)
    print(f"built in {time.perf_counter() - started:.0f} s (not part of the cycle)")
    engine = open_engine(db)
    csv = folder / "next-month.csv"
    period = next_month_file(db, last, csv)
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
    walls: dict[int, float] = {}
    due = teams_due_a_visit(engine, str((pd.Period(period, freq="M") + 1).start_time.date()))
    due_sample = [t for t in chosen if t in set(due)] or chosen[:1]
    for workers in (1, 2):
        wall = time.perf_counter()
        with stage(rows, f"team reports, {workers} worker{'s' if workers > 1 else ''}") as s:
            # as `workbench cycle`: the reports of the teams due a visit kept for the briefs
            reports(db, period, chosen, out / f"w{workers}", workers,
                    keep_for=due_sample if workers == 2 else None)
            walls[workers] = time.perf_counter() - wall
            s["note"] = f"{len(chosen)} reports"
    with stage(rows, "site-visit briefs, 2 workers") as s:
        briefs = reports(db, period, due_sample, out / "w2", 2, "site_visit_brief")
        brief_cpu = [r.cpu_seconds for r in briefs.results if r.cpu_seconds is not None]
        s["note"] = (f"{len(due_sample)} of {len(due)} due; CPU a brief "
                     f"{sum(brief_cpu) / max(1, len(brief_cpu)):.2f} s (its team report's "
                     "data and charts kept by the team report, as in the cycle)")
    brief_rows = rows[-1]
    with stage(rows, "collaborative summary") as s:
        reports(db, period, None, out / "w2", 1, "collaborative_summary")
    peak.stop()

    floor = floor_seconds(db, period, chosen[: min(len(chosen), 20)], folder / "floor")
    # the same collaborative but for its size: 24 teams, the same indicators and months;
    # the two sizes measured in turn (big, small, small, big): the machine's speed drifts
    small_db, small_last = build(folder, 24, indicators, months)
    small_teams = [f"T{i:02d}" for i in range(1, 13)]
    cpu_runs: dict[str, list[tuple[float, float]]] = {"big": [], "small": []}
    for n, size in enumerate(("big", "small", "small", "big")):
        if size == "big":
            cpu_runs[size].append(per_report_cpu(db, period, chosen[: min(len(chosen), 12)],
                                                 folder / f"cpu-big-{n}"))
        else:
            cpu_runs[size].append(per_report_cpu(small_db, min(period, small_last),
                                                 small_teams, folder / f"cpu-24-{n}"))
    big_cpu, big_diff = (sum(v) / 2 for v in zip(*cpu_runs["big"], strict=True))
    small_cpu, small_diff = (sum(v) / 2 for v in zip(*cpu_runs["small"], strict=True))
    big_phases = phases(db, period, chosen[: min(len(chosen), 12)])
    small_phases = phases(small_db, min(period, small_last), small_teams)

    print()
    print(f"{'stage':<32}{'wall s':>9}{'cpu s':>9}  note")
    for name, wall, cpu, note in rows:
        print(f"{name:<32}{wall:>9.1f}{cpu:>9.1f}  {note}")
    one_report = {w: walls[w] / len(chosen) for w in walls}
    print()
    print(f"per team report, wall: 1 worker {one_report[1]:.2f} s, 2 workers "
          f"{one_report[2]:.2f} s; 1 / 2 workers {one_report[1] / one_report[2]:.2f}x "
          f"(goal >= 1.7x)")
    if dask:
        on_dask = dask_seconds(db, period, chosen, folder / "dask")
        print(f"Dask LocalCluster, wall a report: 1 worker {on_dask[1]:.2f} s, 2 workers "
              f"{on_dask[2]:.2f} s; {on_dask[1] / on_dask[2]:.2f}x (goal >= 1.7x)")
    print(f"per-report CPU (1 worker, warm kernel; kernel + worker thread, measured per "
          f"report): 24 teams {small_cpu:.2f} s, {teams_n} teams {big_cpu:.2f} s, ratio "
          f"{big_cpu / small_cpu:.2f} (goal within 10 %: "
          f"{'ok' if abs(big_cpu / small_cpu - 1) <= 0.10 else 'MISSED'}); by rounds: 24 teams "
          + ", ".join(f"{m:.2f}" for m, _d in cpu_runs["small"]) + f"; {teams_n} teams "
          + ", ".join(f"{m:.2f}" for m, _d in cpu_runs["big"]))
    print(f"per-report CPU by difference of two batches (whole process; noisier): 24 teams "
          f"{small_diff:.2f} s, {teams_n} teams {big_diff:.2f} s, ratio "
          f"{big_diff / small_diff:.2f}")
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
    brief_each = brief_rows[1] / len(due_sample)
    total = (stage_wall["import"] + stage_wall["validate"]
             + one_report[2] * len(teams) + brief_each * len(due)
             + stage_wall["collaborative summary"])
    how = (f"extrapolated from {len(chosen)} of {len(teams)} team reports and "
           f"{len(due_sample)} of {len(due)} briefs" if scale > 1 else "measured")
    print(f"whole cycle with 2 workers: {total:.0f} s = {total / 60:.1f} min wall ({how}); "
          f"goal at 2,000 teams <= 15 min")
    stage_cpu = {name: cpu for name, _wall, cpu, _note in rows}
    cpu_total = (stage_cpu["import"] + stage_cpu["validate"] + big_cpu * len(teams) / 2
                 + stage_cpu["site-visit briefs, 2 workers"] / len(due_sample) * len(due) / 2
                 + stage_cpu["collaborative summary"])
    print(f"the same from CPU seconds, on 2 cores nobody else uses: {cpu_total:.0f} s = "
          f"{cpu_total / 60:.1f} min (the machine is shared: wall / CPU above shows the load)")


if __name__ == "__main__":
    main()

"""Benchmark of the batch report runner against the floors measured in the same run.

Run: .venv/bin/python benchmarks/bench_reports.py [--reports 40] [--papermill-reports 10]

Builds the demo collaborative, adds teams (copies of T01.. with all their data) up to
`--reports`, and measures, in seconds per team report of the latest month:

  pool 1 worker      `run_reports(workers=1)`: one reused kernel, HTML through the template
  pool 2 workers     `run_reports(workers=2)`: two worker threads, one kernel each
  papermill reports  `run_reports(engine="papermill")`: the same reports, a fresh kernel each
                     (on `--papermill-reports` teams: it is the slow one)
  papermill trivial  `papermill.execute_notebook` of a one-cell notebook (the fixed cost of a
                     fresh kernel per report)
  in-process floor   the same report in one warm Python process without a kernel:
                     `briefs.team_report_data` + the same figures and tables +
                     `bokeh.embed.file_html` with the same inline BokehJS, written to a file

and prints the ratios, the size of the HTML reports and the peak memory of each worker (its
kernel plus the whole driving process, sampled with psutil). The 1- and 2-worker batches run
`--rounds` times each, alternating which goes first, because this shared machine's speed
drifts by 20-30 % over a minute. Goals: pool within 2.5x of the floor and
at least 3x faster than fresh-kernel papermill on the same reports; 2 workers at least 1.7x
faster than 1; every HTML under 2 MB; peak memory per worker under 500 MB.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import nbformat
import psutil
from sqlalchemy import Engine, insert, select

PERIOD = "2026-10"


# -- data --------------------------------------------------------------------------------------
def add_team_copies(engine: Engine, total: int) -> list[str]:
    """Copy demo teams (with measurements, PDSA cycles, visits, recounts, assessments) as
    T25, T26, … until there are `total` teams; returns every team code."""
    from workbench.store import schema as s

    with engine.begin() as conn:
        teams = [dict(r) for r in conn.execute(select(s.teams).order_by(s.teams.c.team_id))
                 .mappings()]
        codes = [t["team_id"] for t in teams]
        for n in range(len(teams), total):
            source = teams[n % len(teams)]
            code = f"T{n + 1:02d}"
            conn.execute(insert(s.teams).values({**source, "team_id": code,
                                                 "name": f"{source['name']} (copy)"}))
            src = source["team_id"]
            rows = [dict(r) for r in conn.execute(select(s.measurement_revisions).where(
                s.measurement_revisions.c.team_id == src)).mappings()]
            for row in rows:
                row.pop("revision_id")
                row.update(team_id=code, flag_id=None)
            if rows:
                conn.execute(insert(s.measurement_revisions), rows)
            cycles = [dict(r) for r in conn.execute(select(s.pdsa_cycles).where(
                s.pdsa_cycles.c.team_id == src)).mappings()]
            for row in cycles:
                row.pop("cycle_id")
                row.update(team_id=code, parent_cycle_id=None)
            if cycles:
                conn.execute(insert(s.pdsa_cycles), cycles)
            visit_ids: dict[int, int] = {}
            for row in conn.execute(select(s.coaching_visits).where(
                    s.coaching_visits.c.team_id == src)).mappings().all():
                row = dict(row)
                old = row.pop("visit_id")
                visit_ids[old] = conn.execute(insert(s.coaching_visits).values(
                    {**row, "team_id": code})).inserted_primary_key[0]
            for table, key in ((s.verification_recounts, "recount_id"),
                               (s.assessments, "assessment_id")):
                rows = [dict(r) for r in conn.execute(select(table).where(
                    table.c.team_id == src)).mappings()]
                for row in rows:
                    row.pop(key)
                    row["team_id"] = code
                    if row.get("visit_id") is not None:
                        row["visit_id"] = visit_ids.get(row["visit_id"])
                if rows:
                    conn.execute(insert(table), rows)
            codes.append(code)
    return codes


# -- memory ------------------------------------------------------------------------------------
class PeakMemory:
    """Samples, every 0.1 s, the RSS of this process (which drives the workers and writes the
    HTML: it is shared by the workers) and of each of its child process trees (the kernels,
    one per worker)."""

    def __init__(self) -> None:
        self.parent = 0.0
        self.kernels: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            self.parent = max(self.parent, _rss(me) / 2**20)
            for child in me.children():
                try:
                    tree = [child, *child.children(recursive=True)]
                except psutil.Error:
                    continue
                mb = sum(_rss(p) for p in tree) / 2**20
                self.kernels[child.pid] = max(self.kernels.get(child.pid, 0.0), mb)
            self._stop.wait(0.1)

    def per_worker(self) -> list[float]:
        """Each kernel plus the whole driving process (counted in full for every worker)."""
        return [self.parent + mb for mb in self.kernels.values()]

    def describe(self) -> str:
        kernels = ", ".join(f"{mb:.0f}" for mb in self.kernels.values())
        return f"driver {self.parent:.0f} MB + kernel(s) {kernels} MB"


def _cmd(p: psutil.Process) -> list[str]:
    try:
        return p.cmdline()
    except psutil.Error:
        return []


def _rss(p: psutil.Process) -> int:
    try:
        return p.memory_info().rss
    except psutil.Error:
        return 0


# -- the runs ----------------------------------------------------------------------------------
def pool_run(db: str, out: Path, workers: int, teams: list[str]
             ) -> tuple[float, PeakMemory, Any]:
    from workbench.reports.batch import run_reports

    with PeakMemory() as memory:
        started = time.perf_counter()
        result = run_reports(db, PERIOD, "team_report", teams=teams, out_dir=out,
                             workers=workers, force=True, progress=False)
        seconds = time.perf_counter() - started
    failed = [r.team_id for r in result.failed]
    assert not failed, f"reports failed: {failed}: {result.failed[0].error_summary}"
    return seconds, memory, result


def papermill_reports(db: str, out: Path, teams: list[str]) -> float:
    from workbench.reports.batch import run_reports

    started = time.perf_counter()
    result = run_reports(db, PERIOD, "team_report", teams=teams, out_dir=out, workers=1,
                         force=True, progress=False, engine="papermill")
    assert not result.failed, result.failed[0].error_summary
    return time.perf_counter() - started


def papermill_trivial(folder: Path, n: int) -> float:
    import papermill

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")], metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    path = folder / "trivial.ipynb"
    nbformat.write(nb, path)
    started = time.perf_counter()
    for i in range(n):
        papermill.execute_notebook(str(path), str(folder / f"trivial-{i}.ipynb"),
                                   progress_bar=False)
    return time.perf_counter() - started


def in_process_floor(db: str, out: Path, teams: list[str]) -> float:
    """The same report without a kernel: data, the same figures and tables, file_html."""
    from bokeh.embed import file_html
    from bokeh.layouts import column
    from bokeh.resources import INLINE

    from workbench import briefs
    from workbench.notebook import render

    out.mkdir(parents=True, exist_ok=True)
    resources = INLINE  # file_html keeps only the bundles the figures use
    engine = briefs.engine_for(db)

    def one(team_id: str) -> None:
        report = briefs.team_report_data(engine, team_id, PERIOD)
        tables = render.join(
            render.table(report.headline, briefs.COLUMNS["headline"]),
            render.table(report.pdsa_in_flight, briefs.COLUMNS["pdsa"], empty="None."),
            render.table(report.pdsa_finished, briefs.COLUMNS["pdsa"], empty="None."),
            render.table(report.open_flags, briefs.COLUMNS["flags"], empty="None."),
            render.table(report.visit_actions, briefs.COLUMNS["actions"], empty="None."),
            render.table(report.recounts, briefs.COLUMNS["recounts"], empty="None."))
        figures = [fig for _, fig in report.figures()] + [report.assessment_figure()]
        page = file_html(column(*figures), resources, title=report.team_label)
        (out / f"{team_id}.html").write_text(page.replace("<body>", "<body>" + tables, 1))

    one(teams[0])  # warm: imports, first compile
    started = time.perf_counter()
    for team_id in teams:
        one(team_id)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reports", type=int, default=40, help="team reports per run")
    parser.add_argument("--papermill-reports", type=int, default=10,
                        help="team reports for the fresh-kernel papermill engine")
    parser.add_argument("--rounds", type=int, default=2,
                        help="batches of 1 and of 2 workers, in the order 1 2, 2 1, 1 2, … "
                             "(the machine's speed drifts: the ratio is of the summed times)")
    args = parser.parse_args()

    from workbench.demo.build import build_demo
    from workbench.store import open_engine

    try:
        import rfc3987_syntax  # noqa: F401

        print("note: rfc3987-syntax is installed (0.8 s more per fresh Jupyter process; "
              "`make venv` removes it)")
    except ImportError:
        pass
    with tempfile.TemporaryDirectory(prefix="bench-reports-") as tmp:
        folder = Path(tmp)
        db = str(folder / "demo.db")
        build_demo(db)
        teams = add_team_copies(open_engine(db), args.reports)[: args.reports]
        n = len(teams)
        print(f"{n} team reports of {PERIOD} ({os.cpu_count()} CPUs)")

        floor = in_process_floor(db, folder / "floor", teams) / n
        trivial = papermill_trivial(folder, n) / n
        pm_teams = teams[: args.papermill_reports]
        papermill = papermill_reports(db, folder / "papermill", pm_teams) / len(pm_teams)
        times: dict[int, list[float]] = {1: [], 2: []}
        memories: dict[int, list[PeakMemory]] = {1: [], 2: []}
        one = None
        for round_ in range(args.rounds):
            for workers in ((1, 2) if round_ % 2 == 0 else (2, 1)):
                seconds, memory, result = pool_run(db, folder / f"pool{workers}", workers,
                                                   teams)
                times[workers].append(seconds / n)
                memories[workers].append(memory)
                one = result if workers == 1 and one is None else one
        pool1, pool2 = sum(times[1]) / len(times[1]), sum(times[2]) / len(times[2])
        one_mem, two_mem = memories[1][-1], memories[2][-1]
        if args.rounds > 1:
            print("s/report by round: 1 worker " + ", ".join(f"{t:.3f}" for t in times[1])
                  + "; 2 workers " + ", ".join(f"{t:.3f}" for t in times[2]))
            print("1 worker / 2 workers by round: " + ", ".join(
                f"{a / b:.2f}x" for a, b in zip(times[1], times[2], strict=True)))

        sizes = [p.stat().st_size for p in (folder / "pool1" / PERIOD).glob("T*.html")]
        floor_sizes = [p.stat().st_size for p in (folder / "floor").glob("*.html")]
        peak = max(mb for memory in [*memories[1], *memories[2]] for mb in memory.per_worker())
        print()
        print(f"{'approach':<34}{'s/report':>10}")
        for label, value in [
            ("pool, 1 worker", pool1), ("pool, 2 workers", pool2),
            (f"papermill engine ({len(pm_teams)} reports)", papermill),
            ("papermill trivial one-cell notebook", trivial),
            ("in-process floor (no kernel)", floor)]:
            print(f"{label:<34}{value:>10.3f}")
        print()
        checks = [
            ("pool 1 worker / in-process floor", pool1 / floor, "<= 2.5", pool1 / floor <= 2.5),
            ("pool 2 workers / in-process floor", pool2 / floor, "(info)", True),
            ("papermill engine / pool 1 worker", papermill / pool1, ">= 3",
             papermill / pool1 >= 3),
            ("papermill trivial / pool 1 worker", trivial / pool1, "(info)", True),
            ("pool 1 worker / pool 2 workers", pool1 / pool2, ">= 1.7", pool1 / pool2 >= 1.7),
        ]
        for label, ratio, goal, ok in checks:
            print(f"{label:<38}{ratio:>7.2f}x  goal {goal:<7} {'ok' if ok else 'MISSED'}")
        print()
        print(f"HTML report size: median {statistics.median(sizes) / 1e6:.2f} MB, "
              f"max {max(sizes) / 1e6:.2f} MB (goal < 2 MB: "
              f"{'ok' if max(sizes) < 2e6 else 'MISSED'}); floor's file_html "
              f"{statistics.median(floor_sizes) / 1e6:.2f} MB")
        print(f"peak memory: 1 worker {one_mem.describe()}; 2 workers {two_mem.describe()}; "
              f"per worker, the driver counted in full for each: max {peak:.0f} MB "
              f"(goal < 500 MB: {'ok' if peak < 500 else 'MISSED'})")
        print(f"per-report seconds inside the 1-worker batch: median "
              f"{statistics.median(r.seconds for r in one.results):.3f}, first "
              f"{one.results[0].seconds:.3f} (kernel start)")


if __name__ == "__main__":
    main()

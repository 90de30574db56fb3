"""Benchmark of `workbench demo --no-serve`, stage by stage, against a baseline checkout.

Run: .venv/bin/python benchmarks/bench_demo.py                          (this checkout, 1 run)
     .venv/bin/python benchmarks/bench_demo.py --baseline ../wt-base --runs 3

Each run is one `workbench demo --no-serve --force --db DB` in a fresh process of a checkout's
own `.venv` (the command as a user types it, through its click entry point), with timers put
around the functions the command calls, so that it prints, as wall and CPU seconds (the
process and the kernels it started and waited for):

  start              the interpreter, `import workbench.cli` and click, up to the command
  build              `build_demo` as a whole, then its parts where the checkout has them:
    build: schema      a new database at the newest schema (`_fresh_database`)
    build: generate    the launch collaborative generated in memory (`_World`)
    build: story       the spread wave's teams and the graduations (`_story`)
    build: write       the definition, then each world's rows (`write_collaborative`,
                       `_write_world`)
    build: synthesis   the synthesis meeting's package v2 from the evidence (`record_synthesis`)
    build: spread      the spread wave's data drawn once v2 exists (`SpreadWave.grow`)
    build: join        the spread wave joins with v2 (`join_spread_wave`)
  validate           `run_validation` (every data-quality rule, the flags stored)
  team reports       every team's report (`run_reports(…, "team_report")`)
  summary report     the collaborative summary notebook
  total              the whole process, from its start to its exit

With `--baseline PATH` (another checkout with its own `.venv`, e.g. the commit before the demo
grew: `git worktree add --detach ../wt-base 60a522a && make -C ../wt-base venv`) the runs
alternate between the baseline and this checkout (baseline first; `--this PATH` measures
another checkout instead of this one; each runs its own code, on its `.venv`, which may be a
link to another checkout's), and each stage's median is
printed for both with the ratio this/baseline: the machine is shared, so read the ratios
measured in the same run and the CPU seconds; the load average is printed before and after.
Without it, each stage's share of the total is printed instead. The child of each run is this
file with `--child`; the figures are its JSON on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent.parent

STAGES = ["start", "build", "build: schema", "build: generate", "build: story", "build: write",
          "build: synthesis", "build: spread", "build: join", "validate", "team reports",
          "summary report", "total"]


def _cpu() -> float:
    """CPU seconds of this process and of the children it has waited for (the kernels)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


# ------------------------------------------------------------------ the child: one demo run

def _child(db: str, out: str) -> None:
    """`workbench demo --no-serve --force --db DB` in this process, stage timers around the
    functions it calls; the figures go to `out` as JSON."""
    started_wall = float(os.environ["BENCH_DEMO_T0"])
    figures: dict[str, list[float]] = {}

    def add(stage: str, wall: float, cpu: float) -> None:
        total = figures.setdefault(stage, [0.0, 0.0])
        total[0] += wall
        total[1] += cpu

    def timer(stage: str | Callable[..., str], func: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            wall, cpu = time.perf_counter(), _cpu()
            try:
                return func(*args, **kwargs)
            finally:
                name = stage(*args, **kwargs) if callable(stage) else stage
                add(name, time.perf_counter() - wall, _cpu() - cpu)
        return timed

    def wrap(module: Any, name: str, stage: str | Callable[..., str]) -> None:
        if hasattr(module, name):  # an older checkout may not have the part
            setattr(module, name, timer(stage, getattr(module, name)))

    import workbench.cli as cli
    import workbench.cli.demo_job as job
    import workbench.demo.build as build
    import workbench.reports.batch as batch

    add("start", time.time() - started_wall, _cpu())
    wrap(build, "build_demo", "build")
    wrap(build, "_fresh_database", "build: schema")
    wrap(build, "_World", "build: generate")
    wrap(build, "_story", "build: story")
    wrap(build, "write_collaborative", "build: write")
    wrap(build, "_write_world", "build: write")
    wrap(build, "record_synthesis", "build: synthesis")
    wrap(build, "join_spread_wave", "build: join")
    if hasattr(build, "SpreadWave"):
        wrap(build.SpreadWave, "grow", "build: spread")
    wrap(job, "run_validation", "validate")
    wrap(batch, "run_reports",
         lambda *a, **k: "team reports" if (a[2] if len(a) > 2 else k.get(
             "notebook", "team_report")) == "team_report" else "summary report")
    try:
        cli.main(["demo", "--no-serve", "--force", "--db", db], standalone_mode=False)
    finally:
        Path(out).write_text(json.dumps(figures))


# ------------------------------------------------------------------ the parent

def _run(tree: Path, db: Path) -> dict[str, tuple[float, float]]:
    """One demo run of checkout `tree`: {stage: (wall, cpu)}."""
    python = tree / ".venv" / "bin" / "python"
    out = db.with_suffix(".json")
    before = _cpu()
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "BENCH_DEMO_T0": repr(time.time())}
    env["PYTHONPATH"] = str(tree)  # the checkout's own code, whatever its venv points at
    wall = time.perf_counter()
    done = subprocess.run([str(python), str(Path(__file__).resolve()), "--child", str(db),
                           str(out)], cwd=db.parent, env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)
    total = (time.perf_counter() - wall, _cpu() - before)
    if done.returncode:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise SystemExit(f"Error: the demo of {tree} failed (exit {done.returncode}): {last}")
    figures = {stage: (w, c) for stage, (w, c) in json.loads(out.read_text()).items()}
    figures["total"] = total
    return figures


def _median(runs: list[dict[str, tuple[float, float]]], stage: str, k: int) -> float | None:
    values = [run[stage][k] for run in runs if stage in run]
    return statistics.median(values) if values else None


def _fmt(value: float | None) -> str:
    return f"{value:7.2f}" if value is not None else "      -"


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:5.2f}x" if a is not None and b else "     -"


def _share(part: float | None, whole: float | None) -> str:
    return f"{100 * part / whole:5.1f}%" if part is not None and whole else "     -"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path,
                        help="another checkout with its own .venv to alternate with")
    parser.add_argument("--this", type=Path, default=HERE,
                        help="the checkout measured (default: this one)")
    parser.add_argument("--runs", type=int, default=1, help="runs of each checkout (median)")
    parser.add_argument("--child", nargs=2, metavar=("DB", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return
    trees = {"this": args.this.resolve()}
    if args.baseline:
        trees = {"baseline": args.baseline.resolve(), "this": args.this.resolve()}
    for tree in trees.values():
        if not (tree / ".venv" / "bin" / "python").exists():
            raise SystemExit(f"Error: {tree} has no .venv; run `make venv` there first.")
    runs: dict[str, list[dict[str, tuple[float, float]]]] = {name: [] for name in trees}
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-demo-") as tmp:
        for i in range(args.runs):
            for name, tree in trees.items():
                folder = Path(tmp) / f"{name}-{i}"
                folder.mkdir()
                figures = _run(tree, folder / "demo.db")
                runs[name].append(figures)
                print(f"  run {i + 1} {name}: {figures['total'][0]:.1f} s wall, "
                      f"{figures['total'][1]:.1f} s CPU (load {os.getloadavg()[0]:.2f})",
                      flush=True)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"medians of {args.runs} run(s), seconds")
    if args.baseline:
        print(f"{'stage':18s} {'wall base':>9s} {'wall this':>9s} {'ratio':>6s}  "
              f"{'CPU base':>8s} {'CPU this':>8s} {'ratio':>6s}")
        for stage in STAGES:
            wb, wt = _median(runs["baseline"], stage, 0), _median(runs["this"], stage, 0)
            cb, ct = _median(runs["baseline"], stage, 1), _median(runs["this"], stage, 1)
            if wb is None and wt is None:
                continue
            print(f"{stage:18s} {_fmt(wb):>9s} {_fmt(wt):>9s} {_ratio(wt, wb)}  "
                  f"{_fmt(cb):>8s} {_fmt(ct):>8s} {_ratio(ct, cb)}")
        return
    total_wall, total_cpu = (_median(runs["this"], "total", k) for k in (0, 1))
    print(f"{'stage':18s} {'wall':>7s} {'share':>6s}  {'CPU':>7s} {'share':>6s}")
    for stage in STAGES:
        wall, cpu = _median(runs["this"], stage, 0), _median(runs["this"], stage, 1)
        if wall is None:
            continue
        print(f"{stage:18s} {_fmt(wall)} {_share(wall, total_wall)}  {_fmt(cpu)} "
              f"{_share(cpu, total_cpu)}")


if __name__ == "__main__":
    sys.exit(main())

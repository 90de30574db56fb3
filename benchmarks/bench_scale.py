"""Benchmark of the collaborative's size: the demo at 24 teams and at N teams, side by side.

Run: .venv/bin/python benchmarks/bench_scale.py                 (quick: 200 teams × 10 × 36)
     .venv/bin/python benchmarks/bench_scale.py --teams 2000     (the national size)

For the embedded demo (24 teams × 6 indicators × 24 months) and for a demo of `--teams` ×
`--indicators` × `--months` (built with `workbench.demo.build_demo`, `--districts` default
teams ÷ 100), it measures, each as wall seconds and CPU seconds (this process for the build,
the child processes for the rest):

  demo build         `build_demo(db, teams=…, …)` in this process (data generation and the
                     bulk inserts into a new SQLite file)
  summary --json     `workbench summary --db DB --json` as a subprocess, output discarded
  summary notebook   `workbench report --notebook collaborative_summary --workers 1`: the
                     collaborative summary notebook in one kernel, written as HTML

and prints the ratio of each figure at N teams to the same figure at 24 teams, measured in the
same run (the machine is shared: read the ratios and the CPU seconds, the wall seconds drift).
Goals at 2,000 × 10 × 36 on this 2-core machine: the build in tens of seconds, summary --json
under 5 s, the notebook under 30 s. `--skip-notebook` leaves the notebook out (it is the slow
one). The learning-session app's first paint is measured by bench_apps.py (24 teams).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from workbench.demo import DemoSize

PYTHON = sys.executable


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(run: Callable[[], object], cpu: Callable[[], float]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of `run()`; `cpu` reads the clock of whoever does the work."""
    wall, before = time.perf_counter(), cpu()
    run()
    return time.perf_counter() - wall, cpu() - before


def _workbench(*args: str) -> None:
    """Run a workbench command; a failure (e.g. a notebook cell past its timeout) is printed
    and the benchmark goes on (its figure is still the time it took to fail)."""
    done = subprocess.run([PYTHON, "-m", "workbench", *args], stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"})
    if done.returncode:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        print(f"  workbench {args[0]} FAILED (exit {done.returncode}): {last}", flush=True)


def measure(db: Path, size: DemoSize, notebook: bool, label: str
            ) -> dict[str, tuple[float, float]]:
    """The figures of one size (the demo is built at `db`), each printed as it is measured."""
    from workbench.demo import build_demo
    from workbench.store import open_engine, status_counts

    figures: dict[str, tuple[float, float]] = {}

    def record(stage: str, figure: tuple[float, float]) -> None:
        figures[stage] = figure
        print(f"  {label}: {stage}: {figure[0]:.2f} s wall, {figure[1]:.2f} s CPU", flush=True)

    record("demo build", timed(lambda: build_demo(str(db), **size._asdict()).dispose(),
                               _self_cpu))
    period = status_counts(open_engine(str(db)))["last_period"]
    record("summary --json", timed(
        lambda: _workbench("summary", "--db", str(db), "--period", period, "--json"),
        _children_cpu))
    if notebook:
        out = db.parent / f"reports-{db.stem}"
        record("summary notebook", timed(
            lambda: _workbench("report", "--db", str(db), "--period", period, "--notebook",
                               "collaborative_summary", "--workers", "1", "--out", str(out),
                               "--no-progress"), _children_cpu))
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--teams", type=int, default=200)
    parser.add_argument("--indicators", type=int, default=10)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--districts", type=int, default=0, help="default: teams ÷ 100, ≥ 3")
    parser.add_argument("--skip-notebook", action="store_true")
    args = parser.parse_args(argv)
    big = DemoSize(args.teams, args.indicators, args.months,
                   args.districts or max(3, args.teams // 100))
    label = f"{big.teams} × {big.indicators} × {big.months}"
    with tempfile.TemporaryDirectory() as tmp:
        small = measure(Path(tmp) / "demo24.db", DemoSize(), not args.skip_notebook, "24 × 6 × 24")
        large = measure(Path(tmp) / "demoN.db", big, not args.skip_notebook, label)
    print(f"{'stage':<18}{'24 × 6 × 24 wall':>18}{'cpu':>8}{label + ' wall':>22}{'cpu':>8}"
          f"{'ratio wall':>12}{'ratio cpu':>11}")
    for stage, (wall, cpu) in small.items():
        big_wall, big_cpu = large[stage]
        print(f"{stage:<18}{wall:>18.2f}{cpu:>8.2f}{big_wall:>22.2f}{big_cpu:>8.2f}"
              f"{big_wall / wall:>12.1f}{big_cpu / cpu:>11.1f}")


if __name__ == "__main__":
    main()

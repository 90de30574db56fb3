"""Benchmark of `workbench summary --json` (issue 14 item 7: under 5 s at 2,000 teams).

Run: .venv/bin/python benchmarks/bench_summary.py                       (quick: a 48-team demo)
     .venv/bin/python benchmarks/bench_summary.py --db d300.db --db d2000.db \\
         --baseline /path/to/other/checkout --runs 3

For each database it measures, in the same run:

  summary --json   the command as a subprocess of this tree (CPU seconds of the child, and
                   wall), the median of `--runs` runs after one run not timed (the
                   database in the file cache, the modules' bytecode written: as an
                   installed workbench runs, even from a shell with
                   PYTHONDONTWRITEBYTECODE=1);
  baseline         with `--baseline DIR` (another checkout of the workbench, e.g. `git
                   worktree add /tmp/base main`), the same command from that tree, the runs
                   alternating with this tree's; its output must be byte for byte this
                   tree's (a difference is printed and the exit status is 1);
  stages           in this process: the store read (`read_collaborative_inputs`), the
                   roll-ups and their parts (`PARTS`: the team charts, of which the PDSA
                   events, the adoption phases and the SPC frame; the signal status; the
                   prepared frame; the entity series of the gains and times to target;
                   spread and sustainability), and the JSON text; the read is the floor the
                   command cannot go under without reading less.

The machine is shared: read the ratios measured in the same run and the load average printed
with them. The command's CPU includes the interpreter and the imports (about 1 s). CPU is
printed whole and split into user and system time (page faults are system time: numpy's
hugepage advice made first touches cost seconds there); this process turns that advice off
as the workbench commands do (NUMPY_MADVISE_HUGEPAGE=0 unless set), before numpy is imported.
The goal is the wall time (what a person waits): the command reads its measurements on a
second connection while it reads the other tables (`store.side_read`), so its wall time is
under its CPU time on an idle machine of two cores or more.

2026-12-03, 2,000 teams, `--runs 5` against c54f936 (load 0.9): after the store read, team
charts and roll-ups were made lighter (read3, charts3, metrics3 merged) 4.58 s CPU / 4.55 s
wall against 5.16 / 5.14 (0.89x CPU); with the side read as well 4.76 s CPU / 4.23 s wall
against 5.56 / 5.57 (0.86x CPU, 0.76x wall), output byte-identical.
"""

from __future__ import annotations

import argparse
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

os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")  # as the workbench commands do

PYTHON = sys.executable
GOAL_SECONDS = 5.0


def _cpu(who: int) -> tuple[float, float]:
    """(user, system) CPU seconds of this process (RUSAGE_SELF) or its children."""
    usage = resource.getrusage(who)
    return usage.ru_utime, usage.ru_stime


def run_summary(db: str, tree: str | None, out: Path) -> tuple[float, float, float]:
    """(wall, user CPU, system CPU) seconds of `workbench summary --db DB --json` > out,
    from `tree` (a checkout put first on the path) or this one."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    # as an installed workbench runs: its modules' bytecode cached (`_warm_up`), not compiled
    # again at every run (a shell with PYTHONDONTWRITEBYTECODE=1 adds ~0.15 s a run)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if tree:
        env["PYTHONPATH"] = tree
    wall, (user, system) = time.perf_counter(), _cpu(resource.RUSAGE_CHILDREN)
    with out.open("wb") as sink:  # run in `tree`: `python -m` puts the working folder first
        subprocess.run([PYTHON, "-m", "workbench", "summary", "--db", db, "--json"],
                       stdout=sink, env=env, check=True, cwd=tree or None)
    now_user, now_system = _cpu(resource.RUSAGE_CHILDREN)
    return time.perf_counter() - wall, now_user - user, now_system - system


#: the parts of the roll-ups timed in `stages`: (label, module, function), each timed where
#: its callers look it up (a module's global), so nested calls are counted once, in their part
PARTS = [
    ("  team charts", "workbench.briefs.summary", "team_charts"),
    ("    PDSA events", "workbench.rollup.series", "pdsa_events"),
    ("    adoption phases", "workbench.rollup.series", "adoption_phases"),
    ("    SPC frame (limits, runs)", "workbench.rollup.series", "spc_frame"),
    ("  signal status", "workbench.rollup.status", "signal_status"),
    ("  prepared frame", "workbench.rollup.base", "_prepare"),
    ("  entity series", "workbench.rollup.metrics", "_entity_series"),
    ("  spread, sustainability", "workbench.briefs.summary", "spread_frames"),
]


def stages(db: str) -> dict[str, float | tuple[float, float]]:
    """CPU seconds of the stages of the command, in this process, as (user, system) for the
    store read, the roll-ups and the JSON text, and of the parts of the roll-ups (`PARTS`,
    user and system together)."""
    import importlib

    from workbench.briefs.summary import read_collaborative_inputs, rollup_of_inputs
    from workbench.cli.json_records import payload_json
    from workbench.cli.rollup_cmd import JSON_KEYS
    from workbench.store import open_engine

    clock = time.process_time
    figures: dict[str, float | tuple[float, float]] = {}

    def since(start: tuple[float, float]) -> tuple[float, float]:
        user, system = _cpu(resource.RUSAGE_SELF)
        return user - start[0], system - start[1]
    spent = {label: 0.0 for label, _, _ in PARTS}
    originals = []

    def timed(label: str, function: Any) -> Any:
        def run(*args: object, **kwargs: object) -> object:
            start = clock()
            try:
                return function(*args, **kwargs)
            finally:
                spent[label] += clock() - start
        return run

    begun = _cpu(resource.RUSAGE_SELF)
    inputs = read_collaborative_inputs(open_engine(db))
    figures["store read"] = since(begun)
    for label, module_name, name in PARTS:
        module = importlib.import_module(module_name)
        originals.append((module, name, getattr(module, name)))
        setattr(module, name, timed(label, getattr(module, name)))
    try:
        begun = _cpu(resource.RUSAGE_SELF)
        frames, _ = rollup_of_inputs(inputs)
        figures["roll-ups"] = since(begun)
    finally:
        for module, name, function in originals:
            setattr(module, name, function)
    figures.update(spent)
    begun = _cpu(resource.RUSAGE_SELF)
    payload_json({"collaborative": inputs.name, "period": None},
                 {key: frames[key] for key in JSON_KEYS})
    figures["JSON text"] = since(begun)
    return figures


def measure(db: str, baseline: str | None, runs: int) -> bool:
    """Print the figures of one database; False when the baseline's output differs."""
    same = True
    with tempfile.TemporaryDirectory() as tmp:
        mine: list[tuple[float, float, float]] = []
        base: list[tuple[float, float, float]] = []
        for tree in (None, baseline) if baseline is not None else (None,):  # not timed:
            run_summary(db, tree, Path(tmp) / "warm-up.json")  # bytecode written, file cached
        for i in range(runs):
            order: list[tuple[str | None, list[tuple[float, float, float]], str]] = [
                (None, mine, "this"), (baseline, base, "base")]
            if baseline is None:
                order = order[:1]
            elif i % 2:
                order.reverse()  # alternate which goes first
            for tree, figures, name in order:
                figures.append(run_summary(db, tree, Path(tmp) / f"{name}.json"))
            if baseline is not None:
                texts = [(Path(tmp) / f"{n}.json").read_bytes() for n in ("this", "base")]
                same = same and texts[0] == texts[1]
        size = (Path(tmp) / "this.json").stat().st_size
    load = os.getloadavg()
    print(f"\n{db}: output {size / 1e6:.1f} MB; load average {load[0]:.1f} {load[1]:.1f}")

    def line(name: str, figures: list[tuple[float, float, float]]) -> tuple[float, float]:
        cpu = statistics.median(u + s for _, u, s in figures)
        user = statistics.median(u for _, u, _ in figures)
        system = statistics.median(s for _, _, s in figures)
        wall = statistics.median(w for w, _, _ in figures)
        print(f"  {name:<28}{cpu:>8.2f} s CPU (user {user:.2f}, sys {system:.2f}) "
              f"{wall:>8.2f} s wall   (CPU of each run: "
              f"{', '.join(f'{u + s:.2f}' for _, u, s in figures)})")
        return cpu, wall

    now = line("summary --json, this tree", mine)
    if baseline is not None:
        before = line("summary --json, baseline", base)
        print(f"  {'this ÷ baseline':<28}{now[0] / before[0]:>8.2f} CPU, {now[1] / before[1]:.2f} "
              f"wall   output {'byte-identical' if same else 'DIFFERS'}")
    print(f"  goal: under {GOAL_SECONDS:.0f} s wall  "
          f"{'met' if now[1] < GOAL_SECONDS else 'not met'}")
    for stage, cpu in stages(db).items():
        if isinstance(cpu, tuple):
            print(f"  {stage:<28}{sum(cpu):>8.2f} s CPU (in process; user {cpu[0]:.2f}, "
                  f"sys {cpu[1]:.2f})")
        else:
            print(f"  {stage:<28}{cpu:>8.2f} s CPU (in process)")
    return same


def run_on_databases(description: str, measure: Callable[[str, str | None, int], bool],
                     argv: list[str] | None = None) -> int:
    """The command line of a benchmark that measures databases against a baseline checkout
    (`--db` repeatable, default a new 48-team demo; `--baseline`; `--runs`): 0 when every
    `measure(db, baseline, runs)` found the same results."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--db", action="append", default=[],
                        help="a database (repeatable); default: a new 48-team demo")
    parser.add_argument("--baseline", help="another checkout to compare with, e.g. main's")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        dbs: list[str] = args.db
        if not dbs:
            from workbench.demo import build_demo

            dbs = [str(Path(tmp) / "demo.db")]
            build_demo(dbs[0]).dispose()
        results = [measure(db, args.baseline, args.runs) for db in dbs]
    return 0 if all(results) else 1


def main(argv: list[str] | None = None) -> int:
    return run_on_databases(__doc__.split("\n")[0], measure, argv)


if __name__ == "__main__":
    sys.exit(main())

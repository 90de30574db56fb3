"""Benchmark of workbench.learning on the demo collaborative: what the synthesis pack, the
"what is working" panel, `workbench practices` and `workbench summary` add; and the evidence
at a national size.

Run: .venv/bin/python benchmarks/bench_learning.py                    (the demo only)
     .venv/bin/python benchmarks/bench_learning.py --build            (and the demo's build)
     .venv/bin/python benchmarks/bench_learning.py --teams 2000       (and 2,000 × 10 × 36)
     .venv/bin/python benchmarks/bench_learning.py --teams 2000 --db /tmp/learning-2000.db
                                                  (reuse a demo built at that size)

Builds the demo once (`build_demo` defaults) into a temporary folder, then
prints the best of 3 wall times of:

- the floor: reading the measurements, PDSA cycles and change ideas from the store;
- `practice_evidence` (every change idea × indicator, DiD against non-adopters, pooling);
- `synthesis_data` without figures (evidence, stories, aligned values, draft package);
- `sustainability` with every team graduated at month 12 (the worst case of the summary's
  added figures) and `spread_frames` as `workbench summary` calls it;

each with its ratio to the floor measured in the same run (the machine is shared: read the
ratios). Goals: the panel's evidence under 5 s on the demo; the summary's added figures
under 10 % of `collaborative_rollup`.

With `--build` it also measures building the demo (`build_demo`, best of 3 CPU seconds of this
process): the default demo (48 teams with the story after the launch: the synthesis meeting
through `workbench.learning.meeting`, the spread wave, graduations) against a demo of the same
48 teams without the story and one of 24 teams without it (the demo before the story) — ratios
in the same run. Measured 2026-12-02 on the shared 2-core machine (load 10-13: CPU seconds
inflate and vary by a factor of 2 between runs, read the ratios): 48 teams with the story 1.06 s,
the same 48 without it 0.87 s (the story adds 1.2x), the 24 launch teams alone 0.40 s (2.7x).
`workbench demo --build-only` (whole process, user + sys CPU, median of 5 alternating runs):
the demo before the story (24 teams, commit 60a522a) 2.2 s; the 48-team demo with the story
before team_adoptions and the pack were vectorised and the demo stopped importing the report
layer (commit 1066587) 6.0 s (2.7x); now 4.0 s (1.8x, for twice the teams).

With `--teams N` (`--indicators`, `--months`: default 10 and 36) it builds `build_demo(teams=N,
…)` (or opens `--db`) and measures once, as wall and CPU seconds of this process, the same
floor, `practice_evidence`, `synthesis_data` and the pack's small multiples (`figures()`), and
then `workbench practices --json` and the synthesis notebook (`workbench report --notebook
synthesis`) as child processes (their CPU is the children's); each with its ratio to the floor
at that size and to the same figure on the demo. Goal at 2,000 × 10 × 36: seconds, not minutes
(CPU).
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
from typing import Any


def timed(fn: Callable[[], Any], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def once(fn: Callable[[], Any], who: int = resource.RUSAGE_SELF) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run of `fn` (CPU of this process or its children)."""
    wall, cpu = time.perf_counter(), _cpu(who)
    fn()
    return time.perf_counter() - wall, _cpu(who) - cpu


def _workbench(*args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "workbench", *args], stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"})
    if done.returncode:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        print(f"  workbench {args[0]} FAILED (exit {done.returncode}): {last}", flush=True)


def national(db: str, label: str) -> dict[str, tuple[float, float]]:
    """The evidence figures of the collaborative at `db`, each measured once."""
    from workbench import briefs
    from workbench.learning import practice_evidence
    from workbench.store import (
        collaborative_indicators,
        open_engine,
        read_change_ideas,
        read_collaborative_measurements,
        read_pdsa_cycles,
        status_counts,
    )

    engine = open_engine(db)
    figures: dict[str, tuple[float, float]] = {}
    got: dict[str, Any] = {}

    def record(stage: str, figure: tuple[float, float]) -> None:
        figures[stage] = figure
        print(f"  {label}: {stage}: {figure[0]:.2f} s wall, {figure[1]:.2f} s CPU", flush=True)

    def read() -> None:
        got["m"], got["c"], got["i"] = (read_collaborative_measurements(engine),
                                        read_pdsa_cycles(engine), read_change_ideas(engine))

    record("read (floor)", once(read))
    indicators = collaborative_indicators(engine)
    record("practice_evidence", once(lambda: practice_evidence(got["m"], indicators, got["c"],
                                                               got["i"])))
    record("synthesis_data", once(lambda: got.setdefault(
        "pack", briefs.synthesis_data(engine, "", ""))))
    record("pack figures", once(lambda: got["pack"].figures()))
    period = status_counts(engine)["last_period"]
    record("practices --json", once(lambda: _workbench("practices", "--db", db, "--json"),
                                    resource.RUSAGE_CHILDREN))
    out = str(Path(db).parent / f"reports-{Path(db).stem}")
    record("synthesis notebook", once(lambda: _workbench(
        "report", "--db", db, "--period", period, "--notebook", "synthesis", "--workers", "1",
        "--out", out, "--no-progress", "--force"), resource.RUSAGE_CHILDREN))
    return figures


def at_size(demo: str, args: argparse.Namespace, folder: Path) -> None:
    """The national figures beside the demo's, with their ratios (same run)."""
    small = national(demo, "demo")
    db = args.db
    if not db:
        from workbench.demo.build import build_demo

        db = str(folder / f"demo-{args.teams}.db")
        print(f"building the demo at {args.teams} × {args.indicators} × {args.months} …",
              flush=True)
        build_demo(db, teams=args.teams, indicators=args.indicators, months=args.months,
                   districts=max(3, args.teams // 100)).dispose()
    large = national(db, f"{args.teams} teams")
    floor = large["read (floor)"][1]
    print(f"\n{'what (CPU seconds)':<24} {'demo':>9} {f'{args.teams} teams':>11} "
          f"{'x demo':>7} {'x floor':>8}")
    for stage, (_wall, cpu) in large.items():
        print(f"{stage:<24} {small[stage][1]:>9.2f} {cpu:>11.2f} "
              f"{cpu / max(small[stage][1], 1e-9):>7.1f} {cpu / max(floor, 1e-9):>8.1f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--teams", type=int, default=0, help="a national size too (e.g. 2000)")
    parser.add_argument("--indicators", type=int, default=10)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--db", default="", help="a demo already built at that size")
    parser.add_argument("--build", action="store_true",
                        help="also the demo's build: with the story against without it")
    args = parser.parse_args(argv)
    demo_only(args)
    if args.build:
        print(flush=True)
        builds()


def builds(repeat: int = 3) -> None:
    """CPU seconds of `build_demo`: the default demo against the same teams without the story
    and the 24 launch teams alone (best of `repeat`, same run)."""
    from workbench.demo.build import build_demo

    folder = Path(tempfile.mkdtemp(prefix="bench-build-"))
    sizes = [("default demo: 48 teams with the story", {}),
             ("48 teams, no story", {"teams": 48}),
             ("24 teams, no story (the launch alone)", {"teams": 24, "districts": 4})]
    rows = []
    for k, (name, size) in enumerate(sizes):
        best = float("inf")
        for r in range(repeat):
            db = str(folder / f"build-{k}-{r}.db")
            start = time.process_time()
            build_demo(db, **size).dispose()  # type: ignore[arg-type]
            best = min(best, time.process_time() - start)
        rows.append((name, best))
    print(f"{'build_demo (CPU seconds, best of 3)':<44} {'seconds':>8} {'x this':>8}")
    for name, seconds in rows:
        print(f"{name:<44} {seconds:>8.3f} {rows[0][1] / seconds:>8.1f}")


def demo_only(args: argparse.Namespace) -> None:
    from workbench import briefs
    from workbench.briefs.summary import collaborative_rollup
    from workbench.demo.build import build_demo
    from workbench.learning import practice_evidence
    from workbench.learning.spread import spread_frames, sustainability
    from workbench.store import (
        read_change_ideas,
        read_indicators,
        read_measurements,
        read_pdsa_cycles,
        read_teams,
        read_waves,
    )

    folder = Path(tempfile.mkdtemp(prefix="bench-learning-"))
    engine = build_demo(str(folder / "demo.db"))

    def read() -> tuple[Any, ...]:
        return (read_measurements(engine), read_pdsa_cycles(engine), read_change_ideas(engine))

    floor = timed(read)
    m, cycles, ideas = read()
    indicators, teams, waves = read_indicators(engine), read_teams(engine), read_waves(engine)
    graduated = teams.assign(graduated_on="2025-10-31")
    frames = collaborative_rollup(engine)
    period = frames["context"]["period"].iloc[0]
    rollup_s = timed(lambda: collaborative_rollup(engine), repeat=1)
    rows = [
        ("read measurements, cycles, ideas (floor)", floor),
        ("practice_evidence (panel, practices)", timed(
            lambda: practice_evidence(m, indicators, cycles, ideas))),
        ("synthesis_data, no figures (pack)", timed(
            lambda: briefs.synthesis_data(engine, "", ""))),
        ("sustainability, every team graduated", timed(
            lambda: sustainability(m, indicators, graduated, period))),
        ("spread_frames as summary calls it", timed(
            lambda: spread_frames(frames["time_to_target"], m, indicators, teams, waves,
                                  period))),
        ("collaborative_rollup (whole summary)", rollup_s),
    ]
    print(f"{'what':<44} {'seconds':>8} {'x floor':>8}")
    for name, seconds in rows:
        print(f"{name:<44} {seconds:>8.3f} {seconds / floor:>8.1f}")
    added = rows[4][1] / rollup_s
    print(f"spread and sustainability add {100 * added:.1f} % to collaborative_rollup "
          "(goal < 10 %)")
    if args.teams:
        print(flush=True)
        at_size(str(folder / "demo.db"), args, folder)


if __name__ == "__main__":
    main()

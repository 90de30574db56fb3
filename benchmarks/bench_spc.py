"""Benchmark of workbench.spc over many series at once, and of the `workbench spc` command.

Run: .venv/bin/python benchmarks/bench_spc.py

Prints wall time and series per second for (a) a run chart with summary over 1,000 teams x
36 months and (b) a p chart with the Anhøj summary over 1,000 teams x 6 indicators x 36
months, each with its ratio to a floor measured in the same run: a pandas
`groupby(...).median()` over the same frame. Goals: (a) < 0.3 s, (b) < 1 s.

Then (c) the whole `workbench spc teams.csv --chart run --json` process on the data of (a)
written as a CSV file, beside the library time on the same file (read + `qic()`), with
`--summary-only` and a bare `python -c "import pandas"` as the floor of any such process.
Goal (issue 15): the process under 1.4 s, 20x faster than qicharts2 on the same data
(27.7 s measured on this machine kind). Wall and CPU seconds are both printed: on a shared
machine the wall time waits for other processes, the CPU time does not.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.cli.analysis.spc_cmd import read_spc_csv
from workbench.spc.qic import qic

TEAMS, INDICATORS, MONTHS = 1_000, 6, 36


def build(teams: int, indicators: int, months: int, seed: int = 1) -> pd.DataFrame:
    """Numerator/denominator data, one row per team, indicator and month."""
    rng = np.random.default_rng(seed)
    size = teams * indicators * months
    team = np.repeat(np.arange(teams), indicators * months)
    indicator = np.tile(np.repeat(np.arange(indicators), months), teams)
    month = np.tile(pd.period_range("2022-01", periods=months, freq="M").to_timestamp(),
                    teams * indicators)
    n = rng.integers(20, 200, size)
    p = np.clip(0.5 + 0.01 * (np.arange(size) % months) + rng.normal(0, 0.05, size), 0, 1)
    y = rng.binomial(n, p)
    series = pd.Series(team).map("T{:04d}".format) + "/" + pd.Series(indicator).astype(str)
    return pd.DataFrame({"series": series, "x": month, "y": y.astype(float),
                         "n": n.astype(float)})


def timed(fn, repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def report(label: str, seconds: float, n_series: int, floor: float, goal: float) -> None:
    verdict = "met" if seconds < goal else "MISSED"
    print(f"{label:<44} {seconds * 1000:8.1f} ms  {n_series / seconds:10,.0f} series/s  "
          f"{seconds / floor:5.1f}x floor  (goal < {goal:g} s: {verdict})")


QICHARTS2_SECONDS = 27.7  # qicharts2 0.8.1, same 1,000 x 36 run charts (issue 15)
CLI_GOAL = 1.4


def process_seconds(args: list[str], repeat: int = 3) -> tuple[float, float]:
    """Best wall and CPU seconds (children's user + system) of running `args`, output dropped."""
    best_wall, best_cpu = float("inf"), float("inf")
    for _ in range(repeat):
        before = os.times()
        start = time.perf_counter()
        subprocess.run(args, stdout=subprocess.DEVNULL, check=True)
        wall = time.perf_counter() - start
        after = os.times()
        cpu = (after.children_user - before.children_user
               + after.children_system - before.children_system)
        best_wall, best_cpu = min(best_wall, wall), min(best_cpu, cpu)
    return best_wall, best_cpu


def cli(teams: pd.DataFrame) -> None:
    """(c): the `workbench spc` process beside the library on the same CSV file."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "teams.csv"
        teams.assign(x=teams["x"].dt.strftime("%Y-%m")).to_csv(path, index=False)
        library = timed(lambda: qic(read_spc_csv(path)[0], "run", series="series", n="n"))
        command = [sys.executable, "-m", "workbench", "spc", str(path), "--chart", "run"]
        floor = process_seconds([sys.executable, "-c", "import pandas"])
        full = process_seconds([*command, "--json"])
        brief = process_seconds([*command, "--json", "--summary-only"])
    print(f"(c) workbench spc, {TEAMS:,} teams x {MONTHS} months, run chart; best of 3 "
          "(wall / CPU)")
    print(f"{'    library: read CSV + qic()':<44} {library * 1000:8.1f} ms")
    print(f"{'    floor: python -c import pandas':<44} {floor[0]:8.2f} s / {floor[1]:.2f} s")
    for label, (wall, cpu) in (("--json", full), ("--json --summary-only", brief)):
        verdicts = [f"{name} {'met' if seconds < CLI_GOAL else 'MISSED'}"
                    for name, seconds in (("wall", wall), ("CPU", cpu))]
        print(f"{'    ' + label:<44} {wall:8.2f} s / {cpu:.2f} s  "
              f"{QICHARTS2_SECONDS / wall:5.1f}x / {QICHARTS2_SECONDS / cpu:.0f}x faster than "
              f"qicharts2 (goal < {CLI_GOAL:g} s: {', '.join(verdicts)})")


def main() -> None:
    teams = build(TEAMS, 1, MONTHS)
    indicators = build(TEAMS, INDICATORS, MONTHS)
    floor_a = timed(lambda: teams.groupby(["series", "x"])["y"].median())
    floor_b = timed(lambda: indicators.groupby(["series", "x"])["y"].median())
    run = timed(lambda: qic(teams, "run", series="series", n="n"))
    pchart = timed(lambda: qic(indicators, "p", series="series", n="n"))
    print(f"rows: {len(teams):,} (a), {len(indicators):,} (b); best of 5 runs")
    print(f"{'floor: groupby(series, x).median()':<44} {floor_a * 1000:8.1f} ms (a)  "
          f"{floor_b * 1000:8.1f} ms (b)")
    report(f"(a) run chart + summary, {TEAMS:,} series", run, TEAMS, floor_a, 0.3)
    report(f"(b) p chart + Anhøj summary, {TEAMS * INDICATORS:,} series", pchart,
           TEAMS * INDICATORS, floor_b, 1.0)
    cli(teams)


if __name__ == "__main__":
    main()

"""Benchmark of workbench.spc over many series at once.

Run: .venv/bin/python benchmarks/bench_spc.py

Prints wall time and series per second for (a) a run chart with summary over 1,000 teams x
36 months and (b) a p chart with the Anhøj summary over 1,000 teams x 6 indicators x 36
months, each with its ratio to a floor measured in the same run: a pandas
`groupby(...).median()` over the same frame. Goals: (a) < 0.3 s, (b) < 1 s.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

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


if __name__ == "__main__":
    main()

"""Benchmark of the one chart assembly and signal status at a national collaborative's size.

Run: .venv/bin/python benchmarks/bench_signals.py [--teams 2000] [--indicators 10] [--months 24]

Synthetic data (seeded): every team × indicator a p-chart series of `--months` months, one
PDSA cycle per team × indicator adopted in month 12 (so every chart gets a second phase).
Measures, in seconds, each over `--rounds` rounds (the median):

  qic floor        `spc_frame` without phases: the SPC lines of every series (the baseline)
  team_charts      `workbench.rollup.series.team_charts`: PDSA events, adoption phases, lines
  chart_signals    `team_charts` + `signal_status`: what `workbench summary` and the
                   learning-session app compute for the status matrix

and prints each against the floor. The status matrix is computed once per batch, so its cost
is per collaborative, not per report.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from workbench.rollup.series import spc_frame, team_charts
from workbench.rollup.status import chart_signals


def synthetic(teams: int, indicators: int, months: int, seed: int = 1
              ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(measurements, indicators, cycles) of a synthetic collaborative."""
    rng = np.random.default_rng(seed)
    team_ids = [f"T{i:04d}" for i in range(teams)]
    ind_ids = [f"I{j:02d}" for j in range(indicators)]
    periods = pd.period_range("2024-01", periods=months, freq="M")
    keys = pd.MultiIndex.from_product([team_ids, ind_ids, periods],
                                      names=["team_id", "indicator_id", "period"])
    m = keys.to_frame(index=False)
    den = rng.integers(20, 60, len(m)).astype(float)
    p = 0.5 + 0.2 * (m["period"].map(lambda q: q.ordinal).to_numpy() > periods[12].ordinal)
    num = rng.binomial(den.astype(int), p).astype(float)
    m = m.assign(numerator=num, denominator=den, value=num / den)
    ind = pd.DataFrame({"indicator_id": ind_ids, "chart": "p", "direction": "increase",
                        "target": 0.9, "kind": "proportion", "multiplier": 100.0})
    adopt = str(periods[11].to_timestamp(how="end").date())
    start = str(periods[10].to_timestamp().date())
    pairs = pd.MultiIndex.from_product([team_ids, ind_ids]).to_frame(index=False,
                                                                      name=["team_id", "ind"])
    cycles = pd.DataFrame({
        "cycle_id": np.arange(len(pairs)), "team_id": pairs["team_id"], "change_id": "C01",
        "cycle_number": 1, "title": "test", "linked_indicators": [[i] for i in pairs["ind"]],
        "start_date": start, "end_date": adopt, "act_decision": "adopt"})
    return m, ind, cycles


def _median_seconds(fn: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teams", type=int, default=2000)
    parser.add_argument("--indicators", type=int, default=10)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    m, ind, cycles = synthetic(args.teams, args.indicators, args.months)
    print(f"{args.teams} teams × {args.indicators} indicators × {args.months} months "
          f"= {len(m):,} rows, {len(cycles):,} adopted PDSA cycles")
    floor = _median_seconds(lambda: spc_frame(m, ind), args.rounds)
    charts = _median_seconds(lambda: team_charts(m, ind, cycles), args.rounds)
    signals = _median_seconds(lambda: chart_signals(m, ind, cycles=cycles), args.rounds)
    print(f"  qic floor      {floor:7.2f} s")
    print(f"  team_charts    {charts:7.2f} s  ({charts / floor:.2f}x the floor)")
    print(f"  chart_signals  {signals:7.2f} s  ({signals / floor:.2f}x the floor)")


if __name__ == "__main__":
    main()

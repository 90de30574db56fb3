"""Benchmark of workbench.learning on the demo collaborative: what the synthesis pack, the
"what is working" panel, `workbench practices` and `workbench summary` add.

Run: .venv/bin/python benchmarks/bench_learning.py

Builds the demo once (24 teams, 6 indicators, 24 months) into a temporary folder, then
prints the best of 3 wall times of:

- the floor: reading the measurements, PDSA cycles and change ideas from the store;
- `practice_evidence` (every change idea × indicator, DiD against non-adopters, pooling);
- `synthesis_data` without figures (evidence, stories, aligned values, draft package);
- `sustainability` with every team graduated at month 12 (the worst case of the summary's
  added figures) and `spread_frames` as `workbench summary` calls it;

each with its ratio to the floor measured in the same run (the machine is shared: read the
ratios). Goals: the panel's evidence under 5 s on the demo; the summary's added figures
under 10 % of `collaborative_rollup`.
"""

from __future__ import annotations

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


def main() -> None:
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
        ("sustainability, 24 teams graduated", timed(
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


if __name__ == "__main__":
    main()

"""Import and validation at national scale: 2,000 teams × 10 indicators × 48 months.

    .venv/bin/python benchmarks/bench_ingest.py [--teams 2000] [--months 48]

Writes a tidy CSV of 960,000 rows, then (1) the floor: pandas read_csv + DataFrame.to_sql of
the same rows into a fresh SQLite file; (2) `workbench.ingest.import_file` into a fresh
collaborative database; (3) `workbench.validate.run_validation` on everything. Prints rows/s,
the import's ratio to the floor, process CPU seconds beside each wall time (a shared, loaded
machine inflates wall time; CPU time and the ratios are the comparable figures), and peak
memory (resource.getrusage). Goals (issue 4):
import within 2× of the floor, validation under 10 s, peak memory under 2 GiB.
"""

from __future__ import annotations

import argparse
import resource
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def build(folder: Path, teams: int, indicators: int, months: int) -> tuple[Path, Path]:
    rng = np.random.default_rng(7)
    team_ids = [f"F{i:05d}" for i in range(teams)]
    ind_ids = [f"IND{j:02d}" for j in range(indicators)]
    periods = [str(p) for p in pd.period_range("2022-01", periods=months, freq="M")]
    config = {
        "collaborative": {"name": "Benchmark", "start_period": periods[0]},
        "indicators": [{"code": c, "name": c, "type": "process", "kind": "proportion"}
                       for c in ind_ids],
        "waves": [{"code": "W1", "name": "W1", "start_period": periods[0]}],
        "teams": [{"code": t, "name": t, "wave": "W1"} for t in team_ids],
    }
    yaml_path = folder / "bench.yaml"
    yaml_path.write_text(yaml.safe_dump(config), encoding="utf-8")
    n = teams * indicators * months
    size = rng.integers(20, 400, teams * indicators).repeat(months)
    den = rng.poisson(size)
    p = rng.uniform(0.3, 0.95, teams * indicators).repeat(months)
    num = rng.binomial(den, p)
    frame = pd.DataFrame({
        "team_id": np.repeat(team_ids, indicators * months),
        "indicator_id": np.tile(np.repeat(ind_ids, months), teams),
        "period": np.tile(periods, teams * indicators),
        "numerator": num, "denominator": den,
    })
    assert len(frame) == n
    csv_path = folder / "bench.csv"
    frame.to_csv(csv_path, index=False)
    return yaml_path, csv_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--teams", type=int, default=2000)
    parser.add_argument("--indicators", type=int, default=10)
    parser.add_argument("--months", type=int, default=48)
    args = parser.parse_args()

    from sqlalchemy import create_engine

    from workbench.ingest.collaborative import init_collaborative
    from workbench.ingest.importer import import_file
    from workbench.validate.run import run_validation

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        yaml_path, csv_path = build(folder, args.teams, args.indicators, args.months)
        rows = args.teams * args.indicators * args.months
        print(f"{rows:,} rows ({csv_path.stat().st_size / 1e6:.0f} MB CSV)")

        start, cpu = time.perf_counter(), time.process_time()
        frame = pd.read_csv(csv_path)
        floor_engine = create_engine(f"sqlite:///{folder / 'floor.db'}")
        frame.to_sql("measurements", floor_engine, index=False)
        floor, floor_cpu = time.perf_counter() - start, time.process_time() - cpu
        del frame
        floor_engine.dispose()
        print(f"floor   read_csv + to_sql : {floor:6.2f} s  {rows / floor:>10,.0f} rows/s  "
              f"(cpu {floor_cpu:.2f} s)")

        db = str(folder / "bench.db")
        engine = init_collaborative(db, yaml_path)
        start, cpu = time.perf_counter(), time.process_time()
        result = import_file(engine, csv_path)
        took, took_cpu = time.perf_counter() - start, time.process_time() - cpu
        assert result.new == rows, result
        print(f"import  workbench         : {took:6.2f} s  {rows / took:>10,.0f} rows/s  "
              f"ratio to floor {took / floor:.2f}x (goal <= 2x); cpu {took_cpu:.2f} s, "
              f"{took_cpu / floor_cpu:.2f}x")

        start, cpu = time.perf_counter(), time.process_time()
        summary = run_validation(engine)
        vtook, vcpu = time.perf_counter() - start, time.process_time() - cpu
        print(f"validate all rules        : {vtook:6.2f} s  {rows / vtook:>10,.0f} rows/s "
              f"(goal < 10 s; cpu {vcpu:.2f} s); flags {summary['new']}: {summary['found']}")

        start = time.perf_counter()
        again = import_file(engine, csv_path)
        retook = time.perf_counter() - start
        print(f"re-import (no-op)         : {retook:6.2f} s  {again.unchanged:,} unchanged")
        with sqlite3.connect(db) as con:
            revisions = con.execute("SELECT count(*) FROM measurement_revisions").fetchone()[0]
        assert revisions == rows
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
        print(f"peak memory               : {peak:6.2f} GiB (goal < 2 GiB)")


if __name__ == "__main__":
    main()

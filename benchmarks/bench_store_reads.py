"""Benchmark of the store's reads that feed the summary, the reports, the briefs and the app
(issue 14 item 7: the store read of `workbench summary --json` at 2,000 teams under 1 s).

Run: .venv/bin/python benchmarks/bench_store_reads.py                   (quick: a 48-team demo)
     .venv/bin/python benchmarks/bench_store_reads.py --db d48.db --db d300.db --db d2000.db \\
         --baseline /path/to/other/checkout --runs 3

For each database and each read (`READS`: the current measurements, the PDSA cycles as the
charts read them and whole, assessments whole and the roll-ups' columns, visits, recounts,
flags, teams, and the whole store read of the summary, `read_collaborative_inputs`) it
measures the CPU seconds (user + system; the system seconds also apart) of one call in a
fresh process of this tree, and with `--baseline DIR` (another checkout, e.g. `git worktree
add --detach /tmp/base main`) of that tree, the runs alternating; it prints the median of
`--runs` runs of each and their ratio, and checks that both trees return the same frames
(dtypes included: `pandas.testing.assert_frame_equal`; a difference is printed and the exit
status is 1; a read the baseline does not have is shown as "-"). Each process first reads the
teams, so imports and the file's pages are not counted. Set NUMPY_MADVISE_HUGEPAGE=0 in the
shell for both trees (the workbench commands do).

The machine is shared: read the ratios measured in the same run and the load average printed
with them.
"""

from __future__ import annotations

import os
import pickle
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_summary import run_on_databases

PYTHON = sys.executable

#: (label, the call, run in the child with `engine` and the store's names imported)
READS = [
    ("current measurements", "read_collaborative_measurements(engine)"),
    ("PDSA cycles (chart columns)", "read_pdsa_cycles(engine, columns=CHART_CYCLE_COLUMNS)"),
    ("PDSA cycles (all columns)", "read_pdsa_cycles(engine)"),
    ("assessments", "read_assessments(engine)"),
    ("assessments (roll-up columns)",
     "read_assessments(engine, columns=ROLLUP_ASSESSMENT_COLUMNS)"),
    ("coaching visits", "read_visits(engine)"),
    ("verification recounts", "read_recounts(engine)"),
    ("flags", "read_flags(engine)"),
    ("teams", "read_teams(engine)"),
    ("summary's store read", "read_collaborative_inputs(engine)"),
]

CHILD = """
import pickle, resource, sys
from workbench.store import *
from workbench.briefs.summary import read_collaborative_inputs
engine = open_engine(sys.argv[1])
read_teams(engine)  # imports, the file's first pages
calls = pickle.loads(bytes.fromhex(sys.argv[2]))
out = {}
for label, call in calls:
    before = resource.getrusage(resource.RUSAGE_SELF)
    try:
        result = eval(call)
    except NameError:  # a read this tree does not have
        continue
    after = resource.getrusage(resource.RUSAGE_SELF)
    system = after.ru_stime - before.ru_stime
    out[label] = (after.ru_utime - before.ru_utime + system, system,
                  result if label != "summary's store read" else None)
with open(sys.argv[3], "wb") as sink:
    pickle.dump(out, sink)
"""


def run_reads(db: str, tree: str | None, out: Path
              ) -> dict[str, tuple[float, float, object]]:
    """{label: (CPU seconds, of them system seconds, frame)} of each read in a fresh process of
    `tree` (or this one); a read the tree does not have is not there."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    if tree:
        env["PYTHONPATH"] = tree
    subprocess.run([PYTHON, "-c", CHILD, db, pickle.dumps(READS).hex(), str(out)], env=env,
                   check=True, cwd=tree or None)
    with out.open("rb") as source:
        result: dict[str, tuple[float, float, object]] = pickle.load(source)
    return result


def _differs(mine: object, base: object) -> str | None:
    import pandas as pd

    try:
        pd.testing.assert_frame_equal(mine, base)  # type: ignore[arg-type]
    except AssertionError as error:
        return str(error).splitlines()[0]
    return None


def measure(db: str, baseline: str | None, runs: int) -> bool:
    """Print the figures of one database; False when the baseline's frames differ."""
    mine: dict[str, list[tuple[float, float]]] = {label: [] for label, _ in READS}
    base: dict[str, list[tuple[float, float]]] = {label: [] for label, _ in READS}
    differences: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(runs):
            order = [(None, mine, "this"), (baseline, base, "base")]
            if baseline is None:
                order = order[:1]
            elif i % 2:
                order.reverse()  # alternate which goes first
            results = {}
            for tree, figures, name in order:
                results[name] = run_reads(db, tree, Path(tmp) / f"{name}.pickle")
                for label, (cpu, system, _) in results[name].items():
                    figures[label].append((cpu, system))
            if baseline is not None and i == 0:
                for label, _ in READS:
                    if label not in results["base"]:
                        continue
                    found = _differs(results["this"][label][2], results["base"][label][2])
                    if found and results["this"][label][2] is not None:
                        differences[label] = found
    load = os.getloadavg()
    print(f"\n{db}: CPU seconds (user + system) of one call, median of {runs}, and of them "
          f"system; load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    header = f"  {'read':<32}{'this tree':>10}{'sys':>7}"
    print(header + (f"{'baseline':>10}{'sys':>7}{'ratio':>8}  frames" if baseline else ""))
    for label, _ in READS:
        now, now_sys = _medians(mine[label])
        line = f"  {label:<32}{now:>10.3f}{now_sys:>7.3f}"
        if baseline is not None and base[label]:
            before, before_sys = _medians(base[label])
            same = "DIFFER: " + differences[label] if label in differences else "same"
            line += (f"{before:>10.3f}{before_sys:>7.3f}"
                     f"{now / before if before else float('nan'):>8.2f}  {same}")
        elif baseline is not None:
            line += f"{'-':>10}{'-':>7}{'-':>8}  (not in the baseline)"
        print(line)
    return not differences


def _medians(figures: list[tuple[float, float]]) -> tuple[float, float]:
    """The median CPU seconds of these runs, and the system seconds of that run."""
    ordered = sorted(figures)
    return ordered[len(ordered) // 2] if len(ordered) % 2 else (
        statistics.median(cpu for cpu, _ in ordered),
        statistics.median(system for _, system in ordered))


def main(argv: list[str] | None = None) -> int:
    return run_on_databases(__doc__.split("\n")[0], measure, argv)


if __name__ == "__main__":
    sys.exit(main())

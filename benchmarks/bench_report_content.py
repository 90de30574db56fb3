"""Benchmark of what a team report and a site-visit brief cost in their kernels: the content
side (issue 14 item 4), against another checkout measured in the same run.

Run: .venv/bin/python benchmarks/bench_report_content.py                  (quick: the demo)
     .venv/bin/python benchmarks/bench_report_content.py --db d24.db --db d2000.db \\
         --baseline /path/to/other/checkout --rounds 2 --batch 24

For each database (`--period`, default its latest month) and each tree (this one, and the
`--baseline` checkout, e.g. `git worktree add --detach /tmp/base main`), runs alternating:

  in process   CPU seconds a team report spends, in one warm process without a kernel, on
               its data (`team_report_data`), its indicators' charts (`TeamReport.charts()`,
               embedded; "charts" includes building a prototype for each chart shape met
               for the first time in the sample, as a kernel does on its first reports;
               "charts again" is the same reports a second time, every shape built: what a
               kernel pays once warm), its assessment chart (embedded), and a brief's data
               (`site_visit_brief_data`, its team report kept as in the cycle); on
               `--sample` teams spread over the collaborative, the first one a warm-up;
  batch        with `--batch N`: `run_reports` (what `workbench report` runs), 1 worker,
               warm kernel, on N sampled teams: the team reports (kept for the briefs, as
               `workbench cycle` does), then their site-visit briefs; CPU seconds a report
               and a brief (its kernel and the thread that drove it, `ReportResult`),
               the first of each batch left out.

The machine is shared: read the ratios of the two trees measured in the same run, and the
load average printed with them.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

PYTHON = sys.executable
HERE = Path(__file__).resolve().parent.parent


def _cpu() -> float:
    times = os.times()
    return times.user + times.system


def _sample(db: str, n: int) -> list[str]:
    from workbench.store import open_engine, read_teams

    teams = sorted(read_teams(open_engine(db))["team_id"].astype(str))
    return teams[:: max(1, len(teams) // n)][:n]


def _latest(db: str) -> str:
    from workbench.briefs.team_report import collaborative_figures
    from workbench.store import open_engine

    return str(collaborative_figures(open_engine(db))[0])


def in_process(db: str, period: str, sample: int) -> dict[str, float]:
    """CPU seconds a report (and a brief) in this process (see the module docstring)."""
    import pandas as pd

    from workbench import briefs
    from workbench.briefs import reuse
    from workbench.charts import figure_html
    from workbench.reports.batch import collaborative_context, environment

    engine = briefs.engine_for(db)
    teams = _sample(db, sample)
    folder = Path(tempfile.mkdtemp(prefix="bench-content-"))
    visit = str((pd.Period(period, freq="M") + 1).start_time.date())
    spent = dict.fromkeys(("data", "charts", "charts again", "assessment chart",
                           "brief data"), 0.0)
    with environment(collaborative_context(engine, folder)):
        kept = []
        for n, team_id in enumerate([teams[0], *teams]):
            mark = _cpu()
            report = briefs.team_report_data(engine, team_id, period)
            data = _cpu()
            shown = report.charts()
            charts = _cpu()
            if hasattr(report, "assessment_chart"):
                report.assessment_chart()
            else:  # a checkout from before the assessment chart's template
                figure_html(report.assessment_figure())
            done = _cpu()
            if n:
                spent["data"] += data - mark
                spent["charts"] += charts - data
                spent["assessment chart"] += done - charts
                kept.append(report)
            path = folder / f"{team_id}.pkl"
            reuse._write(path, report, [({"text/html": chart.html}, {}) for _, chart in shown])
            with environment({reuse.REUSE_ENV: str(path)}):
                mark = _cpu()
                briefs.site_visit_brief_data(engine, team_id, visit)
                if n:
                    spent["brief data"] += _cpu() - mark
        mark = _cpu()
        for report in kept:
            report.charts()
        spent["charts again"] = _cpu() - mark
    return {name: seconds / len(teams) for name, seconds in spent.items()}


def batch(db: str, period: str, sample: int, out: Path) -> dict[str, float]:
    """CPU seconds a team report and a brief in a 1-worker batch (module docstring)."""
    from workbench.reports.batch import run_reports

    teams = _sample(db, sample)

    def cpu_of(result: Any) -> float:
        failed = result.failed
        assert not failed, f"{failed[0].team_id}: {failed[0].error_summary}"
        return statistics.mean(r.cpu_seconds for r in result.results[1:]
                               if r.cpu_seconds is not None)

    reports = run_reports(db, period, "team_report", teams=teams, out_dir=out, workers=1,
                          force=True, progress=False, keep_for=teams)
    found = run_reports(db, period, "site_visit_brief", teams=teams, out_dir=out, workers=1,
                        force=True, progress=False)
    return {"team report": cpu_of(reports), "brief": cpu_of(found)}


def _child(tree: str | None, *args: str) -> dict[str, float]:
    """Run this benchmark's `args` in a child process with `tree` first on the path."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    if tree:
        env["PYTHONPATH"] = tree
    done = subprocess.run([PYTHON, str(Path(__file__).resolve()), *args], env=env, check=True,
                          capture_output=True, text=True, cwd=tree or HERE)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", action="append", default=[],
                        help="a collaborative (repeat); default: a demo built here")
    parser.add_argument("--period", default="", help="YYYY-MM; default: the latest month")
    parser.add_argument("--baseline", default="", help="another checkout to compare with")
    parser.add_argument("--sample", type=int, default=12, help="teams measured in process")
    parser.add_argument("--batch", type=int, default=0,
                        help="also measure a 1-worker batch of N team reports and briefs")
    parser.add_argument("--rounds", type=int, default=1, help="runs of each tree, alternating")
    parser.add_argument("--child", nargs=3, metavar=("KIND", "DB", "PERIOD"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, db, period = args.child
        if kind == "phases":
            print(json.dumps(in_process(db, period, args.sample)))
        else:
            out = Path(tempfile.mkdtemp(prefix="bench-content-batch-"))
            print(json.dumps(batch(db, period, args.batch, out)))
        return
    dbs = args.db
    if not dbs:
        from workbench.demo import build_demo

        demo = str(Path(tempfile.mkdtemp(prefix="bench-content-demo-")) / "demo.db")
        build_demo(demo)
        dbs = [demo]
    trees = {"this tree": None, **({"baseline": args.baseline} if args.baseline else {})}
    for db in dbs:
        period = args.period or _latest(db)
        kinds = ["phases"] + (["batch"] if args.batch else [])
        results: dict[tuple[str, str], list[dict[str, float]]] = {}
        for round_ in range(args.rounds):
            order = list(trees.items())
            if round_ % 2:
                order.reverse()
            for kind in kinds:
                for name, tree in order:
                    results.setdefault((kind, name), []).append(_child(
                        tree, "--sample", str(args.sample), "--batch", str(args.batch),
                        "--child", kind, db, period))
        print(f"{db} ({period}), load average {os.getloadavg()[0]:.1f}, "
              f"{args.rounds} round(s), CPU seconds a report (median of rounds):")
        for kind in kinds:
            names = list(results[(kind, "this tree")][0])
            print(f"  {'in process' if kind == 'phases' else 'batch, 1 worker'}:")
            for item in names:
                mine = statistics.median(r[item] for r in results[(kind, "this tree")])
                line = f"    {item:<18} this tree {mine:.3f} s"
                if "baseline" in trees:
                    base = statistics.median(r[item] for r in results[(kind, "baseline")])
                    line += f", baseline {base:.3f} s, ratio {mine / base:.2f}"
                print(line)


if __name__ == "__main__":
    main()

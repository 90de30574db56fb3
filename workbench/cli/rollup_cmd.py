"""`workbench summary`: the collaborative roll-ups of a database, as text or JSON."""

from __future__ import annotations

from typing import Any

import click
import pandas as pd

from workbench.cli.options import db_option, echo_json, json_option, period_option

__all__ = ["summary"]

JSON_KEYS = ("indicators", "time_to_target", "waves", "assessments", "status_matrix",
             "most_improved", "spread", "sustainability", "slipping")


@click.command()
@db_option
@period_option
@click.option("--as-of", "as_of", metavar="TIMESTAMP",
              help="Only data entered up to then, e.g. 2025-06-30 or 2025-06-30T12:00.")
@json_option
def summary(db: str, period: str | None, as_of: str | None, as_json: bool) -> None:
    """Show how the whole collaborative is doing in a reporting month.

    Per indicator: teams reporting and at target, pooled value, median and IQR; months to
    reach 80 %, 90 % and the target; wave cohorts by months since joining; assessment
    scores (faculty and self); the team × indicator status matrix with chart signals; the
    most improved teams. --period defaults to the latest month in which more than half of
    the teams reported (an early report does not move it), as in the learning-session app.

    Example: workbench summary --db workbench.db --period 2026-10 --json
    """
    from workbench.briefs.summary import collaborative_rollup, rollup_records
    from workbench.store import open_engine

    frames = collaborative_rollup(open_engine(db), period=period, as_of=as_of)
    context = rollup_records(frames["context"])[0]
    if as_json:
        payload = {"collaborative": context["collaborative"], "period": context["period"]}
        payload.update({key: rollup_records(frames[key]) for key in JSON_KEYS})
        echo_json(payload)
        return
    _print_text(frames, context)


def _pct(value: Any) -> str:
    return "–" if value is None or pd.isna(value) else f"{100 * float(value):.0f}%"


def _table(frame: pd.DataFrame) -> str:
    return frame.to_string(index=False, na_rep="–") if len(frame) else "  (none)"


def _print_text(frames: dict[str, pd.DataFrame], context: dict[str, Any]) -> None:
    echo = click.echo
    as_of = f" (data entered up to {context['as_of']})" if context.get("as_of") else ""
    echo(f"{context['collaborative']} — reporting month {context['period'] or '–'}{as_of}")

    echo("\nIndicators this month")
    ind = frames["indicators"]
    view = pd.DataFrame({
        "indicator": ind["indicator_id"],
        "target": [_pct(v) for v in ind["target"]],
        "direction": ind["direction"],
        "reporting": [f"{r}/{'–' if pd.isna(j) else int(j)}"
                      for r, j in zip(ind["teams_reporting"], ind["teams_joined"], strict=True)],
        "at target": [f"{'–' if pd.isna(p) else f'{p:.0f}%'}" for p in ind["pct_at_target"]],
        "pooled": [_pct(v) for v in ind["pooled_value"]],
        "median": [_pct(v) for v in ind["median"]],
        "IQR": [f"{_pct(a)}–{_pct(b)}" for a, b in zip(ind["q1"], ind["q3"], strict=True)],
    })
    echo(_table(view))

    echo("\nCollaborative (pooled): months to reach, and share of months sustained after")
    ttt = frames["time_to_target"]
    pooled = ttt[ttt["level"] == "collaborative"]
    echo(_table(pd.DataFrame({
        "indicator": pooled["indicator_id"], "threshold": pooled["threshold"],
        "first reached": pooled["first_period"].astype(str).replace("NaT", "not yet"),
        "months": pooled["months_to_reach"],
        "sustained": [_pct(v) for v in pooled["sustained_share"]],
    })))
    teams = ttt[(ttt["level"] == "team") & (ttt["threshold"] == "target")]
    if len(teams):
        echo("\nTeams that reached the target: " + ", ".join(
            f"{i} {int(teams[(teams['indicator_id'] == i)]['first_period'].notna().sum())}"
            f"/{int((teams['indicator_id'] == i).sum())}"
            for i in pd.unique(teams["indicator_id"])))

    _print_matrix(frames["status_matrix"])

    echo("\nMost improved teams (gain from baseline, percentage points)")
    best = frames["most_improved"]
    echo(_table(best[["indicator_id", "rank", "team_id", "improvement_pp"]].round(1)))

    assess = frames["assessments"]
    echo("\nAssessment scale (latest month)")
    if len(assess):
        last = assess.iloc[-1]
        echo(f"  {last['period']}: faculty mean {last['faculty_mean']:.2f} "
             f"(n={last['faculty_n']}, {last['faculty_pct_at_target']:.0f}% at "
             f">= {context['assessment_target']:g}); self mean {last['self_mean']:.2f} "
             f"(n={last['self_n']}); self − faculty {last['mean_difference']:+.2f}")
    else:
        echo("  (none)")


def _print_matrix(matrix: pd.DataFrame) -> None:
    """Per indicator: teams by signal status (`workbench.rollup.status`), and late reports."""
    from workbench.rollup.status import SIGNAL_LEGEND, SIGNALS

    echo = click.echo
    echo("\nStatus matrix: signals on team charts")
    if len(matrix):
        counts = matrix.pivot_table(index="indicator_id", columns="signal", values="team_id",
                                    aggfunc="count", fill_value=0)
        counts = counts.reindex(columns=list(SIGNALS), fill_value=0)
        late = matrix.groupby("indicator_id")["months_since_report"].apply(
            lambda s: int((s.isna() | (s > 0)).sum()))
        counts["not reported this month"] = late
        echo(counts.reset_index().to_string(index=False))
        echo(SIGNAL_LEGEND)
    else:
        echo("  (none)")

"""`workbench summary`: the collaborative roll-ups of a database, as text or JSON."""

from __future__ import annotations

from typing import Any

import click
import pandas as pd

from workbench.cli.batch_memory import keep_freed_memory, older_objects_frozen
from workbench.cli.json_records import payload_json
from workbench.cli.options import db_option, json_option, period_option
from workbench.i18n import gettext as _
from workbench.i18n.formats import format_count, format_number, format_percent

__all__ = ["summary"]

JSON_KEYS = ("indicators", "time_to_target", "waves", "assessments", "status_matrix",
             "most_improved", "spread", "sustainability", "slipping")
#: the roll-ups the command computes: the JSON's frames (the text shows some of them) and
#: the context; not the months of every indicator nor the gains (read by most_improved)
_COMPUTED_KEYS = ("context", *JSON_KEYS)


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

    keep_freed_memory()  # a batch that exits: `cli.batch_memory`
    with older_objects_frozen():
        frames = collaborative_rollup(open_engine(db), period=period, as_of=as_of,
                                      keys=_COMPUTED_KEYS)
        context = rollup_records(frames["context"])[0]
        if as_json:  # echo_json of the records, written column by column (`cli.json_records`)
            click.echo(payload_json({"collaborative": context["collaborative"],
                                     "period": context["period"]},
                                    {key: frames[key] for key in JSON_KEYS}))
            return
        _print_text(frames, context)


def _pct(value: Any) -> str:
    return format_percent(value, 0) or "–"


def _threshold(threshold: str) -> str:
    """`80%` / `80 %`, or the indicator's target (`time_to_target`'s thresholds)."""
    if threshold.endswith("%"):
        return format_percent(float(threshold[:-1]) / 100, 0)
    return _("target") if threshold == "target" else threshold


def _table(frame: pd.DataFrame) -> str:
    return frame.to_string(index=False, na_rep="–") if len(frame) else "  " + _("(none)")


def _print_text(frames: dict[str, pd.DataFrame], context: dict[str, Any]) -> None:
    echo = click.echo
    period = context["period"] or "–"
    if context.get("as_of"):
        echo(_("{collaborative} — reporting month {period} (data entered up to {as_of})").format(
            collaborative=context["collaborative"], period=period, as_of=context["as_of"]))
    else:
        echo(_("{collaborative} — reporting month {period}").format(
            collaborative=context["collaborative"], period=period))

    echo("\n" + _("Indicators this month"))
    ind = frames["indicators"]
    directions = {"increase": _("higher is better"), "decrease": _("lower is better")}
    view = pd.DataFrame({
        _("indicator"): ind["indicator_id"],
        _("target"): [_pct(v) for v in ind["target"]],
        _("direction"): [directions.get(d, d) for d in ind["direction"]],
        _("reporting"): [f"{r}/{'–' if pd.isna(j) else int(j)}"
                         for r, j in zip(ind["teams_reporting"], ind["teams_joined"],
                                         strict=True)],
        _("at target"): [_pct(None if pd.isna(p) else p / 100) for p in ind["pct_at_target"]],
        _("pooled"): [_pct(v) for v in ind["pooled_value"]],
        _("median"): [_pct(v) for v in ind["median"]],
        _("IQR"): [f"{_pct(a)}–{_pct(b)}" for a, b in zip(ind["q1"], ind["q3"], strict=True)],
    })
    echo(_table(view))

    echo("\n" + _("Collaborative (pooled): months to reach, and share of months sustained "
                  "after"))
    ttt = frames["time_to_target"]
    pooled = ttt[ttt["level"] == "collaborative"]
    echo(_table(pd.DataFrame({
        _("indicator"): pooled["indicator_id"],
        _("threshold"): [_threshold(t) for t in pooled["threshold"]],
        _("first reached"): pooled["first_period"].astype(str).replace("NaT", _("not yet")),
        _("months"): [format_count(m) or "–" for m in pooled["months_to_reach"]],
        _("sustained"): [_pct(v) for v in pooled["sustained_share"]],
    })))
    teams = ttt[(ttt["level"] == "team") & (ttt["threshold"] == "target")]
    if len(teams):
        echo("\n" + _("Teams that reached the target: {counts}").format(counts=", ".join(
            f"{i} {int(teams[(teams['indicator_id'] == i)]['first_period'].notna().sum())}"
            f"/{int((teams['indicator_id'] == i).sum())}"
            for i in pd.unique(teams["indicator_id"]))))

    _print_matrix(frames["status_matrix"])

    echo("\n" + _("Most improved teams (gain from baseline, percentage points)"))
    best = frames["most_improved"][["indicator_id", "rank", "team_id", "improvement_pp"]]
    best = best.assign(improvement_pp=[format_number(v, 1) for v in best["improvement_pp"]])
    echo(_table(best.rename(columns={
        "indicator_id": _("indicator"), "rank": _("rank"), "team_id": _("team"),
        "improvement_pp": _("gain (pp)")})))

    assess = frames["assessments"]
    echo("\n" + _("Assessment scale (latest month)"))
    if len(assess):
        last = assess.iloc[-1]
        echo("  " + _("{period}: faculty mean {faculty} (n={faculty_n}, {at_target} at >= "
                      "{target}); self mean {self} (n={self_n}); self − faculty "
                      "{difference}").format(
            period=last["period"], faculty=format_number(last["faculty_mean"], 2),
            faculty_n=last["faculty_n"],
            at_target=_pct(last["faculty_pct_at_target"] / 100),
            target=format_count(context["assessment_target"]),
            self=format_number(last["self_mean"], 2), self_n=last["self_n"],
            difference=format_number(last["mean_difference"], 2, sign=True)))
    else:
        echo("  " + _("(none)"))


def _print_matrix(matrix: pd.DataFrame) -> None:
    """Per indicator: teams by signal status (`workbench.rollup.status`), and late reports."""
    from workbench.rollup.status import SIGNALS, signal_label, signal_legend

    echo = click.echo
    echo("\n" + _("Status matrix: signals on team charts"))
    if len(matrix):
        counts = matrix.pivot_table(index="indicator_id", columns="signal", values="team_id",
                                    aggfunc="count", fill_value=0)
        counts = counts.reindex(columns=list(SIGNALS), fill_value=0)
        late = matrix.groupby("indicator_id")["months_since_report"].apply(
            lambda s: int((s.isna() | (s > 0)).sum()))
        counts["late"] = late
        table = counts.reset_index().rename(columns={
            "indicator_id": _("indicator"), "late": _("not reported this month"),
            **{code: signal_label(code) for code in SIGNALS}})
        echo(table.to_string(index=False))
        echo(signal_legend())
    else:
        echo("  " + _("(none)"))

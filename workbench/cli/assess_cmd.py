"""`workbench assess`: record a team's self-assessment (a thin layer over
workbench.records.assessments)."""

from __future__ import annotations

from typing import Any, cast

import click

from workbench.cli.options import db_option, echo_json, json_option, period_option, team_option
from workbench.i18n import format_number
from workbench.i18n import gettext as _

__all__ = ["assess"]


@click.command()
@db_option
@team_option
@period_option
@click.option("--score", metavar="SCORE",
              help="The team's score on the IHI assessment scale: 0.5, 1.0, 1.5 … 5.0.")
@click.option("--justification", metavar="TEXT",
              help="The evidence that places the team at this level (required).")
@click.option("--assessor", metavar="NAME",
              help="Who scored [default: the current user (JUPYTERHUB_USER, WORKBENCH_USER, "
                   "OS user)].")
@click.option("--reason", default="", metavar="TEXT",
              help="Why the month is entered again (required when it already has a "
                   "self-assessment; the earlier entry is kept).")
@json_option
def assess(db: str | None, team_id: str | None, period: str | None, score: str | None,
           justification: str | None, assessor: str | None, reason: str,
           as_json: bool) -> None:
    """Record a team's self-assessment on the IHI assessment scale (0.5–5.0) for a month.

    Teams score themselves monthly, apart from the faculty's score given at a coaching
    visit. Nothing is overwritten: entering a month again adds a new entry, which becomes
    the current one, and needs --reason. Prints what was saved, what the level means and
    the faculty's latest score beside it.

    Example: workbench assess --db workbench.db --team T01 --period 2026-10 --score 3.5
    --justification "AMTSL above the median for six months; checklist used on all shifts"
    """
    from workbench.records.assessments import (
        SelfAssessment,
        latest_faculty_score,
        save_self_assessment,
    )
    from workbench.records.visits import assessment_meaning
    from workbench.store import current_user, open_engine

    engine = open_engine(db)
    # the score goes in as typed (text): save_self_assessment checks and parses it
    item = SelfAssessment(team_id=team_id or "", period=period or "", score=cast(Any, score),
                          justification=justification or "",
                          assessor=current_user() if assessor is None else assessor,
                          reason=reason or "")
    saved = save_self_assessment(engine, item)
    faculty = latest_faculty_score(engine, saved.item.team_id, saved.item.period)
    if as_json:
        echo_json({"assessment_id": saved.assessment_id, "team_id": saved.item.team_id,
                   "period": saved.item.period, "score": saved.item.score,
                   "meaning": assessment_meaning(saved.item.score),
                   "assessor": saved.item.assessor, "justification": saved.justification,
                   "corrects": None if saved.corrected is None else
                   int(saved.corrected["assessment_id"]),
                   "faculty": faculty})
        return
    click.echo(saved.summary())
    click.echo(_("Level {level}").format(level=assessment_meaning(saved.item.score)))
    if faculty is None:
        click.echo(_("The faculty has not scored this team yet."))
    else:
        click.echo(_("Faculty's latest score: {score} ({period}, by {assessor}).").format(
            score=format_number(faculty["score"]), period=faculty["period"],
            assessor=faculty["assessor"]))

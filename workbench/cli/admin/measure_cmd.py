"""`workbench measure`: a team's own measures (a thin layer over
`workbench.store.team_measures`)."""

from __future__ import annotations

from typing import Any, cast

import click

from workbench.cli.options import db_option, echo_json, json_option, user_option
from workbench.i18n import format_percent
from workbench.i18n import gettext as _

__all__ = ["measure"]


@click.group()
def measure() -> None:
    """A team's own measures: indicators a team adds to test a change.

    They appear in the team's report (a section of their own) and in its PDSA journal (a
    cycle can link to them); imports accept their rows from that team only; they are never
    part of the collaborative's roll-ups (summary, status matrix, learning session,
    synthesis pack, practices).

    Example: workbench measure add --db workbench.db --team T01 --id T01_SKIN
    --name "Skin-to-skin within 1 hour" --numerator "babies put skin to skin within 1 hour"
    --denominator "live births" --target 80 --direction up
    """


@measure.command("add")
@db_option
@click.option("--team", "team_id", required=True, metavar="CODE",
              help="The team whose measure it is, e.g. T01.")
@click.option("--id", "indicator_id", required=True, metavar="CODE",
              help="The measure's code (unique among all indicators), e.g. T01_SKIN.")
@click.option("--name", required=True, metavar="TEXT", help="The measure's name.")
@click.option("--numerator", required=True, metavar="TEXT", help="What the numerator counts.")
@click.option("--denominator", required=True, metavar="TEXT",
              help="What the denominator counts.")
@click.option("--target", type=float, default=None, metavar="PERCENT",
              help="The target in per cent (80 for 80 %); none if omitted.")
@click.option("--direction", type=click.Choice(["up", "down"]), default="up",
              show_default=True, help="up: higher is better; down: lower is better.")
@user_option
@json_option
def add(db: str | None, team_id: str, indicator_id: str, name: str, numerator: str,
        denominator: str, target: float | None, direction: str, user: str | None,
        as_json: bool) -> None:
    """Add a team's own measure (a proportion, charted as a p chart).

    Its monthly rows then come in like any other (`workbench import`, the data-entry app),
    from that team only.

    Example: workbench measure add --db workbench.db --team T01 --id T01_SKIN
    --name "Skin-to-skin within 1 hour" --numerator "babies put skin to skin within 1 hour"
    --denominator "live births" --target 80 --direction up
    """
    from workbench.store import TeamMeasure, add_team_measure, open_engine

    row = add_team_measure(open_engine(db), TeamMeasure(
        team_id=team_id, indicator_id=indicator_id, name=name,
        numerator_definition=numerator, denominator_definition=denominator,
        target_percent=target, direction=direction), user=user)
    if as_json:
        echo_json(row)
        return
    target_text = (_("no target") if row["target"] is None else
                   _("target {target}").format(target=format_percent(row["target"], 0)))
    better = (_("higher is better") if row["direction"] == "increase" else
              _("lower is better"))
    click.echo(_("Added {code} ({name}) to team {team}: {target}, {better}. It shows in the "
                 "team's report and journal only.").format(
        code=row["indicator_id"], name=row["name"], team=row["team_id"], target=target_text,
        better=better))


@measure.command("list")
@db_option
@click.option("--team", "team_id", default=None, metavar="CODE",
              help="One team's measures [default: every team's].")
@json_option
def list_measures(db: str | None, team_id: str | None, as_json: bool) -> None:
    """The teams' own measures.

    Example: workbench measure list --db workbench.db --team T01
    """
    from workbench.store import open_engine, team_measures

    frame = team_measures(open_engine(db), team_id)
    cols = ["team_id", "indicator_id", "name", "numerator_definition",
            "denominator_definition", "target", "direction"]
    rows = cast("list[dict[str, Any]]", frame[cols].to_dict("records"))
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo(_("No team has a measure of its own."))
    for r in rows:
        click.echo(f"{r['team_id']}  {r['indicator_id']}  {r['name']}")

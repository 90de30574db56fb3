"""`workbench users add | list | remove`: who may write what (a thin layer over
workbench.store.users)."""

from __future__ import annotations

import click

from workbench.cli.options import db_option, echo_json, json_option, user_option
from workbench.i18n import gettext as _

__all__ = ["users"]


def _codes(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


@click.group()
def users() -> None:
    """Users of the collaborative, their roles and teams.

    Roles: team_member (own team's monthly data, self-assessment, PDSA journal), coach
    (assigned teams: the same, plus coaching visits), validator (flags), facilitator
    (learning sessions), analyst (imports, reports), admin (definition, users; everything).
    Until the first user (an admin) is added the database is in single-user mode and every
    write is allowed; from then on every write is checked and audited (`workbench audit`).

    Example: workbench users add amina --role coach --teams T01,T02 --db workbench.db
    """


@users.command("add")
@db_option
@click.argument("name")
@click.option("--role", "roles", multiple=True, required=True, metavar="ROLE",
              help="team_member, coach, validator, facilitator, analyst or admin "
                   "(repeat for several).")
@click.option("--teams", metavar="T01,T02", help="Teams a team member or coach acts for.")
@click.option("--districts", metavar="NAME,NAME",
              help="Whole districts a team member or coach acts for.")
@user_option
@json_option
def add(db: str | None, name: str, roles: tuple[str, ...], teams: str | None,
        districts: str | None, user: str | None, as_json: bool) -> None:
    """Add a user NAME (the JupyterHub login name) with roles and teams. Needs an admin;
    the first user must be an admin. A removed user added again gets their account back.

    Example: workbench users add amina --role coach --teams T01,T02 --db workbench.db
    """
    from workbench.store import add_user, open_engine

    added = add_user(open_engine(db), name, roles, teams=_codes(teams),
                     districts=_codes(districts), acting=user)
    if as_json:
        echo_json({"name": added.name, "roles": list(added.roles), "teams": list(added.teams),
                   "districts": list(added.districts), "active": added.active})
        return
    click.echo(_("Added: {user}.").format(user=added.describe()))


@users.command("list")
@db_option
@click.option("--all", "include_removed", is_flag=True, help="Include removed users.")
@json_option
def list_cmd(db: str | None, include_removed: bool, as_json: bool) -> None:
    """List the users, their roles and teams (active ones; --all adds removed ones).

    Example: workbench users list --db workbench.db --json
    """
    from workbench.store import list_users, open_engine

    frame = list_users(open_engine(db), include_removed=include_removed)
    if as_json:
        echo_json(frame.to_dict(orient="records"))
        return
    if frame.empty:
        click.echo(_("No users: single-user mode (every write allowed). Add the first admin "
                     "with `workbench users add NAME --role admin`."))
        return
    for row in frame.to_dict(orient="records"):
        scope = ", ".join([*row["teams"], *(_("district {district}").format(district=d)
                                            for d in row["districts"])])
        state = "" if row["active"] else "  " + _("(removed)")
        click.echo(f"{row['name']:<20} {', '.join(row['roles']):<28} {scope}{state}")


@users.command("remove")
@db_option
@click.argument("name")
@click.option("--reason", default="", metavar="TEXT", help="Why (kept in the audit log).")
@user_option
def remove(db: str | None, name: str, reason: str, user: str | None) -> None:
    """Remove user NAME: they can no longer write; their account and everything they wrote
    stay (history is never deleted). Needs an admin.

    Example: workbench users remove amina --reason "left the programme" --db workbench.db
    """
    from workbench.store import open_engine, remove_user

    removed = remove_user(open_engine(db), name, reason=reason, acting=user)
    click.echo(_("Removed {name}: they can no longer write; their history is kept.").format(
        name=removed.name))

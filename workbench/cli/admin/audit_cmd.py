"""`workbench audit`: every write, who made it and when (a thin layer over
workbench.store.audit)."""

from __future__ import annotations

import json

import click

from workbench.cli.options import db_option, echo_json, json_option
from workbench.i18n import gettext as _

__all__ = ["audit"]


@click.command()
@db_option
@click.option("--user", "user", metavar="NAME", help="Only this user's writes.")
@click.option("--since", metavar="YYYY-MM-DD", help="Only writes on or after this day (UTC).")
@json_option
def audit(db: str | None, user: str | None, since: str | None, as_json: bool) -> None:
    """Show the audit log: one line per write (monthly data, PDSA cycles, visits,
    assessments, flag reviews, users), oldest first.

    Example: workbench audit --db workbench.db --user amina --since 2026-12-01
    """
    from workbench.store import open_engine, read_audit
    from workbench.store.audit import parse_since

    start = parse_since(since)
    frame = read_audit(open_engine(db), user=user, since=start)
    if as_json:
        echo_json(frame.to_dict(orient="records"))
        return
    if frame.empty:
        text = _("No writes recorded")
        if user:
            text += " " + _("by {user}").format(user=user)
        if since:
            text += " " + _("since {day}").format(day=since)
        click.echo(text + ".")
        return
    for row in frame.to_dict(orient="records"):
        details = json.dumps(row["details"], ensure_ascii=False, default=str)
        click.echo(f"{row['created_at']:%Y-%m-%d %H:%M:%S} {row['user']:<16} "
                   f"{row['action']:<20} {row['table_name']}:{row['row_id'] or ''} {details}")

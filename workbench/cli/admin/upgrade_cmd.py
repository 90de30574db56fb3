"""`workbench upgrade`: bring a collaborative database to the newest schema revision."""

from __future__ import annotations

import click

from workbench.cli.options import db_option, echo_json, json_option
from workbench.i18n import gettext as _

__all__ = ["upgrade"]


@click.command()
@db_option
@click.option("--dry-run", is_flag=True,
              help="Run the migrations and show what would change, then roll back.")
@json_option
def upgrade(db: str, dry_run: bool, as_json: bool) -> None:
    """Bring a collaborative database to the schema of this workbench.

    Shows the current and target schema revision, copies a SQLite file to
    `<name>.before-<revision>.db` first, applies every migration in one transaction and prints
    what changed. Refuses while another process is writing to the database. A database made
    by release 0.1.0 (before Alembic) is recognised as r1.

    Example: workbench upgrade --db workbench.db --dry-run
    """
    from workbench.store.migrations.migrate import upgrade_database

    result = upgrade_database(db, dry_run=dry_run)
    if as_json:
        echo_json(result.as_dict())
        return
    made = " " + _("(made before Alembic, recognised as r1)") if result.pre_alembic else ""
    click.echo(_("Database: {url}").format(url=result.url))
    click.echo(_("Current revision: {revision}").format(revision=result.current) + made)
    click.echo(_("Target revision: {revision}").format(revision=result.target))
    if not result.steps:
        click.echo(_("Already at {revision}: nothing to do.").format(revision=result.target))
        return
    if result.backup is not None:
        click.echo(_("Backup: {path}").format(path=result.backup))
    for step in result.steps:
        click.echo((_("Would apply {step}") if dry_run else _("Applied {step}")).format(
            step=step.title))
    for change in result.changes:
        click.echo(f"  {change}")
    click.echo(_("Dry run: nothing was changed.") if dry_run
               else _("Upgraded {old} -> {new}.").format(old=result.current, new=result.target))

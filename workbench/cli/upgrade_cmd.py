"""`workbench upgrade`: bring a collaborative database to the newest schema revision."""

from __future__ import annotations

import click

from workbench.cli.options import db_option, echo_json, json_option

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
    from workbench.store.migrate import upgrade_database

    result = upgrade_database(db, dry_run=dry_run)
    if as_json:
        echo_json(result.as_dict())
        return
    made = " (made before Alembic, recognised as r1)" if result.pre_alembic else ""
    click.echo(f"Database: {result.url}")
    click.echo(f"Current revision: {result.current}{made}")
    click.echo(f"Target revision: {result.target}")
    if not result.steps:
        click.echo(f"Already at {result.target}: nothing to do.")
        return
    if result.backup is not None:
        click.echo(f"Backup: {result.backup}")
    verb = "Would apply" if dry_run else "Applied"
    for step in result.steps:
        click.echo(f"{verb} {step.title}")
    for change in result.changes:
        click.echo(f"  {change}")
    click.echo("Dry run: nothing was changed." if dry_run
               else f"Upgraded {result.current} -> {result.target}.")

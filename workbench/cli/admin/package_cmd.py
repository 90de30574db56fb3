"""`workbench package`: the change package's versions, their differences, the draft of the
next one, and the version each wave joins with (a thin layer over `workbench.store.packages`,
`workbench.learning.package` and the synthesis pack of `workbench.briefs.synthesis`)."""

from __future__ import annotations

from typing import Any, cast

import click

from workbench.cli.options import db_option, echo_json, json_option, period_option
from workbench.i18n import N_
from workbench.i18n import gettext as _

__all__ = ["package"]


def _db(ctx: click.Context, db: str | None) -> str | None:
    """A subcommand's --db, else the group's."""
    return db if db is not None else cast("str | None", (ctx.obj or {}).get("db"))


@click.group(invoke_without_command=True)
@db_option
@click.pass_context
def package(ctx: click.Context, db: str | None) -> None:
    """The change package's versions: v1 at launch, a new version after a synthesis meeting.

    Without a subcommand, lists the versions (as `package list`). `package show v2` prints a
    version's changes with guidance and provenance; `package diff v1 v2` what changed;
    `package draft` the refined package the evidence proposes (`--save --reason …` records it
    as the next version); `package join W3 v2` the version a wave joins with.

    Example: workbench package --db workbench.db diff v1 v2
    """
    ctx.obj = {"db": db}
    if ctx.invoked_subcommand is None:
        ctx.invoke(list_versions, db=db, as_json=False)


@package.command("list")
@db_option
@json_option
@click.pass_context
def list_versions(ctx: click.Context, db: str | None, as_json: bool) -> None:
    """Every version: when, by whom, why, how many changes, the waves that joined with it.

    Example: workbench package list --db workbench.db --json
    """
    from workbench.store import open_engine, read_package_versions

    versions = read_package_versions(open_engine(_db(ctx, db)))
    if as_json:
        echo_json(versions.to_dict("records"))
        return
    if versions.empty:
        click.echo(_("No change package version yet: the collaborative's definition "
                     "has no change_package."))
        return
    for v in cast("list[dict[str, Any]]", versions.to_dict("records")):
        waves = ", ".join(v["waves"]) or _("no wave")
        meeting = _(", synthesis {period}").format(period=v["period"]) if v["period"] else ""
        click.echo(_("{label:<4} {changes:>3} changes  {waves:<12} {date} by "
                     "{author}{meeting}: {reason}").format(
                     label=v["label"], changes=v["changes"], waves=waves,
                     date=str(v["created_at"])[:10], author=v["author"], meeting=meeting,
                     reason=v["reason"]))


@package.command("show")
@click.argument("version", required=False)
@db_option
@json_option
@click.pass_context
def show(ctx: click.Context, version: str | None, db: str | None, as_json: bool) -> None:
    """One version's changes (default: the latest) with guidance and provenance.

    Example: workbench package show v2 --db workbench.db
    """
    from workbench.store import open_engine, read_package

    changes = read_package(open_engine(_db(ctx, db)), version)
    if as_json:
        echo_json(changes.to_dict("records"))
        return
    for c in cast("list[dict[str, Any]]", changes.to_dict("records")):
        state = _action(c["action"]) if c["in_package"] else _("dropped")
        click.echo(f"{c['change_id']:<8} {state:<7} {c['name']}")
        click.echo(f"         {c['guidance']}")
        click.echo("         " + _provenance(c["provenance"]))


def _action(action: str) -> str:
    """A change's action in a package version (`launch`, `keep` …) in the reader's language."""
    from workbench.briefs.synthesis import ACTION_LABELS

    return _(ACTION_LABELS[action]) if action in ACTION_LABELS else action


def _provenance(provenance: dict[str, Any]) -> str:
    teams = ", ".join(provenance.get("teams", []))
    return _("provenance: {teams}").format(teams=teams or provenance.get("reason", ""))


@package.command("diff")
@click.argument("old")
@click.argument("new")
@db_option
@json_option
@click.pass_context
def diff(ctx: click.Context, old: str, new: str, db: str | None, as_json: bool) -> None:
    """What changed from version OLD to NEW: changes added, dropped, guidance rewritten.

    Example: workbench package diff v1 v2 --db workbench.db
    """
    from workbench.learning.package import package_diff
    from workbench.store import open_engine, read_package

    engine = open_engine(_db(ctx, db))
    table = package_diff(read_package(engine, old), read_package(engine, new))
    if as_json:
        echo_json(table.to_dict("records"))
        return
    if table.empty:
        click.echo(_("{old} and {new} hold the same changes with the same guidance.").format(
                     old=old, new=new))
        return
    for row in cast("list[dict[str, Any]]", table.to_dict("records")):
        why = row["provenance"].get("reason", "") if isinstance(row["provenance"], dict) else ""
        click.echo(f"{row['difference']:<18} {row['change_id']:<8} {row['name']}"
                   + (f" ({why})" if why and row["difference"] != "guidance rewritten" else ""))


@package.command("draft")
@db_option
@period_option
@click.option("--wave", default="", metavar="CODE",
              help="Only this wave's teams' evidence, e.g. W1 (default: every team).")
@click.option("--save", is_flag=True, help="Record the draft as the next version.")
@click.option("--reason", default="", help="Why this version (required with --save), e.g. "
                                          "'synthesis meeting, learning session 3'.")
@click.option("--user", help="Who records it (default: WORKBENCH_USER or the OS user).")
@json_option
@click.pass_context
def draft(ctx: click.Context, db: str | None, period: str | None, wave: str, save: bool,
          reason: str, user: str | None, as_json: bool) -> None:
    """The refined package the evidence proposes: the latest version's changes kept with what
    teams learned, team innovations other teams took up added, changes every team abandoned
    dropped — each with its provenance. The same draft as the synthesis pack
    (`workbench report --notebook synthesis`). `--period`: as a meeting at the end of that
    month saw it (default: everything known now).

    Example: workbench package draft --db workbench.db --period 2025-10 --save
    --reason "synthesis meeting, learning session 3" --user ana
    """
    from workbench.briefs.synthesis import synthesis_data
    from workbench.errors import ValidationFailed
    from workbench.store import open_engine, package_label, save_package_version

    if save and not reason.strip():
        raise ValidationFailed(N_('--save needs --reason (e.g. --reason "synthesis meeting of '
                                  '2025-10"); nothing was saved.'))
    engine = open_engine(_db(ctx, db))
    pack = synthesis_data(engine, period, wave)
    rows = cast("list[dict[str, Any]]", pack.draft.to_dict("records"))
    saved = None
    if save:
        saved = save_package_version(engine, rows, author=user, reason=reason,
                                     period=str(pack.period) if period else None)
    if as_json:
        echo_json({"saved_version": saved, "changes": rows})
        return
    from workbench.learning.evidence import grade_label

    for row in rows:
        click.echo(f"{_action(row['action']):<5} {row['change_id']:<8} {row['name']} "
                   f"[{grade_label(row['grade'])}]")
        click.echo(f"      {row['guidance']}")
        click.echo("      " + _provenance(row["provenance"]))
    if saved is not None:
        click.echo(_("Saved as {saved}.").format(saved=package_label(saved)))


@package.command("join")
@click.argument("wave_id")
@click.argument("version")
@db_option
@click.option("--user", help="Who records it (default: WORKBENCH_USER or the OS user).")
@click.pass_context
def join(ctx: click.Context, wave_id: str, version: str, db: str | None,
         user: str | None) -> None:
    """Record that wave WAVE_ID joins with package VERSION (e.g. a spread wave with v2).

    Example: workbench package join W3 v2 --db workbench.db
    """
    from workbench.store import join_wave, open_engine, package_label

    number = join_wave(open_engine(_db(ctx, db)), wave_id, version, user=user)
    click.echo(_("Wave {wave_id} joins with package {number}.").format(
                 wave_id=wave_id, number=package_label(number)))

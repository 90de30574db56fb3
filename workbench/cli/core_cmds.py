"""Foundation commands: init, demo, status, export."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from click.core import ParameterSource

from workbench.cli.options import OUT_FILE, db_option, echo_json, json_option, lang_option
from workbench.i18n import gettext as _

__all__ = ["COMMANDS"]


@click.command()
@db_option
@click.option("--config", "config", required=True, metavar="FILE.yaml",
              type=click.Path(dir_okay=False, path_type=Path),
              help="Collaborative definition; start from templates/collaborative.yaml.")
def init(db: str | None, config: Path) -> None:
    """Create a collaborative database from a YAML definition.

    The file is checked first; nothing is created if it has a mistake.

    Example: workbench init --db amtsl.db --config collaborative.yaml
    """
    from workbench.cli import domain_failure
    from workbench.cli.options import GROUP_LANG
    from workbench.errors import WorkbenchError
    from workbench.i18n import resolve_language, use_language
    from workbench.ingest.collaborative import definition_language, init_collaborative
    from workbench.store import masked_url, status_counts

    # the definition's own `settings.language`, unless --lang or $WORKBENCH_LANG say otherwise
    ctx = click.get_current_context()
    language = resolve_language(ctx.meta.get(GROUP_LANG), lambda: definition_language(config))
    with use_language(language):
        try:
            engine = init_collaborative(db, config)
        except WorkbenchError as exc:
            with use_language(language):  # told now, in the definition's language
                failure = domain_failure(exc)
            assert failure is not None
            raise failure from exc
    counts = status_counts(engine)
    shown = masked_url(engine)
    with use_language(language):
        click.echo(_("Created {name!r} in {db}: {teams} teams, {indicators} indicators, "
                     "{waves} waves.").format(name=counts["collaborative"], db=shown,
                                              teams=counts["teams"],
                                              indicators=counts["indicators"],
                                              waves=counts["waves"]))


@click.command()
@db_option
@click.option("--seed", default=20240101, show_default=True, help="Random seed of the demo data.")
@click.option("--force", is_flag=True,
              help="Replace a database that `workbench demo` built; never one made by "
                   "`workbench init`.")
@click.option("--yes", is_flag=True,
              help="With --force: replace a database named by --db that the demo did not "
                   "build (not a collaborative) without asking.")
@click.option("--serve/--no-serve", default=True, show_default=True,
              help="After building, serve the apps until Ctrl-C.")
@click.option("--teams", default=24, show_default=True,
              help="Number of launch teams, waves 1 and 2 (2 to 99,999); the default size "
                   "adds a spread wave of 24 teams in a fourth district.")
@click.option("--indicators", default=6, show_default=True,
              help="Number of indicators (1 to 20; past 6, extra process indicators).")
@click.option("--months", default=24, show_default=True,
              help="Months of data from 2024-11 (12 to 240).")
@click.option("--districts", default=3, show_default=True,
              help="Number of districts, one coach each (1 to --teams).")
@click.option("--build-only", is_flag=True,
              help="Only build the database: no validation, reports or apps (for a large demo "
                   "that a benchmark or `workbench cycle` then works on).")
@lang_option
@click.pass_context
def demo(ctx: click.Context, db: str | None, seed: int, force: bool, yes: bool,
         serve: bool, teams: int, indicators: int, months: int, districts: int,
         build_only: bool, lang: str | None) -> None:
    """Build the demo collaborative and run the main job on it.

    An essential obstetric and newborn care collaborative: 24 teams in 3 districts, 2 waves,
    6 indicators over 24 months, PDSA cycles, coaching visits and injected data problems; a
    synthesis meeting records change package v2 (2025-10), a spread wave of 24 teams in a
    fourth district joins with it (2025-12), 8 teams graduate (2026-04) and 2 of them slip.
    --teams, --indicators, --months and --districts build a larger one with the same kinds of
    data and problems in proportion, without the spread wave, v2 and graduations
    (2,000 × 10 × 36 takes about a minute). --force replaces
    a database the demo built; anything else that is not a collaborative is replaced only when
    named with --db here and confirmed (or --yes). --lang fr makes French the collaborative's
    language: French indicator names and change ideas, French reports.

    Example: workbench demo --no-serve --db demo.db

    Example: workbench demo --db big.db --teams 2000 --indicators 10 --months 36 --build-only

    Example: workbench demo --no-serve --db demo-fr.db --lang fr
    """
    import time

    from workbench.cli.demo_job import run_main_job
    from workbench.demo.build import ReplaceNotConfirmed, build_demo

    started = time.perf_counter()
    try:
        engine = build_demo(db, seed=seed, force=force, teams=teams, indicators=indicators,
                            months=months, districts=districts, language=lang)
    except ReplaceNotConfirmed as exc:
        if ctx.get_parameter_source("db") is not ParameterSource.COMMANDLINE:
            raise
        target = exc.target
        if not yes and not click.confirm(
                _("{where} is {what}, not a database built by `workbench demo`. Delete "
                  "everything in it and build the demo there?").format(
                    where=target.where, what=target.what), err=True):
            raise click.ClickException(
                _("nothing was replaced; {where} is as it was.").format(where=target.where)
            ) from None
        engine = build_demo(db, seed=seed, force=True, confirmed=True, teams=teams,
                            indicators=indicators, months=months, districts=districts,
                            language=lang)
    if build_only:
        from workbench.store import masked_url, read_teams

        shown = masked_url(engine)
        built = read_teams(engine)
        click.echo(_("Built the demo in {db} ({teams} teams, {indicators} indicators, "
                     "{months} months, {districts} districts) in {seconds:.0f} s.").format(
                       db=shown, teams=len(built), indicators=indicators, months=months,
                       districts=built["district"].nunique(),
                       seconds=time.perf_counter() - started), err=True)
        return
    run_main_job(engine, serve=serve, echo=lambda text: click.echo(text, err=True), lang=lang)


@click.command()
@db_option
@json_option
def status(db: str | None, as_json: bool) -> None:
    """Show what the collaborative database holds.

    Example: workbench status --db workbench.db --json
    """
    from workbench.store import open_engine, status_counts

    counts = status_counts(open_engine(db))
    if as_json:
        echo_json(counts)
        return
    for key, value in counts.items():
        click.echo(f"{key.replace('_', ' '):>22}: {value}")


@click.command()
@click.argument("what", type=click.Choice(["measurements"]))
@db_option
@click.option("--format", "fmt", type=click.Choice(["csv"]), default="csv", show_default=True)
@click.option("--as-of", "as_of", metavar="TIMESTAMP",
              help="Only revisions entered up to then, e.g. 2025-06-30 or 2025-06-30T12:00.")
@click.option("--out", type=OUT_FILE, help="Write to this file instead of standard output.")
def export(what: str, db: str | None, fmt: str, as_of: str | None, out: Path | None) -> None:
    """Export data as a file: the tidy measurements (current values).

    Example: workbench export measurements --db workbench.db --format csv --out data.csv
    """
    from workbench.ingest.export import measurements_frame, write_csv
    from workbench.store import open_engine

    frame = measurements_frame(open_engine(db), as_of=as_of)
    if out is None:
        write_csv(frame, sys.stdout)
    else:
        with out.open("w", encoding="utf-8", newline="") as handle:
            write_csv(frame, handle)
        click.echo(_("Wrote {rows} rows to {path}").format(rows=len(frame), path=out), err=True)


COMMANDS = [init, demo, status]  # export: workbench.cli.data_cmds

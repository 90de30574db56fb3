"""`workbench cycle`: the month's import, validation, every report and the index, in one go."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from workbench.cli.options import db_option, lang_option, period_option
from workbench.cli.report_cmd import engine_options, open_executor
from workbench.i18n import format_number
from workbench.i18n import gettext as _

__all__ = ["cycle"]


@click.command()
@db_option
@period_option
@click.option("--import", "imports", multiple=True, metavar="FILE",
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A file of the month to import first (CSV, xlsx, DHIS2, Kobo; repeatable).")
@click.option("--out", "out_dir", default="reports", show_default=True, metavar="DIR",
              help="Reports and the month's index go to DIR/<period>/.")
@engine_options
@click.option("--force", is_flag=True, help="Redo reports whose inputs have not changed.")
@click.option("--timeout", default=600, show_default=True, type=click.FloatRange(min=1),
              help="Seconds one cell may run before its report fails.")
@click.option("--progress/--no-progress", default=True, show_default=True,
              help="Show a progress bar per stage on stderr.")
@lang_option
def cycle(db: str | None, period: str | None, imports: tuple[Path, ...], out_dir: str,
          workers: int | None, scheduler: str | None, cluster: str | None,
          self_contained: bool, force: bool, timeout: float, progress: bool,
          lang: str | None) -> None:
    """The month's cycle: import, validate, every report, the index of the month.

    Imports each --import file (all rows or none), runs every data-quality rule, writes every
    team's report, the site-visit brief of each team due a visit (last visit 28 days or more
    before the first day after the period), the collaborative summary, and
    OUT/<period>/index.html with each stage's status, counts and time. A failing stage is
    reported and the others still run; the command exits 1 when any stage failed, 130 when
    interrupted (Ctrl-C). Running it again resumes: reports whose inputs did not change are
    skipped.

    Example: workbench cycle --db workbench.db --period 2026-10 --import october.csv --workers 2
    """
    from workbench.reports.batch import default_workers
    from workbench.reports.cycle import run_cycle
    from workbench.store import open_engine

    if period is None:
        raise click.UsageError(_("Missing option '--period' (the reporting month, e.g. "
                                 "2026-10)."))
    engine = open_engine(db)
    executor = open_executor(scheduler, cluster, workers)
    try:
        if executor is not None:
            executor.check_database(engine)
        result = run_cycle(engine, period, imports=imports, out_dir=out_dir,
                           workers=workers or default_workers(), executor=executor,
                           self_contained=self_contained, force=force, progress=progress,
                           timeout=timeout, lang=lang)
    finally:
        if executor is not None:
            executor.close()
    click.echo(result.summary_table())
    click.echo(_("Cycle of {period} in {seconds} s. Index: {path}").format(
        period=period, seconds=format_number(result.seconds), path=result.index_path))
    if result.exit_code == 130:
        click.echo(_("Error: {message}").format(message=_(
            "interrupted; the reports not written are marked 'interrupted'. Run the same "
            "command again to finish them.")), err=True)
    elif result.exit_code:
        failed = ", ".join(s.name for s in result.stages if s.status == "failed")
        click.echo(_("Error: {message}").format(message=_(
            "stage(s) failed: {failed}; see {path}, fix the cause and run the same command "
            "again (what is done is kept).").format(failed=failed, path=result.index_path)),
            err=True)
    sys.exit(result.exit_code)

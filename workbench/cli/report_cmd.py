"""`workbench report`: every team's monthly report (or a brief, or the summary) as HTML."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from workbench.cli.options import db_option, lang_option, period_option
from workbench.i18n import gettext as _

if TYPE_CHECKING:
    from workbench.reports.batch import EngineName, Format
    from workbench.reports.dask_engine import DaskExecutor

__all__ = ["report", "engine_options", "open_executor"]

F = TypeVar("F", bound=Callable[..., Any])


def _check_scheduler(_ctx: click.Context, _param: click.Parameter,
                     value: str | None) -> str | None:
    if value is not None and not value.startswith(("tcp://", "tls://", "inproc://", "ws://")):
        raise click.BadParameter(_("{value!r} is not a scheduler address: write it as "
                                   "tcp://HOST:8786.").format(
                                   value=value))
    return value


def engine_options(func: F) -> F:
    """--workers, --scheduler, --cluster, --self-contained: where reports run, how they look."""
    for option in reversed((
        click.option("--workers", type=click.IntRange(min=1), metavar="N",
                     help="Reports run side by side, one kernel each (default: the number of "
                          "CPUs, at most 4; about 140 MB of memory per worker); with "
                          "--cluster local, the number of Dask worker processes."),
        click.option("--scheduler", callback=_check_scheduler, metavar="tcp://HOST:8786",
                     help="Run the reports on this Dask scheduler's workers (the database "
                          "must be PostgreSQL when they are on other hosts)."),
        click.option("--cluster", type=click.Choice(["local"]),
                     help="Run the reports on a Dask LocalCluster of --workers processes."),
        click.option("--self-contained", is_flag=True,
                     help="Embed BokehJS in every report (one file to e-mail, ~1.5 MB) "
                          "instead of one bokeh-<version>.min.js beside the reports."),
    )):
        func = option(func)
    return func


def open_executor(scheduler: str | None, cluster: str | None,
                  workers: int | None) -> DaskExecutor | None:
    """None (this machine's kernels), or a Dask executor for --scheduler / --cluster."""
    from workbench.reports.dask_engine import make_executor

    if scheduler is not None and cluster is not None:
        raise click.UsageError(_("Give --scheduler or --cluster, not both."))
    return make_executor(scheduler, cluster, workers)


def _split_teams(_ctx: click.Context, _param: click.Parameter,
                 value: str | None) -> list[str] | None:
    if value is None:
        return None
    teams = [t.strip() for t in value.split(",") if t.strip()]
    if not teams:
        raise click.BadParameter(_("give team codes separated by commas, e.g. T01,T02."))
    return teams


@click.command()
@db_option
@period_option
@click.option("--notebook", default="team_report", show_default=True, metavar="NAME|PATH",
              help="team_report, site_visit_brief, collaborative_summary, synthesis or an "
                   ".ipynb path.")
@click.option("--teams", callback=_split_teams, metavar="T01,T02",
              help="Only these teams (default: every team).")
@click.option("--out", "out_dir", default="reports", show_default=True, metavar="DIR",
              help="Reports go to DIR/<period>/.")
@engine_options
@click.option("--format", "fmt", type=click.Choice(["html", "ipynb", "both"]), default="html",
              show_default=True, help="Write HTML reports, executed notebooks, or both.")
@click.option("--force", is_flag=True, help="Redo reports whose inputs have not changed.")
@click.option("--engine", type=click.Choice(["pool", "papermill"]), default="pool",
              show_default=True,
              help="pool: reuse one kernel per worker; papermill: a fresh kernel per report.")
@click.option("--visit-date", metavar="YYYY-MM-DD",
              help="site_visit_brief only (default: the first day after the period).")
@click.option("--timeout", default=600, show_default=True, type=click.FloatRange(min=1),
              help="Seconds one cell may run before its report fails.")
@click.option("--progress/--no-progress", default=True, show_default=True,
              help="Show a progress bar on stderr.")
@lang_option
def report(db: str | None, period: str | None, notebook: str, teams: list[str] | None, out_dir: str,
           workers: int | None, scheduler: str | None, cluster: str | None,
           self_contained: bool, fmt: Format, force: bool, engine: EngineName,
           visit_date: str | None, timeout: float, progress: bool, lang: str | None) -> None:
    """Run a report notebook for every team into HTML, with an index page.

    Writes OUT/<period>/<team>.html, OUT/<period>/index.html (every report with its status)
    and OUT/<period>/manifest.json. A failing team does not stop the others: its notebook is
    kept with the error banner and the command exits 1 at the end. Reports whose data,
    notebook and parameters have not changed are skipped (use --force to redo them), so an
    interrupted batch resumes where it stopped (Ctrl-C marks the reports not run
    'interrupted' and exits 130). collaborative_summary and synthesis run once. --lang fr writes the
    reports in French (headings, charts, months, numbers). The reports share one
    bokeh-<version>.min.js in their folder (--self-contained: each embeds its own).
    --scheduler / --cluster run them on Dask workers, each with its own warm kernel.

    Example: workbench report --db workbench.db --period 2026-10 --workers 2 --lang fr
    """
    from workbench.i18n import use_language
    from workbench.ingest.collaborative import collaborative_language
    from workbench.reports.batch import BatchInterrupted, default_workers, run_reports
    from workbench.store import open_engine

    if period is None:
        raise click.UsageError(_("Missing option '--period' (the reporting month, e.g. "
                                 "2026-10)."))
    if engine == "papermill" and (scheduler or cluster):
        raise click.UsageError(_("--engine papermill runs here only; leave out --scheduler "
                                 "and --cluster."))
    sql = open_engine(db)
    executor = open_executor(scheduler, cluster, workers)
    try:
        result = run_reports(sql, period, notebook=notebook, teams=teams, out_dir=out_dir,
                             workers=workers or default_workers(), fmt=fmt, force=force,
                             progress=progress, engine=engine, timeout=timeout,
                             visit_date=visit_date, executor=executor,
                             self_contained=self_contained, lang=lang)
    except BatchInterrupted as stopped:
        click.echo(_("Error: {stopped}; see {index_path}.").format(
                     stopped=stopped, index_path=stopped.result.index_path), err=True)
        sys.exit(130)
    finally:
        if executor is not None:
            executor.close()
    with use_language(collaborative_language(sql, lang)):  # what it prints: the reports' language
        click.echo(result.summary_table())
        counts = {s: len(result.with_status(s)) for s in ("ok", "skipped", "failed")}
        click.echo(_("{written} written, {skipped} unchanged (skipped), {failed} failed in "
                     "{seconds} s.").format(written=counts["ok"], skipped=counts["skipped"],
                                            failed=counts["failed"],
                                            seconds=f"{result.seconds:.1f}"))
        click.echo(_("Index: {path}").format(path=result.index_path))
        if result.exit_code:
            failed = ", ".join(r.team_id or _("collaborative") for r in result.failed)
            click.echo(_("Error: {message}").format(message=_(
                "{count} report(s) failed: {teams}. Each failed notebook is kept beside its "
                "report; see {index}.").format(count=counts["failed"], teams=failed,
                                               index=result.index_path)), err=True)
            sys.exit(result.exit_code)

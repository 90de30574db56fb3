"""`workbench report`: every team's monthly report (or a brief, or the summary) as HTML."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from workbench.cli.options import db_option, lang_option, period_option

if TYPE_CHECKING:
    from workbench.reports.batch import EngineName, Format

__all__ = ["report"]


def _split_teams(_ctx: click.Context, _param: click.Parameter,
                 value: str | None) -> list[str] | None:
    if value is None:
        return None
    teams = [t.strip() for t in value.split(",") if t.strip()]
    if not teams:
        raise click.BadParameter("give team codes separated by commas, e.g. T01,T02.")
    return teams


@click.command()
@db_option
@period_option
@click.option("--notebook", default="team_report", show_default=True, metavar="NAME|PATH",
              help="team_report, site_visit_brief, collaborative_summary, or an .ipynb path.")
@click.option("--teams", callback=_split_teams, metavar="T01,T02",
              help="Only these teams (default: every team).")
@click.option("--out", "out_dir", default="reports", show_default=True, metavar="DIR",
              help="Reports go to DIR/<period>/.")
@click.option("--workers", type=click.IntRange(min=1), metavar="N",
              help="Reports run side by side, one kernel each (default: the number of CPUs, "
                   "at most 4; about 140 MB of memory per worker).")
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
           workers: int | None, fmt: Format, force: bool, engine: EngineName,
           visit_date: str | None,
           timeout: float, progress: bool, lang: str | None) -> None:
    """Run a report notebook for every team into HTML, with an index page.

    Writes OUT/<period>/<team>.html, OUT/<period>/index.html (every report with its status)
    and OUT/<period>/manifest.json. A failing team does not stop the others: its notebook is
    kept with the error banner and the command exits 1 at the end. Reports whose data,
    notebook and parameters have not changed are skipped (use --force to redo them), so an
    interrupted batch resumes where it stopped. collaborative_summary runs once. --lang fr
    writes the reports in French (headings, charts, months, numbers).

    Example: workbench report --db workbench.db --period 2026-10 --workers 2 --lang fr
    """
    from workbench.i18n import gettext as _
    from workbench.i18n import use_language
    from workbench.ingest.collaborative import collaborative_language
    from workbench.reports.batch import default_workers, run_reports
    from workbench.store import open_engine

    if period is None:
        raise click.UsageError("Missing option '--period' (the reporting month, e.g. 2026-10).")
    sql = open_engine(db)
    result = run_reports(sql, period, notebook=notebook, teams=teams, out_dir=out_dir,
                         workers=workers or default_workers(), fmt=fmt, force=force,
                         progress=progress,
                         engine=engine, timeout=timeout, visit_date=visit_date, lang=lang)
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
            click.echo("Error: " + _(
                "{count} report(s) failed: {teams}. Each failed notebook is kept beside its "
                "report; see {index}.").format(count=counts["failed"], teams=failed,
                                               index=result.index_path), err=True)
            sys.exit(result.exit_code)

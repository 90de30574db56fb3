"""`workbench snapshot`: a learning-session view as one static, offline HTML page (a thin
layer over `workbench.briefs.snapshot`)."""

from __future__ import annotations

from pathlib import Path

import click

from workbench.cli.options import OUT_FILE, db_option, lang_option
from workbench.i18n import format_number
from workbench.i18n import gettext as _

__all__ = ["snapshot"]


@click.command()
@db_option
@click.option("--indicator", "indicator", metavar="CODE",
              help="The indicator of the small multiples and the funnel, e.g. AMTSL "
                   "[default: the first indicator].")
@click.option("--district", metavar="NAME", help="Only the teams of this district.")
@click.option("--wave", metavar="CODE", help="Only the teams of this wave, e.g. W1.")
@click.option("--month", metavar="YYYY-MM",
              help="Reporting month [default: the latest month in which more than half of "
                   "the teams reported, as in the app].")
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD",
              help="Only data entered up to then, e.g. 2025-10-15 [default: live data].")
@lang_option
@click.option("--out", "out", type=OUT_FILE, required=True, metavar="FILE",
              help="The HTML file to write, e.g. session.html.")
def snapshot(db: str | None, indicator: str | None, district: str | None, wave: str | None,
             month: str | None, as_of: str | None, lang: str | None, out: Path) -> None:
    """Write a learning-session view as one static HTML page that opens offline.

    The page shows what the learning_session app shows for the same filters (every team's
    chart, where each team stands, teams at target over time, the funnel, the most improved
    teams) and a table of every selected team's status; its title names the filters and the
    as-of date. Participants open it in any browser with no kernel and no network: share it
    instead of the live app (each viewer of the app holds a 150-200 MB kernel).

    Example: workbench snapshot --db workbench.db --indicator AMTSL --district Kisoro
    --as-of 2025-10-15 --out session.html
    """
    from workbench.apps.team_pages import team_labels
    from workbench.briefs.snapshot import ViewState, write_snapshot
    from workbench.ingest.collaborative import collaborative_language
    from workbench.store import open_engine

    engine = open_engine(db)
    state = ViewState(indicator=indicator, wave=wave, district=district, month=month,
                      as_of=as_of, language=collaborative_language(engine, lang))
    path = write_snapshot(engine, state, out, team_names=team_labels)
    size = path.stat().st_size / 1e6
    click.echo(_("Wrote {path} ({size} MB): opens offline, no kernel needed.").format(
        path=path, size=format_number(size)))

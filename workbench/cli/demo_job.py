"""The main job that `workbench demo` (and `make demo`) runs after building the database.

It lives with the CLI because it orchestrates layers above the demo generator (validation,
reports, the app server); `workbench.demo` itself only builds data.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine

from workbench.i18n import gettext as _
from workbench.store import status_counts
from workbench.validate.run import run_validation

__all__ = ["run_main_job"]


def run_main_job(engine: Engine, *, serve: bool, echo: Callable[[str], None] = print,
                 lang: str | None = None) -> None:
    """Validate the data, generate this month's reports (in `reports/` beside a database
    file; in `lang`, else the collaborative's language), then (optionally) serve the apps;
    all on the one open `engine`."""
    counts = status_counts(engine)
    echo(_("Demo collaborative {name!r}: {teams} teams, {indicators} indicators, {months} "
           "months ({first} to {last}), {cycles} PDSA cycles, {visits} coaching visits.").format(
             name=counts["collaborative"], teams=counts["teams"],
             indicators=counts["indicators"], months=counts["months"],
             first=counts["first_period"], last=counts["last_period"],
             cycles=counts["pdsa_cycles"], visits=counts["coaching_visits"]))
    checked = run_validation(engine)
    echo(_("Validation up to {period}: {open} open flags ({rules}).").format(
        period=checked["period"], open=checked["open"],
        rules=", ".join(f"{rule} {n}" for rule, n in checked["found"].items())))
    from workbench.reports.batch import demo_reports

    index = demo_reports(engine, period=counts["last_period"], echo=echo, lang=lang)
    echo(_("Reports for {period}: open {index}").format(period=counts["last_period"],
                                                          index=index))
    if serve:
        from workbench.apps.server.serve import serve as serve_apps

        serve_apps(engine, echo=print, note=echo)

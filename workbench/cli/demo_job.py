"""The main job that `workbench demo` (and `make demo`) runs after building the database.

It lives with the CLI because it orchestrates layers above the demo generator (validation,
reports, the app server); `workbench.demo` itself only builds data.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine

from workbench.store import status_counts
from workbench.validate.run import run_validation

__all__ = ["run_main_job"]


def run_main_job(engine: Engine, *, serve: bool, echo: Callable[[str], None] = print,
                 lang: str | None = None) -> None:
    """Validate the data, generate this month's reports (in `reports/` beside a database
    file; in `lang`, else the collaborative's language), then (optionally) serve the apps;
    all on the one open `engine`."""
    counts = status_counts(engine)
    echo(f"Demo collaborative {counts['collaborative']!r}: {counts['teams']} teams, "
         f"{counts['indicators']} indicators, {counts['months']} months "
         f"({counts['first_period']} to {counts['last_period']}), "
         f"{counts['pdsa_cycles']} PDSA cycles, {counts['coaching_visits']} coaching visits.")
    checked = run_validation(engine)
    echo(f"Validation up to {checked['period']}: {checked['open']} open flags ("
         + ", ".join(f"{rule} {n}" for rule, n in checked["found"].items()) + ").")
    from workbench.reports.batch import demo_reports

    index = demo_reports(engine, period=counts["last_period"], echo=echo, lang=lang)
    echo(f"Reports for {counts['last_period']}: open {index}")
    if serve:
        from workbench.apps.serve import serve as serve_apps

        serve_apps(engine, echo=print, note=echo)

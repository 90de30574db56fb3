"""The main job that `workbench demo` (and `make demo`) runs after building the database."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine

from workbench.store import status_counts

__all__ = ["run_main_job"]


def run_main_job(engine: Engine, *, db: str | None, serve: bool,
                 echo: Callable[[str], None] = print) -> None:
    """Validate the data, generate this month's reports, then (optionally) serve the apps."""
    counts = status_counts(engine)
    echo(f"Demo collaborative {counts['collaborative']!r}: {counts['teams']} teams, "
         f"{counts['indicators']} indicators, {counts['months']} months "
         f"({counts['first_period']} to {counts['last_period']}), "
         f"{counts['pdsa_cycles']} PDSA cycles, {counts['coaching_visits']} coaching visits.")
    from workbench.validate.run import run_validation

    checked = run_validation(engine)
    echo(f"Validation up to {checked['period']}: {checked['open']} open flags ("
         + ", ".join(f"{rule} {n}" for rule, n in checked["found"].items()) + ").")
    from workbench.reports.batch import demo_reports

    index = demo_reports(engine, db=db, period=counts["last_period"], echo=echo)
    echo(f"Reports for {counts['last_period']}: open {index}")
    if serve:
        from workbench.apps.serve import serve as serve_apps

        serve_apps(engine.url.render_as_string(hide_password=False), echo=print, note=echo)

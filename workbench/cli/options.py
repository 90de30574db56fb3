"""Options shared by every command, as decorators."""

from __future__ import annotations

import json
from typing import Any

import click

__all__ = ["db_option", "json_option", "period_option", "team_option", "echo_json"]

#: `--db`: given as typed (None when left out); `workbench.store.resolve_url` is the one place
#: that turns it into a URL (default: WORKBENCH_DB, then ./workbench.db), and each command
#: opens the database once (`open_engine`) and passes the Engine on.
db_option = click.option(
    "--db",
    "db",
    default=None,
    metavar="URL",
    help="SQLAlchemy URL or file path of the collaborative database "
         "[default: $WORKBENCH_DB, else ./workbench.db].",
)

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")


def _check_period(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    from workbench.ingest.collaborative import PERIOD

    if not PERIOD.match(value):
        raise click.BadParameter(f"{value!r} is not a month; write it as YYYY-MM, e.g. 2025-06.")
    return value


period_option = click.option("--period", metavar="YYYY-MM", callback=_check_period,
                             help="Reporting month, e.g. 2025-06.")
team_option = click.option("--team", "team_id", metavar="CODE", help="Team code, e.g. T01.")


def echo_json(payload: Any) -> None:
    """Print JSON the same way everywhere (NaN -> null, dates as text)."""
    click.echo(json.dumps(_clean(payload), indent=2, default=str))


def _clean(value: Any) -> Any:
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        try:
            return _clean(value.item())
        except (ValueError, AttributeError):
            return value
    return value

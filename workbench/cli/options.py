"""Options shared by every command, as decorators."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from workbench.model import is_period, parse_period, period_problem, read_count

__all__ = ["COUNT", "CountType", "OUT_FILE", "OutFile", "db_option", "json_option",
           "GROUP_LANG", "check_group_lang", "check_lang", "lang_option", "period_option",
           "team_option", "user_option", "echo_json"]

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


def check_lang(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    """`--lang`: an available language (`workbench.i18n.normalize_language`), None if left
    out (then $WORKBENCH_LANG, the collaborative's default, English)."""
    from workbench.errors import ConfigError
    from workbench.i18n import normalize_language

    if value is None or not value.strip():
        return None
    try:
        return normalize_language(value)
    except ConfigError as exc:
        raise click.BadParameter(str(exc)) from exc


#: Where the group's `workbench --lang` is kept for the command under it (`ctx.meta`).
GROUP_LANG = "workbench.group_lang"


def check_group_lang(ctx: click.Context, param: click.Parameter,
                     value: str | None) -> str | None:
    """`workbench --lang`: checked like a command's, and kept for the command it runs."""
    checked = check_lang(ctx, param, value)
    if checked:
        ctx.meta[GROUP_LANG] = checked
    return checked


#: `--lang`: the language of what the command writes (reports, apps); see `workbench.i18n`.
lang_option = click.option(
    "--lang", "lang", default=None, metavar="LANG", callback=check_lang,
    help="Language: en, fr … [default: $WORKBENCH_LANG, else the collaborative's "
         "settings.language, else en].")


def _check_period(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    """The period rule (`workbench.model.parse_period`) for `--period`."""
    if value is None:
        return None
    if not is_period(value):
        raise click.BadParameter(f"{period_problem(value)}.")
    return parse_period(value)


if TYPE_CHECKING:  # click's ParamType is generic for type checkers (click >= 8.2)
    _CountParam = click.ParamType[float | None]
else:
    _CountParam = click.ParamType


class CountType(_CountParam):
    """A count option by the count rule (`workbench.model.read_count`): a whole number of 0
    or more (`12`, `12.0`); `1,000`, `1.5`, `-3` and `true` are refused with the fix."""

    name = "count"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> float | None:
        count, problem = read_count(value)
        if problem is not None:
            self.fail(f"{problem.message}.", param, ctx)
        return count


#: `type=COUNT` on an option that takes a numerator or denominator.
COUNT = CountType()


class OutFile(click.Path):
    """A file to write (`--out`): its folder must exist and it must not be a folder, checked
    before any work is done, so the error says what to fix instead of a traceback at the end."""

    def __init__(self) -> None:
        super().__init__(dir_okay=False, path_type=Path)

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Any:
        path = Path(os.fsdecode(super().convert(value, param, ctx)))
        folder = path.expanduser().absolute().parent
        if not folder.is_dir():
            self.fail(f"folder {str(folder)!r} does not exist; create it first or choose "
                      "another path.", param, ctx)
        return path


#: `type=OUT_FILE` on every `--out` option.
OUT_FILE = OutFile()


period_option = click.option("--period", metavar="YYYY-MM", callback=_check_period,
                             help="Reporting month, e.g. 2025-06.")
team_option = click.option("--team", "team_id", metavar="CODE", help="Team code, e.g. T01.")
#: `--user`: who acts; `workbench.store.current_user` is the one place that decides it.
user_option = click.option(
    "--user", "user", default=None, metavar="NAME",
    help="Who is acting [default: $WORKBENCH_USER, else the OS user; under JupyterHub always "
         "the hub's user].")


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

"""The IPython extension: `%load_ext workbench`, then the `%workbench` line magic.

    %load_ext workbench
    %workbench connect workbench.db      # a path or a URL; prints what it connected to
    %workbench team T01                  # the team card (rich HTML, sparklines, PDSAs, flags)
    %workbench indicator AMTSL           # the indicator's definition and target
    %workbench status                    # counts of what the database holds
    %workbench help

The same from Python: `connect(db)`, `team(code)`, `indicator(code)`, `team_card(code)`,
`status()`. The connection lives in this module's `STATE`, one per kernel. In the magic a
`WorkbenchError` (no connection yet, unknown team, bad URL …) prints one line,
`Error: <what to do>`, instead of a traceback; the Python functions raise it.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Engine

from workbench.errors import NotFoundError, StoreError, WorkbenchError
from workbench.i18n import N_
from workbench.i18n import gettext as _
from workbench.notebook.reprs import (
    Indicator,
    Team,
    register_spc_html,
    unregister_spc_html,
)
from workbench.notebook.team_card import TeamCard, unknown_team

__all__ = [
    "HELP",
    "STATE",
    "ExtensionState",
    "connect",
    "engine",
    "indicator",
    "load_ipython_extension",
    "status",
    "team",
    "team_card",
    "unload_ipython_extension",
    "workbench_magic",
]

HELP = """\
%workbench — the coaching workbench in any notebook

  %workbench connect [DB]        open a workbench database: a file path or a URL
                                 (sqlite:///…, postgresql://user@host/db); default
                                 $WORKBENCH_DB, then ./workbench.db
  %workbench team T01 [YYYY-MM]  team card: each indicator's latest value vs target, a
                                 12-month sparkline, the signal of the team's chart,
                                 PDSA cycles in flight, open flags
  %workbench indicator AMTSL     an indicator's definition and target
  %workbench status              counts of teams, indicators, measurements, cycles, flags
  %workbench help                this text

From Python: workbench.notebook.extension.connect(db), team(code), indicator(code),
team_card(code, period=None), status(). SPC results (workbench.spc.qic) show a summary
table. The forms are in workbench.widgets: PDSACycleForm, MonthlyDataForm,
CoachingVisitForm, ValidationQueue, e.g.
  from workbench.widgets import PDSACycleForm
  PDSACycleForm(workbench.notebook.extension.engine(), team_id="T01")"""

NOT_CONNECTED = N_("not connected to a workbench database; run `%workbench connect "
                   "PATH_OR_URL` first.")


@dataclass
class ExtensionState:
    """The kernel's connection: the engine and its URL (password hidden)."""

    engine: Engine | None = None
    url: str = ""


STATE = ExtensionState()


def engine() -> Engine:
    """The connected engine; StoreError when `connect` has not been called yet."""
    if STATE.engine is None:
        raise StoreError(NOT_CONNECTED)
    return STATE.engine


def connect(db: str | None = None) -> str:
    """Open database `db` (path or URL; None = $WORKBENCH_DB, then ./workbench.db),
    remember it, and return a line saying what it holds."""
    from workbench.store import masked_url, open_engine, read_teams, status_counts

    new = open_engine(db)
    try:
        counts = status_counts(new)
        codes = read_teams(new)["team_id"].astype(str).tolist()
    except WorkbenchError:
        new.dispose()
        raise
    if STATE.engine is not None:
        STATE.engine.dispose()
    STATE.engine = new
    STATE.url = masked_url(new)
    teams = ", ".join(codes) if len(codes) <= 8 else f"{codes[0]} … {codes[-1]}"
    months = (_("{months} months ({first} to {last})").format(
        months=counts["months"], first=counts["first_period"], last=counts["last_period"])
        if counts["months"] else _("no data yet"))
    return _("Connected to {url}: {name} — {teams} teams ({codes}), {indicators} indicators, "
             "{months}.").format(url=STATE.url,
                                 name=counts["collaborative"] or _("unnamed collaborative"),
                                 teams=counts["teams"], codes=teams or _("none"),
                                 indicators=counts["indicators"], months=months)


def team(code: str) -> Team:
    """The team `code` as a `Team` record (NotFoundError naming the known codes)."""
    from workbench.store import read_teams

    teams = read_teams(engine())
    match = teams[teams["team_id"] == code]
    if match.empty:
        raise unknown_team(code, teams["team_id"].astype(str).tolist())
    return Team.from_row(cast("dict[str, Any]", match.iloc[0].to_dict()))


def indicator(code: str) -> Indicator:
    """The indicator `code` as an `Indicator` record (NotFoundError naming the known codes)."""
    from workbench.store import read_indicators

    indicators = read_indicators(engine())
    match = indicators[indicators["indicator_id"] == code]
    if match.empty:
        known = ", ".join(indicators["indicator_id"].astype(str)) or "none yet"
        raise NotFoundError(N_("unknown indicator {code!r}; the indicators are {known}."),
                            params={"code": code, "known": known}, indicator_id=code)
    return Indicator.from_row(cast("dict[str, Any]", match.iloc[0].to_dict()))


def team_card(code: str, period: str | None = None) -> TeamCard:
    """The team card of `code` in month `period` (YYYY-MM; None = the latest month)."""
    from workbench.notebook.team_card import team_card as build

    return build(engine(), code, period)


def status() -> dict[str, Any]:
    """Counts of what the connected database holds (as `workbench status`)."""
    from workbench.store import status_counts

    return status_counts(engine())


def _status_text(counts: dict[str, Any]) -> str:
    width = max(len(k) for k in counts)
    return "\n".join(f"{k.replace('_', ' '):<{width}}  {'' if v is None else v}"
                     for k, v in counts.items())


def _args(words: list[str], low: int, high: int, usage: str) -> list[str]:
    if not low <= len(words) <= high:
        raise WorkbenchError(N_("usage: %workbench {usage}"), params={"usage": usage})
    return words


def _run(line: str) -> Any:
    try:
        words = shlex.split(line)
    except ValueError as exc:
        raise WorkbenchError(N_("cannot read {line!r}: {exc}; check the quotes."),
                             params={"line": line, "exc": exc}) from exc
    if not words or words[0] in ("help", "-h", "--help"):
        print(HELP)
        return None
    command, rest = words[0], words[1:]
    if command == "connect":
        given: Sequence[str | None] = _args(rest, 0, 1, "connect [PATH_OR_URL]") or [None]
        (db,) = given
        print(connect(db))
        return None
    if command == "team":
        code, *period = _args(rest, 1, 2, "team TEAM_CODE [YYYY-MM]")
        return team_card(code, period[0] if period else None)
    if command == "indicator":
        (code,) = _args(rest, 1, 1, "indicator INDICATOR_CODE")
        return indicator(code)
    if command == "status":
        _args(rest, 0, 0, "status")
        print(_status_text(status()))
        return None
    raise WorkbenchError(N_("unknown subcommand {command!r}; use connect, team, indicator, "
                            "status or help."),
                         params={"command": command})


def workbench_magic(line: str) -> Any:
    """`%workbench SUBCOMMAND …` — see `%workbench help`."""
    try:
        return _run(line)
    except WorkbenchError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return None


def load_ipython_extension(ipython: Any) -> None:
    """Register the `%workbench` line magic and the HTML of SPC results (called by
    `%load_ext workbench`)."""
    ipython.register_magic_function(workbench_magic, magic_kind="line", magic_name="workbench")
    register_spc_html(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """Forget the magic and close the connection (`%unload_ext workbench`)."""
    ipython.magics_manager.magics["line"].pop("workbench", None)
    unregister_spc_html(ipython)
    if STATE.engine is not None:
        STATE.engine.dispose()
    STATE.engine, STATE.url = None, ""

"""Per-request context of a Voilà app, from the page's query string (`?team=T01&as_of=…`).

With preheated kernels the app notebook runs before any request exists, so the query string
is read only after `voila.utils.wait_for_request()` (done by `app_context()`). Outside Voilà
(JupyterLab, tests, papermill) `app_context()` returns the defaults at once.

Every value is checked; a bad one is dropped and reported in `problems` (all of them at
once), so an app opens with its defaults and a clear message instead of failing.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode

from workbench.errors import ConfigError
from workbench.i18n import gettext, normalize_language
from workbench.model import is_period, parse_period, period_problem

__all__ = ["AppContext", "parse_query", "view_query", "app_context", "request_query_string",
           "in_voila", "user_name_problem", "session_user", "SESSION_COOKIE", "SESSION_HEADER",
           "SESSION_ENV"]

_CODE = re.compile(r"^[A-Za-z0-9_.\-]{1,40}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2})?)?$")
_USER = re.compile(r"^[\w .@'\-]{1,80}$")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
#: written to the server log when a preheated app waits for its request
READY_MARK = "[workbench] app preheated, waiting for a request:"
KEYS = ("team", "user", "as_of", "indicator", "wave", "district", "period", "presentation",
        "lang", "search", "show", "sort", "page")
#: the name typed once on an app page, kept for the browser session: a signed session cookie
#: (set by `voila_server.SessionUserHandler`), given to the page's kernel by the app handler as
#: this request header, which Voilà puts in the kernel's environment (`http_header_envs`)
SESSION_COOKIE = "workbench_user"
SESSION_HEADER = "X-Workbench-Session-User"
SESSION_ENV = "HTTP_X_WORKBENCH_SESSION_USER"
_SEARCH = re.compile(r"^[^\x00-\x1f\x7f<>]{1,60}$")
_PAGE = re.compile(r"^[1-9]\d{0,5}$")


@dataclass(frozen=True)
class AppContext:
    """What the request asks the app to show. `None` means "the app's default"."""

    team: str | None = None
    user: str | None = None
    as_of: str | None = None
    indicator: str | None = None
    wave: str | None = None
    district: str | None = None
    period: str | None = None
    presentation: bool = False
    lang: str | None = None
    search: str | None = None  # learning session: the team search (name or code)
    show: str | None = None  # learning session: the team list (`apps.team_pages.SHOW`)
    sort: str | None = None  # learning session: its order (`apps.team_pages.SORTS`)
    page: int | None = None  # learning session: the page of teams (1 is the first)
    session_user: str | None = None  # the name typed once in this browser session
    problems: tuple[str, ...] = field(default=())

    def with_problem(self, problem: str) -> AppContext:
        """The same context with one more problem to report."""
        return replace(self, problems=(*self.problems, problem))

    def checked(self, *, teams: Collection[str] | None = None,
                indicators: Collection[str] | None = None,
                waves: Collection[str] | None = None,
                districts: Collection[str] | None = None) -> AppContext:
        """Drop values that are not in the collaborative, adding one problem for each."""
        problems = list(self.problems)
        changes: dict[str, Any] = {}
        for key, allowed, what in (("team", teams, "team"), ("indicator", indicators, "indicator"),
                                   ("wave", waves, "wave"), ("district", districts, "district")):
            value = getattr(self, key)
            if value is None or allowed is None or value in allowed:
                continue
            problems.append(f"unknown {what} {value!r} in the address; "
                            f"pick one from the list instead.")
            changes[key] = None
        return replace(self, problems=tuple(problems), **changes)


def user_name_problem(name: str) -> str | None:
    """Why `name` cannot be the name saves go under (None when it can): the rule of `?user=`
    and of the name a person types on an app page."""
    if _USER.match(name.strip()):
        return None
    return gettext("a name is 1 to 80 letters, digits, spaces or . @ ' -")


def session_user(environ: Mapping[str, str] | None = None) -> str | None:
    """The name this browser session typed once (`SESSION_ENV`, percent-encoded by the app
    handler from its signed cookie), None without one or when it is not a name."""
    raw = unquote((os.environ if environ is None else environ).get(SESSION_ENV, ""))[:200]
    return raw.strip() if raw.strip() and user_name_problem(raw) is None else None


def parse_query(query: str | None) -> AppContext:
    """Parse `team=T01&user=Ann&as_of=2026-06-30&presentation=1` into an `AppContext`.

    Unknown keys are ignored; a malformed value is left out and named in `problems`.
    """
    values: dict[str, object] = {}
    problems: list[str] = []
    pairs = parse_qs((query or "").lstrip("?"), keep_blank_values=True)
    for key in KEYS:
        if key not in pairs:
            continue
        raw = pairs[key][-1].strip()
        if key == "presentation":
            if raw.lower() in _TRUE:
                values[key] = True
            elif raw.lower() not in _FALSE:
                problems.append(f"presentation={raw!r} is not yes or no; use presentation=1.")
            continue
        if raw == "":
            continue
        if key == "lang":  # an available language (`workbench.i18n`)
            try:
                values[key] = normalize_language(raw[:20])
            except ConfigError as exc:
                problems.append(f"lang: {exc} It was ignored.")
            continue
        if key == "period":  # the period rule of every door (`workbench.model`)
            if is_period(raw):
                values[key] = parse_period(raw)
            else:
                problems.append(f"period: {period_problem(raw[:60])}; it was ignored.")
            continue
        if key == "page":
            if _PAGE.match(raw):
                values[key] = int(raw)
            else:
                problems.append(f"page={raw[:60]!r} is not a page number such as 2; "
                                "it was ignored.")
            continue
        check, hint = {
            "team": (_CODE, "a team code such as T01"),
            "indicator": (_CODE, "an indicator code such as AMTSL"),
            "wave": (_CODE, "a wave code such as W1"),
            "district": (_USER, "a district name"),
            "user": (_USER, "a name (letters, digits, spaces, . @ ' -)"),
            "as_of": (_DATE, "a date written YYYY-MM-DD, e.g. 2026-06-30"),
            "search": (_SEARCH, "part of a team's name or code (at most 60 characters)"),
            "show": (_CODE, "a team list such as top_gain"),
            "sort": (_CODE, "an order such as district"),
        }[key]
        if check.match(raw):
            values[key] = raw
        else:
            problems.append(f"{key}={raw[:60]!r} is not {hint}; it was ignored.")
    return AppContext(**values, problems=tuple(problems))  # type: ignore[arg-type]


def view_query(state: Mapping[str, object]) -> str:
    """The query string of a view (`LearningSessionApp.view_state()`): the inverse of
    `parse_query` for the keys in `KEYS`; defaults (None, False, page 1) are left out.
    `parse_query(view_query(state))` gives the same values back."""
    pairs: list[tuple[str, str]] = []
    for key in KEYS:
        value = state.get(key)
        if value is None or value is False or value == "" or (key == "page" and value == 1):
            continue
        pairs.append((key, "1" if value is True else str(value)))
    return urlencode(pairs)


def in_voila() -> bool:
    """True inside a kernel started by Voilà (preheated or not)."""
    return "VOILA_PREHEAT" in os.environ or "SCRIPT_NAME" in os.environ or (
        "VOILA_APP_PORT" in os.environ
    )


def request_query_string() -> str:
    """The query string of the page request; waits for the request in a preheated kernel."""
    if os.environ.get("VOILA_PREHEAT", "False") != "False":
        from voila.utils import wait_for_request

        # to the server's log (the kernel's original stderr): the app is built and waiting
        print(f"{READY_MARK} kernel {os.environ.get('VOILA_KERNEL_ID', '?')}",
              file=sys.__stderr__, flush=True)
        wait_for_request()
    return os.environ.get("QUERY_STRING", "")


def app_context() -> AppContext:
    """The request's context in Voilà (after the request arrived), defaults elsewhere.

    A `user` in the query string becomes the author of what the app saves
    (`WORKBENCH_USER`), unless JupyterHub already says who is logged in. It is a label, not a
    login: put the apps behind JupyterHub where authorship matters. So is the name typed once
    in this browser session (`session_user`), which `store.known_user` takes last.
    """
    context = replace(parse_query(request_query_string()), session_user=session_user())
    if context.user and not os.environ.get("JUPYTERHUB_USER"):
        os.environ["WORKBENCH_USER"] = context.user
    return context

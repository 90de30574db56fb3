"""The shared machinery of the Voilà apps: the app object, its banner, building it in a
preheated kernel.

An app is built before the request (in Voilà's preheated kernel, at low CPU priority), then
`present(context)` shows it for one request. A domain error never becomes a traceback: it is
shown as a friendly banner at the top of the app. The apps themselves are in
`workbench.apps.forms` (the form apps) and `workbench.apps.learning_session`; the notebooks
of `voila_apps/` call the builders of `workbench.apps.builders`.
"""

from __future__ import annotations

import html
import logging
import os
import threading
import traceback
from collections.abc import Callable
from typing import Any

import ipywidgets as w
from sqlalchemy import Engine

from workbench.apps.context import AppContext
from workbench.errors import WorkbenchError
from workbench.i18n import N_, current_language, set_language
from workbench.i18n import gettext as _
from workbench.ingest.collaborative import collaborative_language
from workbench.store import read_teams
from workbench.store.engine import as_engine
from workbench.store.versions import data_version
from workbench.widgets._base import code_options

__all__ = [
    "PREHEAT_NICENESS",
    "WorkbenchApp",
    "banner",
    "build_app",
]

log = logging.getLogger("workbench.apps")


def banner(text: str, kind: str = "info") -> str:
    """An escaped message box (`wb-error`, `wb-warning`, `wb-info`)."""
    body = "<br>".join(html.escape(line) for line in text.split("\n"))
    return f'<div class="wb-banner wb-{kind}">{body}</div>'


class WorkbenchApp(w.VBox):  # type: ignore[misc]  # ipywidgets ships no types
    """The root widget of an app: title, a message banner, optional team picker, a body.

    Subclasses implement `_show(context)`; `present(context)` checks the context against the
    collaborative, refreshes data that changed since the kernel was preheated, and shows.
    """

    title = N_("Coaching workbench")
    uses_team = True

    def __init__(self, engine: Engine | str | None = None) -> None:
        super().__init__(layout=w.Layout(width="100%"))
        self.add_class("wb-app")
        self.engine = as_engine(engine)  # None: WORKBENCH_DB
        #: the language the app was built in (`present` rebuilds it for another `?lang=`)
        self.language = current_language()
        self.context = AppContext()
        title = _(self.title)
        self._title = w.HTML(f'<div class="wb-title">{html.escape(title)}</div>')
        self._banner = w.HTML()
        self.body = w.VBox(layout=w.Layout(width="100%"))
        self.teams = read_teams(self.engine)
        self.team_picker = w.Dropdown(
            description=_("Team"), options=code_options(self.teams, "team_id"),
            layout=w.Layout(width="420px"))
        self._version = data_version(self.engine)
        self._opened = False
        header: list[w.Widget] = [self._title]
        if self.uses_team:
            header.append(self.team_picker)
        self.children = (*header, self._banner, self.body)
        self._prepare()

    # -- the request ------------------------------------------------------------------------
    def present(self, context: AppContext | None = None) -> WorkbenchApp:
        """Show the app for one request; returns itself (the notebook displays it)."""
        context = context or AppContext()
        if context.lang and context.lang != self.language:  # ?lang= asks for another language
            set_language(context.lang)
            return type(self)(self.engine).present(context)
        context = context.checked(teams=set(self.teams["team_id"]))
        self.context = context
        self._opened = True
        try:
            version = data_version(self.engine)
            if version != self._version:
                self._version = version
                self._refresh()
            if self.uses_team and context.team:
                self.team_picker.value = context.team
            self._show(context)
        except WorkbenchError as exc:
            self.notify(str(exc), "error")
            return self
        except Exception as exc:  # noqa: BLE001 - a friendly message, and the log has it
            log.error("app %s failed\n%s", type(self).__name__, traceback.format_exc())
            self.notify(_("This app could not load ({error}). Reload the page; if it happens "
                          "again, tell your data manager.").format(error=type(exc).__name__),
                        "error")
            return self
        if context.problems:
            self.notify("\n".join(context.problems), "warning")
        return self

    def notify(self, text: str, kind: str = "info") -> None:
        self._banner.value = banner(text, kind) if text else ""

    @property
    def message(self) -> str:
        """The banner's text (for tests and logs)."""
        return html.unescape(self._banner.value.split(">", 1)[-1].rsplit("</div>", 1)[0])

    def guard(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Wrap a callback so its errors show in the banner, never vanish."""
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except WorkbenchError as exc:
                self.notify(str(exc), "error")
            except Exception as exc:  # noqa: BLE001
                log.error("callback failed\n%s", traceback.format_exc())
                self.notify(_("Unexpected error ({error}): {detail}").format(
                    error=type(exc).__name__, detail=exc), "error")
            return None
        return wrapper

    # -- for subclasses ---------------------------------------------------------------------
    def _prepare(self) -> None:
        """Load what every request needs (runs in the preheated kernel)."""

    def _refresh(self) -> None:
        """The database changed since `_prepare`: reload."""
        self._prepare()

    def _show(self, context: AppContext) -> None:
        raise NotImplementedError


#: niceness of the thread that builds an app in a preheated kernel (Linux)
PREHEAT_NICENESS = 10


def build_app(cls: type[WorkbenchApp], engine: Engine | str | None) -> WorkbenchApp | w.Widget:
    """An app of class `cls` on `engine` (default: `WORKBENCH_DB`), built at low priority in a
    preheated kernel; an app that only shows why it cannot start on a domain error.

    Its language is the collaborative's (`WORKBENCH_LANG`, from `workbench serve --lang`,
    first); a request's `?lang=` makes `present` build it again in that language."""
    try:
        engine = as_engine(engine)
        set_language(collaborative_language(engine))
        if os.environ.get("VOILA_PREHEAT", "False") != "False":
            return _at_low_priority(lambda: cls(engine))
        return cls(engine)
    except WorkbenchError as exc:
        return _ErrorApp(str(exc))


def _at_low_priority(fn: Callable[[], Any]) -> Any:
    """`fn()` in a thread at lower CPU priority, waited for; its result or its exception.

    A preheated kernel builds its app while the server may be serving a page: Voilà refills
    the pool the moment a page takes a kernel. At normal priority that build (seconds of
    pandas and bokeh) competes with the kernel answering the page; at niceness
    `PREHEAT_NICENESS` (per thread on Linux) it uses only the CPU nobody else wants.
    """
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), PREHEAT_NICENESS)
        except (AttributeError, OSError):  # not Linux: same priority
            pass
        try:
            outcome["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            outcome["error"] = exc

    thread = threading.Thread(target=run, name="workbench-preheat", daemon=True)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


class _ErrorApp(w.VBox):  # type: ignore[misc]  # ipywidgets ships no types
    """What an app shows when it cannot even start (no database, wrong URL)."""

    def __init__(self, text: str) -> None:
        super().__init__([w.HTML(banner(_("This app cannot start: {reason}").format(
            reason=text), "error"))])
        self.message = text

    def present(self, context: AppContext | None = None) -> _ErrorApp:
        return self

"""The Voilà apps as objects: built before the request (preheated), opened for one request.

Each app notebook in `voila_apps/` is three cells::

    from workbench.apps.base import app_context, build_coach_app
    app = build_coach_app()          # loads the data while the kernel waits in the pool
    app.present(app_context())       # waits for the request (?team=T01), shows the app

Apps compose the forms of `workbench.widgets` and the figures of `workbench.charts`; they
hold no form or chart logic of their own. A domain error never becomes a traceback: it is
shown as a friendly banner at the top of the app.
"""

from __future__ import annotations

import html
import inspect
import logging
import os
import threading
import traceback
from collections.abc import Callable
from typing import Any

import ipywidgets as w
from sqlalchemy import Engine, func, select

from workbench.apps.context import AppContext, app_context, parse_query
from workbench.errors import WorkbenchError
from workbench.store import open_engine, read_teams
from workbench.store import schema as s
from workbench.widgets._base import code_options

__all__ = [
    "AppContext",
    "WorkbenchApp",
    "app_context",
    "parse_query",
    "data_version",
    "build_coach_app",
    "build_pdsa_journal_app",
    "build_data_entry_app",
    "build_validation_queue_app",
    "build_learning_session_app",
]

log = logging.getLogger("workbench.apps.base")


def data_version(engine: Engine) -> tuple:
    """A cheap fingerprint of everything the apps show; it changes with every write."""
    with engine.connect() as conn:
        return tuple(conn.execute(select(
            select(func.max(s.measurement_revisions.c.revision_id)).scalar_subquery(),
            select(func.max(s.flags.c.updated_at)).scalar_subquery(),
            select(func.max(s.pdsa_cycles.c.updated_at)).scalar_subquery(),
            select(func.max(s.coaching_visits.c.visit_id)).scalar_subquery(),
        )).one())


def banner(text: str, kind: str = "info") -> str:
    """An escaped message box (`wb-error`, `wb-warning`, `wb-info`)."""
    body = "<br>".join(html.escape(line) for line in text.split("\n"))
    return f'<div class="wb-banner wb-{kind}">{body}</div>'


def _engine(engine: Engine | str | None) -> Engine:
    if isinstance(engine, Engine):
        return engine
    return open_engine(engine or os.environ.get("WORKBENCH_DB"))


def _make(cls: Callable[..., Any], engine: Engine, **kwargs: Any) -> Any:
    """Call a form's constructor with the keyword arguments it accepts."""
    try:
        params = inspect.signature(cls).parameters
    except (TypeError, ValueError):
        params = {}
    if not any(p.kind is p.VAR_KEYWORD for p in params.values()):
        kwargs = {k: v for k, v in kwargs.items() if k in params}
    return cls(engine, **kwargs)


def _widget_class(name: str) -> Any:
    """A form class of `workbench.widgets`, or None while it is not installed."""
    try:
        import workbench.widgets as forms
    except ImportError:
        return None
    return getattr(forms, name, None)


class WorkbenchApp(w.VBox):
    """The root widget of an app: title, a message banner, optional team picker, a body.

    Subclasses implement `_show(context)`; `present(context)` checks the context against the
    collaborative, refreshes data that changed since the kernel was preheated, and shows.
    """

    title = "Coaching workbench"
    uses_team = True

    def __init__(self, engine: Engine | str | None = None) -> None:
        super().__init__(layout=w.Layout(width="100%"))
        self.add_class("wb-app")
        self.engine = _engine(engine)
        self.context = AppContext()
        self._title = w.HTML(f'<div class="wb-title">{html.escape(self.title)}</div>')
        self._banner = w.HTML()
        self.body = w.VBox(layout=w.Layout(width="100%"))
        self.teams = read_teams(self.engine)
        self.team_picker = w.Dropdown(
            description="Team", options=code_options(self.teams, "team_id"),
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
        context = (context or AppContext()).checked(teams=set(self.teams["team_id"]))
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
            self.notify(f"This app could not load ({type(exc).__name__}). Reload the page; "
                        "if it happens again, tell your data manager.", "error")
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
                self.notify(f"Unexpected error ({type(exc).__name__}): {exc}", "error")
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


def _page_picks_the_team(form: Any) -> None:
    """The app's own team picker governs: the form's is hidden (one "Team" on the page)."""
    if hasattr(form, "show_team_picker"):
        form.show_team_picker(False)


class _FormApp(WorkbenchApp):
    """A team picker over one form of `workbench.widgets` (rebuilt when the team changes)."""

    form_class = ""
    form_label = "form"

    def _prepare(self) -> None:
        self.form: Any = None
        self._form_team: str | None = None
        self.team_picker.observe(self.guard(lambda change: self._build_form()), "value")
        self._build_form()

    def _refresh(self) -> None:
        self._form_team = None

    def _form_kwargs(self) -> dict[str, Any]:
        return {"team_id": self.team_picker.value, "user": self.context.user}

    def _build_form(self) -> None:
        if self._form_team == self.team_picker.value and self.form is not None:
            return
        cls = _widget_class(self.form_class)
        if cls is None:
            self.form = None
            self.body.children = (w.HTML(banner(
                f"The {self.form_label} is not installed in this workbench yet.", "warning")),)
            return
        self.form = _make(cls, self.engine, **self._form_kwargs())
        _page_picks_the_team(self.form)
        self._form_team = self.team_picker.value
        self.body.children = (*self._above_form(), self.form)

    def _above_form(self) -> tuple[w.Widget, ...]:
        return ()

    def _show(self, context: AppContext) -> None:
        self._build_form()
        if self.form is not None and hasattr(self.form, "user"):
            # built before the request: the author is the request's user (JupyterHub first)
            self.form.user = os.environ.get("JUPYTERHUB_USER") or context.user or self.form.user


class PDSAJournalApp(_FormApp):
    title = "PDSA journal"
    form_class = "PDSACycleForm"
    form_label = "PDSA cycle form"


class DataEntryApp(_FormApp):
    """Two tabs: the month's numerators and denominators, and the team's self-assessment."""

    title = "Monthly data entry"
    form_class = "MonthlyDataForm"
    form_label = "monthly data form"
    self_assessment: Any = None

    def _form_kwargs(self) -> dict[str, Any]:
        kwargs = super()._form_kwargs()
        if self.context.period:
            kwargs["period"] = self.context.period
        return kwargs

    def _build_form(self) -> None:
        stale = self.form is None or self._form_team != self.team_picker.value
        super()._build_form()
        cls = _widget_class("SelfAssessmentForm")
        if not stale or self.form is None or cls is None:
            return
        self.self_assessment = _make(cls, self.engine, **self._form_kwargs())
        _page_picks_the_team(self.self_assessment)
        self.body.children = (w.Tab(children=[self.form, self.self_assessment],
                                    titles=("Monthly data", "Self-assessment")),)

    def _show(self, context: AppContext) -> None:
        super()._show(context)
        sheet = getattr(self.form, "sheet", None)
        if context.period and sheet is not None and sheet.period != context.period:
            self.form.load(period=context.period)  # the form was built before the request
        if self.self_assessment is not None:
            self.self_assessment.load(period=context.period,
                                      user=getattr(self.form, "user", None))


class CoachApp(_FormApp):
    """The site-visit brief of the team, then the coaching-visit form."""

    title = "Coaching visit"
    form_class = "CoachingVisitForm"
    form_label = "coaching-visit form"

    def _above_form(self) -> tuple[w.Widget, ...]:
        return (self._brief(),)

    def _brief(self) -> w.Widget:
        """The brief of `workbench.briefs.site_visit_brief_data`, as escaped HTML tables."""
        from workbench.briefs import site_visit_brief_data
        from workbench.notebook.render import bullets, heading, join, table

        brief = site_visit_brief_data(self.engine, self.team_picker.value)
        return w.HTML(join(
            heading(f"Site-visit brief: {brief.team_label}, {brief.since_label}"),
            table(brief.changes, {"indicator": "Indicator", "then": "Then", "now": "Now",
                                  "change": "Change"}, caption="What changed"),
            table(brief.signals, {"indicator": "Indicator", "latest": "Latest",
                                  "target": "Target", "signal": "Signal"}, caption="Signals"),
            table(brief.pdsa_in_flight, {"change": "Change idea", "cycle": "Cycle",
                                         "status": "Status", "last_change": "Last change"},
                  caption="PDSA cycles in flight", empty="No PDSA cycle in flight."),
            heading("Questions for the visit", 4), bullets(brief.questions),
        ))


class ValidationQueueApp(_FormApp):
    """The flags to review; a team in the address narrows the queue to that team."""

    title = "Validation queue"
    form_class = "ValidationQueue"
    form_label = "validation queue"
    uses_team = False

    def _form_kwargs(self) -> dict[str, Any]:
        return {"team_id": self.context.team, "user": self.context.user}

    def _build_form(self) -> None:
        key = self.context.team or ""
        if self._form_team == key and self.form is not None:
            return
        super()._build_form()
        self._form_team = key


#: niceness of the thread that builds an app in a preheated kernel (Linux)
PREHEAT_NICENESS = 10


def _build(cls: type[WorkbenchApp], engine: Engine | str | None) -> WorkbenchApp | w.Widget:
    try:
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


class _ErrorApp(w.VBox):
    """What an app shows when it cannot even start (no database, wrong URL)."""

    def __init__(self, text: str) -> None:
        super().__init__([w.HTML(banner(f"This app cannot start: {text}", "error"))])
        self.message = text

    def present(self, context: AppContext | None = None) -> _ErrorApp:
        return self


def build_pdsa_journal_app(engine: Engine | str | None = None) -> WorkbenchApp | w.Widget:
    """The QI team's PDSA journal: plan, do, study, act cycles of one team (`?team=`)."""
    return _build(PDSAJournalApp, engine)


def build_data_entry_app(engine: Engine | str | None = None) -> WorkbenchApp | w.Widget:
    """Monthly numerator/denominator entry for one team (`?team=T01&period=2026-10`)."""
    return _build(DataEntryApp, engine)


def build_coach_app(engine: Engine | str | None = None) -> WorkbenchApp | w.Widget:
    """The coach's app: the site-visit brief, then the coaching-visit form (`?team=`)."""
    return _build(CoachApp, engine)


def build_validation_queue_app(engine: Engine | str | None = None) -> WorkbenchApp | w.Widget:
    """The validator's queue of flags (`?user=Ann&team=T03`)."""
    return _build(ValidationQueueApp, engine)


def build_learning_session_app(engine: Engine | str | None = None) -> WorkbenchApp | w.Widget:
    """The facilitator's live results of every team (`?indicator=AMTSL&as_of=2026-06-30`)."""
    from workbench.apps.learning_session import LearningSessionApp

    return _build(LearningSessionApp, engine)

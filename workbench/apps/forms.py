"""The form apps: a team picker over one form of `workbench.widgets` (the PDSA journal,
monthly data entry with the self-assessment, the coach's visit with the site-visit brief, the
validation queue).

They compose the forms and the brief; they hold no form or rule of their own.
"""

from __future__ import annotations

import html
import inspect
import os
from collections.abc import Callable, Mapping
from typing import Any

import ipywidgets as w
from sqlalchemy import Engine

from workbench.apps.base import WorkbenchApp, banner
from workbench.apps.context import AppContext
from workbench.i18n import N_
from workbench.i18n import gettext as _

__all__ = ["CoachApp", "DataEntryApp", "PDSAJournalApp", "ValidationQueueApp"]


def _make(cls: Callable[..., Any], engine: Engine, **kwargs: Any) -> Any:
    """Call a form's constructor with the keyword arguments it accepts."""
    params: Mapping[str, inspect.Parameter]
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


def _page_picks_the_team(form: Any) -> None:
    """The app's own team picker governs: the form's is hidden (one "Team" on the page)."""
    if hasattr(form, "show_team_picker"):
        form.show_team_picker(False)


class _FormApp(WorkbenchApp):
    """A team picker over one form of `workbench.widgets` (rebuilt when the team changes)."""

    form_class = ""
    form_label = N_("form")
    #: the words before the acting user's name under the title
    who_label = N_("Saving as")

    def _prepare(self) -> None:
        self.form: Any = None
        self._form_team: str | None = None
        if not hasattr(self, "who"):  # under the title: whose name goes on every save
            self.who = w.HTML()
            self.children = (self.children[0], self.who, *self.children[1:])
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
                _("The {form} is not installed in this workbench yet.").format(
                    form=_(self.form_label)), "warning")),)
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
            who = _(self.who_label)
            self.who.value = (f'<div class="wb-user">{html.escape(who)} '
                              f"<b>{html.escape(str(self.form.user))}</b></div>")


class PDSAJournalApp(_FormApp):
    title = N_("PDSA journal")
    form_class = "PDSACycleForm"
    form_label = N_("PDSA cycle form")


class DataEntryApp(_FormApp):
    """Two tabs: the month's numerators and denominators, and the team's self-assessment."""

    title = N_("Monthly data entry")
    form_class = "MonthlyDataForm"
    form_label = N_("monthly data form")
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
                                    titles=(_("Monthly data"), _("Self-assessment"))),)

    def _show(self, context: AppContext) -> None:
        super()._show(context)
        sheet = getattr(self.form, "sheet", None)
        if context.period and sheet is not None and sheet.period != context.period:
            self.form.load(period=context.period)  # the form was built before the request
        if self.self_assessment is not None:
            self.self_assessment.load(period=context.period,
                                      user=getattr(self.form, "user", None))


class CoachApp(_FormApp):
    """The site-visit brief of the team, then the coaching-visit form; the brief is rebuilt
    after each saved visit (it then compares against the visit just recorded)."""

    title = N_("Coaching visit")
    form_class = "CoachingVisitForm"
    form_label = N_("coaching-visit form")
    brief_box: Any = None

    def _above_form(self) -> tuple[w.Widget, ...]:
        self.brief_box = w.VBox([self._brief()])
        if hasattr(self.form, "on_saved"):
            self.form.on_saved(self.guard(lambda _result: self.refresh_brief()))
        return (self.brief_box,)

    def refresh_brief(self) -> None:
        """Rebuild the brief from the database (after a visit was saved)."""
        if self.brief_box is not None:
            self.brief_box.children = (self._brief(),)

    def _brief(self) -> w.Widget:
        """The brief of `workbench.briefs.site_visit_brief_data`, as escaped HTML tables."""
        from workbench.briefs import COLUMNS, site_visit_brief_data
        from workbench.notebook.render import bullets, heading, join, note, table

        brief = site_visit_brief_data(self.engine, self.team_picker.value)
        return w.HTML(join(
            heading(_("Site-visit brief: {team}, {since}").format(team=brief.team_label,
                                                                  since=brief.since_label)),
            table(brief.changes, COLUMNS["changes"], caption=_("What changed")),
            note(_("No month was reported {since}: the values are those the last visit "
                   "saw.").format(since=brief.since_label)) if brief.no_new_data else "",
            table(brief.signals, COLUMNS["signals"], caption=_("Signals")),
            table(brief.pdsa_in_flight, {"change": _("Change idea"), "cycle": _("Cycle"),
                                         "status": _("Status"),
                                         "last_change": _("Last change")},
                  caption=_("PDSA cycles in flight"), empty=_("No PDSA cycle in flight.")),
            table(brief.previous_actions, COLUMNS["actions"],
                  caption=_("Actions agreed at the last visit"),
                  empty=_("No earlier actions.")),
            heading(_("Questions for the visit"), 4), bullets(brief.questions),
        ))


class ValidationQueueApp(_FormApp):
    """The flags to review; a team in the address narrows the queue to that team."""

    title = N_("Validation queue")
    form_class = "ValidationQueue"
    form_label = N_("validation queue")
    who_label = N_("Reviewing as")
    uses_team = False

    def _form_kwargs(self) -> dict[str, Any]:
        return {"team_id": self.context.team, "user": self.context.user}

    def _build_form(self) -> None:
        key = self.context.team or ""
        if self._form_team == key and self.form is not None:
            return
        super()._build_form()
        self._form_team = key

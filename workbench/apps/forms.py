"""The form apps: a team picker over one form of `workbench.widgets` (the PDSA journal,
monthly data entry with the self-assessment, the coach's visit with the site-visit brief, the
validation queue).

They compose the forms and the brief; they hold no form or rule of their own.
"""

from __future__ import annotations

import html
import inspect
from collections.abc import Callable, Mapping
from typing import Any

import ipywidgets as w
from sqlalchemy import Engine

from workbench.apps.base import WorkbenchApp, banner
from workbench.apps.context import AppContext, user_name_problem
from workbench.i18n import N_
from workbench.i18n import gettext as _
from workbench.store import known_user

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
    """A team picker over one form of `workbench.widgets` (rebuilt when the team changes).

    Every save goes under one name, shown under the title ("Saving as …"): the server's
    (`store.known_user`: JupyterHub's user, else `?user=` in the address, else
    `workbench serve --user`), else the name the person types once in the box shown in the
    form's place; until then the page holds no form, so nothing is saved under the OS user of
    the machine serving the apps. A typed name is kept for the browser session (the page posts
    it to the server, which keeps it in a session cookie and hands it to the next pages'
    kernels: `AppContext.session_user`), so other apps and a reload do not ask again; "Not
    you?" forgets it (a shared computer).
    """

    form_class = ""
    form_label = N_("form")
    #: the words before the acting user's name under the title
    who_label = N_("Saving as")

    def _prepare(self) -> None:
        self.form: Any = None
        self._form_team: str | None = None
        if not hasattr(self, "who"):  # under the title: whose name goes on every save
            self.typed_name: str | None = None
            self._forget_session = False
            self.who = w.HTML()
            self._kept_note = w.HTML()
            self._change_name = w.Button(description=_("Not you?"),
                                         tooltip=_("Save under another name"),
                                         layout=w.Layout(width="auto"))
            self._change_name.add_class("wb-change-name")
            self._change_name.on_click(self.guard(lambda _b: self.forget_name()))
            self.who_row = w.HBox([self.who, self._kept_note, self._change_name],
                                  layout=w.Layout(align_items="center"))
            self._name = w.Text(placeholder=_("Your name"), layout=w.Layout(width="260px"))
            self._name_button = w.Button(description=_("Use this name"), button_style="primary")
            self._name_message = w.HTML()
            ask = _("Who is saving? Type your name once: every save in these apps goes under "
                    "it until this browser is closed.")
            self.name_prompt = w.VBox([
                w.HTML(f'<div class="wb-ask-name">{html.escape(ask)}</div>'),
                w.HBox([self._name, self._name_button]), self._name_message])
            self.name_prompt.add_class("wb-name-prompt")
            self.name_prompt.layout.display = "none"
            self._name_button.on_click(self.guard(lambda _b: self.use_name(self._name.value)))
            self.children = (self.children[0], self.who_row, self.name_prompt,
                             *self.children[1:])
        self.team_picker.observe(self.guard(lambda change: self._build_form()), "value")
        self._build_form()

    def _refresh(self) -> None:
        self._form_team = None

    # -- who saves --------------------------------------------------------------------------
    def acting_user(self) -> str | None:
        """The name saves go under (`store.known_user` of the address's or the typed name, and
        of the name typed earlier in this browser session), None while nobody has said."""
        session = None if self._forget_session else self.context.session_user
        return known_user(self.context.user or self.typed_name, session=session)

    def _name_is_typed(self) -> bool:
        """True when the acting user is only a name typed on a page (here or earlier in this
        browser session): the server, the hub and the address say nobody."""
        return self.acting_user() is not None and known_user(self.context.user) is None

    def forget_name(self) -> None:
        """"Not you?": forget the typed name (the page also clears the session's) and ask."""
        self.typed_name = None
        self._forget_session = True
        self._name.value = ""
        self._show_who()

    def use_name(self, name: str) -> None:
        """The name the person typed: every save of this page goes under it."""
        problem = user_name_problem(name)
        if problem:
            self._name_message.value = banner(_("Not a usable name: {problem}.").format(
                problem=problem), "error")
            return
        self.typed_name = name.strip()
        self._name_message.value = ""
        self._show_who()

    def _forms(self) -> list[Any]:
        return [self.form] if self.form is not None else []

    def _show_who(self) -> None:
        """Put the acting user on every form and under the title; without one, ask."""
        user = self.acting_user()
        for form in self._forms():
            if user is not None and hasattr(form, "user"):
                form.user = user
        gate = getattr(self, "_gate", None)
        typed = self._name_is_typed()
        self._change_name.layout.display = None if typed else "none"
        kept = html.escape(_("(kept until this browser is closed)"))
        self._kept_note.value = f'<span class="wb-kept">{kept}</span>' if typed else ""
        if user is None:
            self.who.value = ""
            self.name_prompt.layout.display = None
            if gate is not None:
                gate.children = ()
            return
        self.name_prompt.layout.display = "none"
        if gate is not None and gate.children != (self._gated,):
            # put in (not shown after being hidden: a tab drawn hidden stays empty)
            gate.children = (self._gated,)
        who = html.escape(_(self.who_label))
        self.who.value = f'<div class="wb-user">{who} <b>{html.escape(user)}</b></div>'

    def _set_body(self, *above: w.Widget, form: w.Widget) -> None:
        """The page under the header: `above` (e.g. the brief), then `form` in a box that
        holds it only once someone is saving (`_show_who`)."""
        self._gated = form
        self._gate = w.VBox([form], layout=w.Layout(width="100%"))
        self._gate.add_class("wb-form-gate")
        self.body.children = (*above, self._gate)
        if self._opened:
            self._show_who()

    # -- the form ---------------------------------------------------------------------------
    def _form_kwargs(self) -> dict[str, Any]:
        return {"team_id": self.team_picker.value, "user": self.acting_user()}

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
        self._set_body(*self._above_form(), form=self.form)

    def _above_form(self) -> tuple[w.Widget, ...]:
        return ()

    def _show(self, context: AppContext) -> None:
        self._build_form()
        self._show_who()


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
        self._set_body(form=w.Tab(children=[self.form, self.self_assessment],
                                  titles=(_("Monthly data"), _("Self-assessment"))))

    def use_name(self, name: str) -> None:
        super().use_name(name)
        if self.self_assessment is not None and self.acting_user() is not None:
            self.self_assessment.load(user=self.acting_user())  # "scored by" follows

    def _show(self, context: AppContext) -> None:
        super()._show(context)
        sheet = getattr(self.form, "sheet", None)
        if context.period and sheet is not None and sheet.period != context.period:
            self.form.load(period=context.period)  # the form was built before the request
        if self.self_assessment is not None:
            self.self_assessment.load(period=context.period, user=self.acting_user())


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
        return {"team_id": self.context.team, "user": self.acting_user()}

    def _build_form(self) -> None:
        key = self.context.team or ""
        if self._form_team == key and self.form is not None:
            return
        super()._build_form()
        self._form_team = key

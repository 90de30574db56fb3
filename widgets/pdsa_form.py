"""`PDSACycleForm`: the IHI PDSA worksheet and the team's journal of cycles."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any, cast

import ipywidgets as w
import pandas as pd
from sqlalchemy import Engine

from workbench.i18n import gettext as _
from workbench.i18n import pgettext
from workbench.records.pdsa import (
    ACT_DECISIONS,
    PDSACycle,
    change_choices,
    load_cycle,
    next_cycle_number,
    next_status,
    ramp_cycle,
    result_text,
    save_cycle,
    team_journal,
)
from workbench.store import read_teams, team_indicators

from ._base import FormBase, RowList, code_options, esc, series_view

__all__ = ["PDSACycleForm"]

_NEW_IDEA = "__new__"


def _wide() -> w.Layout:
    """A new layout per widget: a shared one would hide every field with the new-idea name."""
    return w.Layout(width="95%")


def _stage(status: str | None) -> str:
    """A PDSA stage or act decision as a word in the current language."""
    return {"plan": pgettext("PDSA stage", "plan"), "do": pgettext("PDSA stage", "do"),
            "study": pgettext("PDSA stage", "study"), "act": pgettext("PDSA stage", "act"),
            "closed": pgettext("PDSA stage", "closed"),
            "adopt": pgettext("PDSA decision", "adopt"),
            "adapt": pgettext("PDSA decision", "adapt"),
            "abandon": pgettext("PDSA decision", "abandon")}.get(str(status), str(status))


def _area(placeholder: str, rows: int = 3) -> w.Textarea:
    return w.Textarea(placeholder=placeholder, continuous_update=False, rows=rows,
                      layout=_wide())


class PDSACycleForm(FormBase):
    """Plan, do, study and act one PDSA cycle; pick any cycle from the team's journal.

    `PDSACycleForm(db_or_engine, team_id=None, user=None, cycle_id=None)`.
    Public API: `refresh()`, `new()`, `load(cycle_id)`, `cycle` (the PDSACycle the fields
    describe), `save()`, `advance()` (save and move to the next step), `ramp()` (draft the
    next cycle from this one), `journal` (the team's cycles as a frame), `message`,
    `field_errors()`.
    """

    def __init__(self, db_or_engine: str | Engine, team_id: str | None = None,
                 user: str | None = None, cycle_id: int | None = None, **kwargs: Any) -> None:
        super().__init__(db_or_engine, team_id=team_id, user=user, **kwargs)
        self._loaded: PDSACycle | None = None
        self._draft = PDSACycle(team_id=team_id or "")
        self._results: dict[int, str] = {}
        self._result_extra: dict[int, dict[str, Any]] = {}
        g = self._guard

        self._team = w.Dropdown(description=_("Team"))
        self._journal = w.Select(description=_("Journal"), rows=6, layout=_wide())
        self._new_button = w.Button(description=_("New cycle"), icon="file")
        self._status = w.HTML()

        self._change = w.Dropdown(description=_("Change idea"), layout=_wide())
        self._new_change_name = w.Text(placeholder=_("name of the new change idea"),
                                       continuous_update=False, layout=_wide())
        self._cycle_number = w.BoundedIntText(value=1, min=1, max=999,
                                              description=_("Cycle no."))
        self._title = w.Text(description=_("Title"), continuous_update=False, layout=_wide())
        self._objective = _area(_("Objective: what should this cycle teach us?"))
        self._questions = RowList([("question", _("question"), "45%"),
                                   ("prediction", _("prediction (what we expect)"), "45%")],
                                  add_label=_("Add question"))
        self._tasks = RowList([("who", _("who"), "18%"), ("what", _("what"), "35%"),
                               ("when", _("when"), "18%"), ("where", _("where"), "18%")],
                              add_label=_("Add task"))
        self._data_plan = _area(_("Data collection plan: which measures, numerator and "
                                  "denominator, how, when, by whom"))
        self._linked = w.SelectMultiple(description=_("Indicators"), rows=4)
        self._start_date = w.DatePicker(description=_("Start"))
        self._end_date = w.DatePicker(description=_("End"))

        self._do_notes = _area(_("What happened? Problems and unexpected observations"), 4)
        self._deviations = _area(_("Deliberate or accidental changes to the plan"))

        self._study_rows = w.VBox()
        self._study_notes = _area(_("Summary: did the change lead to improvement? Why?"))
        self._chart_button = w.Button(description=_("Show run chart"), icon="line-chart")
        self._chart_box = w.VBox()

        self._act = w.RadioButtons(options=[(_("not decided yet"), None)]
                                   + [(_stage(d), d) for d in ACT_DECISIONS],
                                   description=_("Decision"))
        self._next_steps = _area(_("Next steps (the next cycle, scale-up, implementation)"))

        self._save_button = w.Button(description=_("Save"), button_style="primary",
                                     icon="save")
        self._advance_button = w.Button(description=_("Save and move on"), icon="forward",
                                        layout=w.Layout(width="auto"))
        self._ramp_button = w.Button(description=_("Ramp next cycle"), icon="repeat",
                                     layout=w.Layout(width="auto"))

        err = self._error_label
        plan = w.VBox([
            w.HBox([self._change, self._cycle_number]), err("change_id"),
            self._new_change_name, err("cycle_number"), self._title,
            w.HTML(_bold(_("Objective"))), self._objective, err("objective"),
            w.HTML(_bold(_("Questions and predictions")) + " "
                   + esc(_("(one prediction per question)"))),
            self._questions, err("questions"),
            w.HTML(_bold(_("Plan: tasks"))), self._tasks, err("plan_tasks"),
            w.HTML(_bold(_("Data collection plan"))), self._data_plan,
            self._linked, err("linked_indicators"),
            w.HBox([self._start_date, self._end_date]), err("start_date"), err("end_date"),
        ])
        do = w.VBox([w.HTML(_bold(_("What happened"))), self._do_notes, err("do_notes"),
                     w.HTML(_bold(_("Deviations from the plan"))), self._deviations])
        study = w.VBox([w.HTML(_bold(_("Results against each prediction"))), self._study_rows,
                        err("study_results"), self._study_notes, self._chart_button,
                        self._chart_box])
        act = w.VBox([self._act, err("act_decision"), w.HTML(_bold(_("Next steps"))),
                      self._next_steps])
        self._tabs = w.Tab(children=[plan, do, study, act])
        for i, name in enumerate((_("Plan"), _("Do"), _("Study"), _("Act"))):
            self._tabs.set_title(i, name)

        self.children = [
            w.HBox([self._team, self._new_button]), err("team_id"), self._journal,
            self._status, self._tabs, err("status"),
            w.HBox([self._save_button, self._advance_button, self._ramp_button]),
            self._message,
        ]

        self._team.observe(g(self._on_team_change), names="value")
        self._journal.observe(g(self._on_journal_change), names="value")
        self._change.observe(g(self._on_change_change), names="value")
        self._tabs.observe(g(self._on_tab_change), names="selected_index")
        self._new_button.on_click(g(lambda _b: self.new()))
        self._save_button.on_click(g(lambda _b: self.save()))
        self._advance_button.on_click(g(lambda _b: self.advance()))
        self._ramp_button.on_click(g(lambda _b: self.ramp()))
        self._chart_button.on_click(g(lambda _b: self._show_chart()))

        self._refreshing = False
        self.refresh()
        self.new()
        if cycle_id is not None:
            g(self.load)(cycle_id)

    # -- public API -----------------------------------------------------------------------
    def refresh(self) -> None:
        """Reload teams, change ideas, indicators and the journal from the database."""
        self._refreshing = True
        try:
            teams = read_teams(self.engine)
            self._team.options = code_options(teams, "team_id")
            if self.team_id in set(teams["team_id"]):
                self._team.value = self.team_id
            elif len(teams):
                self.team_id = self._team.value
            self._load_indicators()
            self._load_changes()
            self._load_journal()
        finally:
            self._refreshing = False
        if self._loaded is not None and self._loaded.cycle_id is not None:
            self.load(self._loaded.cycle_id)

    @property
    def journal(self) -> pd.DataFrame | None:
        """The team's cycles (`workbench.records.pdsa.team_journal`)."""
        return team_journal(self.engine, self.team_id) if self.team_id else None

    def new(self) -> None:
        """A blank plan for the selected team."""
        self._fill(PDSACycle(team_id=self.team_id or ""))
        self._say(_("New cycle: fill in the plan, then Save."))

    def load(self, cycle_id: int) -> PDSACycle:
        """Show the stored cycle `cycle_id`."""
        cycle = load_cycle(self.engine, int(cycle_id))
        if cycle.team_id != self.team_id:
            self.team_id = cycle.team_id
            self._refreshing = True
            try:
                self._team.value = cycle.team_id
                self._load_changes()
                self._load_journal()
            finally:
                self._refreshing = False
        self._fill(cycle)
        self._say(_("Cycle {number} of {change} (status {status}, version {version}, last "
                    "saved by {author}).").format(
            number=cycle.cycle_number, change=cycle.change_id, status=_stage(cycle.status),
            version=cycle.version, author=cycle.author))
        return cycle

    @property
    def cycle(self) -> PDSACycle:
        """The PDSACycle the fields describe now."""
        base = self._draft
        questions = self._questions.value
        change = self._change.value
        return PDSACycle(
            team_id=self.team_id or "",
            change_id=None if change in (None, _NEW_IDEA) else change,
            new_change_name=self._new_change_name.value if change == _NEW_IDEA else "",
            cycle_number=int(self._cycle_number.value),
            title=self._title.value.strip(), objective=self._objective.value,
            questions=[{"question": q.get("question", ""), "prediction": q.get("prediction", "")}
                       for q in questions],
            plan_tasks=self._tasks.value, data_plan=self._data_plan.value,
            linked_indicators=list(self._linked.value),
            do_notes=self._do_notes.value, deviations=self._deviations.value,
            study_notes=self._study_notes.value,
            study_results=[{**self._result_extra.get(i, {}), **q,
                            "result": self._result_text(i)}
                           for i, q in enumerate(questions)],
            act_decision=self._act.value, next_steps=self._next_steps.value,
            start_date=_iso(self._start_date.value), end_date=_iso(self._end_date.value),
            status=base.status, parent_cycle_id=base.parent_cycle_id, cycle_id=base.cycle_id,
            version=base.version,
        )

    def save(self, status: str | None = None) -> PDSACycle:
        """Validate and save (one transaction); the form says what it saved."""
        cycle = self.cycle
        if status is not None:
            cycle.status = status
        self._clear_failures()
        saved = save_cycle(self.engine, cycle, user=self.user,
                           expected_version=cycle.version)
        self._loaded = saved
        self._load_changes()
        self._load_journal()
        self._fill(saved)
        self._say(_("Saved cycle {number} of {change} for {team}: status {status}, version "
                    "{version}, by {user}.").format(
            number=saved.cycle_number, change=saved.change_id, team=saved.team_id,
            status=_stage(saved.status), version=saved.version, user=self.user), "success")
        return saved

    def advance(self) -> PDSACycle | None:
        """Save and move the cycle to its next step (plan → do → study → act → closed)."""
        current = self._draft.status
        step = next_status(current)
        if step is None:
            self._say(_("This cycle is closed. Ramp the next cycle to keep testing."),
                      "warning")
            return None
        return self.save(status=step)

    def ramp(self) -> PDSACycle | None:
        """Draft the next cycle of this change idea, pre-filled (not saved until Save)."""
        if self._loaded is None or self._loaded.cycle_id is None:
            self._say(_("Save this cycle and record its act decision before ramping."),
                      "warning")
            return None
        number = self._loaded.cycle_number
        draft = ramp_cycle(self.engine, self._loaded.cycle_id, user=self.user)
        self._fill(draft)
        self._say(_("Cycle {number} of {change} drafted from cycle {previous}: review the "
                    "plan, then Save.").format(number=draft.cycle_number,
                                               change=draft.change_id, previous=number), "info")
        return draft

    # -- handlers -------------------------------------------------------------------------
    def _on_team_change(self, change: dict[str, Any]) -> None:
        if self._refreshing or change["new"] is None:
            return
        self.team_id = change["new"]
        self._load_indicators()
        self._load_changes()
        self._load_journal()
        self.new()

    def _load_indicators(self) -> None:
        """The indicators a cycle of this team links: the collaborative's and its own."""
        self._indicators = team_indicators(self.engine, str(self.team_id or ""))
        self._linked.options = code_options(self._indicators, "indicator_id")

    def _on_journal_change(self, change: dict[str, Any]) -> None:
        if self._refreshing or change["new"] is None:
            return
        self.load(change["new"])

    def _on_change_change(self, change: dict[str, Any]) -> None:
        new_idea = change["new"] == _NEW_IDEA
        self._new_change_name.layout.display = None if new_idea else "none"
        if self._loaded is None:  # a new cycle: propose its number
            self._cycle_number.value = next_cycle_number(
                self.engine, self.team_id, None if new_idea else change["new"])

    def _on_tab_change(self, change: dict[str, Any]) -> None:
        if change["new"] == 2:
            self._build_study_rows()

    # -- internals ------------------------------------------------------------------------
    def _load_changes(self) -> None:
        value = self._change.value
        options = change_choices(self.engine, self.team_id) + [(_("➕ a new change idea…"),
                                                                 _NEW_IDEA)]
        self._change.options = options
        if value in {v for _l, v in options}:
            self._change.value = value

    def _load_journal(self) -> None:
        journal = self.journal
        options = []
        if journal is not None:
            # the rows' attributes are the journal's columns, typed by pandas-stubs as any scalar
            for r in cast("Iterator[Any]", journal.itertuples()):
                decision = (f", {_stage(r.act_decision)}" if isinstance(r.act_decision, str)
                            else "")
                options.append((f"{r.change_id} #{r.cycle_number} {r.title or ''} "
                                f"[{_stage(r.status)}{decision}]", int(r.cycle_id)))
        keep = self._journal.value
        self._refreshing, old = True, self._refreshing
        try:
            self._journal.options = options
            self._journal.value = keep if keep in {v for _l, v in options} else None
        finally:
            self._refreshing = old

    def _fill(self, cycle: PDSACycle) -> None:
        self._draft = cycle
        self._loaded = cycle if cycle.cycle_id is not None else None
        if cycle.change_id and cycle.change_id in {v for _l, v in self._change.options}:
            self._change.value = cycle.change_id
        elif cycle.new_change_name:
            self._change.value = _NEW_IDEA
        self._on_change_change({"new": self._change.value})
        self._new_change_name.value = cycle.new_change_name
        self._cycle_number.value = cycle.cycle_number
        if self._loaded is None and cycle.cycle_number == 1:  # a new plan: the next number
            self._on_change_change({"new": self._change.value})
        self._title.value = cycle.title
        self._objective.value = cycle.objective
        self._questions.value = cycle.questions
        self._tasks.value = cycle.plan_tasks
        self._data_plan.value = cycle.data_plan
        self._linked.value = tuple(i for i in cycle.linked_indicators
                                   if i in {v for _l, v in self._linked.options})
        self._start_date.value = _date(cycle.start_date)
        self._end_date.value = _date(cycle.end_date)
        self._do_notes.value = cycle.do_notes
        self._deviations.value = cycle.deviations
        self._study_notes.value = cycle.study_notes
        self._results = {i: result_text(r) for i, r in enumerate(cycle.study_results)}
        self._result_extra = {i: {k: v for k, v in r.items()
                                  if k not in ("question", "prediction", "result")}
                              for i, r in enumerate(cycle.study_results) if isinstance(r, dict)}
        self._act.value = cycle.act_decision
        self._next_steps.value = cycle.next_steps
        self._build_study_rows()
        self._chart_box.children = []
        step = next_status(cycle.status)
        self._advance_button.description = (
            _("Save and move to {stage}").format(stage=_stage(step)) if step else _("Closed"))
        self._advance_button.disabled = step is None
        self._ramp_button.disabled = not (cycle.cycle_id and cycle.act_decision)
        saved = (_("version {version}, saved by {author}").format(
            version=cycle.version, author=cycle.author) if cycle.version
                 else _("not saved yet"))
        steps = " → ".join(_stage(s) for s in ("plan", "do", "study", "act", "closed"))
        self._status.value = (_bold(_("Status:")) + f" {esc(_stage(cycle.status))} "
                              f"({esc(steps)}) — {esc(saved)}")
        # the journal selection follows the cycle shown
        self._refreshing, old = True, self._refreshing
        try:
            ids = {v for _l, v in self._journal.options}
            self._journal.value = cycle.cycle_id if cycle.cycle_id in ids else None
        finally:
            self._refreshing = old

    def _result_text(self, i: int) -> str:
        rows = self._study_rows.children
        if i < len(rows):
            self._results[i] = rows[i].children[1].value
        return self._results.get(i, "")

    def _build_study_rows(self) -> None:
        for i, row in enumerate(self._study_rows.children):
            self._results[i] = row.children[1].value
        rows = []
        for i, q in enumerate(self._questions.value):
            predicted = esc(_("predicted:"))
            label = w.HTML(f"<b>Q{i + 1}</b> {esc(q.get('question', ''))}<br>"
                           f"<i>{predicted}</i> {esc(q.get('prediction', ''))}",
                           layout=w.Layout(width="45%"))
            result = w.Textarea(value=self._results.get(i, ""), rows=2,
                                continuous_update=False, placeholder=_("what we found"),
                                layout=w.Layout(width="50%"))
            rows.append(w.HBox([label, result]))
        self._study_rows.children = rows

    def set_study_result(self, index: int, text: str) -> None:
        """Type the Study result of question `index` (0-based)."""
        self._build_study_rows()
        self._study_rows.children[index].children[1].value = text

    def _show_chart(self) -> None:
        linked = list(self._linked.value)
        if not linked or not self.team_id:
            self._chart_box.children = [w.HTML("<i>" + esc(_(
                "Link an indicator in the plan to see its run chart here.")) + "</i>")]
            return
        views = [series_view(self.engine, self.team_id, ind, title=f"{self.team_id} — {ind}")
                 for ind in linked]
        self._chart_box.children = views


def _bold(text: str) -> str:
    return f"<b>{esc(text)}</b>"


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None

"""`SelfAssessmentForm`: a QI team scores itself for a month on the IHI assessment scale,
with the evidence, beside the faculty's latest score and above its own history."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

import ipywidgets as w
import pandas as pd
from sqlalchemy import Engine

from workbench.i18n import format_number
from workbench.i18n import gettext as _
from workbench.model import is_period
from workbench.records.assessments import (
    SelfAssessment,
    SelfAssessmentSaved,
    current_self_assessment,
    latest_data_month,
    latest_faculty_score,
    save_self_assessment,
    self_assessment_history,
)
from workbench.records.visits import ASSESSMENT_SCALE, assessment_label, assessment_meaning

from ._base import FormBase, esc

__all__ = ["SelfAssessmentForm"]

_WIDE = w.Layout(width="95%")


class SelfAssessmentForm(FormBase):
    """A team's monthly self-assessment: team, month, score (each level with its meaning),
    the evidence, who scored; the faculty's latest score beside it for comparison; a month
    already assessed shows its current entry and asks for the reason of a new one; the
    team's history below (the current entry of each month marked).

    `SelfAssessmentForm(db_or_engine, team_id=None, user=None, period=None)`.
    Public API: `refresh()`, `item` (the SelfAssessment the fields describe),
    `needs_reason`, `history` (frame), `save()`, `message`, `field_errors()`.
    """

    def __init__(self, db_or_engine: str | Engine, team_id: str | None = None,
                 user: str | None = None, period: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(db_or_engine, team_id=team_id, user=user, **kwargs)
        g = self._guard
        self._team = w.Dropdown(description=_("Team"))
        self._period = w.Text(value=period or latest_data_month(self.engine),
                              description=_("Month"), placeholder=_("YYYY-MM"),
                              continuous_update=False)
        self._score = w.Dropdown(
            description=_("Score"), layout=_WIDE,
            options=[(_("— choose the level —"), None)]
            + [(assessment_meaning(step), step) for step in ASSESSMENT_SCALE])
        self._faculty = w.HTML()
        self._current = w.HTML()
        self._reason = w.Text(description=_("Reason"), continuous_update=False, layout=_WIDE,
                              placeholder=_("Why enter this month again? (the earlier "
                                            "entry is kept)"))
        self._justification = w.Textarea(
            placeholder=_("Evidence: what places the team at this level? (charts, PDSA "
                          "results, changes in place)"),
            rows=3, continuous_update=False, layout=_WIDE)
        self._assessor = w.Text(description=_("Scored by"), value=self.user,
                                continuous_update=False)
        self._save_button = w.Button(description=_("Save self-assessment"),
                                     button_style="primary", icon="save",
                                     layout=w.Layout(width="auto"))
        self._history = w.HTML()
        err = self._error_label
        self._reason_box = w.VBox([self._current, self._reason, err("reason")],
                                  layout=w.Layout(display="none"))
        self._previous: dict[str, Any] | None = None
        self.children = [
            w.HBox([self._team, self._period]), err("team_id"), err("period"),
            w.HTML("<b>" + esc(_("IHI assessment (the team's own score)")) + "</b>"), self._faculty,
            self._score, err("score"), self._reason_box,
            w.HTML("<b>" + esc(_("Justification")) + "</b>"), self._justification,
            err("justification"),
            self._assessor, err("assessor"),
            self._save_button, self._message,
            w.HTML("<b>" + esc(_("The team's self-assessments")) + "</b>"), self._history,
        ]
        self._team.observe(g(self._on_team_change), names="value")
        self._period.observe(g(self._on_period_change), names="value")
        self._save_button.on_click(g(lambda _b: self.save()))
        self._loading = False
        self.refresh()

    # -- public API -----------------------------------------------------------------------
    def refresh(self) -> None:
        """Reload the teams, then the month's entry, the faculty score and the history."""
        self._load_team_picker(self._team)
        self._show_team()

    def load(self, period: str | None = None, user: str | None = None) -> None:
        """Show `period` (kept when None) as the database has it now and, when given, enter
        as `user` (the "scored by" field follows unless it was edited)."""
        if user and user != self.user:
            if self._assessor.value.strip() in ("", self.user):
                self._assessor.value = user
            self.user = user
        self._loading = True
        try:
            if period:
                self._period.value = period
        finally:
            self._loading = False
        self._show_team()

    @property
    def item(self) -> SelfAssessment:
        return SelfAssessment(
            team_id=self.team_id or "", period=self._period.value.strip(),
            score=self._score.value, justification=self._justification.value,
            assessor=self._assessor.value.strip(),
            reason=self._reason.value if self.needs_reason else "")

    @property
    def needs_reason(self) -> bool:
        """True when the month already has a self-assessment (the reason field shows)."""
        return self._previous is not None

    @property
    def history(self) -> pd.DataFrame:
        """The team's self-assessments (`workbench.records.assessments.self_assessment_history`)."""
        if not self.team_id:
            return self_assessment_history(self.engine, "")
        return self_assessment_history(self.engine, self.team_id)

    def save(self) -> SelfAssessmentSaved:
        """Validate and save one self-assessment; says what it saved."""
        self._clear_failures()
        saved = save_self_assessment(self.engine, self.item, user=self.user)
        self._score.value = None
        self._justification.value = ""
        self._reason.value = ""
        self._show_team()
        self._say(saved.summary(), "success")
        return saved

    # -- handlers -------------------------------------------------------------------------
    def _on_team_change(self, change: dict[str, Any]) -> None:
        if self._loading or not change["new"]:
            return
        self.team_id = change["new"]
        self._show_team()

    def _on_period_change(self, _change: dict[str, Any]) -> None:
        if not self._loading:
            self._show_month()

    # -- internals ------------------------------------------------------------------------
    def _show_team(self) -> None:
        self._show_month()
        self._history.value = _history_html(self.history)

    def _show_month(self) -> None:
        """The faculty's score to compare with, and the month's current entry if any."""
        period = self._period.value.strip()
        valid = is_period(period)
        if not self.team_id:
            return
        faculty = latest_faculty_score(self.engine, self.team_id, period if valid else None)
        if faculty is None:
            self._faculty.value = "<i>" + esc(_("The faculty has not scored this team yet.")) \
                + "</i>"
        else:
            when = (_("this month") if faculty["period"] == period
                    else _("latest, {month}").format(month=faculty["period"]))
            self._faculty.value = (
                esc(_("Faculty score ({when}):").format(when=when))
                + f" <b>{esc(format_number(faculty['score'], 1))}</b> "
                + esc(_("{level}, by {assessor}").format(
                    level=assessment_label(faculty["score"]), assessor=faculty["assessor"]))
                + (f" — <i>{esc(faculty['justification'])}</i>"
                   if faculty["justification"] else ""))
        current = current_self_assessment(self.engine, self.team_id, period) if valid \
            else None
        self._previous = current
        if current is None:
            self._current.value = ""
            self._reason_box.layout.display = "none"
            return
        entered = pd.Timestamp(current["created_at"]).strftime("%Y-%m-%d %H:%M")
        self._current.value = (
            '<div style="color:#8a5a00">' + esc(_(
                "{month} already has a self-assessment: {score}, by {assessor} on {entered} UTC. "
                "Saving adds a new entry that replaces it (the earlier one stays in the "
                "history); say why.").format(
                    month=period, score=format_number(float(current["score"]), 1),
                    assessor=current["assessor"], entered=entered)) + "</div>")
        self._reason_box.layout.display = None


def _history_html(history: pd.DataFrame) -> str:
    """The history as an escaped HTML table; superseded entries greyed."""
    if history.empty:
        return "<i>" + esc(_("No self-assessment yet.")) + "</i>"
    rows = []
    # the rows' attributes are the frame's columns, typed by pandas-stubs as any scalar
    for row in cast("Iterator[Any]", history.itertuples(index=False)):
        style = "" if row.current else ' style="color:#777"'
        status = _("current") if row.current else _("replaced")
        entered = pd.Timestamp(row.created_at).strftime("%Y-%m-%d")
        score = format_number(float(row.score), 1)
        rows.append(f"<tr{style}><td>{esc(row.period)}</td><td>{esc(score)}</td>"
                    f"<td>{esc(row.level)}</td><td>{esc(row.assessor)}</td>"
                    f"<td>{esc(entered)}</td><td>{esc(status)}</td>"
                    f"<td>{esc(row.justification)}</td></tr>")
    heads = (_("Month"), _("Score"), _("Level"), _("By"), _("Entered"), "", _("Justification"))
    return ("<table><tr>" + "".join(f"<th>{esc(h)}</th>" for h in heads) + "</tr>"
            + "".join(rows) + "</table>")

"""`CoachingVisitForm`: record a site visit — notes, actions, the IHI assessment score and
the data-verification recounts with their verification factors."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable
from typing import Any

import ipywidgets as w
import pandas as pd
from sqlalchemy import Engine

from workbench.i18n import format_number
from workbench.i18n import gettext as _
from workbench.model import format_pair
from workbench.records.visits import (
    ASSESSMENT_SCALE,
    CoachingVisit,
    Recount,
    VisitSaveResult,
    assessment_label,
    assessment_meaning,
    latest_self_score,
    save_visit,
    verification_band,
    verify_recounts,
)
from workbench.store import get_team, read_indicators

from ._base import FormBase, RowList, code_options, esc

__all__ = ["CoachingVisitForm"]

_WIDE = w.Layout(width="95%")


class _RecountRow:
    def __init__(self, indicators: list[tuple[str, str]]) -> None:
        self.indicator = w.Dropdown(options=indicators, layout=w.Layout(width="22%"))
        self.period = w.Text(placeholder="YYYY-MM", continuous_update=False,
                             layout=w.Layout(width="12%"))
        self.numerator = w.Text(placeholder=_("recounted num."), continuous_update=False,
                                layout=w.Layout(width="13%"))
        self.denominator = w.Text(placeholder=_("recounted den."), continuous_update=False,
                                  layout=w.Layout(width="13%"))
        self.result = w.HTML(layout=w.Layout(width="38%"))
        self.box = w.HBox([self.indicator, self.period, self.numerator, self.denominator,
                           self.result])

    @property
    def recount(self) -> Recount:
        return Recount(self.indicator.value, self.period.value.strip(), self.numerator.value,
                       self.denominator.value)

    @property
    def blank(self) -> bool:
        return not (self.period.value.strip() or self.numerator.value.strip()
                    or self.denominator.value.strip())


class CoachingVisitForm(FormBase):
    """A coaching visit: date, coach, notes, actions with owners and due dates, the IHI
    assessment score (each level's meaning shown; justification required; the team's own
    latest self-score beside it) and verification recounts whose factor shows at once
    against the band; out-of-band results become flags for the validators on save.

    `CoachingVisitForm(db_or_engine, team_id=None, user=None, coach=None)`.
    Public API: `refresh()`, `reset()`, `visit` (the CoachingVisit the fields describe),
    `add_recount(indicator_id, period, numerator, denominator)`, `verification` (frame),
    `save()`, `on_saved(callback)` (called with the `VisitSaveResult` after each save, e.g.
    to refresh the brief above the form), `message`, `field_errors()`.
    """

    def __init__(self, db_or_engine: str | Engine, team_id: str | None = None,
                 user: str | None = None, coach: str | None = None, **kwargs: Any) -> None:
        super().__init__(db_or_engine, team_id=team_id, user=user, **kwargs)
        g = self._guard
        self._coach_default = coach
        self._saved_callbacks: list[Callable[[VisitSaveResult], None]] = []
        self._team = w.Dropdown(description=_("Team"))
        self._visit_date = w.DatePicker(description=_("Visit date"), value=dt.date.today())
        self._coach = w.Text(description=_("Coach"), continuous_update=False)
        self._notes = w.Textarea(placeholder=_("What you saw, what the team told you"),
                                 rows=4, continuous_update=False, layout=_WIDE)
        self._actions = RowList([("action", _("agreed action"), "50%"),
                                 ("owner", _("owner"), "20%"),
                                 ("due", _("due YYYY-MM-DD"), "20%")],
                                add_label=_("Add action"))
        self._score = w.Dropdown(description=_("Score"), options=[(_("— not scored —"), None)] + [
            (f"{format_number(s, 1)} {assessment_label(s)}", s) for s in ASSESSMENT_SCALE])
        self._meaning = w.HTML()
        self._self_score = w.HTML()
        self._justification = w.Textarea(placeholder=_("Why this level? What did you see?"),
                                         rows=3, continuous_update=False, layout=_WIDE)
        self._recount_rows: list[_RecountRow] = []
        self._recount_box = w.VBox()
        self._add_recount_button = w.Button(description=_("Add recount"), icon="plus")
        self._band = w.HTML()
        self._save_button = w.Button(description=_("Save visit"), button_style="primary",
                                     icon="save")
        err = self._error_label
        self.children = [
            w.HBox([self._team, self._visit_date]), err("team_id"), err("visit_date"),
            self._coach, err("coach"),
            w.HTML(_bold(_("Notes"))), self._notes,
            w.HTML(_bold(_("Agreed actions"))), self._actions, err("actions"),
            w.HTML(_bold(_("IHI assessment (faculty)"))),
            w.HBox([self._score, self._self_score]),
            self._meaning, err("score"), self._justification, err("justification"),
            w.HTML(esc(_("{title}: recount from the source registers")).format(
                title=_bold(_("Data verification")))), self._band,
            self._recount_box, self._add_recount_button, err("recounts"),
            self._save_button, self._message,
        ]
        self._team.observe(g(self._on_team_change), names="value")
        self._score.observe(g(self._on_score_change), names="value")
        self._add_recount_button.on_click(g(lambda _b: self.add_recount()))
        self._save_button.on_click(g(lambda _b: self.save()))
        self._loading = False
        self.refresh()

    # -- public API -----------------------------------------------------------------------
    def refresh(self) -> None:
        """Reload teams, indicators, the band and the team's self-score."""
        self._load_team_picker(self._team)
        self._indicator_options = code_options(read_indicators(self.engine), "indicator_id")
        low, high = verification_band(self.engine)
        self._band.value = "<small>" + esc(_(
            "Verification factor = recounted ÷ reported; acceptable {low}–{high}. Above: the "
            "team under-reported; below: it over-reported. Results outside the band are "
            "flagged for the validators.").format(low=format_number(low, 2),
                                                  high=format_number(high, 2))) + "</small>"
        self._show_team()
        if not self._recount_rows:
            self.add_recount()

    def reset(self) -> None:
        """Clear the fields for a new visit (team kept)."""
        self._clear_failures()
        self._visit_date.value = dt.date.today()
        self._notes.value = ""
        self._actions.value = []
        self._score.value = None
        self._justification.value = ""
        self._recount_rows = []
        self._recount_box.children = []
        self.add_recount()
        self._show_team()

    def add_recount(self, indicator_id: str | None = None, period: str | None = None,
                    numerator: Any = None, denominator: Any = None) -> None:
        """Add a recount line (filled in if values are given; an empty last line is reused)."""
        g = self._guard
        if (self._recount_rows and self._recount_rows[-1].blank
                and indicator_id is not None):
            row = self._recount_rows[-1]
        else:
            row = _RecountRow(self._indicator_options)
            for widget in (row.indicator, row.period, row.numerator, row.denominator):
                widget.observe(g(lambda _c, r=row: self._on_recount_change(r)), names="value")
            self._recount_rows.append(row)
            self._recount_box.children = [r.box for r in self._recount_rows]
        if indicator_id is not None:
            row.indicator.value = indicator_id
        if period is not None:
            row.period.value = str(period)
        if numerator is not None:
            row.numerator.value = str(numerator)
        if denominator is not None:
            row.denominator.value = str(denominator)

    @property
    def visit(self) -> CoachingVisit:
        date = self._visit_date.value
        return CoachingVisit(
            team_id=self.team_id or "", visit_date=date.isoformat() if date else "",
            coach=self._coach.value.strip(), notes=self._notes.value,
            actions=self._actions.value, score=self._score.value,
            justification=self._justification.value,
            recounts=[r.recount for r in self._recount_rows if not r.blank],
        )

    @property
    def verification(self) -> pd.DataFrame:
        """Reported vs recounted and the VFs of the recount lines filled in."""
        visit = self.visit
        return verify_recounts(self.engine, visit.team_id, visit.recounts)

    def save(self) -> VisitSaveResult:
        """Validate and save the visit in one transaction; says what it saved."""
        self._clear_failures()
        result = save_visit(self.engine, self.visit, user=self.user)
        self.reset()
        self._say(result.summary(), "warning" if result.flag_ids else "success")
        for callback in self._saved_callbacks:
            callback(result)
        return result

    def on_saved(self, callback: Callable[[VisitSaveResult], None]) -> None:
        """Call `callback(result)` after every saved visit (errors show in the message)."""
        self._saved_callbacks.append(callback)

    # -- handlers -------------------------------------------------------------------------
    def _on_team_change(self, change: dict[str, Any]) -> None:
        if self._loading or not change["new"]:
            return
        self.team_id = change["new"]
        self._show_team()
        for row in self._recount_rows:
            self._on_recount_change(row)

    def _on_score_change(self, change: dict[str, Any]) -> None:
        self._meaning.value = (f"<small>{esc(assessment_meaning(change['new']))}</small>"
                               if change["new"] is not None else "")

    def _on_recount_change(self, row: _RecountRow) -> None:
        if row.blank or not row.period.value.strip():
            row.result.value = ""
            return
        frame = verify_recounts(self.engine, str(self.team_id or ""), [row.recount])
        r = frame.iloc[0]
        reported = format_pair(_opt(r.reported_numerator), _opt(r.reported_denominator))
        colour = "#1e7b34" if r.in_band else "#b00020"
        if r.reported_numerator is None and r.reported_denominator is None:
            colour = "#8a5a00"
        said = _("reported {pair}").format(pair=reported)
        row.result.value = (f'<span style="color:{colour}">{esc(said)} — '
                            f"{esc(r.message.split(': ', 1)[-1])}</span>")

    # -- internals ------------------------------------------------------------------------
    def _show_team(self) -> None:
        if not self.team_id:
            return
        team = get_team(self.engine, self.team_id)
        self._coach.value = self._coach_default or team.get("coach") or self.user
        latest = latest_self_score(self.engine, self.team_id)
        if latest is None:
            self._self_score.value = "<i>" + esc(_("The team has not scored itself yet.")) + "</i>"
            return
        self._self_score.value = (
            html.escape(_("Team's own latest score:"), quote=False)
            + f" <b>{format_number(latest['score'])}</b> "
            f"({esc(latest['period'])})"
            + (f" — <i>{esc(latest['justification'])}</i>" if latest["justification"] else ""))


def _bold(text: str) -> str:
    return f"<b>{esc(text)}</b>"


def _opt(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)

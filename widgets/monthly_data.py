"""`MonthlyDataForm`: one team × one month, every indicator's numerator and denominator."""

from __future__ import annotations

import datetime as dt
from typing import Any

import ipywidgets as w
import pandas as pd
from sqlalchemy import Engine

from workbench.errors import NotFoundError
from workbench.i18n import gettext as _
from workbench.i18n import ngettext
from workbench.model import format_count, format_pair, format_percent, read_count
from workbench.records.monthly_data import (
    EntryCheck,
    MonthSaveResult,
    MonthSheet,
    check_month,
    load_month,
    save_month,
)
from workbench.store import read_teams

from ._base import FormBase, code_options, esc

__all__ = ["MonthlyDataForm", "default_period"]


def default_period(today: dt.date | None = None) -> str:
    """The month teams report now: the one before today's."""
    today = today or dt.date.today()
    return str(pd.Period(today, freq="M") - 1)


class _Row:
    """The widgets of one indicator line."""

    def __init__(self, indicator_id: str) -> None:
        self.indicator_id = indicator_id
        self.name = w.HTML(layout=w.Layout(width="26%"))
        self.info = w.ToggleButton(icon="info", tooltip=_("definitions"),
                                   layout=w.Layout(width="36px"))
        self.numerator = w.Text(placeholder=_("numerator"), continuous_update=False,
                                layout=w.Layout(width="12%"))
        self.denominator = w.Text(placeholder=_("denominator"), continuous_update=False,
                                  layout=w.Layout(width="12%"))
        self.value = w.HTML(layout=w.Layout(width="8%"))
        self.previous = w.HTML(layout=w.Layout(width="36%"))
        self.definition = w.HTML(layout=w.Layout(display="none"))
        self.check = w.HTML()
        self.box = w.VBox([
            w.HBox([self.name, self.info, self.numerator, self.denominator, self.value,
                    self.previous]),
            self.definition, self.check,
        ])


class MonthlyDataForm(FormBase):
    """Enter a team's month: numerator and denominator per indicator, definitions one click
    away, previous months beside each line, checks as you type, a conflict-safe save.

    `MonthlyDataForm(db_or_engine, team_id=None, user=None, period=None)`.
    Public API: `refresh()` (reload the month from the database), `load(team_id, period)`,
    `set_value(indicator_id, numerator, denominator)`, `values`, `checks`, `row_messages()`,
    `save()`, `sheet`, `message`.
    """

    def __init__(self, db_or_engine: str | Engine, team_id: str | None = None,
                 user: str | None = None, period: str | None = None, **kwargs: Any) -> None:
        super().__init__(db_or_engine, team_id=team_id, user=user, **kwargs)
        g = self._guard
        self.sheet: MonthSheet | None = None
        self._rows: dict[str, _Row] = {}
        self._row_texts: dict[str, list[str]] = {}
        self._team = w.Dropdown(description=_("Team"))
        self._period = w.Text(value=period or default_period(), description=_("Month"),
                              placeholder=_("YYYY-MM"), continuous_update=False)
        self._grid = w.VBox()
        self._save_button = w.Button(description=_("Save month"), button_style="primary",
                                     icon="save")
        self._reload_button = w.Button(description=_("Reload"), icon="refresh")
        header = w.HTML("<small>" + esc(_("Blank lines are not saved. Each changed value "
                                          "becomes a new revision with your name; earlier "
                                          "values stay readable.")) + "</small>")
        self.children = [w.HBox([self._team, self._period, self._reload_button]),
                         self._error_label("period"), header, self._grid,
                         self._save_button, self._message]
        self._loading = True
        teams = read_teams(self.engine)
        self._team.options = code_options(teams, "team_id")
        if team_id is not None:
            self._team.value = team_id
        self.team_id = self._team.value
        self._loading = False
        self._team.observe(g(self._on_team_change), names="value")
        self._period.observe(g(self._on_period_change), names="value")
        self._save_button.on_click(g(lambda _b: self.save()))
        self._reload_button.on_click(g(lambda _b: self.refresh()))
        g(self.refresh)()

    # -- public API -----------------------------------------------------------------------
    def refresh(self) -> None:
        """(Re)load the month from the database; typed values are replaced."""
        self.load(self.team_id, self._period.value)

    def load(self, team_id: str | None = None, period: str | None = None) -> MonthSheet:
        """Show `team_id` × `period` (defaults: the current ones)."""
        team_id = team_id or self.team_id
        period = (period or self._period.value).strip()
        self._clear_failures()
        if team_id is None:
            raise NotFoundError("the collaborative has no team yet; add teams to its "
                                "definition first.")
        sheet = load_month(self.engine, team_id, period)
        self.sheet, self.team_id = sheet, team_id
        self._loading = True
        try:
            self._team.value = team_id
            self._period.value = period
            self._build(sheet)
        finally:
            self._loading = False
        self._run_checks()
        entered = sum(r.revision_id is not None for r in sheet.rows)
        self._say(_("{team} {month}: {entered} of {total} indicators entered.").format(
            team=team_id, month=period,
            entered=entered, total=len(sheet.rows)))
        return sheet

    def set_value(self, indicator_id: str, numerator: Any, denominator: Any) -> None:
        """Type a numerator and denominator (as a user would)."""
        row = self._rows[indicator_id]
        row.numerator.value = "" if numerator is None else str(numerator)
        row.denominator.value = "" if denominator is None else str(denominator)

    @property
    def values(self) -> dict[str, tuple[str, str]]:
        """{indicator_id: (numerator text, denominator text)} as typed."""
        return {ind: (r.numerator.value, r.denominator.value) for ind, r in self._rows.items()}

    @property
    def checks(self) -> list[EntryCheck]:
        return check_month(self.sheet, self.values) if self.sheet else []

    def row_messages(self) -> dict[str, list[str]]:
        """{indicator_id: [messages]} shown beside the lines now."""
        return {ind: list(texts) for ind, texts in self._row_texts.items() if texts}

    def save(self) -> MonthSaveResult | None:
        """Save every changed value (one transaction); refuses on errors or a conflict."""
        if self.sheet is None:
            return None
        problems = self._run_checks()
        if any(p.severity == "error" for p in problems):
            self._say(_("Not saved — fix the lines marked in red first."), "error")
            return None
        result = save_month(self.engine, self.sheet.team_id, self.sheet.period, self.values,
                            self.sheet.loaded_revision_ids, user=self.user, sheet=self.sheet)
        text = result.summary()
        if result.warnings:
            text += " " + ngettext("{count} warning noted; the validators may ask.",
                                   "{count} warnings noted; the validators may ask.",
                                   len(result.warnings)).format(count=len(result.warnings))
        self.load(self.team_id, self.sheet.period)
        self._say(text, "success" if result.saved else "info")
        return result

    # -- handlers -------------------------------------------------------------------------
    def _on_team_change(self, change: dict[str, Any]) -> None:
        if not self._loading and change["new"]:
            self.load(change["new"], self._period.value)

    def _on_period_change(self, change: dict[str, Any]) -> None:
        if not self._loading:
            self.load(self.team_id, change["new"])

    def _on_numerator_change(self, _change: dict[str, Any]) -> None:
        if not self._loading:
            self._run_checks()

    _on_denominator_change = _on_numerator_change

    def _on_info_change(self, change: dict[str, Any]) -> None:
        for row in self._rows.values():
            if row.info is change["owner"]:
                row.definition.layout.display = None if change["new"] else "none"

    # -- internals ------------------------------------------------------------------------
    def _build(self, sheet: MonthSheet) -> None:
        g = self._guard
        self._rows, self._row_texts = {}, {}
        for entry in sheet.rows:
            row = _Row(entry.indicator_id)
            row.name.value = f"<b>{esc(entry.indicator_id)}</b> {esc(entry.name)}"
            numerator_word, denominator_word = _("Numerator:"), _("Denominator:")
            row.definition.value = (
                f"<small><b>{esc(numerator_word)}</b> {esc(entry.numerator_definition)}<br>"
                f"<b>{esc(denominator_word)}</b> {esc(entry.denominator_definition)}</small>")
            row.numerator.value = _text(entry.numerator)
            row.denominator.value = _text(entry.denominator)
            prev = entry.previous.tail(6)
            row.previous.value = "<small>" + " · ".join(
                f"{esc(p.period)}: "
                f"{format_pair(_opt(p.numerator), _opt(p.denominator))}"
                for p in prev.itertuples()) + "</small>" if len(prev) else (
                "<small><i>" + esc(_("no earlier months")) + "</i></small>")
            row.numerator.observe(g(self._on_numerator_change), names="value")
            row.denominator.observe(g(self._on_denominator_change), names="value")
            row.info.observe(g(self._on_info_change), names="value")
            self._rows[entry.indicator_id] = row
        self._grid.children = [w.HBox([w.HTML("<b>" + esc(_("indicator")) + "</b>",
                                              layout=w.Layout(width="30%")),
                                       w.HTML("<b>" + esc(_("numerator / denominator"))
                                              + "</b>")])] + [
            r.box for r in self._rows.values()]

    def _run_checks(self) -> list[EntryCheck]:
        problems = self.checks
        by_row: dict[str, list[EntryCheck]] = {}
        for p in problems:
            by_row.setdefault(p.indicator_id, []).append(p)
        mult = {e.indicator_id: e.multiplier for e in self.sheet.rows} if self.sheet else {}
        for ind, row in self._rows.items():
            mine = by_row.get(ind, [])
            self._row_texts[ind] = [p.message for p in mine]
            row.check.value = "".join(
                f'<div style="color:{"#b00020" if p.severity == "error" else "#8a5a00"}">'
                f'{"✖" if p.severity == "error" else "⚠"} {esc(p.message)}</div>' for p in mine)
            row.numerator.layout.border = ("2px solid #b00020" if any(
                p.field == "numerator" and p.severity == "error" for p in mine) else "")
            row.denominator.layout.border = ("2px solid #b00020" if any(
                p.field == "denominator" and p.severity == "error" for p in mine) else "")
            row.value.value = _value_text(row.numerator.value, row.denominator.value,
                                          mult.get(ind, 1))
        return problems


def _value_text(numerator: str, denominator: str, multiplier: float) -> str:
    """The value of the typed counts (`80%`), '' unless both are counts by the count rule."""
    num, num_problem = read_count(numerator)
    den, den_problem = read_count(denominator)
    if num is None or not den or num_problem or den_problem:
        return ""
    if multiplier == 100:
        return format_percent(num / den, decimals=0)
    return f"{num / den * multiplier:.0f}"


def _text(value: float | None) -> str:
    """A loaded count as the entry field shows it: '' for none, `12` (never `12.0`)."""
    return "" if value is None else format_count(value)


def _opt(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)

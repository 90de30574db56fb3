"""`ValidationQueue`: the data validator's desk — review flagged entries one by one or in bulk.

Every action goes through `workbench.validate.flags` (`resolve_flag`, `resolve_flags`,
`flag_history`), the same functions the CLI's `workbench flags resolve` uses: a correction is
a new measurement revision pointing at the flag, so the original value stays readable.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

import ipywidgets as w
import pandas as pd
from sqlalchemy import Engine

from workbench.errors import WorkbenchError
from workbench.i18n import N_, format_count, pgettext
from workbench.i18n import gettext as _
from workbench.records.monthly_data import format_pair
from workbench.store import read_flags, read_indicators, read_revisions
from workbench.validate import flags
from workbench.validate.messages import flag_message, flag_messages, status_label

from ._base import FormBase, esc, series_view

__all__ = ["ValidationQueue", "ACTIONS"]

ACTIONS: tuple[str, ...] = ("confirm", "correct", "dismiss")
_ALL = N_("(all)")
_FILTERS = ("status", "rule_code", "severity", "team_id", "indicator_id", "period")
_FILTER_LABELS = {"status": N_("status"), "rule_code": N_("rule"), "severity": N_("severity"),
                  "team_id": N_("team"), "indicator_id": N_("indicator"),
                  "period": N_("period")}


def _action_label(action: str) -> str:
    return {"confirm": pgettext("flag action", "confirm"),
            "correct": pgettext("flag action", "correct"),
            "dismiss": pgettext("flag action", "dismiss")}.get(action, action)


def _severity_label(severity: str) -> str:
    return {"error": pgettext("flag severity", "error"),
            "warning": pgettext("flag severity", "warning"),
            "info": pgettext("flag severity", "info")}.get(severity, severity)


def _choice_label(name: str, value: str) -> str:
    """A filter's choice as shown: statuses and severities in words of the current language."""
    if name == "status":
        return status_label(value)
    if name == "severity":
        return _severity_label(value)
    return value


def _done(action: str) -> str:
    """`Confirmed {what} (by {user}).` and the like, for one flag or many."""
    return {"confirm": _("Confirmed {what} (by {user})."),
            "dismiss": _("Dismissed {what} (by {user}).")}[action]


class ValidationQueue(FormBase):
    """Open flags filtered by rule, severity, team, indicator and period; for the selected
    flag its reason, statistic and bounds, the team's series with the point marked and its
    history; confirm / correct (new numerator and denominator) / dismiss with a required
    note; bulk confirm or dismiss of a selection.

    `ValidationQueue(db_or_engine, team_id=None, user=None, status="open")`.
    Public API: `refresh()`, `set_filter(**column_values)`, `flags` (the filtered frame),
    `select(*flag_ids)`, `selected`, `resolve(action, note, numerator=None,
    denominator=None)`, `bulk(action, note)`, `history` (of the selected flag), `message`,
    `field_errors()`.
    """

    def __init__(self, db_or_engine: str | Engine, team_id: str | None = None,
                 user: str | None = None, status: str | None = "open", **kwargs: Any) -> None:
        super().__init__(db_or_engine, team_id=team_id, user=user, **kwargs)
        g = self._guard
        self._filters: dict[str, w.Dropdown] = {
            name: w.Dropdown(description=_(_FILTER_LABELS[name]),
                             layout=w.Layout(width="200px")) for name in _FILTERS}
        self._list = w.SelectMultiple(rows=10, layout=w.Layout(width="98%"))
        self._detail = w.HTML()
        self._series = w.VBox()
        self._history = w.HTML()
        self._action = w.ToggleButtons(options=[(_action_label(a), a) for a in ACTIONS],
                                       value="confirm")
        self._note = w.Textarea(placeholder=_("Note (required): what you checked and why"),
                                rows=2, continuous_update=False, layout=w.Layout(width="95%"))
        self._numerator = w.Text(description=_("numerator"), continuous_update=False)
        self._denominator = w.Text(description=_("denominator"), continuous_update=False)
        self._correction = w.HBox([self._numerator, self._denominator])
        self._apply_button = w.Button(description=_("Apply to this flag"),
                                      button_style="primary", layout=w.Layout(width="auto"))
        self._bulk_confirm = w.Button(description=_("Confirm selected"), icon="check",
                                      layout=w.Layout(width="auto"))
        self._bulk_dismiss = w.Button(description=_("Dismiss selected"), icon="times",
                                      layout=w.Layout(width="auto"))
        self._count = w.HTML()
        err = self._error_label
        self.children = [
            w.HBox(list(self._filters.values())[:3]), w.HBox(list(self._filters.values())[3:]),
            self._count, self._list,
            w.HBox([self._bulk_confirm, self._bulk_dismiss]),
            self._detail, self._series,
            self._action, self._correction, err("numerator"), self._note, err("note"),
            self._apply_button, self._message,
            w.HTML("<b>" + esc(_("History")) + "</b>"), self._history,
        ]
        self._loading = False
        self._initial = {"status": status, "team_id": team_id}
        self._list.observe(g(self._on_list_change), names="value")
        self._action.observe(g(self._on_action_change), names="value")
        for dropdown in self._filters.values():
            dropdown.observe(g(self._on_filter_change), names="value")
        self._apply_button.on_click(g(lambda _b: self.resolve(
            self._action.value, self._note.value, self._numerator.value,
            self._denominator.value)))
        self._bulk_confirm.on_click(g(lambda _b: self.bulk("confirm", self._note.value)))
        self._bulk_dismiss.on_click(g(lambda _b: self.bulk("dismiss", self._note.value)))
        self._on_action_change({"new": self._action.value})
        self.refresh()

    # -- public API -----------------------------------------------------------------------
    def refresh(self) -> None:
        """Reload the flags (filters and selection kept where still possible)."""
        self._all = read_flags(self.engine)
        self._indicators = read_indicators(self.engine).set_index("indicator_id")
        self._loading = True
        try:
            for name, dropdown in self._filters.items():
                keep = dropdown.value if dropdown.options else self._initial.get(name)
                values = {str(v) for v in self._all[name].dropna().unique()}
                if name == "status":
                    values.add("open")
                if keep is not None:  # a filter asked for stays, even with nothing to show
                    values.add(keep)
                choices = sorted(values)
                dropdown.options = [(_(_ALL), None)] + [(_choice_label(name, v), v)
                                                        for v in choices]
                dropdown.value = keep if keep in choices else None
        finally:
            self._loading = False
        self._fill_list()

    def set_filter(self, **values: str | None) -> None:
        """Filter by any of status, rule_code, severity, team_id, indicator_id, period
        (None = all)."""
        self._loading = True
        try:
            for name, value in values.items():
                dropdown = self._filters[name]
                if value is not None and value not in {v for _l, v in dropdown.options}:
                    dropdown.options = list(dropdown.options) + [(value, value)]
                dropdown.value = value
        finally:
            self._loading = False
        self._fill_list()

    @property
    def flags(self) -> pd.DataFrame:
        """The flags the filters let through, oldest first."""
        frame = self._all
        for name, dropdown in self._filters.items():
            if dropdown.value is not None:
                frame = frame[frame[name].astype(str) == dropdown.value]
        return frame.reset_index(drop=True)

    def select(self, *flag_ids: int) -> None:
        """Select flags in the list (one shows its details)."""
        self._list.value = tuple(int(f) for f in flag_ids)

    @property
    def selected(self) -> list[int]:
        return list(self._list.value)

    @property
    def history(self) -> pd.DataFrame | None:
        """The selected flag's history (`workbench.validate.flags.flag_history`)."""
        if len(self.selected) != 1:
            return None
        return flags.flag_history(self.engine, self.selected[0])

    def resolve(self, action: str, note: str, numerator: Any = None,
                denominator: Any = None) -> Any:
        """Confirm, correct or dismiss the ONE selected flag with a note."""
        if len(self.selected) != 1:
            self._say(_("Select exactly one flag to review it (use the bulk buttons for "
                        "many)."), "warning")
            return None
        flag = self._flag_row(self.selected[0])
        failures = self._check(action, note, numerator, denominator)
        if failures:
            self._show_failures(failures)
            self._say(_("Not saved — fix the problems marked below."), "error")
            return None
        self._clear_failures()
        kwargs: dict[str, Any] = {"user": self.user, "expected_version": int(flag["version"])}
        if action == "correct":
            kwargs.update(numerator=_number(numerator), denominator=_number(denominator))
        result = flags.resolve_flag(self.engine, int(flag["flag_id"]), action,
                                              note.strip(), **kwargs)
        said = self._describe(flag, action, numerator, denominator)
        self._note.value = ""
        self.refresh()
        self._say(said, "success")
        return result

    def bulk(self, action: str, note: str) -> Any:
        """Confirm or dismiss every selected flag with one note (one transaction)."""
        if action not in ("confirm", "dismiss"):
            self._say(_("Bulk review can confirm or dismiss; correct flags one at a time."),
                      "warning")
            return None
        ids = self.selected
        if not ids:
            self._say(_("Select the flags to review first."), "warning")
            return None
        failures = self._check(action, note, None, None)
        if failures:
            self._show_failures(failures)
            self._say(_("Not saved — fix the problems marked below."), "error")
            return None
        self._clear_failures()
        versions = {int(f): int(self._flag_row(f)["version"]) for f in ids}
        result = flags.resolve_flags(self.engine, ids, action, note.strip(),
                                               user=self.user, expected_versions=versions)
        self._note.value = ""
        self.refresh()
        what = _("{n} flag(s): {ids}").format(n=len(ids), ids=", ".join(map(str, ids)))
        self._say(_done(action).format(what=what, user=self.user), "success")
        return result

    # -- handlers -------------------------------------------------------------------------
    def _on_filter_change(self, _change: dict[str, Any]) -> None:
        if not self._loading:
            self._fill_list()

    def _on_list_change(self, _change: dict[str, Any]) -> None:
        if self._loading:
            return
        self._show_selected()

    def _on_action_change(self, change: dict[str, Any]) -> None:
        self._correction.layout.display = None if change["new"] == "correct" else "none"

    # -- internals ------------------------------------------------------------------------
    def _fill_list(self) -> None:
        frame = self.flags
        keep = [i for i in self._list.value if i in set(frame["flag_id"])]
        self._loading = True
        try:
            # empty the selection first: the browser gets the new options with a selection
            # of old positions otherwise ("Cannot set properties of undefined")
            self._list.value = ()
            self._list.options = [
                (f"#{r.flag_id} [{_severity_label(r.severity)}] {r.rule_code} · "
                 f"{r.team_id or ''} {r.indicator_id or ''} {r.period or ''} · "
                 f"{status_label(r.status)} — {message[:80]}", int(r.flag_id))
                for r, message in zip(_rows(frame), flag_messages(frame), strict=True)]
            self._list.value = tuple(keep)
        finally:
            self._loading = False
        total = int((self._all["status"] == "open").sum()) if len(self._all) else 0
        self._count.value = esc(_("{n} flag(s) shown; {open} open in all.").format(
            n=format_count(len(frame)), open=format_count(total)))
        self._show_selected()

    def _flag_row(self, flag_id: int) -> dict[str, Any]:
        row = self._all[self._all["flag_id"] == flag_id]
        if row.empty:
            raise WorkbenchError(_("flag {flag} no longer exists; refresh the queue.").format(
                flag=flag_id))
        return cast("dict[str, Any]", row.iloc[0].to_dict())

    def _show_selected(self) -> None:
        ids = self.selected
        if len(ids) != 1:
            text = (_("{n} flags selected.").format(n=len(ids)) if ids else
                    _("Select a flag to see why it was raised."))
            self._detail.value = f"<i>{esc(text)}</i>"
            self._series.children = []
            self._history.value = ""
            return
        flag = self._flag_row(ids[0])
        bounds = ""
        if flag["lower"] is not None and not pd.isna(flag["lower"]):
            bounds = " " + esc(_("(bounds {lower} – {upper})").format(
                lower=format_count(float(f"{flag['lower']:.6g}")),
                upper=format_count(float(f"{flag['upper']:.6g}"))))
        statistic = flag["statistic"]
        stat = ("" if statistic is None or pd.isna(statistic) else
                "<br><b>" + esc(_("Statistic:")) + "</b> "
                + format_count(float(format(statistic, ".3g"))) + bounds)
        current = ""
        if flag["team_id"] and flag["indicator_id"] and flag["period"]:
            revs = read_revisions(self.engine, flag["team_id"], flag["indicator_id"],
                                  flag["period"])
            if len(revs):
                lines = [f"{format_pair(_opt(r.numerator), _opt(r.denominator))} "
                         f"({esc(r.source)}, {esc(r.author)}, {r.created_at:%Y-%m-%d})"
                         for r in revs.itertuples()]
                current = ("<br><b>" + esc(_("Values (oldest first):")) + "</b> "
                           + " → ".join(lines))
        why = flag_message(str(flag["rule_code"]), str(flag["message"]), flag.get("details"))
        head = esc(_("Flag #{flag}").format(flag=flag["flag_id"]))
        status = esc(_("status {status}")).format(
            status=f"<b>{esc(status_label(str(flag['status'])))}</b>")
        why_label = esc(_("Why:"))
        self._detail.value = (
            f"<b>{head}</b> — {esc(flag['rule_code'])}, "
            f"{esc(_severity_label(str(flag['severity'])))}, {status}<br>"
            f"{esc(flag['team_id'])} · {esc(flag['indicator_id'])} · {esc(flag['period'])}"
            f"<br><b>{why_label}</b> {esc(why)}{stat}{current}")
        if flag["team_id"] and flag["indicator_id"] in self._indicators.index:
            name = self._indicators.loc[flag["indicator_id"], "name"]
            self._series.children = [series_view(
                self.engine, flag["team_id"], flag["indicator_id"], mark_period=flag["period"],
                title=_("{team} — {indicator} (flagged month {period})").format(
                    team=flag["team_id"], indicator=name, period=flag["period"]))]
        else:
            self._series.children = []
        try:
            history = self.history
        except WorkbenchError as exc:
            self._history.value = f"<i>{esc(exc)}</i>"
            return
        if history is None or history.empty:
            self._history.value = "<i>" + esc(_("No history.")) + "</i>"
            return
        rows = "".join(
            f"<tr><td>{esc(getattr(h, 'created_at', ''))}</td><td>{esc(getattr(h, 'action', ''))}"
            f"</td><td>{esc(getattr(h, 'user', ''))}</td><td>{esc(getattr(h, 'note', ''))}</td>"
            "</tr>" for h in history.itertuples())
        heads = "".join(f"<th>{esc(h)}</th>" for h in (_("when"), _("action"), _("who"),
                                                        _("note")))
        self._history.value = f"<table><tr>{heads}</tr>{rows}</table>"

    def _check(self, action: str, note: str, numerator: Any, denominator: Any
               ) -> list[tuple[str, str]]:
        out = []
        if action not in ACTIONS:
            out.append(("action", _("choose one of {actions}").format(
                actions=", ".join(ACTIONS))))
        if not str(note or "").strip():
            out.append(("note", _("write a note: what you checked and why")))
        if action == "correct":
            from workbench.records.monthly_data import parse_count

            num, num_err = parse_count(numerator)
            den, den_err = parse_count(denominator)
            for part, value, err in ((_("numerator"), num, num_err),
                                     (_("denominator"), den, den_err)):
                if err:
                    out.append(("numerator", f"{part}: {err}"))
                elif value is None:
                    out.append(("numerator", _("{part}: enter the corrected {part}").format(
                        part=part)))
            if num is not None and den is not None and num > den:
                out.append(("numerator", _("the corrected numerator {numerator} is above the "
                                           "denominator {denominator}").format(
                    numerator=format_count(num), denominator=format_count(den))))
        return out

    def _describe(self, flag: dict[str, Any], action: str, numerator: Any,
                  denominator: Any) -> str:
        what = _("flag #{flag} ({team} {indicator} {period})").format(
            flag=flag["flag_id"], team=flag["team_id"], indicator=flag["indicator_id"],
            period=flag["period"])
        if action == "correct":
            value = format_pair(_number(numerator), _number(denominator))
            return _("Corrected {what}: new value {value} saved as a new revision by {user}; "
                     "the original stays readable in the history.").format(
                what=what, value=value, user=self.user)
        return _done(action).format(what=what, user=self.user)


def _number(value: Any) -> float | None:
    """A typed count by the count rule (`workbench.model.read_count`); None if blank."""
    from workbench.model import read_count

    return read_count(value)[0]


def _opt(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _rows(frame: pd.DataFrame) -> Iterator[Any]:
    """`frame.itertuples()`: its rows' attributes are the frame's columns, which pandas-stubs
    types as any scalar at all."""
    return cast("Iterator[Any]", frame.itertuples())

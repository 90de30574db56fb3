"""What every form shares: the database, the user, a message area, guarded callbacks,
errors shown next to their fields, editable row lists and the inline series chart."""

from __future__ import annotations

import functools
import html
import logging
import traceback
from collections.abc import Callable, Iterable, Sequence
from typing import Any, cast

import ipywidgets as w
import pandas as pd
from sqlalchemy import Engine

from workbench.errors import ValidationFailed, WorkbenchError
from workbench.i18n import gettext as _
from workbench.store import (
    current_user,
    open_engine,
    read_change_ideas,
    read_flags,
    read_indicators,
    read_measurements,
    read_pdsa_cycles,
    read_teams,
)

__all__ = ["FormBase", "RowList", "as_engine", "code_options", "failure_pairs", "series_view"]

log = logging.getLogger("workbench.widgets")

_COLOURS = {"info": "#0b5394", "success": "#1e7b34", "warning": "#8a5a00", "error": "#b00020"}


def as_engine(db_or_engine: str | Engine) -> Engine:
    """An Engine from a path/URL (opened with `open_engine`) or an Engine as is."""
    if isinstance(db_or_engine, Engine):
        return db_or_engine
    return open_engine(str(db_or_engine))


def code_options(frame: pd.DataFrame, key: str) -> list[tuple[str, str]]:
    """Dropdown options `("T01 — Kabale Hospital", "T01")` from a teams or indicators frame."""
    return [(f"{code} — {name}", code) for code, name in zip(frame[key], frame["name"],
                                                            strict=True)]


def esc(text: Any) -> str:
    return html.escape(str(text))


class FormBase(w.VBox):  # type: ignore[misc]  # ipywidgets ships no types: VBox is Any
    """A form: `engine`, `user` (JUPYTERHUB_USER → WORKBENCH_USER → OS user), a message area
    (`message`: its plain text; `last_error`), and `_guard` for every callback."""

    def __init__(self, db_or_engine: str | Engine, team_id: str | None = None,
                 user: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._engine = as_engine(db_or_engine)
        self.user = current_user(user)  # under JupyterHub always the hub's user
        self.team_id = team_id
        self._message = w.HTML(layout=w.Layout(min_height="1.5em"))
        self._field_errors: dict[str, w.HTML] = {}
        self._field_texts: dict[str, str] = {}
        self.last_error: str | None = None
        self._message_text = ""

    @property
    def engine(self) -> Engine:
        return self._engine

    @property
    def message(self) -> str:
        """The message area's text (what the form last said)."""
        return self._message_text

    def show_team_picker(self, visible: bool = True) -> None:
        """Show or hide the form's own team picker: hidden where the page around the form
        picks the team (the Voilà apps), so there is one "Team" on the page."""
        picker = getattr(self, "_team", None)
        if isinstance(picker, w.Widget):
            picker.layout.display = None if visible else "none"

    def _load_team_picker(self, picker: w.Dropdown) -> None:
        """Fill `picker` with the database's teams, keep `team_id` when it is still one of
        them, and adopt the picker's value (change handlers see `_loading` set)."""
        self._loading = True
        try:
            teams = read_teams(self.engine)
            picker.options = code_options(teams, "team_id")
            if self.team_id in set(teams["team_id"]):
                picker.value = self.team_id
            self.team_id = picker.value
        finally:
            self._loading = False

    # -- messages -------------------------------------------------------------------------
    def _say(self, text: str, kind: str = "info") -> None:
        self._message_text = text
        colour = _COLOURS.get(kind, _COLOURS["info"])
        body = "<br>".join(esc(line) for line in text.split("\n"))
        self._message.value = f'<div style="color:{colour}">{body}</div>'
        if kind == "error":
            self.last_error = text

    def _guard(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Wrap a callback: a WorkbenchError becomes a message; any other exception too
        (with its type, logged with the traceback) — it never vanishes."""
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except ValidationFailed as exc:
                self._show_failures(failure_pairs(getattr(exc, "failure_cases", None)))
                self._say(_("Not saved — fix the problems marked below.") + f"\n{exc}", "error")
            except WorkbenchError as exc:
                self._say(str(exc), "error")
            except Exception as exc:  # noqa: BLE001 - shown to the user, and logged
                log.error("form callback failed\n%s", traceback.format_exc())
                self._say(_("Unexpected error ({error}): {detail}. Nothing was saved by this "
                            "action; tell the workbench administrator.").format(
                    error=type(exc).__name__, detail=exc), "error")
            return None
        return wrapper

    # -- field errors ---------------------------------------------------------------------
    def _error_label(self, field: str) -> w.HTML:
        label = self._field_errors.get(field)
        if label is None:
            label = w.HTML()
            self._field_errors[field] = label
        return label

    def field_errors(self) -> dict[str, str]:
        """{field: message text} of the errors now shown next to the fields."""
        return dict(self._field_texts)

    def _clear_failures(self) -> None:
        self._field_texts = {}
        for label in self._field_errors.values():
            label.value = ""

    def _show_failures(self, failures: Any) -> None:
        """Show failures next to their fields (any shape `failure_pairs` reads); unknown
        fields go to the message area."""
        self._clear_failures()
        grouped: dict[str, list[str]] = {}
        for field, message in failure_pairs(failures):
            grouped.setdefault(field if field in self._field_errors else "", []).append(message)
        for field, messages in grouped.items():
            if field:
                self._field_texts[field] = "\n".join(messages)
                self._field_errors[field].value = (
                    '<span style="color:#b00020">' + "<br>".join(esc(m) for m in messages)
                    + "</span>")
        if "" in grouped:
            self._say("\n".join(grouped[""]), "error")


def failure_pairs(failures: Any) -> list[tuple[str, str]]:
    """(field, message) pairs from the `failure_cases` of a library error, whatever its
    shape: a failure table (a DataFrame with `column` or `field`, and `message`), records
    with `field` and `message` (`Failure`, `EntryCheck`), mappings, or plain pairs."""
    if failures is None:
        return []
    if isinstance(failures, pd.DataFrame):
        key = next((c for c in ("field", "column") if c in failures.columns), None)
        records: Iterable[Any] = failures.to_dict("records")
        return [(_cell(r.get(key)) if key else "", _cell(r.get("message"))) for r in records]
    pairs = []
    for failure in failures:
        if isinstance(failure, dict):
            field = failure.get("field", failure.get("column"))
            pairs.append((_cell(field), _cell(failure.get("message"))))
        elif hasattr(failure, "message"):
            field = getattr(failure, "field", getattr(failure, "column", ""))
            pairs.append((_cell(field), _cell(failure.message)))
        else:
            pairs.append((_cell(failure[0]), _cell(failure[1])))
    return pairs


def _cell(value: Any) -> str:
    """A failure's field or message as text ("" for a missing one)."""
    return "" if value is None or (isinstance(value, float) and value != value) else str(value)


def _text(placeholder: str, width: str) -> w.Text:
    return w.Text(placeholder=placeholder, continuous_update=False,
                  layout=w.Layout(width=width))


class RowList(w.VBox):  # type: ignore[misc]  # ipywidgets ships no types: VBox is Any
    """An editable list of rows of text fields (questions, tasks, actions).

    `columns`: (key, placeholder, css width). `value`: list of {key: text}; blank rows are
    left out."""

    def __init__(self, columns: Sequence[tuple[str, str, str]], add_label: str = "Add",
                 rows: int = 1) -> None:
        super().__init__()
        self._columns = list(columns)
        self._rows: list[list[w.Text]] = []
        self._box = w.VBox()
        self.add_button = w.Button(description=add_label, icon="plus",
                                   layout=w.Layout(width="auto"))
        self.add_button.on_click(lambda _b: self.add_row())
        self.children = [self._box, self.add_button]
        for _row in range(rows):
            self.add_row()

    def add_row(self, values: dict[str, Any] | None = None) -> list[w.Text]:
        values = values or {}
        fields = [_text(ph, width) for _key, ph, width in self._columns]
        for (key, _ph, _w), field in zip(self._columns, fields, strict=True):
            field.value = "" if values.get(key) is None else str(values.get(key))
        self._rows.append(fields)
        self._box.children = [w.HBox(r) for r in self._rows]
        return fields

    @property
    def rows(self) -> list[list[w.Text]]:
        return self._rows

    @property
    def value(self) -> list[dict[str, str]]:
        out = []
        for fields in self._rows:
            item = {key: f.value.strip() for (key, _p, _w), f in zip(self._columns, fields,
                                                                     strict=True)}
            if any(item.values()):
                out.append(item)
        return out

    @value.setter
    def value(self, items: Iterable[dict[str, Any]]) -> None:
        self._rows = []
        items = list(items)
        for item in items:
            self.add_row(item)
        if not items:
            self.add_row()
        self._box.children = [w.HBox(r) for r in self._rows]


def series_view(engine: Engine, team_id: str, indicator_id: str, *,
                mark_period: str | None = None, title: str = "") -> w.Widget:
    """The team × indicator series: the annotated run/control chart of `workbench.charts`,
    assembled as the report's (`workbench.charts.data.chart_view`: phases after adopted
    changes, PDSA cycles drawn, open flags ringed, `mark_period` ringed too) shown through
    jupyter_bokeh's `BokehModel`; a compact table (the marked month in bold) when the chart
    cannot be drawn."""
    tidy = read_measurements(engine, team_ids=[team_id], indicator_ids=[indicator_id])
    indicators = read_indicators(engine)
    match = indicators[indicators["indicator_id"] == indicator_id]
    if match.empty:
        return w.HTML("<i>" + esc(_("Unknown indicator {indicator}.").format(
            indicator=indicator_id)) + "</i>")
    indicator = cast("dict[str, Any]", match.iloc[0].to_dict())
    if tidy.empty:
        return w.HTML("<i>" + esc(_("No data yet for {team} {indicator}.").format(
            team=team_id, indicator=indicator_id)) + "</i>")
    chart = _bokeh_chart(engine, tidy, indicators, indicator, mark_period, title)
    if chart is not None:
        return chart
    mult = float(indicator.get("multiplier") or 1)
    cells = []
    for row in tidy.sort_values("period").tail(18).itertuples():
        period = str(row.period)
        v, n, d = cast("tuple[float, float, float]", (row.value, row.numerator, row.denominator))
        value = "—" if pd.isna(v) else f"{v * mult:.0f}"
        num = "" if pd.isna(n) else f"{n:g}"
        den = "" if pd.isna(d) else f"/{d:g}"
        style = ' style="font-weight:bold;background:#fde2c4"' if period == mark_period else ""
        cells.append(f"<tr{style}><td>{period}</td><td>{num}{den}</td><td>{value}"
                     f"{esc(indicator.get('unit', ''))}</td></tr>")
    head = esc(title or indicator.get("name", ""))
    heads = "".join(f"<th>{esc(h)}</th>" for h in (_("month"), "n/d", _("value")))
    return w.HTML(f"<b>{head}</b><table><tr>{heads}</tr>" + "".join(cells) + "</table>")


def _bokeh_chart(engine: Engine, tidy: pd.DataFrame, indicators: pd.DataFrame,
                 indicator: dict[str, Any], mark_period: str | None,
                 title: str) -> w.Widget | None:
    try:
        from jupyter_bokeh import BokehModel

        from workbench.charts.data import chart_view, flag_notes
        from workbench.charts.series import control_chart
    except ImportError:
        return None
    try:
        team_id, indicator_id = tidy["team_id"].iloc[0], indicator["indicator_id"]
        flags = read_flags(engine, team_id=team_id)
        # the report's chart: same assembly, so the same phases and limits
        view = chart_view(tidy, indicators, read_pdsa_cycles(engine, team_id),
                          read_change_ideas(engine), flags)
        points, events, notes = view.of(indicator_id)
        if mark_period is not None:  # ring the month under review whatever its status
            ringed = flag_notes(flags.assign(status=flags["status"].where(
                (flags["indicator_id"] != indicator_id) | (flags["period"] != mark_period),
                "open")))
            notes = ringed[ringed["indicator_id"] == indicator_id]
        fig = control_chart(points, indicator, team_label=title or str(team_id),
                            events=events, flags=notes)
        return BokehModel(fig)
    except Exception:  # noqa: BLE001 - fall back to the table, but say why in the log
        log.warning("run chart failed; showing the table\n%s", traceback.format_exc())
        return None

"""Small HTML render helpers for reports: every user-entered string is escaped here.

Each helper returns a `Fragment` (a `str` with `_repr_html_`), so a notebook cell that ends
with `render.table(frame)` shows the table, and the HTML export holds it as `text/html`.
Nothing here computes: frames come ready from `workbench.briefs`.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from workbench.model import plain_text  # re-exported: reports import it from here

__all__ = ["Fragment", "bullets", "esc", "heading", "join", "note", "plain_text", "table"]


class Fragment(str):
    """HTML that Jupyter displays as HTML (already escaped where needed)."""

    def _repr_html_(self) -> str:
        return str(self)


def esc(value: Any) -> str:
    """Text for HTML: None/NaN become '–', everything else is `html.escape`d."""
    if value is None:
        return "–"
    if isinstance(value, float) and math.isnan(value):
        return "–"
    try:
        if value is pd.NA or value is pd.NaT:
            return "–"
    except TypeError:  # pragma: no cover
        pass
    return html.escape(str(value), quote=True)


def heading(text: str, level: int = 3) -> Fragment:
    return Fragment(f"<h{level}>{esc(text)}</h{level}>")


def note(text: str, css: str = "wb-note") -> Fragment:
    return Fragment(f'<p class="{esc(css)}">{esc(text)}</p>')


def bullets(items: Iterable[Any], empty: str = "None.") -> Fragment:
    items = [i for i in items]
    if not items:
        return note(empty)
    return Fragment("<ul>" + "".join(f"<li>{esc(i)}</li>" for i in items) + "</ul>")


def table(frame: pd.DataFrame, columns: Mapping[str, str] | Sequence[str] | None = None, *,
          caption: str = "", empty: str = "Nothing to show.", css: str = "wb-table") -> Fragment:
    """An HTML table of `frame`; `columns` maps column -> header (or lists the columns).

    Cells are escaped. Text is left-aligned and numbers right-aligned, each header as its
    column (a notebook's stylesheet right-aligns every cell otherwise); a whole number prints
    as a count (`41`, not `41.0`), other numbers as given (format them in `workbench.briefs`).
    """
    if columns is None:
        columns = {c: c for c in frame.columns}
    elif not isinstance(columns, Mapping):
        columns = {c: c for c in columns}
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    if frame is None or frame.empty:
        return Fragment(f"{cap and '<p><b>' + esc(caption) + '</b></p>'}{note(empty)}")
    shown = frame[list(columns)]
    numeric = [bool(len(shown)) and all(_is_number(v) or _missing(v) for v in shown[c])
               and any(_is_number(v) for v in shown[c]) for c in columns]
    head = "".join(f'<th style="text-align:{_side(n)}">{esc(h)}</th>'
                   for h, n in zip(columns.values(), numeric, strict=True))
    body = []
    for row in shown.itertuples(index=False):
        body.append("<tr>" + "".join(
            f'<td style="text-align:{_side(n)}">{_cell(v)}</td>'
            for v, n in zip(row, numeric, strict=True)) + "</tr>")
    return Fragment(f'<table class="{esc(css)}">{cap}<thead><tr>{head}</tr></thead>'
                    f"<tbody>{''.join(body)}</tbody></table>")


def _is_number(value: Any) -> bool:
    return (isinstance(value, (int, float, np.integer, np.floating))
            and not isinstance(value, (bool, np.bool_)) and not math.isnan(float(value)))


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _side(numeric: bool) -> str:
    return "right" if numeric else "left"


def _cell(value: Any) -> str:
    """A cell's text: a whole number as a count, the rest as `esc` writes it."""
    if _is_number(value) and float(value).is_integer():
        from workbench.i18n import format_count

        return esc(format_count(value))
    return esc(value)


def join(*parts: str) -> Fragment:
    """Several fragments as one output."""
    return Fragment("".join(str(p) for p in parts))

"""Bokeh charts a coach can read: annotated run/control charts and collaborative views.

Chart functions are pure: they take frames and return bokeh models (never `show()` them and
never touch the database). Each chart keeps its data in named `ColumnDataSource`s built by a
`*_sources()` function, so an app (Voilà + `jupyter_bokeh.BokehModel`) redraws by assigning
new `.data` to the sources of an existing figure (`update_sources`), never by showing again.

How figures reach the HTML
--------------------------
This is the contract between the notebooks (this module) and the batch runner
(`workbench.reports` and its nbconvert template in `templates/`).

1. The first code cell of every report notebook calls `setup_notebook()`; the cell is tagged
   `remove-cell`. It clears bokeh's global state (`bokeh.io.reset_output()` and
   `curdoc().clear()`), so a reused kernel does not accumulate documents between reports
   (bokeh #4231). Then, unless the environment variable `WORKBENCH_BOKEHJS` is `template`,
   it loads BokehJS into the page once: one `display_data` output whose `text/html` is
   `<script>` + the inline BokehJS *core* bundle (`bokeh.min.js`, ~1.3 MB) + `</script>`,
   with metadata `{"workbench": {"bokehjs": "inline", "bokeh_version": "3.9.2"}}`. That makes
   a plain `papermill` run viewable live in JupyterLab and exportable offline with the stock
   nbconvert HTML template.
2. `show(fig)` displays one figure as ONE `display_data` output with exactly two MIME types:
   - `text/html`: `<div class="wb-figure">` + the `div` + `script` of
     `bokeh.embed.components(fig)` + `</div>` (made by `workbench.charts.embed.components`,
     which returns bokeh's output at ~60 % of the cost). The script waits for
     `DOMContentLoaded` (or runs at once in a live page) and needs the global `Bokeh` object at
     that moment; it carries the figure's document JSON (gzipped and base64-encoded, inflated
     by the browser's `DecompressionStream`: a quarter of the bytes), so the output is
     self-contained apart from BokehJS, and each figure renders where its cell is. (One
     `components` call for all figures of a report would save ~2 % of the embedding time,
     measured: not worth giving that up.)
   - `text/plain`: `[chart] <title>` for consoles, nbval and text diffs.
   Metadata: `{"workbench": {"figure": true, "bokeh_version": "3.9.2",
   "bundles": ["bokeh"]}}`. No `application/javascript` and no bokeh MIME types are emitted,
   so nbconvert's priority list picks `text/html` and no bokeh state is touched.
3. The runner's template includes BokehJS exactly once, as a synchronous inline `<script>`
   anywhere before the end of `<body>` (head is fine), from `bokehjs_script()` (the same
   bundles, from the same bokeh install, so versions always match). The runner then either
   sets `WORKBENCH_BOKEHJS=template` in the kernel's environment (nothing is emitted by
   step 1: cheapest) or removes the `remove-cell` cell (and with it the loader output).
   Either way the page holds BokehJS once. Only the core bundle is needed: the charts use no
   widgets, tables, WebGL or MathJax (`bundles` in the metadata says so; a future chart that
   needs more lists it there).
4. Print: `div.wb-figure` is the hook for print CSS (`break-inside: avoid`). Figures are
   sized for an A4 page (width ≤ 760 px) and use the Okabe–Ito palette on white.

Tables and text reach the HTML as plain `text/html` built by `workbench.notebook.render`,
where every user-entered string is escaped.
"""

from __future__ import annotations

import functools
import math
import os
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple, cast

import bokeh
import numpy as np
import pandas as pd
from bokeh.core.property.vectorization import value as text_value
from bokeh.layouts import gridplot
from bokeh.model import Model
from bokeh.models import (
    ColumnDataSource,
    CustomJSTickFormatter,
    DatetimeTickFormatter,
    HoverTool,
    Line,
    NumeralTickFormatter,
    Range1d,
    Scatter,
    Segment,
    Step,
    Text,
)
from bokeh.models.annotations import Label, Legend, LegendItem, Title
from bokeh.plotting import figure
from bokeh.resources import Component, Resources

from workbench.charts.data import month_label

if TYPE_CHECKING:
    from bokeh.models.glyph import Glyph
    from bokeh.models.renderers import DataRenderer, GlyphRenderer
from workbench.charts.embed import DocumentTemplate, components, template_usable
from workbench.charts.prototype import PrototypeCache, clone
from workbench.i18n import N_, current_language, format_count, format_date, format_number
from workbench.i18n import gettext as _
from workbench.model import MISSING, format_percent
from workbench.rollup.series import SHIFT_RUN

__all__ = [
    "BOKEH_BUNDLES",
    "OKABE_ITO",
    "bokehjs_script",
    "compact_columns",
    "control_chart",
    "control_chart_html",
    "control_chart_sources",
    "FigureHTML",
    "figure_html",
    "format_value",
    "setup_notebook",
    "show",
    "show_many",
    "small_multiples",
    "small_multiples_sources",
    "update_sources",
]

#: Okabe & Ito (2008) colour-blind-safe palette.
OKABE_ITO: dict[str, str] = {
    "black": "#000000", "orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7",
}
C = OKABE_ITO
GREY = "#7F7F7F"
EVENT_STYLE: dict[str, tuple[str, str]] = {  # kind -> (marker, colour)
    "start": ("circle", C["sky"]),
    "adopt": ("triangle", C["green"]),
    "adapt": ("diamond", C["orange"]),
    "abandon": ("x", C["purple"]),
}
WIDTH = 760

#: BokehJS bundles every workbench chart needs (core only: no widgets/tables/gl/mathjax).
BOKEH_BUNDLES: tuple[str, ...] = ("bokeh",)

_BOKEHJS_CACHE: dict[tuple[str, ...], str] = {}


def bokehjs_script(bundles: tuple[str, ...] = BOKEH_BUNDLES) -> str:
    """The inline `<script>` block(s) of BokehJS for an offline page (include once per page)."""
    if bundles not in _BOKEHJS_CACHE:
        _BOKEHJS_CACHE[bundles] = Resources(mode="inline",
                                             components=cast("list[Component]", list(bundles))
                                             ).render_js()
    return _BOKEHJS_CACHE[bundles]


def _display(bundle: Mapping[str, str], metadata: Mapping[str, Any]) -> None:
    from IPython.display import display

    # IPython's display is unannotated
    show_output = cast(Callable[..., None], display)
    show_output(dict(bundle), raw=True, metadata={"workbench": dict(metadata)})


def setup_notebook() -> None:
    """Start a report: clear bokeh's global state; load BokehJS into the page (see module doc).
    (SPC results show as summary tables after `%load_ext workbench`; the charts layer does
    not reach up into the notebook layer.)

    Call it in the first code cell (tagged `remove-cell`). With `WORKBENCH_BOKEHJS=template`
    nothing is displayed: the page template provides BokehJS.
    """
    from bokeh.io import curdoc, reset_output

    reset_output()
    curdoc().clear()
    if os.environ.get("WORKBENCH_BOKEHJS", "").strip().lower() == "template":
        return
    _display(
        {"text/html": bokehjs_script(), "text/plain": "[BokehJS loaded]"},
        {"bokehjs": "inline", "bokeh_version": bokeh.__version__},
    )


def _title_of(obj: Model) -> str:
    title = getattr(obj, "title", None)
    text = getattr(title, "text", None)
    if text:
        return str(text)
    for child in getattr(obj, "children", None) or []:
        child = child[0] if isinstance(child, tuple) else child
        found = _title_of(child)
        if found:
            return found
    return obj.name or type(obj).__name__


def figure_html(obj: Model) -> str:
    """The `text/html` of one figure or layout: components' div + script in `div.wb-figure`."""
    script, (div,) = components([obj], compress=True)
    return f'<div class="wb-figure">{div}{script}</div>'


def show(obj: Model | FigureHTML) -> None:
    """Display a bokeh figure or layout as a self-contained `text/html` output (module doc §2)
    (or a chart already embedded: `control_chart_html`).

    Works in a papermill run, in JupyterLab after `setup_notebook()`, and in nbconvert HTML
    whose page includes BokehJS once. It never touches bokeh's global document.
    """
    html, title = obj if isinstance(obj, FigureHTML) else (figure_html(obj), _title_of(obj))
    _display(
        {"text/html": html, "text/plain": f"[chart] {title}"},
        {"figure": True, "bokeh_version": bokeh.__version__, "bundles": list(BOKEH_BUNDLES)},
    )


def show_many(items: Any) -> None:
    """`show` each figure of a list (or of `(key, figure)` pairs), one output per figure."""
    for item in items:
        show(item[1] if isinstance(item, tuple) and not isinstance(item, FigureHTML)
             else item)


# --------------------------------------------------------------------------------------------
# Formatting shared by every chart


def is_percent(indicator: Mapping[str, Any]) -> bool:
    """Proportions shown as % (multiplier 100): y stays on the 0–1 scale, axes say %."""
    return float(indicator.get("multiplier") or 1) == 100


def format_value(value: float | None, indicator: Mapping[str, Any]) -> str:
    """`85.3%` for a percent indicator, else the value times its multiplier with its unit."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    percent = is_percent(indicator)
    mult = float(indicator.get("multiplier") or 1)
    unit = str(indicator.get("unit") or "")
    if isinstance(value, (float, int)):  # a chart's hover text formats hundreds a report
        return _value_text(value, percent, mult, unit, current_language())
    return _value_text.__wrapped__(value, percent, mult, unit, current_language())


@functools.lru_cache(maxsize=16384)
def _value_text(value: float, percent: bool, mult: float, unit: str, language: str) -> str:
    """`format_value` of a number, in `language` (the current one: a key of the cache)."""
    if percent:
        return format_percent(value)
    return f"{format_number(value * mult, 1)}{' ' + unit if unit else ''}"


def _count(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return _count_text(round(float(value)), current_language())


@functools.lru_cache(maxsize=16384)
def _count_text(count: int, language: str) -> str:
    """A whole count in `language` (the current one: a key of the cache); Babel's number
    formatting is most of a chart's hover text, and counts repeat from chart to chart."""
    return format_count(count)


def month_tick_formatter(short: bool = False) -> Any:
    """Axis ticks as months in the current language: bokeh's own formatter in English, month
    names from the locale (Babel) otherwise (`oct. 2026`; `short`: `oct. 26`)."""
    if current_language() == "en":
        if short:
            return DatetimeTickFormatter(months="%b %y", years="%b %y")
        return DatetimeTickFormatter(months="%b %Y", years="%b %Y", days="%d %b %Y",
                                     hours="%b %Y")
    from babel.dates import get_month_names

    from workbench.i18n import locale_of

    names = get_month_names("abbreviated", locale=locale_of())
    months = [names[m] for m in range(1, 13)]
    year = "String(d.getUTCFullYear()).slice(2)" if short else "d.getUTCFullYear()"
    return CustomJSTickFormatter(args={"months": months}, code=(
        f"const d = new Date(tick); return months[d.getUTCMonth()] + ' ' + {year};"))


def number_tick_formatter(percent: bool = False) -> Any | None:
    """Axis ticks as numbers in the current language: `87 %` (a 0–1 proportion) and `1 234,5`
    in French; bokeh's own formatters in English (`87%`; None: bokeh's default for numbers).
    The symbols come from the locale (Babel: `workbench.i18n.format_percent`)."""
    language = current_language()
    if language == "en":
        return NumeralTickFormatter(format="0%") if percent else None
    from babel.numbers import get_decimal_symbol, get_group_symbol

    from workbench.i18n import format_percent, locale_of

    sample = format_percent(0.5, 0)
    prefix, suffix = sample.split("50", 1) if percent else ("", "")
    group = get_group_symbol(locale=locale_of())
    return CustomJSTickFormatter(
        args={"prefix": prefix, "suffix": suffix, "decimal": get_decimal_symbol(
            locale=locale_of()), "group": group if not group.strip() else "",
            "percent": percent},
        code=("const n = percent ? Math.round(tick * 100) : Math.round(tick * 1e6) / 1e6;"
              "const parts = Math.abs(n).toString().split('.');"
              "const whole = parts[0].replace(/\\B(?=(\\d{3})+(?!\\d))/g, group);"
              "return (n < 0 ? '-' : '') + prefix + whole"
              " + (parts.length > 1 ? decimal + parts[1] : '') + suffix;"))


def _style_axes(fig: Any, indicator: Mapping[str, Any] | bool | None,
                datetime_x: bool = True) -> None:
    """`indicator`: its y axis in % when it is a percent indicator (or when True)."""
    if datetime_x:
        fig.xaxis.formatter = month_tick_formatter()
    percent = indicator if isinstance(indicator, bool) else (
        indicator is not None and is_percent(indicator))
    numbers = number_tick_formatter(percent)
    if numbers is not None:
        fig.yaxis.formatter = numbers
    fig.xgrid.grid_line_color = None
    fig.ygrid.grid_line_color = "#E5E5E5"
    fig.outline_line_color = None
    fig.background_fill_color = "white"
    fig.border_fill_color = "white"
    fig.title.text_font_size = "13px"
    fig.toolbar.autohide = True


def _scale(indicator: Mapping[str, Any]) -> float:
    return 1.0 if is_percent(indicator) else float(indicator.get("multiplier") or 1)


_DIRECTION_WORDS = {"increase": N_("higher is better"), "decrease": N_("lower is better")}
_CHART_WORDS = {
    "p": N_("p chart: limits widen in months with fewer cases"),
    "pp": N_("p′ chart (Laney): limits adjusted for large denominators"),
    "u": N_("u chart: limits widen in months with fewer cases"),
    "up": N_("u′ chart (Laney)"),
    "c": N_("c chart of counts"),
    "i": N_("I chart"),
    "run": N_("run chart: centre line is the median"),
}


# --------------------------------------------------------------------------------------------
# Run / control chart of one team × indicator


def control_chart_sources(points: pd.DataFrame, indicator: Mapping[str, Any],
                          events: pd.DataFrame | None = None,
                          flags: pd.DataFrame | None = None, *,
                          lane: bool = False) -> dict[str, dict[str, list[Any]]]:
    """The data of one control chart, as plain dicts for `ColumnDataSource.data`.

    `lane`: PDSA markers in a lane under the data (starts on the first row; decisions, each
    tagged `change·cycle`, on the next two, alternating so that tags of consecutive months do
    not overlap), the y range extended down to hold it; otherwise (small multiples) the
    markers sit above the data.

    `points`: one series of `workbench.charts.data.spc_frame` (period, x, numerator,
    denominator, y, cl, lcl, ucl, part, sigma_signal, runs_signal); `events`: rows of
    `chartdata.pdsa_events` for the same team and indicator; `flags`: rows of
    `chartdata.flag_notes` (period, flag_text). Returns sources `points`, `lines`, `events`,
    `flagged` and `range` (y_start, y_end).
    """
    pts = points.sort_values("period").reset_index(drop=True)
    flag_text = pd.Series([""] * len(pts))
    if flags is not None and len(flags):
        lookup = dict(zip(flags["period"].astype(str), flags["flag_text"], strict=False))
        flag_text = pts["period"].astype(str).map(lookup).fillna("")
    left_out = (pts["excluded"].fillna(False).to_numpy(bool) if "excluded" in pts
                else np.zeros(len(pts), bool))
    sig = pts["sigma_signal"].to_numpy(bool)
    runs = pts["runs_signal"].to_numpy(bool)
    xs = pts["x"].to_numpy()
    nums = chart_numbers(xs, pts["y"].to_numpy(float), pts["cl"].to_numpy(float),
                         pts["lcl"].to_numpy(float), pts["ucl"].to_numpy(float),
                         pts["part"].to_numpy(), sig, runs, left_out, indicator)
    lines = {key: list(v) for key, v in nums.lines.items()}
    phases = _phase_starts(pts, xs, nums.new_part, indicator)
    labels = [month_label(p) for p in pts["period"]]
    values = [format_value(v, indicator) for v in pts["y"]]
    num_den = [f"{_count(a)} / {_count(b)}" for a, b in zip(pts["numerator"],
                                                             pts["denominator"], strict=False)]
    better_up = indicator.get("direction", "increase") != "decrease"
    ucl = pts["ucl"].to_numpy(float)
    signal_text = []
    for yi, s_, r_, u in zip(pts["y"].to_numpy(float), sig, runs, ucl, strict=False):
        words = []
        if s_:
            high = yi > u
            words.append(_("unusual month: improvement") if high == better_up
                         else _("unusual month: concern"))
        if r_:
            words.append(_("in a phase with a shift or too few crossings"))
        signal_text.append("; ".join(words) or _("none"))
    signal_text = [t + "; " + _("left out of the centre line and limits (open data-error flag)")
                   if out else t for t, out in zip(signal_text, left_out, strict=True)]
    point_data = {
        "x": list(xs), "y": list(nums.points["y"]), "label": labels, "value_text": values,
        "num_den": num_den, "signal_text": signal_text, "flag_text": list(flag_text),
        "y_signal": list(nums.points["y_signal"]),
        "y_excluded": list(nums.points["y_excluded"]),
    }
    flagged_mask = np.asarray([bool(t) for t in flag_text])
    flagged = {key: [v for v, m in zip(col, flagged_mask, strict=False) if m]
               for key, col in point_data.items()}
    has_events = events is not None and len(events) > 0
    ev = event_columns(events if has_events else None, nums, lane=lane)
    phases.update(phase_heights(nums, len(phases["x"])))
    return {"points": point_data, "lines": lines, "events": ev, "flagged": flagged,
            "phases": phases, "range": chart_range(nums, lane=lane and has_events)}


class ChartNumbers(NamedTuple):
    """The numbers of one control chart (`chart_numbers`): what its sources' numeric columns,
    its y range and the heights of its marks are made of."""

    #: `y`, `y_signal`, `y_excluded` (float arrays, scaled)
    points: dict[str, np.ndarray]
    #: `x` (datetime64, a gap row before each new phase), `cl_plain`, `cl_signal`, `lcl`,
    #: `ucl`, `target` (float arrays)
    lines: dict[str, np.ndarray]
    #: each month that starts a new phase
    new_part: np.ndarray
    bottom: float
    top: float
    span: float


def chart_numbers(xs: np.ndarray, y: np.ndarray, cl: np.ndarray, lcl: np.ndarray,
                  ucl: np.ndarray, part: np.ndarray, sig: np.ndarray, runs: np.ndarray,
                  left_out: np.ndarray, indicator: Mapping[str, Any]) -> ChartNumbers:
    """The numbers of one control chart from its series' columns (in month order, unscaled):
    every point, line and limit scaled for the axis, a gap row before each new phase so that
    lines break there, and the extent of the data (bottom, top, span) the range and the marks
    are placed by. `control_chart_sources` and the panels of a live app
    (`workbench.charts.payload.small_multiples_panels`) both take them from here."""
    k = _scale(indicator)
    target = indicator.get("target")
    target = float(target) if target is not None and not pd.isna(target) else np.nan
    y = y * k
    cl = cl * k
    new_part = np.r_[False, part[1:] != part[:-1]]
    lines: dict[str, Any] = {
        "x": xs, "cl_plain": np.where(runs, np.nan, cl),
        "cl_signal": np.where(runs, cl, np.nan),
        "lcl": lcl * k, "ucl": ucl * k,
        "target": np.full(len(xs), target * k if not np.isnan(target) else np.nan),
    }
    if new_part.any():  # insert a gap row before each new phase so lines break there
        idx = np.flatnonzero(new_part)
        gap_x = [xs[i] - (xs[i] - xs[i - 1]) / 2 for i in idx]
        for name in ("cl_plain", "cl_signal", "lcl", "ucl", "target"):
            col = np.asarray(lines[name], float)
            lines[name] = np.insert(col, idx, np.nan)
        lines["x"] = np.insert(np.asarray(xs, dtype="datetime64[ns]"), idx,
                               np.asarray(gap_x, dtype="datetime64[ns]"))
        lines["target"] = np.where(np.isnan(lines["target"]), target * k, lines["target"])
    points = {"y": y, "y_signal": np.where(sig, y, np.nan),
              "y_excluded": np.where(left_out, y, np.nan)}
    finite = np.concatenate([y[np.isfinite(y)], np.asarray(lines["ucl"], float),
                             np.asarray(lines["lcl"], float), [target * k]])
    finite = finite[np.isfinite(finite)]
    top = float(finite.max()) if len(finite) else 1.0
    bottom = float(min(0.0, finite.min())) if len(finite) else 0.0
    if is_percent(indicator):
        top = min(top, 1.0)
    span = (top - bottom) or 1.0
    return ChartNumbers(points=points, lines=lines, new_part=new_part, bottom=bottom, top=top,
                        span=span)


def chart_range(nums: ChartNumbers, *, lane: bool) -> dict[str, list[float]]:
    """The `range` of a chart's sources: its y axis (down to the PDSA lane when `lane`: a
    full-size chart with events), the data's top and bottom and the lane's height."""
    bottom, top, span = nums.bottom, nums.top, nums.span
    y_end = top + 0.18 * span
    start = bottom - (0.31 if lane else 0.03) * span
    return {"start": [start], "end": [y_end], "data_bottom": [bottom], "data_top": [y_end],
            "lane": [bottom - 0.19 * span]}


def phase_heights(nums: ChartNumbers, count: int) -> dict[str, list[float]]:
    """The `y0`, `y1` of a chart's `count` phase lines: from the data's bottom to the marks."""
    return {"y0": [nums.bottom] * count, "y1": [nums.top + 0.08 * nums.span] * count}


def event_columns(events: pd.DataFrame | None, nums: ChartNumbers, *,
                  lane: bool) -> dict[str, list[Any]]:
    """The `events` source of a chart (one row per PDSA event, by date): a dotted line from
    the data (or the lane) up to the marks, each decision's marker in its kind's colour (in
    the lane, on alternating rows; above the data without `lane`), its `change·cycle` tag,
    and its hover text (`event_marks`, `event_tags`)."""
    ev: dict[str, list[Any]] = {"x": [], "y0": [], "y1": [], "y_mark": [], "marker": [],
                                "color": [], "label": [], "tag": [], "kind": [],
                                "detail": [], "month": []}
    if events is None or not len(events):
        return ev
    e = events.sort_values("date")
    kinds = [str(k) for k in e["kind"]]
    dates = list(e["date"])
    marks = event_marks(kinds, nums, lane=lane)
    ev.update(x=dates, y0=marks["y0"], y1=marks["y1"], y_mark=marks["y_mark"],
              marker=marks["marker"], color=marks["color"],
              label=["" if k == "start" else str(v) for k, v in zip(kinds, e["label"],
                                                                    strict=True)],
              tag=event_tags(kinds, *(list(e[c]) if c in e else [""] * len(e)
                                      for c in ("change_id", "cycle_number"))),
              kind=kinds, detail=[str(v) for v in e["detail"]],
              month=[format_date(pd.Timestamp(cast(datetime, d)).date()) for d in dates])
    return ev


def event_marks(kinds: list[str], nums: ChartNumbers, *, lane: bool) -> dict[str, list[Any]]:
    """Where the PDSA events of a chart (their kinds, by date) are drawn: `y0`, `y1` of their
    dotted lines, `y_mark`, `marker` and `color` of their marks."""
    bottom, top, span = nums.bottom, nums.top, nums.span
    lane_top = bottom - 0.06 * span  # the lane under the data, when drawn
    out: dict[str, list[Any]] = {"y0": [], "y1": [], "y_mark": [], "marker": [], "color": []}
    decisions = 0
    for kind in kinds:
        marker, color = EVENT_STYLE.get(kind, ("circle", GREY))
        out["y0"].append(lane_top if lane else bottom)
        out["y1"].append(top + 0.08 * span)
        row = 0 if kind == "start" else 1 + decisions % 2
        if kind != "start":
            decisions += 1
        out["y_mark"].append(bottom - (0.11 + 0.08 * row) * span if lane
                             else top + 0.1 * span)
        out["marker"].append(marker)
        out["color"].append(color)
    return out


def event_tags(kinds: list[str], change_ids: list[Any], cycle_numbers: list[Any]) -> list[str]:
    """Each PDSA event's tag: `change·cycle` for a decision, none for a start."""
    return ["" if kind == "start" else f"{change}·{cycle}"
            for kind, change, cycle in zip(kinds, change_ids, cycle_numbers, strict=True)]


_PHASE_WORDS = {
    "shift": N_("New phase from {month}: “{change}” adopted in {adopted}, and {month} "
                "starts {run} months in a row better than the old centre line"),
    "adoption": N_("New phase from {month}: the month after “{change}” was adopted "
                   "({adopted})"),
}


def _phase_starts(pts: pd.DataFrame | Mapping[str, np.ndarray], xs: np.ndarray,
                  new_part: np.ndarray, indicator: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Where each phase after the first starts and why, in words (`rollup.series`
    `adoption_phases` decides; the columns `phase_rule`, `phase_adopted`, `phase_change`
    carry it): x halfway between the phase's first month and the month before, `text`.
    `pts`: the series' rows in month order (a frame, or its columns as arrays)."""
    out: dict[str, list[Any]] = {"x": [], "text": []}
    starts = np.flatnonzero(new_part)
    if not len(starts):
        return out
    columns = {name: np.asarray(pts[name]) for name in ("period", "phase_rule", "phase_adopted",
                                                        "phase_change") if name in pts}

    def cell(name: str, i: Any) -> Any:
        return columns[name][i] if name in columns else ""

    for i in starts:
        rule = str(cell("phase_rule", i) or "")
        words = _PHASE_WORDS.get(rule)
        if words is None:
            text = _("New phase from {month}").format(month=month_label(cell("period", i)))
        else:
            adopted = str(cell("phase_adopted", i) or "")
            text = _(words).format(
                month=month_label(cell("period", i)), run=SHIFT_RUN,
                change=str(cell("phase_change", i) or _("a change")),
                adopted=month_label(adopted) if adopted else "?")
        out["x"].append(xs[i] - (xs[i] - xs[i - 1]) / 2)
        out["text"].append(text)
    return out


def _title_text(indicator: Mapping[str, Any], team_label: str) -> str:
    name = indicator.get("name") or indicator.get("indicator_id")
    unit = " (%)" if is_percent(indicator) else ""
    return _("{indicator}{unit} — {team}, by month").format(indicator=name, unit=unit,
                                                             team=team_label)


def _subtitle(indicator: Mapping[str, Any]) -> str:
    direction = _DIRECTION_WORDS.get(str(indicator.get("direction")))
    parts = [_(direction) if direction else ""]
    target = indicator.get("target")
    if target is not None and not pd.isna(target):
        parts.append(_("target {value}").format(value=format_value(float(target), indicator)))
    chart = _CHART_WORDS.get(str(indicator.get("chart")))
    parts.append(_(chart) if chart else "")
    return " · ".join(p for p in parts if p)


def compact_columns(columns: Mapping[str, Any]) -> dict[str, Any]:
    """A chart source's columns as bokeh is given them: each non-empty column of plain numbers
    as a float64 array, which bokeh writes as base64 bytes (8 bytes a value, and a missing
    value is NaN like any other) instead of JSON numbers (up to 20 characters a value, and
    `{"type": "number", "value": "nan"}` for each missing one): the same values, a report's
    charts about a third smaller and quicker to serialise. Text columns stay lists."""
    out: dict[str, Any] = {}
    for key, values in columns.items():
        if (isinstance(values, list) and values
                and all(type(v) in (float, int, np.float64, np.int64) for v in values)):
            out[key] = np.asarray(values, dtype=np.float64)
        else:
            out[key] = values
    return out


def control_chart(points: pd.DataFrame, indicator: Mapping[str, Any], *, team_label: str = "",
                  events: pd.DataFrame | None = None, flags: pd.DataFrame | None = None,
                  width: int = WIDTH, height: int = 320, compact: bool = False,
                  x_range: Any = None, y_range: Any = None, name: str = "",
                  sparse: bool = False) -> Any:
    """An annotated run/control chart of one team × indicator (qicharts2 look).

    Points joined by a line; points outside the limits drawn large in vermillion; centre line
    solid, dashed vermillion where the runs rule (shift/trend) fires; limits as grey steps
    (varying with the denominator for p/u charts); target dotted green; PDSA events as
    vertical dotted lines with a marker per decision (adopt ▲ green, adapt ◆ orange,
    abandon ✕ purple, start ● sky blue) in a lane under the data, each decision tagged
    `change·cycle` (above the data, untagged, when `compact`); the legend names each kind
    with its own marker and colour; months with an open data flag ringed. Hover shows the month,
    value, numerator / denominator, signal and flag. A month left out of the limits (the
    `excluded` column: under an open data-error flag) is drawn as a hollow grey square over
    its point, and the legend says why. A new phase (its own centre line and limits) starts
    at a dash-dotted vertical line, and a line under the legend says where and why
    (`rollup.series.adoption_phases`: where the data show the shift after an adopted
    change, else the month after adoption). `compact` drops legend, subtitle and
    event labels (small multiples). Sources are named `{name}points`, `{name}lines`,
    `{name}events`, `{name}flagged`, `{name}phases` for `update_sources`.

    `sparse` (a static page: a report): leave out each glyph that would draw nothing for
    these data (no PDSA event, no flag, no new phase, no unusual month, no target, …) and
    the sources only they use. The chart looks the same, with fewer bokeh models to build,
    send and draw (a team report's charts: about a fifth fewer renderers). A chart that an
    app redraws with `update_sources` is built in full (the default): new data may need
    any glyph. A sparse chart with its own ranges is a copy of the first chart of the same
    shape this process built (`workbench.charts.prototype`: what `_chart_plan` and the
    language decide) with this chart's data, titles, ranges and labels: the same document
    as one built from scratch, at a fraction of the cost.
    """
    data = control_chart_sources(points, indicator, events, flags, lane=not compact)
    plan = _chart_plan(data, indicator, compact=compact, sparse=sparse)
    values = _chart_values(data, indicator, team_label, plan)
    if not (sparse and x_range is None and y_range is None):
        return _build_control_chart(data, plan, values, width=width, height=height,
                                    x_range=x_range, y_range=y_range, name=name).fig
    proto = _prototype(data, plan, values, width=width, height=height, name=name)
    memo: dict[int, Any] = {}
    with _TEMPLATE_LOCK:  # never a prototype half-way through `control_chart_html`'s fill
        fig = clone(proto.fig, memo)

    def copy_of(model: Any) -> Any:
        return None if model is None else memo[id(model)]

    _fill(_ChartParts(fig=fig, sources={k: copy_of(s) for k, s in proto.sources.items()},
                      subtitle=copy_of(proto.subtitle), lane_label=copy_of(proto.lane_label),
                      legend=copy_of(proto.legend), phase_legend=copy_of(proto.phase_legend)),
          plan, data, values)
    return fig


def _prototype(data: Mapping[str, Any], plan: _ChartPlan, values: Mapping[str, Any], *,
               width: int, height: int, name: str) -> _ChartParts:
    """The prototype of this chart's shape in this process, built by the first chart of it."""
    key = (plan, width, height, name, current_language())
    return _PROTOTYPES.get(key, lambda: _build_control_chart(
        data, plan, values, width=width, height=height, name=name))


class FigureHTML(NamedTuple):
    """A chart already embedded: the `text/html` `figure_html` gives it, and its title
    (`show` displays it as it displays a figure)."""

    html: str
    title: str


def control_chart_html(points: pd.DataFrame, indicator: Mapping[str, Any], *,
                       team_label: str = "", events: pd.DataFrame | None = None,
                       flags: pd.DataFrame | None = None, width: int = WIDTH,
                       height: int = 320) -> FigureHTML:
    """`figure_html(control_chart(..., sparse=True))` without building the chart: its
    prototype's document as text (`workbench.charts.embed.DocumentTemplate`) with this
    chart's ids and values (what `_fill` gives a copy). The same document as the copy's
    (a test compares them on every chart of demo reports), at a fraction of the cost: no
    hundred bokeh models copied, then walked again by the serialiser. Where the shortcut
    does not apply (`template_usable`: a theme on `curdoc()`, …), the chart is built and
    embedded as `figure_html` does."""
    if not template_usable():
        fig = control_chart(points, indicator, team_label=team_label, events=events,
                            flags=flags, width=width, height=height, sparse=True)
        return FigureHTML(figure_html(fig), _title_of(fig))
    data = control_chart_sources(points, indicator, events, flags, lane=True)
    plan = _chart_plan(data, indicator, compact=False, sparse=True)
    values = _chart_values(data, indicator, team_label, plan)
    proto = _prototype(data, plan, values, width=width, height=height, name="")
    with _TEMPLATE_LOCK:  # the prototype holds this chart's values while they are encoded
        slots = _fill(proto, plan, data, values)
        if proto.template is None:
            proto.template = DocumentTemplate(proto.fig, slots)
        encoded = [DocumentTemplate.encode(model, attr) for model, attr in slots]
    script, (div,) = proto.template.components(encoded)
    return FigureHTML(f'<div class="wb-figure">{div}{script}</div>', str(values["title"]))


_TEMPLATE_LOCK = threading.Lock()


#: the prototype of each shape of sparse control chart drawn in this process (see
#: `workbench.charts.prototype`)
_PROTOTYPES = PrototypeCache(size=512)

#: the glyphs of a control chart: (name, source, column that must hold a finite value for
#: the glyph to draw anything in a sparse chart; None: any row)
_GLYPHS: tuple[tuple[str, str, str | None], ...] = (
    ("ucl", "lines", None), ("lcl", "lines", None), ("cl", "lines", None),
    ("cl_signal", "lines", "cl_signal"), ("target", "lines", "target"),
    ("event_line", "events", None), ("phase", "phases", None),
    ("event_mark", "events", None), ("event_tag", "events", None),
    ("line", "points", None), ("point", "points", None), ("signal", "points", "y_signal"),
    ("flag", "flagged", None), ("excluded", "points", "y_excluded"))


class _ChartPlan(NamedTuple):
    """What a control chart is made of (its shape), apart from its data and the values
    `_chart_values` gives: two charts with the same plan, size, name and language differ
    only in those."""

    compact: bool
    percent: bool
    sources: tuple[str, ...]
    glyphs: frozenset[str]
    lane_label: bool
    legend: tuple[tuple[str, tuple[str, ...], bool], ...]  # label, glyphs, has an index
    phases: int


def _chart_plan(data: Mapping[str, Any], indicator: Mapping[str, Any], *, compact: bool,
                sparse: bool) -> _ChartPlan:
    def finite(values: Any) -> bool:
        return bool(np.isfinite(np.asarray(values, dtype=float)).any()) if len(values) else False

    def drawn(key: str, column: str | None = None) -> bool:  # anything to draw?
        if not sparse:
            return True
        values = data[key]["x" if column is None else column]
        return finite(values) if column is not None else bool(len(values))

    limits = drawn("lines", "ucl") or drawn("lines", "lcl")
    glyphs = {glyph for glyph, source, column in _GLYPHS if drawn(source, column)}
    if not limits:
        glyphs -= {"ucl", "lcl"}
    if compact:
        glyphs.discard("event_tag")
    lane_label = not compact and bool(data["events"]["x"])
    legend: list[tuple[str, tuple[str, ...], bool]] = []
    phases = 0
    if not compact:
        centre = _("Median") if indicator.get("chart") == "run" else _("Centre line (average)")
        legend += [(_("Monthly value"), ("line", "point"), False), (centre, ("cl",), False)]
        for column, key, words, glyph in (
                ("ucl", "lines", N_("Control limits (expected range)"), "ucl"),
                ("y_signal", "points", N_("Unusual month (outside limits)"), "signal"),
                ("cl_signal", "lines", N_("Shift or too few crossings (dashed centre line)"),
                 "cl_signal"),
                ("target", "lines", N_("Target"), "target")):
            if any(np.isfinite(data[key][column])):
                legend.append((_(words), (glyph,), False))
        kinds = data["events"]["kind"]
        for kind, words in (("start", N_("PDSA started")), ("adopt", N_("PDSA adopted")),
                            ("adapt", N_("PDSA adapted")), ("abandon", N_("PDSA abandoned"))):
            if kind in kinds:  # each kind's own marker and colour (`index`: that event's glyph)
                legend.append((_(words), ("event_mark",), True))
        if data["flagged"]["x"]:
            legend.append((_("Open data flag"), ("flag",), False))
        if any(np.isfinite(data["points"]["y_excluded"])):
            legend.append((_("Left out of the limits (open data-error flag)"), ("excluded",),
                           False))
        phases = len(data["phases"]["x"])
    sources = tuple(key for key in ("points", "lines", "events", "flagged", "phases")
                    if drawn(key))
    return _ChartPlan(compact=compact, percent=is_percent(indicator), sources=sources,
                      glyphs=frozenset(glyphs), lane_label=lane_label, legend=tuple(legend),
                      phases=phases)


def _chart_values(data: Mapping[str, Any], indicator: Mapping[str, Any], team_label: str,
                  plan: _ChartPlan) -> dict[str, Any]:
    """What differs between two charts of the same plan, apart from their sources' data."""
    rng = data["range"]
    return {"title": team_label if plan.compact else _title_text(indicator, team_label),
            "subtitle": None if plan.compact else _subtitle(indicator),
            "y_range": (rng["start"][0], rng["end"][0]),
            "lane": rng["lane"][0], "bounds": (rng["data_bottom"][0], rng["data_top"][0]),
            "phases": list(data["phases"]["text"]),
            "event_kinds": list(data["events"]["kind"])}


_KIND_OF_LEGEND = {N_("PDSA started"): "start", N_("PDSA adopted"): "adopt",
                   N_("PDSA adapted"): "adapt", N_("PDSA abandoned"): "abandon"}


def _legend_indexes(plan: _ChartPlan, values: Mapping[str, Any]) -> list[int | None]:
    """The `index` of each legend item: for a kind of PDSA event, its first event's glyph."""
    kinds = values["event_kinds"]
    kind_of = {_(words): kind for words, kind in _KIND_OF_LEGEND.items()}
    return [kinds.index(kind_of[label]) if indexed else None
            for label, _keys, indexed in plan.legend]


@dataclass
class _ChartParts:
    """A control chart and its models that `_fill` gives a chart's own values."""

    fig: Any
    sources: dict[str, ColumnDataSource]
    subtitle: Title | None = None
    lane_label: Label | None = None
    legend: Legend | None = None
    phase_legend: Legend | None = None
    #: a prototype's document as text (`control_chart_html`), made on first use
    template: DocumentTemplate | None = None


def _fill(parts: _ChartParts, plan: _ChartPlan, data: Mapping[str, Any],
          values: Mapping[str, Any]) -> list[tuple[Model, str]]:
    """Give a copy of a prototype (`control_chart`) its own data, titles, range and labels;
    returns the (model, attribute) it set, in order: the same for every chart of a plan (the
    slots of `workbench.charts.embed.DocumentTemplate`)."""
    slots: list[tuple[Model, str]] = []

    def assign(model: Any, name: str, value: Any) -> None:
        setattr(model, name, value)
        slots.append((model, name))

    fig = parts.fig
    for key, source in parts.sources.items():
        assign(source, "data", compact_columns(data[key]))
    assign(fig.title, "text", values["title"])
    if parts.subtitle is not None:
        assign(parts.subtitle, "text", values["subtitle"])
    assign(fig.y_range, "start", values["y_range"][0])
    assign(fig.y_range, "end", values["y_range"][1])
    if parts.lane_label is not None:
        assign(parts.lane_label, "y", values["lane"])
        for axis in fig.yaxis:
            assign(axis, "bounds", values["bounds"])
    if parts.legend is not None:
        items: list[Any] = list(parts.legend.items)
        for item, index in zip(items, _legend_indexes(plan, values), strict=True):
            if index is not None:
                assign(item, "index", index)
    if parts.phase_legend is not None:
        phase_items: list[Any] = list(parts.phase_legend.items)
        for item, text in zip(phase_items, values["phases"], strict=True):
            assign(item, "label", text_value(text))  # what LegendItem(label=text) makes of a str
    return slots


def _build_control_chart(data: Mapping[str, Any], plan: _ChartPlan, values: Mapping[str, Any],
                         *, width: int, height: int, x_range: Any = None, y_range: Any = None,
                         name: str = "") -> _ChartParts:
    """A control chart built from scratch (see `control_chart`)."""
    compact = plan.compact
    src = {key: ColumnDataSource(compact_columns(data[key]), name=f"{name}{key}")
           for key in plan.sources}
    yr = y_range or Range1d(*values["y_range"])
    kwargs: dict[str, Any] = {"x_axis_type": "datetime", "width": width, "height": height,
                              "y_range": yr, "tools": "save", "toolbar_location": "right"}
    if x_range is not None:
        kwargs["x_range"] = x_range
    fig = figure(title=values["title"], **kwargs)
    fig.name = f"{name}figure" if name else "control_chart"
    parts = _ChartParts(fig=fig, sources=src)
    if not compact:
        parts.subtitle = Title(text=values["subtitle"], text_font_style="italic",
                               text_font_size="11px", text_color="#444444")
        fig.add_layout(parts.subtitle, "above")
    # one type for every renderer: LegendItem takes list[GlyphRenderer[Glyph]] (invariant)
    glyph = cast("Callable[[ColumnDataSource, Glyph], GlyphRenderer[Glyph]]", fig.add_glyph)
    drawn: dict[str, GlyphRenderer[Glyph]] = {}

    def add(key: str, source: str, glyph_: Glyph) -> None:
        if key in plan.glyphs:
            drawn[key] = glyph(src[source], glyph_)

    add("ucl", "lines", Step(x="x", y="ucl", mode="center", line_color=GREY))
    add("lcl", "lines", Step(x="x", y="lcl", mode="center", line_color=GREY))
    add("cl", "lines", Line(x="x", y="cl_plain", line_color=C["black"], line_width=1.5))
    add("cl_signal", "lines", Line(x="x", y="cl_signal", line_color=C["vermillion"],
                                   line_width=2, line_dash="dashed"))
    add("target", "lines", Line(x="x", y="target", line_color=C["green"], line_width=2,
                                line_dash="dotted"))
    add("event_line", "events", Segment(x0="x", y0="y0", x1="x", y1="y1", line_color=GREY,
                                        line_dash="dotted"))
    add("phase", "phases", Segment(x0="x", y0="y0", x1="x", y1="y1", line_color=C["black"],
                                   line_width=1.5, line_dash="dashdot", line_alpha=0.6))
    add("event_mark", "events", Scatter(
        x="x", y="y_mark", marker={"field": "marker"}, fill_color={"field": "color"},
        line_color={"field": "color"}, size=11 if not compact else 7, line_width=2))
    add("event_tag", "events", Text(x="x", y="y_mark", text="tag", x_offset=7,
                                    text_font_size="9px", text_color="#444444",
                                    text_baseline="middle", text_align="left"))
    if plan.lane_label:
        parts.lane_label = Label(x=4, x_units="screen", y=values["lane"], text=_("PDSA"),
                                 text_font_size="9px", text_color="#444444",
                                 text_font_style="bold", text_baseline="middle")
        fig.add_layout(parts.lane_label)
        fig.yaxis.bounds = values["bounds"]
    add("line", "points", Line(x="x", y="y", line_color=C["blue"], line_width=1.5))
    add("point", "points", Scatter(x="x", y="y", fill_color=C["blue"], line_color=C["blue"],
                                   size=6 if compact else 7))
    add("signal", "points", Scatter(x="x", y="y_signal", fill_color=C["vermillion"],
                                    line_color=C["vermillion"], marker="diamond",
                                    size=10 if compact else 14))
    add("flag", "flagged", Scatter(x="x", y="y", marker="circle", fill_alpha=0,
                                   line_color=C["black"], line_width=1.5,
                                   size=12 if compact else 16))
    add("excluded", "points", Scatter(x="x", y="y_excluded", marker="square", fill_alpha=0,
                                      line_color=GREY, line_width=2,
                                      size=11 if compact else 15))
    hovered: list[DataRenderer] = [drawn[k] for k in ("point", "signal", "flag") if k in drawn]
    if hovered:
        fig.add_tools(HoverTool(renderers=hovered, tooltips=[
            (_("Month"), "@label"), (_("Value"), "@value_text"),
            (_("Numerator / denominator"), "@num_den"),
            (_("Signal"), "@signal_text"), (_("Data flag"), "@flag_text")]))
    if "event_mark" in drawn:
        fig.add_tools(HoverTool(renderers=[drawn["event_mark"]], tooltips=[
            (_("Date"), "@month"), (_("PDSA"), "@detail")]))
    _style_axes(fig, plan.percent)
    if compact:
        fig.toolbar_location = None
        fig.xaxis.major_label_text_font_size = "9px"
        fig.yaxis.major_label_text_font_size = "9px"
        return parts

    def shown(keys: tuple[str, ...]) -> list[GlyphRenderer[Glyph]]:
        return [drawn[k] for k in keys if k in drawn]

    items = [LegendItem(label=label, renderers=shown(keys)) if index is None else
             LegendItem(label=label, renderers=shown(keys), index=index)
             for (label, keys, _indexed), index in zip(plan.legend,
                                                       _legend_indexes(plan, values),
                                                       strict=True)]
    legend = parts.legend = Legend(items=items, orientation="horizontal", location="center",
                    nrows=math.ceil(len(items) / 4),
                    label_text_font_size="10px", spacing=8,
                    padding=2,  # type: ignore[arg-type]  # bokeh stubs: padding is Property[...]
                    border_line_alpha=0)
    legend.click_policy = "none"
    fig.add_layout(legend, "below")
    if plan.phases:  # one line each: where the phase starts and why
        parts.phase_legend = Legend(
            items=[LegendItem(label=text, renderers=shown(("phase",)), index=i)
                   for i, text in enumerate(values["phases"])],
            orientation="vertical", location="top_left", label_text_font_size="10px",
            padding=2,  # type: ignore[arg-type]  # bokeh stubs: padding is Property[...]
            spacing=2, border_line_alpha=0, click_policy="none")
        fig.add_layout(parts.phase_legend, "below")
    return parts


def update_sources(obj: Model, data: Mapping[str, Mapping[str, list[Any]]],
                   prefix: str = "") -> None:
    """Redraw in place: give each named `ColumnDataSource` inside `obj` its new data.

    `data` is what a `*_sources()` function returns (keys `points`, `lines`, … and an
    optional `range`); `prefix` is the `name` the chart was built with. Use it behind a
    `jupyter_bokeh.BokehModel` in an app instead of showing a new figure.
    """
    for key, values in data.items():
        if key == "range":
            for rng in _y_ranges(obj):
                rng.start, rng.end = values["start"][0], values["end"][0]
            continue
        sources = obj.select({"type": ColumnDataSource, "name": f"{prefix}{key}"})
        for source in cast("Iterable[ColumnDataSource]", sources):
            source.data = dict(values)


def _y_ranges(obj: Model) -> list[Range1d]:
    from bokeh.models import Plot

    plots = cast("Iterable[Plot]", obj.select({"type": Plot}))
    return [p.y_range for p in plots if isinstance(p.y_range, Range1d)]


# --------------------------------------------------------------------------------------------
# Small multiples: every team for one indicator, shared axes


def small_multiples_sources(spc: pd.DataFrame, indicator: Mapping[str, Any],
                            events: pd.DataFrame | None = None) -> dict[str, dict[str, Any]]:
    """Per team (key `team_id`), the sources of a compact control chart of `indicator`."""
    out = {}
    ind_id = indicator.get("indicator_id")
    rows = spc[spc["indicator_id"] == ind_id] if "indicator_id" in spc else spc
    for team, pts in rows.groupby("team_id", sort=True):
        ev = None
        if events is not None and len(events):
            ev = events[(events["team_id"] == team) & (events["indicator_id"] == ind_id)]
        out[str(team)] = control_chart_sources(pts, indicator, ev)
    return out


def shared_ranges(spc: pd.DataFrame, indicator: Mapping[str, Any]) -> tuple[pd.DataFrame, Any,
                                                                              Any]:
    """The indicator's rows of `spc` and the x and y ranges every panel of its small
    multiples shares: every team's months (20 days' margin), and every point, limit and the
    target (a percentage at most 100 %), with room above for the title's marks."""
    ind_id = indicator.get("indicator_id")
    rows = spc[spc["indicator_id"] == ind_id]
    if rows.empty:
        raise ValueError(f"no data for indicator {ind_id!r}")
    k = _scale(indicator)
    vals = np.concatenate([rows[c].to_numpy(float) * k for c in ("y", "ucl", "lcl")])
    target = indicator.get("target")
    if target is not None and not pd.isna(target):
        vals = np.append(vals, float(target) * k)
    vals = vals[np.isfinite(vals)]
    top = min(float(vals.max()), 1.0) if is_percent(indicator) else float(vals.max())
    bottom = min(0.0, float(vals.min()))
    span = (top - bottom) or 1.0
    pad = pd.Timedelta(days=20)
    x_range = Range1d(rows["x"].min() - pad, rows["x"].max() + pad)
    y_range = Range1d(start=bottom - 0.03 * span, end=top + 0.15 * span)
    return rows, x_range, y_range


def small_multiples(spc: pd.DataFrame, indicator: Mapping[str, Any], *,
                    team_labels: Mapping[str, str] | None = None,
                    events: pd.DataFrame | None = None, ncols: int = 4,
                    width: int = WIDTH) -> Any:
    """All teams' compact charts for one indicator, on shared x and y axes (a grid).

    Each panel's sources are named `<team_id>:points` etc. (see `update_sources`).
    """
    ind_id = indicator.get("indicator_id")
    rows, x_range, y_range = shared_ranges(spc, indicator)
    panel_w = max(160, width // ncols)
    panels = []
    labels = team_labels or {}
    for team, pts in rows.groupby("team_id", sort=True):
        ev = None
        if events is not None and len(events):
            ev = events[(events["team_id"] == team) & (events["indicator_id"] == ind_id)]
        fig = control_chart(pts, indicator, team_label=labels.get(str(team), str(team)),
                            events=ev, compact=True, width=panel_w, height=150,
                            x_range=x_range, y_range=y_range, name=f"{team}:")
        fig.xaxis.formatter = month_tick_formatter(short=True)
        fig.xaxis.ticker.desired_num_ticks = 3
        fig.title.text_font_size = "10px"
        panels.append(fig)
    grid = gridplot(panels, ncols=ncols, toolbar_location=None)
    name = indicator.get("name") or ind_id
    grid.name = _("Every team: {indicator}").format(
        indicator=f"{name}{' (%)' if is_percent(indicator) else ''}")
    return grid

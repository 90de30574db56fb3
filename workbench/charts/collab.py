"""Collaborative charts: status matrix, funnel, % of teams at target, assessment scores, pooled.

Pure like `workbench.charts`: frames in (mostly the frames of
`workbench.briefs.summary.collaborative_rollup`), bokeh models out, sources named for
`workbench.charts.update_sources`. Display them with `workbench.charts.show`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from bokeh.models import (
    ColumnDataSource,
    FactorRange,
    HoverTool,
    Legend,
    LegendItem,
    Line,
    NumeralTickFormatter,
    Range1d,
    Rect,
    Scatter,
    Text,
    Title,
    VArea,
)
from bokeh.plotting import figure

from workbench.charts.assessment import assessment_chart
from workbench.charts.data import month_label
from workbench.charts.series import (
    GREY,
    OKABE_ITO,
    WIDTH,
    _style_axes,
    control_chart,
    format_value,
    is_percent,
    month_tick_formatter,
    shared_ranges,
)
from workbench.i18n import N_, format_count
from workbench.i18n import gettext as _
from workbench.rollup.status import signal_label

__all__ = [
    "FUNNEL_LABELS",
    "MATRIX_KEY",
    "SIGNAL_STYLE",
    "assessment_chart",
    "funnel_plot",
    "funnel_sources",
    "place_labels",
    "pooled_chart",
    "static_small_multiples",
    "status_matrix_chart",
    "status_matrix_sources",
    "target_attainment_chart",
    "wrap_words",
    "wave_cohort_chart",
]

C = OKABE_ITO
#: signal status (`workbench.rollup.status.SIGNALS`) -> (icon, cell colour, words)
SIGNAL_STYLE: dict[str, tuple[str, str, str]] = {
    "improvement": ("▲", "#A6D1EE", N_("signal of improvement")),
    "concern": ("▼", "#F5C97A", N_("signal of concern")),
    "no signal": ("●", "#EEEEEE", N_("no signal")),
    "not enough data": ("○", "#FFFFFF", N_("not enough data")),
}
#: the matrix's key, under the chart
MATRIX_KEY = N_("▲ signal of improvement · ▼ signal of concern · ● no signal · ○ not enough "
                 "data · – not reported this month · ✓ target met")
#: teams named on a funnel plot (those outside the 3σ funnel, furthest out first)
FUNNEL_LABELS = 12
_SERIES_COLOURS = [C["blue"], C["orange"], C["green"], C["vermillion"], C["purple"], C["sky"],
                   C["black"], C["yellow"]]


def _x_month(periods: pd.Series) -> list:
    return list(pd.PeriodIndex(periods.astype(str), freq="M").to_timestamp())


# --------------------------------------------------------------------------------------------
# Team × indicator status matrix


def status_matrix_sources(matrix: pd.DataFrame, indicators: pd.DataFrame,
                          team_labels: Mapping[str, str] | None = None) -> dict[str, dict]:
    """Cells of the matrix from `rollup.status_matrix` rows (team_id, indicator_id,
    latest_value, target_met, signal, months_since_report; signal_rule if present).

    Every cell shows its signal status (`status`, the matrix's `signal`) as the matrix says
    it; a month not reported shows "–" for the value (and no ✓)."""
    infos = {str(i): row for i, row in zip(
        indicators["indicator_id"], indicators.to_dict("records"), strict=True)}
    labels = team_labels or {}
    cells: dict[str, list] = {k: [] for k in ("team", "code", "indicator", "colour", "text",
                                               "status", "signal", "value", "target", "latest")}
    rules = matrix["signal_rule"] if "signal_rule" in matrix else pd.Series("", matrix.index)
    # 2,000 teams × 10 indicators are 20,000 cells: each value, month and rule is put into
    # words once (the same words as cell by cell: `format_value`, `month_label`, `signal_label`)
    values: dict[tuple[str, float], str] = {}
    months: dict[object, str] = {}
    signals: dict[tuple[str, str], str] = {}
    marks = {True: _("target met"), False: _("below target"), None: _("no target")}
    for row, rule in zip(matrix.itertuples(index=False), rules, strict=True):
        rule = rule if isinstance(rule, str) else ""
        indicator = str(row.indicator_id)
        info = infos.get(indicator, {})
        stale = pd.notna(row.months_since_report) and row.months_since_report > 0
        shown = not (pd.isna(row.latest_value) or stale)
        status = str(row.signal)
        icon, colour, _words = SIGNAL_STYLE.get(status, SIGNAL_STYLE["not enough data"])
        met = bool(row.target_met) if pd.notna(row.target_met) else False
        if shown:
            key = (indicator, float(row.latest_value))
            value = values.get(key)
            if value is None:
                value = values[key] = format_value(row.latest_value, info)
        else:
            value = "–"
        cells["team"].append(labels.get(row.team_id, row.team_id))
        cells["code"].append(str(row.team_id))
        cells["indicator"].append(indicator)
        cells["colour"].append(colour)
        cells["text"].append(f"{icon} {value}{' ✓' if met and shown else ''}")
        cells["status"].append(status)
        said = signals.get((status, rule))
        if said is None:
            said = signals[(status, rule)] = _signal_words(status, rule)
        cells["signal"].append(said)
        cells["value"].append(value)
        cells["target"].append(marks[met if pd.notna(row.target_met) else None])
        month = row.latest_period
        if pd.isna(month):
            cells["latest"].append("–")
        else:
            label = months.get(month)
            if label is None:
                label = months[month] = month_label(month)
            cells["latest"].append(label)
    return {"cells": cells}


def _signal_words(status: str, rule: str) -> str:
    """A cell's signal in words, with the rules that fired ("signal of concern (shift)")."""
    words = _(SIGNAL_STYLE.get(status, SIGNAL_STYLE["not enough data"])[2])
    if rule:
        return f"{words} ({', '.join(signal_label(part.strip()) for part in rule.split(','))})"
    return words


def wrap_words(text: str, width: int = 16) -> str:
    """`text` over several lines of at most about `width` characters (a long word stays
    whole): "Births receiving AMTSL" -> "Births receiving\nAMTSL"."""
    lines: list[str] = []
    for word in str(text).split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "\n".join(lines)


def status_matrix_chart(matrix: pd.DataFrame, indicators: pd.DataFrame, *, period: str = "",
                        team_labels: Mapping[str, str] | None = None,
                        order: Sequence[str] | None = None, width: int = WIDTH) -> Any:
    """Teams (rows) × indicators (columns): the signal status (▲ improvement / ▼ concern /
    ● no signal / ○ not enough data), the latest value, and ✓ where the target is met. Columns
    are headed by the indicators' full names, wrapped over lines so that neighbouring headers
    never overlap; rows by `team_labels` (the team's name; the code is in the hover), top to
    bottom in the order of the team ids `order` (default: by label)."""
    data = status_matrix_sources(matrix, indicators, team_labels)
    inds = [i for i in indicators["indicator_id"] if i in set(data["cells"]["indicator"])]
    present = set(data["cells"]["team"])
    if order is not None:
        labels = team_labels or {}
        teams = [lab for lab in dict.fromkeys(labels.get(t, t) for t in order)
                 if lab in present][::-1]  # a FactorRange runs bottom to top
        teams = [lab for lab in sorted(present - set(teams), reverse=True)] + teams
    else:
        teams = sorted(present, reverse=True)
    names = dict(zip(indicators["indicator_id"], indicators.get("name", indicators[
        "indicator_id"]), strict=False))
    headers = {code: wrap_words(names.get(code) or code) for code in inds}
    data["cells"]["column"] = [headers[code] for code in data["cells"]["indicator"]]
    src = ColumnDataSource(data["cells"], name="cells")
    header_lines = max((h.count("\n") for h in headers.values()), default=0)
    height = 90 + 12 * header_lines + 24 * len(teams)
    title = (_("Where each team stands in {month}").format(month=month_label(period))
             if period else _("Where each team stands"))
    fig = figure(x_range=FactorRange(*[headers[i] for i in inds]), y_range=FactorRange(*teams),
                 width=width, height=height, title=title, tools="save", toolbar_location=None,
                 x_axis_location="above")
    fig.add_layout(Title(text=_(MATRIX_KEY), text_font_size="11px", text_font_style="italic"),
                   "below")
    r = fig.add_glyph(src, Rect(x="column", y="team", width=0.96, height=0.9,
                                fill_color={"field": "colour"}, line_color="white"))
    fig.add_glyph(src, Text(x="column", y="team", text="text", text_align="center",
                            text_baseline="middle", text_font_size="10px"))
    fig.add_tools(HoverTool(renderers=[r], tooltips=[
        (_("Team"), "@team (@code)"), (_("Indicator"), "@indicator"),
        (_("Latest"), "@value (@latest)"),
        (_("Signal"), "@signal"), (_("Target"), "@target")]))
    fig.axis.axis_line_color = None
    fig.axis.major_tick_line_color = None
    fig.xaxis.major_label_text_font_size = "10px"
    fig.yaxis.major_label_text_font_size = "10px"
    fig.grid.grid_line_color = None
    fig.outline_line_color = None
    return fig


# --------------------------------------------------------------------------------------------
# Funnel plot of one month


def funnel_sources(latest: pd.DataFrame, indicator: Mapping[str, Any],
                   team_labels: Mapping[str, str] | None = None,
                   size: tuple[int, int] = (WIDTH, 340)) -> dict[str, dict]:
    """Funnel of one month: rows (team_id, numerator, denominator) of one indicator.

    Centre = pooled proportion Σnum/Σden; limits p ± 2σ and ± 3σ with σ = √(p(1−p)/n),
    clipped to [0, 1] (the p-chart limits by denominator, qicharts2 funnel semantics).
    `labels`: the teams outside the 3σ funnel, furthest out first (at most
    `FUNNEL_LABELS`), each named beside its point where the name overlaps no other name,
    no other team's point and stays inside a chart of `size` (`place_labels`); a team whose
    name finds no such place is named only in the hover.
    """
    rows = latest.dropna(subset=["numerator", "denominator"])
    rows = rows[(rows["denominator"] > 0) & (rows["numerator"] >= 0)
                & (rows["numerator"] <= rows["denominator"])]
    labels = team_labels or {}
    den = rows["denominator"].to_numpy(float)
    p = float(rows["numerator"].sum() / den.sum()) if den.sum() > 0 else np.nan
    y = (rows["numerator"] / rows["denominator"]).to_numpy(float)
    grid = np.unique(np.r_[np.geomspace(max(1.0, den.min() * 0.8) if len(den) else 1.0,
                                        den.max() * 1.1 if len(den) else 10.0, 80)])
    sd_grid = np.sqrt(p * (1 - p) / grid)
    sd = np.sqrt(p * (1 - p) / den) if len(den) else den
    outside = (y > p + 3 * sd) | (y < p - 3 * sd)
    better_up = indicator.get("direction", "increase") != "decrease"
    words = []
    for yi, out in zip(y, outside, strict=False):
        if not out:
            words.append(_("within the funnel"))
        else:
            words.append((_("above the funnel: better") if better_up
                          else _("above the funnel: worse")) if yi > p else
                         (_("below the funnel: worse") if better_up
                          else _("below the funnel: better")))
    clip = np.clip
    names = [labels.get(t, t) for t in rows["team_id"]]
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.abs(y - p) / sd if len(den) else y
    order = [int(i) for i in np.argsort(-np.nan_to_num(z), kind="stable") if outside[i]]
    top = max([float(np.nanmax(y)) if len(y) else 0.0,
               float(np.nanmax(clip(p + 3 * sd_grid, 0, 1))) if len(grid) else 0.0])
    placed = place_labels(np.log10(den), y, [str(names[i]) for i in range(len(names))],
                          order[:FUNNEL_LABELS], x_span=(float(np.log10(grid.min())),
                                                         float(np.log10(grid.max()))),
                          y_span=(min(0.0, float(np.nanmin(y)) if len(y) else 0.0), top),
                          size=size)
    return {
        "labels": {"n": [float(den[i]) for i, *_ in placed],
                   "y": [float(y[i]) for i, *_ in placed],
                   "text": [str(names[i]) for i, *_ in placed],
                   "dx": [dx for _, dx, _, _, _ in placed],
                   "dy": [dy for _, _, dy, _, _ in placed],
                   "align": [align for *_, align, _ in placed],
                   "baseline": [base for *_, base in placed]},
        "teams": {"n": list(den), "y": list(y), "team": names,
                  "value": [format_value(v, indicator) for v in y],
                  "num_den": [f"{format_count(round(a))} / {format_count(round(b))}"
                              for a, b in zip(rows["numerator"], den, strict=False)],
                  "where": words, "colour": [C["vermillion"] if o else C["blue"]
                                             for o in outside]},
        "limits": {"n": list(grid), "cl": [p] * len(grid),
                   "l3": list(clip(p - 3 * sd_grid, 0, 1)),
                   "u3": list(clip(p + 3 * sd_grid, 0, 1)),
                   "l2": list(clip(p - 2 * sd_grid, 0, 1)),
                   "u2": list(clip(p + 2 * sd_grid, 0, 1))},
    }


#: label placement: text width per character and line height at 10 px (px), point radius
_CHAR_PX, _LINE_PX, _POINT_PX = 6.0, 13.0, 5.0
#: the plot area of a chart of a given size, less its title, axes, legend and note (px)
_FRAME_PX = (70, 150)


def place_labels(x: np.ndarray, y: np.ndarray, texts: Sequence[str], wanted: Sequence[int],
                 *, x_span: tuple[float, float], y_span: tuple[float, float],
                 size: tuple[int, int]) -> list[tuple[int, float, float, str, str]]:
    """Places for the names of the points `wanted` (indices into `x`, `y`, `texts`; in
    order of importance) on a chart of `size` px whose axes span `x_span` and `y_span`:
    above, below, right or left of the point, the first place that overlaps no name placed
    before, no other point and stays inside the plot. Returns (index, x offset, y offset in
    screen px (down is positive), text align, text baseline) for each name placed."""
    width = max(100.0, size[0] - _FRAME_PX[0])
    height = max(80.0, size[1] - _FRAME_PX[1])
    dx = (x_span[1] - x_span[0]) or 1.0
    dy = (y_span[1] - y_span[0]) or 1.0
    px = (x - x_span[0]) / dx * width
    py = (y - y_span[0]) / dy * height  # up is positive here
    boxes: list[tuple[float, float, float, float]] = []
    out: list[tuple[int, float, float, str, str]] = []
    gap = _POINT_PX + 2
    for i in wanted:
        w, h = _CHAR_PX * len(texts[i]) + 4, _LINE_PX
        cx, cy = float(px[i]), float(py[i])
        candidates = [  # (box left, bottom, right, top), offsets, align, baseline
            ((cx - w / 2, cy + gap, cx + w / 2, cy + gap + h), 0.0, -gap, "center", "bottom"),
            ((cx - w / 2, cy - gap - h, cx + w / 2, cy - gap), 0.0, gap, "center", "top"),
            ((cx + gap, cy - h / 2, cx + gap + w, cy + h / 2), gap, 0.0, "left", "middle"),
            ((cx - gap - w, cy - h / 2, cx - gap, cy + h / 2), -gap, 0.0, "right", "middle"),
        ]
        for box, ox, oy, align, baseline in candidates:
            left, bottom, right, top = box
            if left < 0 or right > width or bottom < 0 or top > height:
                continue
            if any(left < b[2] and b[0] < right and bottom < b[3] and b[1] < top
                   for b in boxes):
                continue
            near = ((px > left - _POINT_PX) & (px < right + _POINT_PX)
                    & (py > bottom - _POINT_PX) & (py < top + _POINT_PX))
            if near.any():
                continue
            boxes.append(box)
            out.append((i, ox, oy, align, baseline))
            break
    return out


def funnel_plot(latest: pd.DataFrame, indicator: Mapping[str, Any], *, period: str = "",
                team_labels: Mapping[str, str] | None = None, width: int = WIDTH,
                height: int = 340) -> Any:
    """Each team's value in one month against its number of cases, inside the p-chart
    funnel: teams outside the outer (3σ) funnel differ more than chance explains."""
    data = funnel_sources(latest, indicator, team_labels, size=(width, height))
    teams = ColumnDataSource(data["teams"], name="teams")
    limits = ColumnDataSource(data["limits"], name="limits")
    name = indicator.get("name") or indicator.get("indicator_id")
    name = f"{name}{' (%)' if is_percent(indicator) else ''}"
    title = (_("{indicator}: every team in {month}, by number of cases").format(
        indicator=name, month=month_label(period)) if period else
        _("{indicator}: every team, by number of cases").format(indicator=name))
    fig = figure(width=width, height=height, title=title, x_axis_type="log", tools="save",
                 toolbar_location="right")
    fig.add_glyph(limits, VArea(x="n", y1="l3", y2="u3", fill_color="#F2F2F2"))
    fig.add_glyph(limits, VArea(x="n", y1="l2", y2="u2", fill_color="#E3E3E3"))
    r_cl = fig.add_glyph(limits, Line(x="n", y="cl", line_color=C["black"], line_width=1.5))
    r_3 = fig.add_glyph(limits, Line(x="n", y="u3", line_color=GREY, line_dash="dashed"))
    fig.add_glyph(limits, Line(x="n", y="l3", line_color=GREY, line_dash="dashed"))
    r_pts = fig.add_glyph(teams, Scatter(x="n", y="y", size=9, fill_color={"field": "colour"},
                                         line_color="white"))
    named = ColumnDataSource(data["labels"], name="labels")
    fig.add_glyph(named, Text(x="n", y="y", text="text", x_offset="dx", y_offset="dy",
                              text_baseline="baseline", text_align="align",
                              text_font_size="10px", text_color="#333333"))
    fig.add_tools(HoverTool(renderers=[r_pts], tooltips=[
        (_("Team"), "@team"), (_("Value"), "@value"), (_("Numerator / denominator"), "@num_den"),
        (_("Funnel"), "@where")]))
    target = indicator.get("target")
    items = [LegendItem(label=_("Team"), renderers=[r_pts]),
             LegendItem(label=_("All teams pooled"), renderers=[r_cl]),
             LegendItem(label=_("Expected range (3σ; shaded: 2σ and 3σ)"), renderers=[r_3])]
    if target is not None and not pd.isna(target):
        r_t = fig.add_glyph(limits, Line(x="n", y=float(target), line_color=C["green"],
                                         line_dash="dotted", line_width=2))
        items.append(LegendItem(label=_("Target"), renderers=[r_t]))
    _style_axes(fig, indicator, datetime_x=False)
    fig.xaxis.axis_label = _("Number of cases in the month (denominator, log scale)")
    fig.add_layout(Legend(items=items, orientation="horizontal", label_text_font_size="10px",
                          border_line_alpha=0), "below")
    note = _("Named: the teams outside the funnel where the name has room (at most {n}, "
             "the furthest out first); hover a point for any team.")
    fig.add_layout(Title(text=note.format(n=FUNNEL_LABELS),
                         text_font_size="10px", text_font_style="italic"), "below")
    return fig


# --------------------------------------------------------------------------------------------
# % of teams at target, assessment scores, pooled chart


def target_attainment_chart(indicator_months: pd.DataFrame, indicators: pd.DataFrame, *,
                            width: int = WIDTH, height: int = 320) -> Any:
    """% of reporting teams at target, per indicator and month (`indicator_months` of the
    roll-up: indicator_id, period, pct_at_target (0–100), teams_reporting)."""
    names = dict(zip(indicators["indicator_id"], indicators["name"], strict=False))
    fig = figure(width=width, height=height, x_axis_type="datetime", tools="save",
                 toolbar_location="right", y_range=Range1d(-2, 105),
                 title=_("Share of reporting teams at target, by month"))
    items = []
    renderers = []
    for i, ind in enumerate(indicators["indicator_id"]):
        rows = indicator_months[indicator_months["indicator_id"] == ind]
        if rows.empty:
            continue
        colour = _SERIES_COLOURS[i % len(_SERIES_COLOURS)]
        src = ColumnDataSource({
            "x": _x_month(rows["period"]), "y": list(rows["pct_at_target"].astype(float)),
            "label": [month_label(p) for p in rows["period"]],
            "teams": [_("{teams} of {reporting}").format(teams=f"{a:.0f}", reporting=f"{b:.0f}")
                      for a, b in zip(rows["teams_at_target"], rows["teams_reporting"],
                                      strict=False)],
            "indicator": [names.get(ind, ind)] * len(rows)}, name=f"{ind}:attainment")
        r = fig.add_glyph(src, Line(x="x", y="y", line_color=colour, line_width=2,
                                    line_dash="solid" if i < 4 else "dashed"))
        m = fig.add_glyph(src, Scatter(x="x", y="y", fill_color=colour, line_color=colour,
                                       size=5, marker=["circle", "square", "triangle",
                                                       "diamond", "inverted_triangle",
                                                       "hex"][i % 6]))
        renderers.append(m)
        items.append(LegendItem(label=names.get(ind, ind), renderers=[r, m]))
    fig.add_tools(HoverTool(renderers=renderers, tooltips=[
        (_("Indicator"), "@indicator"), (_("Month"), "@label"), (_("Teams at target"), "@teams")]))
    _style_axes(fig, None)
    fig.yaxis.formatter = NumeralTickFormatter(format="0")
    fig.yaxis.axis_label = _("Teams at target (%)")
    rows = max(2, -(-len(items) // 3))  # three a row: ten indicators' names fit the width
    fig.add_layout(Legend(items=items, orientation="horizontal", nrows=rows,
                          label_text_font_size="10px", border_line_alpha=0), "below")
    if rows > 2:
        fig.height = height + 20 * (rows - 2)
    return fig


def pooled_chart(points: pd.DataFrame, indicator: Mapping[str, Any], *,
                 teams_reporting: Sequence[int] | pd.Series, events: pd.DataFrame | None = None,
                 width: int = WIDTH, height: int = 340) -> Any:
    """The collaborative's pooled control chart of one indicator (all teams' numerators over
    all denominators), with the number of teams reporting written under each month."""
    from workbench.charts.series import control_chart

    fig = control_chart(points, indicator, team_label=_("all teams pooled"), events=events,
                        width=width, height=height)
    pts = points.sort_values("period")
    src = ColumnDataSource({"x": list(pts["x"]), "n": [f"{int(v)}" for v in teams_reporting],
                            "y": [fig.y_range.start] * len(pts)}, name="teams_reporting")
    fig.add_glyph(src, Text(x="x", y="y", text="n", text_align="center",
                            text_baseline="bottom", text_font_size="8px", text_color=GREY))
    fig.add_layout(Title(text=_("Small grey numbers: teams reporting that month"),
                         text_font_size="10px", text_color="#555555"), "below")
    return fig


def wave_cohort_chart(waves: pd.DataFrame, indicator: Mapping[str, Any], *, width: int = WIDTH,
                      height: int = 300) -> Any:
    """Each wave's pooled value by months since joining (`rollup.wave_cohorts` rows), so a
    later wave can be set against the first one's trajectory."""
    ind_id = indicator.get("indicator_id")
    rows = waves[waves["indicator_id"] == ind_id]
    name = indicator.get("name") or ind_id
    fig = figure(width=width, height=height, tools="save", toolbar_location="right",
                 title=_("{indicator}: each wave pooled, by months since joining").format(
                     indicator=f"{name}{' (%)' if is_percent(indicator) else ''}"))
    items, renderers = [], []
    for i, (wave, w) in enumerate(rows.groupby("wave_id", sort=True)):
        colour = _SERIES_COLOURS[i % len(_SERIES_COLOURS)]
        w = w.sort_values("months_since_joining")
        src = ColumnDataSource({"x": list(w["months_since_joining"]),
                                "y": list(w["pooled_value"].astype(float)),
                                "value": [format_value(v, indicator) for v in w["pooled_value"]],
                                "teams": list(w["teams"]), "wave": [str(wave)] * len(w)},
                               name=f"{wave}:wave")
        r = fig.add_glyph(src, Line(x="x", y="y", line_color=colour, line_width=2,
                                    line_dash="solid" if i == 0 else "dashed"))
        m = fig.add_glyph(src, Scatter(x="x", y="y", size=5, fill_color=colour,
                                       line_color=colour))
        renderers.append(m)
        items.append(LegendItem(label=_("Wave {wave}").format(wave=wave), renderers=[r, m]))
    fig.add_tools(HoverTool(renderers=renderers, tooltips=[
        (_("Wave"), "@wave"), (_("Months since joining"), "@x"), (_("Pooled value"), "@value"),
        (_("Teams"), "@teams")]))
    _style_axes(fig, indicator, datetime_x=False)
    fig.xaxis.axis_label = _("Months since the wave joined")
    fig.add_layout(Legend(items=items, orientation="horizontal", label_text_font_size="10px",
                          border_line_alpha=0), "below")
    return fig


# --------------------------------------------------------------------------------------------
# Small multiples of a static page


def static_small_multiples(spc: pd.DataFrame, indicator: Mapping[str, Any], *,
                           team_labels: Mapping[str, str] | None = None, ncols: int = 4,
                           width: int = WIDTH) -> Any:
    """`charts.series.small_multiples` for a page nobody redraws (the collaborative summary):
    the same grid (panels titled by `team_labels`, in team order, on the same shared x and y
    ranges; no toolbar), each panel a sparse compact control chart
    (`control_chart(..., sparse=True)`: a copy of the prototype of its shape, not a chart
    built from scratch) that then gets the shared ranges. The picture is the same; 48 panels
    cost about a quarter as much. Its sources are not named per team: an app that redraws
    panels uses `small_multiples`."""
    from bokeh.layouts import gridplot

    ind_id = indicator.get("indicator_id")
    rows, x_range, y_range = shared_ranges(spc, indicator)  # as `small_multiples` has them
    panel_w = max(160, width // ncols)
    labels = team_labels or {}
    panels = []
    for team, pts in rows.groupby("team_id", sort=True):
        fig = control_chart(pts, indicator, team_label=labels.get(str(team), str(team)),
                            compact=True, width=panel_w, height=150, sparse=True)
        fig.x_range, fig.y_range = x_range, y_range
        fig.xaxis.formatter = month_tick_formatter(short=True)
        fig.xaxis.ticker.desired_num_ticks = 3
        fig.title.text_font_size = "10px"
        panels.append(fig)
    # no toolbar is shown, so none is merged (merging walks every panel's models: 40 % of
    # the grid's cost); each panel keeps its own tools, and its hover works as before
    grid = gridplot(panels, ncols=ncols, toolbar_location=None, merge_tools=False)
    name = indicator.get("name") or ind_id
    grid.name = _("Every team: {indicator}").format(
        indicator=f"{name}{' (%)' if is_percent(indicator) else ''}")
    return grid

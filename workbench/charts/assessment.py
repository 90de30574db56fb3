"""The assessment-scale chart: a team's (or several teams' median) IHI assessment score by
month, faculty against the team's self-assessment.

`assessment_chart(assessments)` builds the bokeh figure (the team report's, the brief's and
the collaborative summary's). `assessment_chart_html(assessments)` is what a team report
embeds, `figure_html(assessment_chart(...))` without building the figure: as the control
charts do (`workbench.charts.series.control_chart_html`), the chart of each *shape* (target
line or not, team named in the title or not, target, size, language) is built once per
process, its document kept as text with holes (`workbench.charts.embed.DocumentTemplate`),
and each chart is that text with its own data, title and ids: the same document as the
chart built from scratch (a test compares them value for value), at a fraction of the cost.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import pandas as pd
from bokeh.models import ColumnDataSource, HoverTool, Line, Range1d, Scatter
from bokeh.models.annotations import Legend, LegendItem
from bokeh.plotting import figure

from workbench.charts.data import month_label
from workbench.charts.embed import DocumentTemplate, template_usable
from workbench.charts.prototype import PrototypeCache
from workbench.charts.series import (
    OKABE_ITO,
    WIDTH,
    FigureHTML,
    _style_axes,
    _title_of,
    figure_html,
)
from workbench.i18n import current_language, format_count
from workbench.i18n import gettext as _

if TYPE_CHECKING:
    from bokeh.models.glyph import Glyph
    from bokeh.models.renderers import DataRenderer, GlyphRenderer

__all__ = ["assessment_chart", "assessment_chart_html", "assessment_sources"]

C = OKABE_ITO


def _styles() -> dict[str, tuple[str, str, str, str]]:
    """assessor type -> (colour, line dash, marker, label in the current language)."""
    return {"faculty": (C["blue"], "solid", "circle", _("Faculty (coach)")),
            "self": (C["orange"], "dashed", "square", _("Team's self-assessment"))}


def _x_month(periods: pd.Series) -> list[Any]:
    return list(pd.PeriodIndex(periods.astype(str), freq="M").to_timestamp())


def assessment_sources(assessments: pd.DataFrame, target: float | None = 4.0,
                       ) -> dict[str, dict[str, Any]]:
    """The data of the chart's sources: `faculty` and `self` (x, y, label, who: one row a
    month, the median score when several teams are given) and, with a target and any score,
    `aim` (the target line across the months scored)."""
    if len(assessments):
        a = assessments.assign(period=assessments["period"].astype(str))
        a = cast(pd.DataFrame, a.groupby(["assessor_type", "period"], as_index=False)[
            "score"].median())
    else:
        a = pd.DataFrame(columns=["assessor_type", "period", "score"])
    out: dict[str, dict[str, Any]] = {}
    for kind, (_colour, _dash, _marker, label) in _styles().items():
        rows = a[a["assessor_type"] == kind].sort_values("period")
        out[kind] = {"x": _x_month(rows["period"]), "y": list(rows["score"]),
                     "label": [month_label(p) for p in rows["period"]],
                     "who": [label] * len(rows)}
    if target is not None and len(a):
        out["aim"] = {"x": _x_month(pd.Series([a["period"].min(), a["period"].max()])),
                      "y": [target, target]}
    return out


def _title(team_label: str) -> str:
    return (_("Assessment-scale score — {team}: faculty and self-assessment, by month").format(
        team=team_label) if team_label else
        _("Assessment-scale score: faculty and self-assessment, by month"))


@dataclass
class _Parts:
    """An assessment chart and the models a copy of its shape gives its own values."""

    fig: Any
    sources: dict[str, ColumnDataSource]
    #: the chart's document as text (`assessment_chart_html`), made on first use
    template: DocumentTemplate | None = None


def _build(data: dict[str, dict[str, Any]], title: str, target: float | None,
           width: int, height: int) -> _Parts:
    """The chart built from scratch (`assessment_chart`)."""
    fig = figure(width=width, height=height, x_axis_type="datetime", tools="save",
                 toolbar_location="right", y_range=Range1d(start=0, end=5.3), title=title)
    # one type for every renderer: LegendItem takes list[GlyphRenderer[Glyph]] (invariant)
    glyph = cast("Callable[[ColumnDataSource, Glyph], GlyphRenderer[Glyph]]", fig.add_glyph)
    items = []
    renderers: list[DataRenderer] = []
    sources: dict[str, ColumnDataSource] = {}
    for kind, (colour, dash, marker, label) in _styles().items():
        src = sources[kind] = ColumnDataSource(data[kind], name=f"{kind}:assessment")
        r = glyph(src, Line(x="x", y="y", line_color=colour, line_width=2,
                                    line_dash=dash))
        m = glyph(src, Scatter(x="x", y="y", marker=marker, size=6,
                                       fill_color=colour, line_color=colour))
        renderers.append(m)
        items.append(LegendItem(label=label, renderers=[r, m]))
    if "aim" in data:
        src = sources["aim"] = ColumnDataSource(data["aim"], name="aim")
        t = glyph(src, Line(x="x", y="y", line_color=C["green"], line_dash="dotted",
                                    line_width=2))
        items.append(LegendItem(label=_("Aim: score {score} or more").format(
            score=format_count(target)), renderers=[t]))
    fig.add_tools(HoverTool(renderers=renderers, tooltips=[(_("Month"), "@label"), ("", "@who"),
                                                           (_("Score"), "@y{0.0}")]))
    _style_axes(fig, None)
    fig.yaxis.axis_label = _("Score (0.5 – 5.0)")
    fig.add_layout(Legend(items=items, orientation="horizontal", label_text_font_size="10px",
                          border_line_alpha=0), "below")
    return _Parts(fig=fig, sources=sources)


def assessment_chart(assessments: pd.DataFrame, *, team_label: str = "",
                     target: float | None = 4.0, width: int = WIDTH, height: int = 280) -> Any:
    """IHI assessment-scale score (0.5–5) by month, faculty against the team's self-assessment.

    `assessments`: rows (period, assessor_type, score) — one team's scores, or several teams'
    (then the monthly median is drawn).
    """
    return _build(assessment_sources(assessments, target), _title(team_label), target,
                  width, height).fig


#: the prototype of each shape of assessment chart embedded in this process
_PROTOTYPES = PrototypeCache(size=64)
_LOCK = threading.Lock()


def assessment_chart_html(assessments: pd.DataFrame, *, team_label: str = "",
                          target: float | None = 4.0, width: int = WIDTH,
                          height: int = 280) -> FigureHTML:
    """`figure_html(assessment_chart(...))` without building the chart (module docstring):
    the same document, its own ids. Where the shortcut does not apply (`template_usable`: a
    theme on `curdoc()`, …) the chart is built and embedded as `figure_html` does."""
    if not template_usable():
        fig = assessment_chart(assessments, team_label=team_label, target=target,
                               width=width, height=height)
        return FigureHTML(figure_html(fig), _title_of(fig))
    data = assessment_sources(assessments, target)
    title = _title(team_label)
    key = ("aim" in data, bool(team_label), target, width, height, current_language())
    proto = _PROTOTYPES.get(key, lambda: _build(data, title, target, width, height))
    with _LOCK:  # the prototype holds this chart's values while they are encoded
        slots: list[tuple[Any, str]] = []
        for kind, source in proto.sources.items():
            source.data = data[kind]
            slots.append((source, "data"))
        proto.fig.title.text = title
        slots.append((proto.fig.title, "text"))
        if proto.template is None:
            proto.template = DocumentTemplate(proto.fig, slots)
        encoded = [DocumentTemplate.encode(model, attr) for model, attr in slots]
    script, (div,) = proto.template.components(encoded)
    return FigureHTML(f'<div class="wb-figure">{div}{script}</div>', title)

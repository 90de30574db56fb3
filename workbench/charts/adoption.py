"""Before/after small multiples: the adopting teams of one change aligned on months since
adoption (`workbench.learning.synthesis.aligned_values`), one small panel per team.

x is months since the effect start (0 = the month the change is expected to act from); the
months before are grey, the months after blue, each phase's median a dashed line, so a
synthesis meeting sees at a glance whether teams moved after adopting. Frames in, a bokeh
grid out; display it with `workbench.charts.show`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from bokeh.layouts import column, gridplot
from bokeh.models import ColumnDataSource, Range1d
from bokeh.models.annotations import Span
from bokeh.plotting import figure

from workbench.charts.series import GREY, OKABE_ITO, is_percent

__all__ = ["adoption_multiples"]


def adoption_multiples(aligned: pd.DataFrame, indicator: Mapping[str, Any], *, title: str = "",
                       ncols: int = 6, panel_width: int = 150, panel_height: int = 120) -> Any:
    """One panel per adopting team of `aligned` (one change × indicator), shared axes, under
    a heading drawn by bokeh (`title`; canvas text, so no HTML)."""
    if aligned.empty:
        raise ValueError("no adopting team with data around its adoption")
    k = 100.0 if is_percent(indicator) else 1.0
    values = aligned["value"].to_numpy(float) * k
    top = float(np.nanmax(values))
    bottom = min(0.0, float(np.nanmin(values)))
    if is_percent(indicator):
        top = min(top, 100.0)
    span = (top - bottom) or 1.0
    x0, x1 = int(aligned["months_since"].min()), int(aligned["months_since"].max())
    x_range = Range1d(start=x0 - 0.5, end=x1 + 0.5)
    y_range = Range1d(start=bottom - 0.05 * span, end=top + 0.1 * span)
    panels: list[Any] = []
    for team, rows in aligned.groupby("team_id", sort=True):
        fig: Any = figure(width=panel_width, height=panel_height, x_range=x_range, y_range=y_range,
                     toolbar_location=None, title=str(team), name=f"{team}:adoption")
        fig.title.text_font_size = "10px"
        for phase, colour in (("before", GREY), ("after", OKABE_ITO["blue"])):
            part = rows[rows["phase"] == phase]
            if part.empty:
                continue
            y = part["value"].to_numpy(float) * k
            src = ColumnDataSource({"x": part["months_since"].to_numpy(int), "y": y},
                                   name=f"{team}:{phase}")
            fig.line("x", "y", source=src, color=colour, line_width=1.5)
            fig.scatter("x", "y", source=src, color=colour, size=4)
            median = float(np.median(y))
            fig.line([int(part["months_since"].min()), int(part["months_since"].max())],
                     [median, median], color=colour, line_dash="dashed", line_width=1)
        fig.add_layout(Span(location=-0.5, dimension="height", line_color="#555555",
                            line_dash="dotted"))
        fig.xaxis.ticker.desired_num_ticks = 3
        fig.yaxis.ticker.desired_num_ticks = 3
        fig.axis.major_label_text_font_size = "8px"
        panels.append(fig)
    grid = gridplot(panels, ncols=ncols, toolbar_location=None)
    text = title or f"Adopting teams: {indicator.get('name') or indicator.get('indicator_id')}"
    heading: Any = figure(width=panel_width * min(ncols, len(panels)), height=30,
                     toolbar_location=None, title=text, name="heading")
    heading.title.text_font_size = "13px"
    heading.axis.visible = False
    heading.grid.visible = False
    heading.outline_line_color = None
    heading.min_border_bottom = 0
    heading.scatter([0], [0], alpha=0)  # a renderer, so bokeh draws the title
    return column(heading, grid, name=text)

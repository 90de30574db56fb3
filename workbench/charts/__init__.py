"""Bokeh figures: team run/control charts, small multiples, collaborative charts, their data
frames, embedding and live redraw.
"""

from workbench.charts.series import (
    BOKEH_BUNDLES,
    OKABE_ITO,
    FigureHTML,
    bokehjs_script,
    control_chart,
    control_chart_html,
    control_chart_sources,
    figure_html,
    format_value,
    setup_notebook,
    show,
    show_many,
    small_multiples,
    small_multiples_sources,
    update_sources,
)

__all__ = [
    "BOKEH_BUNDLES",
    "OKABE_ITO",
    "bokehjs_script",
    "FigureHTML",
    "control_chart",
    "control_chart_html",
    "control_chart_sources",
    "figure_html",
    "format_value",
    "setup_notebook",
    "show",
    "show_many",
    "small_multiples",
    "small_multiples_sources",
    "update_sources",
]

"""Collaborative roll-ups (HCI/ASSIST style), the team × indicator chart assembly
(`team_charts`) and its one signal status (`signal_status`). Pure pandas."""

from workbench.rollup.metrics import (
    BASELINE_MONTHS,
    THRESHOLDS,
    assessment_distribution,
    assessment_summary,
    chart_signals,
    gain_from_baseline,
    indicator_summary,
    latest_indicator_summary,
    most_improved,
    reporting_period,
    status_matrix,
    time_to_threshold,
    wave_cohorts,
)
from workbench.rollup.series import TeamCharts, team_charts
from workbench.rollup.status import SIGNAL_LEGEND, SIGNALS, signal_status

__all__ = [
    "THRESHOLDS",
    "BASELINE_MONTHS",
    "indicator_summary",
    "latest_indicator_summary",
    "time_to_threshold",
    "gain_from_baseline",
    "most_improved",
    "wave_cohorts",
    "assessment_distribution",
    "assessment_summary",
    "chart_signals",
    "signal_status",
    "SIGNALS",
    "SIGNAL_LEGEND",
    "status_matrix",
    "team_charts",
    "TeamCharts",
    "reporting_period",
]

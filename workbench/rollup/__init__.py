"""Collaborative roll-ups (HCI/ASSIST style) and per-series signal status. Pure pandas."""

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
    "status_matrix",
    "reporting_period",
]

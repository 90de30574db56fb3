"""What the three report notebooks share: the headers of their tables (`COLUMNS`), their
`db_url` and `period` parameters (`engine_for`, `resolve_period`), and the small steps that
turn the store's rows into table cells (usable values, changes in points).

`workbench.briefs.team_report`, `workbench.briefs.site_visit_brief` and
`workbench.briefs.collaborative_summary` import from here; `workbench.briefs` re-exports the
public names for the notebooks.
"""

from __future__ import annotations

import re
from typing import Any, cast

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from workbench.charts.series import is_percent
from workbench.errors import NotFoundError, ValidationFailed
from workbench.model import is_period, parse_period, period_problem
from workbench.store import open_engine

__all__ = ["COLUMNS", "engine_for", "resolve_period"]

#: Column -> header of every table the notebooks show (`render.table(frame, COLUMNS[...])`).
COLUMNS: dict[str, dict[str, str]] = {
    "headline": {"indicator": "Indicator", "latest": "This month", "target": "Target",
                 "target_met": "Target met", "vs_last_month": "Change vs last month",
                 "vs_baseline": "Change vs baseline", "median": "Collaborative median",
                 "signal": "Signal"},
    "pdsa": {"change": "Change idea", "cycle": "Cycle", "title": "Title", "status": "Stage",
             "start_date": "Started", "end_date": "Ended", "study_notes": "Study",
             "act_decision": "Act", "next_steps": "Next steps"},
    "flags": {"indicator_id": "Indicator", "month": "Month", "rule_code": "Rule",
              "severity": "Severity", "message": "Why flagged", "reported": "Reported (num / den)",
              "recount": "Records to recount"},
    "actions": {"action": "Action", "owner": "Owner", "due": "Due"},
    "recounts": {"indicator_id": "Indicator", "month": "Month",
                 "reported_numerator": "Reported num.", "recounted_numerator": "Recounted num.",
                 "reported_denominator": "Reported den.",
                 "recounted_denominator": "Recounted den.", "factor": "Verification factor",
                 "result": "Result"},
    "changes": {"indicator": "Indicator", "then_month": "Then (month)", "then": "Then",
                "now_month": "Now (month)", "now": "Now", "change": "Change"},
    "signals": {"indicator": "Indicator", "latest": "Latest", "target": "Target",
                "signal": "Signal"},
    "stalled": {"change": "Change idea", "cycle": "Cycle", "title": "Title", "status": "Stage",
                "last_change": "Last status change", "days_unchanged": "Days without change"},
    "attention": {"team_id": "Team", "team": "Facility", "coach": "Coach", "why": "Why"},
    "overview": {"indicator": "Indicator", "teams": "Teams reporting",
                 "at_target": "Teams at target", "pooled": "All teams pooled",
                 "median": "Median team", "target": "Target"},
    "most_improved": {"indicator_id": "Indicator", "rank": "Rank", "team_id": "Team",
                      "baseline": "Baseline", "latest": "Latest", "gain": "Gain"},
}


def engine_for(db_url: str | None) -> Engine:
    """The engine of a notebook's `db_url` parameter ('' = $WORKBENCH_DB, then ./workbench.db)."""
    return open_engine(db_url or None)


def resolve_period(measurements: pd.DataFrame, period: str | None) -> pd.Period:
    """`period` as a monthly Period; '' or None = the latest month in the data."""
    if period:
        if not is_period(period):
            raise ValidationFailed(f"period {period_problem(period)}.")
        return pd.Period(parse_period(period), freq="M")
    if measurements.empty:
        raise NotFoundError("the database holds no measurements yet; import data first.")
    latest: pd.Period = measurements["period"].max()
    return latest


def _change_words(delta: float, indicator: dict[str, Any]) -> str:
    """A change with which way is good for this indicator: `-15.5 pts, worse` for a process
    measure, `-1.0 pts, better` for PPH (direction `decrease`); `+0.0 pts` says no more."""
    text = _pp(delta, indicator)
    if delta is None or pd.isna(delta) or not re.search(r"[1-9]", text):
        return text
    better = (delta > 0) == (indicator.get("direction", "increase") != "decrease")
    return f"{text}, {'better' if better else 'worse'}"


def _pp(delta: float, indicator: dict[str, Any]) -> str:
    if delta is None or pd.isna(delta):
        return "–"
    if is_percent(indicator):
        return f"{delta * 100:+.1f} pts"
    return f"{delta * float(indicator.get('multiplier') or 1):+,.1f}"


def _indicator_dicts(indicators: pd.DataFrame) -> dict[str, dict[str, Any]]:
    records = cast("list[dict[str, Any]]", indicators.to_dict("records"))
    return {row["indicator_id"]: row for row in records}


def _pooled(rows: pd.DataFrame) -> float:
    den = rows["denominator"].sum()
    if rows["denominator"].notna().any() and den > 0:
        return float(rows["numerator"].sum() / den)
    return float(rows["value"].mean()) if len(rows) else np.nan


def _valid(m: pd.DataFrame) -> pd.DataFrame:
    """Rows usable as values: a finite value (numerator within a positive denominator)."""
    ok = np.isfinite(m["value"].astype(float)) & (m["numerator"].fillna(0) >= 0)
    ok &= ~(m["denominator"].notna() & (m["numerator"] > m["denominator"]))
    return m[ok]


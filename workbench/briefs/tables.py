"""What the three report notebooks share: the headers of their tables (`COLUMNS`), their
`db_url` and `period` parameters (`engine_for`, `resolve_period`), and the small steps that
turn the store's rows into table cells (usable values, changes in points).

`workbench.briefs.team_report`, `workbench.briefs.site_visit_brief` and
`workbench.briefs.collaborative_summary` import from here; `workbench.briefs` re-exports the
public names for the notebooks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, cast

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from workbench.charts.series import is_percent
from workbench.errors import NotFoundError, ValidationFailed
from workbench.i18n import N_, TranslatedTable, format_number, set_language
from workbench.i18n import gettext as _
from workbench.ingest.collaborative import collaborative_language
from workbench.model import is_period, parse_period, period_problem
from workbench.store import open_engine

__all__ = ["COLUMNS", "engine_for", "resolve_period", "set_report_language"]

#: Column -> header of every table the notebooks show (`render.table(frame, COLUMNS[...])`),
#: in the current language when read. Tables name teams and indicators by their names; a code
#: stays only as a secondary column ("Code").
COLUMNS: Mapping[str, dict[str, str]] = TranslatedTable({
    "headline": {"indicator": N_("Indicator"), "latest": N_("This month"), "target": N_("Target"),
                 "target_met": N_("Target met"), "vs_last_month": N_("Change vs last month"),
                 "vs_baseline": N_("Change vs baseline"), "median": N_("Collaborative median"),
                 "signal": N_("Signal")},
    "pdsa": {"change": N_("Change idea"), "cycle": N_("Cycle"), "title": N_("Title"),
             "status": N_("Stage"), "start_date": N_("Started"), "end_date": N_("Ended"),
             "study_notes": N_("Study"), "act_decision": N_("Act"), "next_steps": N_("Next steps")},
    "flags": {"indicator": N_("Indicator"), "month": N_("Month"), "rule_code": N_("Rule"),
              "severity": N_("Severity"), "message": N_("Why flagged"),
              "reported": N_("Reported (num / den)"), "recount": N_("Records to recount")},
    "actions": {"action": N_("Action"), "owner": N_("Owner"), "due": N_("Due")},
    "recounts": {"indicator": N_("Indicator"), "month": N_("Month"),
                 "reported_numerator": N_("Reported num."),
                 "recounted_numerator": N_("Recounted num."),
                 "reported_denominator": N_("Reported den."),
                 "recounted_denominator": N_("Recounted den."),
                 "factor": N_("Verification factor"), "result": N_("Result")},
    "changes": {"indicator": N_("Indicator"), "then_month": N_("Then (month)"), "then": N_("Then"),
                "now_month": N_("Now (month)"), "now": N_("Now"), "change": N_("Change")},
    "signals": {"indicator": N_("Indicator"), "latest": N_("Latest"), "target": N_("Target"),
                "signal": N_("Signal")},
    "stalled": {"change": N_("Change idea"), "cycle": N_("Cycle"), "title": N_("Title"),
                "status": N_("Stage"), "last_change": N_("Last status change"),
                "days_unchanged": N_("Days without change")},
    "attention": {"team": N_("Team"), "team_id": N_("Code"), "coach": N_("Coach"),
                  "why": N_("Why")},
    "overview": {"indicator": N_("Indicator"), "teams": N_("Teams reporting"),
                 "at_target": N_("Teams at target"), "pooled": N_("All teams pooled"),
                 "median": N_("Median team"), "target": N_("Target")},
    "most_improved": {"indicator": N_("Indicator"), "rank": N_("Rank"), "team": N_("Team"),
                      "team_id": N_("Code"), "baseline": N_("Baseline"), "latest": N_("Latest"),
                      "gain": N_("Gain")},
})


def engine_for(db_url: str | None) -> Engine:
    """The engine of a notebook's `db_url` parameter ('' = $WORKBENCH_DB, then ./workbench.db)."""
    return open_engine(db_url or None)


def set_report_language(db_url: str | None, lang: str | None) -> str:
    """A report notebook's first step: its language is `lang` (the notebook's parameter), else
    `$WORKBENCH_LANG`, else the collaborative's default (`workbench.i18n`); returns it."""
    return set_language(collaborative_language(engine_for(db_url), lang or None))


def resolve_period(measurements: pd.DataFrame, period: str | None) -> pd.Period:
    """`period` as a monthly Period; '' or None = the latest month in the data."""
    if period:
        if not is_period(period):
            raise ValidationFailed(N_("period {period}."),
                                   params={"period": period_problem(period)})
        return pd.Period(parse_period(period), freq="M")
    if measurements.empty:
        raise NotFoundError(N_("the database holds no measurements yet; import data first."))
    latest: pd.Period = measurements["period"].max()
    return latest


def _change_words(delta: float, indicator: dict[str, Any]) -> str:
    """A change with which way is good for this indicator: `-15.5 pts, worse` for a process
    measure, `-1.0 pts, better` for PPH (direction `decrease`); `+0.0 pts` says no more."""
    text = _pp(delta, indicator)
    if delta is None or pd.isna(delta) or not re.search(r"[1-9]", text):
        return text
    better = (delta > 0) == (indicator.get("direction", "increase") != "decrease")
    return (_("{change}, better") if better else _("{change}, worse")).format(change=text)


def _pp(delta: float, indicator: dict[str, Any]) -> str:
    if delta is None or pd.isna(delta):
        return "–"
    if is_percent(indicator):
        return _("{points} pts").format(points=format_number(delta * 100, 1, sign=True))
    return format_number(delta * float(indicator.get("multiplier") or 1), 1, sign=True)


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


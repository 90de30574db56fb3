"""Data assembly for the report notebooks: read the store once, return ready frames.

- `team_report_data(engine, team_id, period)` — the monthly team report;
- `site_visit_brief_data(engine, team_id, visit_date)` — the coach's brief before a visit;
- `collaborative_summary_data(engine, period)` — the collaborative summary (delegates the
  roll-ups to `workbench.summary.collaborative_rollup`).

Each returns a dataclass of frames and values already formatted for people (percentages as
`85.3%`, months as `Jan 2025`); the notebooks render them with `workbench.render` and draw
them with `workbench.charts` (`*.figures()` methods build the bokeh figures). A team's data
carry nothing of another team except collaborative aggregates (the median).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from workbench import chartdata as cd
from workbench.charts import control_chart, format_value, is_percent
from workbench.errors import NotFoundError, ValidationFailed
from workbench.store import (
    get_team,
    open_engine,
    read_assessments,
    read_change_ideas,
    read_flags,
    read_indicators,
    read_measurements,
    read_pdsa_cycles,
    read_recounts,
    read_teams,
    read_visits,
)

__all__ = [
    "BASELINE_MONTHS",
    "COLUMNS",
    "STALLED_DAYS",
    "CollaborativeSummary",
    "SiteVisitBrief",
    "TeamReport",
    "collaborative_medians",
    "collaborative_summary_data",
    "engine_for",
    "resolve_period",
    "site_visit_brief_data",
    "team_report_data",
]

BASELINE_MONTHS = 3
STALLED_DAYS = 45

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
        if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", str(period).strip()):
            raise ValidationFailed(f"period {period!r} is not a month; write it as YYYY-MM, "
                                   "e.g. 2025-06.")
        return pd.Period(str(period).strip(), freq="M")
    if measurements.empty:
        raise NotFoundError("the database holds no measurements yet; import data first.")
    return measurements["period"].max()


def _pp(delta: float, indicator: dict[str, Any]) -> str:
    if delta is None or pd.isna(delta):
        return "–"
    if is_percent(indicator):
        return f"{delta * 100:+.1f} pts"
    return f"{delta * float(indicator.get('multiplier') or 1):+,.1f}"


def _indicator_dicts(indicators: pd.DataFrame) -> dict[str, dict[str, Any]]:
    return {row["indicator_id"]: row for row in indicators.to_dict("records")}


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


def headline_table(team_m: pd.DataFrame, all_m: pd.DataFrame | None,
                   indicators: pd.DataFrame, spc: pd.DataFrame, period: pd.Period, *,
                   medians: pd.Series | None = None) -> pd.DataFrame:
    """One row per indicator: latest value, target, change vs last month and vs baseline,
    signal in words, collaborative median (numbers in `*_value` columns, text beside).

    The median of each indicator in `period` comes from `medians` (indexed by indicator_id)
    when given, else from `all_m` (every team's tidy rows)."""
    team_m = _valid(team_m)
    team_m = team_m[team_m["period"] <= period].sort_values(["indicator_id", "period"])
    by_ind = team_m.groupby("indicator_id", sort=False)
    latest = team_m[team_m["period"] == period].groupby("indicator_id")["value"].first()
    prev = team_m[team_m["period"] == period - 1].groupby("indicator_id")["value"].first()
    first = by_ind.head(BASELINE_MONTHS)
    base = first.assign(has_den=first["denominator"].notna()).groupby("indicator_id").agg(
        num=("numerator", "sum"), den=("denominator", "sum"), has_den=("has_den", "any"),
        mean=("value", "mean"))
    pooled = (base["num"] / base["den"]).where(base["has_den"] & (base["den"] > 0),
                                               base["mean"])
    if medians is None:
        month_all = _valid(all_m[all_m["period"] == period])
        medians = month_all.groupby("indicator_id")["value"].median()
    spc_by_ind = dict(tuple(spc.groupby("indicator_id", sort=False))) if len(spc) else {}
    rows = []
    for ind_id, info in _indicator_dicts(indicators).items():
        value = float(latest.get(ind_id, np.nan))
        prev_value = float(prev.get(ind_id, np.nan))
        baseline = float(pooled.get(ind_id, np.nan))
        median = float(medians.get(ind_id, np.nan))
        target = info.get("target")
        target = float(target) if target is not None and not pd.isna(target) else np.nan
        better_up = info.get("direction", "increase") != "decrease"
        met = (value >= target if better_up else value <= target) if not (
            np.isnan(value) or np.isnan(target)) else None
        s = spc_by_ind.get(ind_id)
        rows.append({
            "indicator_id": ind_id, "indicator": info.get("name") or ind_id,
            "latest_value": value, "previous_value": prev_value, "baseline_value": baseline,
            "target_value": target, "median_value": median,
            "change_month_value": value - prev_value, "change_baseline_value": value - baseline,
            "latest": format_value(value, info) if not np.isnan(value) else "no report",
            "target": format_value(target, info) if not np.isnan(target) else "–",
            "target_met": "yes" if met else ("no" if met is False else "–"),
            "vs_last_month": _pp(value - prev_value, info),
            "vs_baseline": _pp(value - baseline, info),
            "median": format_value(median, info) if not np.isnan(median) else "–",
            "signal": cd.signal_words(s, info.get("direction", "increase"))
            if s is not None and len(s) else "no data",
        })
    return pd.DataFrame(rows)


# Collaborative aggregates every team report shows (the median of each indicator and month),
# computed once per kernel for one state of the data: keyed by the database URL and a
# fingerprint of `measurement_revisions` (append-only: any change adds rows). They hold
# nothing of one team that another team's report does not show as well.
_COLLABORATIVE_CACHE: dict[tuple[str, tuple[Any, ...]], tuple[pd.Period | None, pd.Series]] = {}
_CACHE_SIZE = 4


def _measurements_state(engine: Engine) -> tuple[Any, ...]:
    from sqlalchemy import func, select

    from workbench.store import schema as s

    mr = s.measurement_revisions
    with engine.connect() as conn:
        row = conn.execute(select(func.count(), func.max(mr.c.revision_id),
                                  func.max(mr.c.created_at), func.sum(mr.c.numerator),
                                  func.sum(mr.c.denominator))).one()
    return tuple(str(v) for v in row)


def collaborative_medians(engine: Engine) -> tuple[pd.Period | None, pd.Series]:
    """(latest month in the data, median of the teams' valid values by (period,
    indicator_id)); cached in the process for the current state of the measurements."""
    key = (engine.url.render_as_string(hide_password=False), _measurements_state(engine))
    cached = _COLLABORATIVE_CACHE.get(key)
    if cached is None:
        all_m = read_measurements(engine)
        latest = all_m["period"].max() if len(all_m) else None
        medians = _valid(all_m).groupby(["period", "indicator_id"])["value"].median()
        while len(_COLLABORATIVE_CACHE) >= _CACHE_SIZE:
            _COLLABORATIVE_CACHE.pop(next(iter(_COLLABORATIVE_CACHE)))
        cached = _COLLABORATIVE_CACHE[key] = (latest, medians)
    return cached


def _medians_of(medians: pd.Series, period: pd.Period) -> pd.Series:
    if medians.empty or period not in medians.index.get_level_values("period"):
        return pd.Series(dtype=float)
    return medians.xs(period, level="period")


def _cycle_table(cycles: pd.DataFrame, ideas: pd.DataFrame) -> pd.DataFrame:
    names = dict(zip(ideas["change_id"], ideas["name"], strict=False)) if len(ideas) else {}
    out = cycles.copy()
    out["change"] = out["change_id"].map(names).fillna(out["change_id"])
    out["cycle"] = out["cycle_number"].astype(int)
    for col in ("title", "study_notes", "act_decision", "next_steps", "start_date", "end_date",
                "objective", "do_notes"):
        out[col] = out[col].map(cd._text)
    return out


@dataclass
class TeamReport:
    """Everything the monthly team report shows (see `team_report_data`)."""

    team: dict[str, Any]
    period: pd.Period
    indicators: pd.DataFrame
    headline: pd.DataFrame
    spc: pd.DataFrame
    events: pd.DataFrame
    flag_notes: pd.DataFrame
    pdsa_in_flight: pd.DataFrame
    pdsa_finished: pd.DataFrame
    open_flags: pd.DataFrame
    last_visit: dict[str, Any] | None
    visit_actions: pd.DataFrame
    recounts: pd.DataFrame
    assessments: pd.DataFrame
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def team_label(self) -> str:
        return f"{self.team['team_id']} {self.team['name']}"

    @property
    def period_label(self) -> str:
        return cd.month_label(self.period)

    def figures(self) -> list[tuple[str, Any]]:
        """(indicator_id, annotated control chart) for every indicator with data."""
        out = []
        for ind_id, info in _indicator_dicts(self.indicators).items():
            pts = self.spc[self.spc["indicator_id"] == ind_id]
            if pts.empty:
                continue
            ev = self.events[self.events["indicator_id"] == ind_id]
            fl = self.flag_notes[self.flag_notes["indicator_id"] == ind_id]
            out.append((ind_id, control_chart(pts, info, team_label=self.team_label,
                                              events=ev, flags=fl)))
        return out

    def assessment_figure(self) -> Any:
        from workbench.charts_collab import assessment_chart

        return assessment_chart(self.assessments, team_label=self.team_label)

    @property
    def last_visit_text(self) -> str:
        v = self.last_visit
        if not v:
            return "No coaching visit recorded yet."
        return f"{v['visit_date']}, by {v['coach']}: {cd._text(v.get('notes')) or 'no notes'}"


def _load_team(engine: Engine, team_id: str, period: str | None):
    team = get_team(engine, team_id)
    indicators = read_indicators(engine)
    latest, medians = collaborative_medians(engine)
    if period:
        p = resolve_period(pd.DataFrame(), period)
    elif latest is None:
        p = resolve_period(pd.DataFrame({"period": []}), period)  # raises: no measurements
    else:
        p = latest
    team_m = read_measurements(engine, team_ids=[team_id])
    team_m = team_m[team_m["period"] <= p]
    cycles = read_pdsa_cycles(engine, team_id=team_id)
    ideas = read_change_ideas(engine)
    ideas = ideas[ideas["team_id"].isna() | (ideas["team_id"] == team_id)]
    events = cd.pdsa_events(cycles, ideas)
    end = p.to_timestamp(how="end")
    events = events[events["date"] <= end]
    phases = cd.adoption_phases(events, team_m)
    spc = cd.spc_frame(team_m, indicators, phases)
    flags = read_flags(engine, team_id=team_id)
    return team, indicators, _medians_of(medians, p), team_m, p, cycles, ideas, events, spc, flags


def _open_flags(flags: pd.DataFrame, indicators: pd.DataFrame, measurements: pd.DataFrame,
                ) -> pd.DataFrame:
    cols = ["flag_id", "rule_code", "severity", "indicator_id", "period", "month", "message",
            "reported", "recount"]
    f = flags[flags["status"] == "open"].copy() if len(flags) else flags
    if f is None or f.empty:
        return pd.DataFrame(columns=cols)
    info = _indicator_dicts(indicators)
    cur = measurements.assign(period=measurements["period"].astype(str)).set_index(
        ["indicator_id", "period"])
    reported, recount, months = [], [], []
    for row in f.itertuples(index=False):
        months.append(cd.month_label(row.period) if cd._text(row.period) else "–")
        key = (row.indicator_id, row.period)
        if key in cur.index:
            r = cur.loc[key]
            r = r.iloc[0] if isinstance(r, pd.DataFrame) else r
            reported.append(f"{cd._text(r['numerator']) or '–'} / "
                            f"{cd._text(r['denominator']) or '–'}")
        else:
            reported.append("not reported")
        i = info.get(row.indicator_id, {})
        if i:
            recount.append(f"{months[-1]}: count '{i.get('numerator_definition')}' and "
                           f"'{i.get('denominator_definition')}' from the registers")
        else:
            recount.append("–")
    f["month"], f["reported"], f["recount"] = months, reported, recount
    return f[cols].reset_index(drop=True)


def team_report_data(engine: Engine, team_id: str, period: str | None = None) -> TeamReport:
    """Everything the monthly report of one team shows, for the month `period` (YYYY-MM;
    None or '' = the latest month in the data). Data after `period` are ignored."""
    team, indicators, medians, team_m, p, cycles, ideas, events, spc, flags = _load_team(
        engine, team_id, period)
    headline = headline_table(team_m, None, indicators, spc, p, medians=medians)
    start, end = p.to_timestamp(how="start"), p.to_timestamp(how="end")
    table = _cycle_table(cycles, ideas) if len(cycles) else cycles.assign(change="", cycle=0)
    started = pd.to_datetime(table["start_date"].replace("", None), errors="coerce")
    ended = pd.to_datetime(table["end_date"].replace("", None), errors="coerce")
    in_flight = table[(table["status"] != "closed") & (started.isna() | (started <= end))
                      & (ended.isna() | (ended > end))]
    finished = table[(ended >= start) & (ended <= end)]
    visits = read_visits(engine, team_id=team_id)
    visits = visits[pd.to_datetime(visits["visit_date"]) <= end] if len(visits) else visits
    last_visit = visits.iloc[-1].to_dict() if len(visits) else None
    actions = pd.DataFrame(list(last_visit["actions"]) if last_visit and isinstance(
        last_visit.get("actions"), list) else [], columns=["action", "owner", "due"])
    recounts = read_recounts(engine, team_id=team_id)
    if last_visit is not None and len(recounts):
        from workbench.verification import verification_table

        recounts = verification_table(recounts[recounts["visit_id"] == last_visit["visit_id"]])
        recounts["month"] = recounts["period"].map(cd.month_label)
        recounts["result"] = np.where(recounts["in_band"], "agrees", "differs: check")
        recounts["factor"] = recounts["vf"].map(lambda v: "–" if pd.isna(v) else f"{v:.2f}")
    else:
        recounts = recounts.iloc[0:0]
    assessments = read_assessments(engine, team_id=team_id)
    assessments = assessments[assessments["period"] <= str(p)]
    # the store returns rows in entry order: the last per month and assessor type is current
    assessments = assessments.drop_duplicates(["period", "assessor_type"], keep="last")
    flag_notes = cd.flag_notes(flags)
    return TeamReport(
        team=team, period=p, indicators=indicators, headline=headline, spc=spc, events=events,
        flag_notes=flag_notes, pdsa_in_flight=in_flight.reset_index(drop=True),
        pdsa_finished=finished.reset_index(drop=True),
        open_flags=_open_flags(flags, indicators, team_m), last_visit=last_visit,
        visit_actions=actions, recounts=recounts.reset_index(drop=True),
        assessments=assessments.reset_index(drop=True))


# --------------------------------------------------------------------------------------------
# Site-visit brief


@dataclass
class SiteVisitBrief:
    """What a coach reads before visiting a team (see `site_visit_brief_data`)."""

    team: dict[str, Any]
    visit_date: str
    period: pd.Period
    previous_visit: dict[str, Any] | None
    changes: pd.DataFrame
    signals: pd.DataFrame
    stalled_pdsas: pd.DataFrame
    pdsa_in_flight: pd.DataFrame
    flags_to_verify: pd.DataFrame
    previous_actions: pd.DataFrame
    questions: list[str]
    report: TeamReport

    @property
    def team_label(self) -> str:
        return f"{self.team['team_id']} {self.team['name']}"

    @property
    def since_label(self) -> str:
        if self.previous_visit:
            return f"since the last visit on {self.previous_visit['visit_date']}"
        return "since the team joined (no earlier visit)"


def _last_change(engine: Engine, cycle_ids: list[int]) -> dict[int, pd.Timestamp]:
    from workbench.store import schema as s

    if not cycle_ids:
        return {}
    from workbench.store.records import read_table

    hist = read_table(engine, s.pdsa_history)
    hist = hist[hist["cycle_id"].isin(cycle_ids)]
    out: dict[int, pd.Timestamp] = {}
    for cid, rows in hist.groupby("cycle_id"):
        statuses = [(r["snapshot"] or {}).get("status") for _, r in rows.sort_values(
            "version").iterrows()]
        times = list(pd.to_datetime(rows.sort_values("version")["created_at"]))
        last = times[0]
        for i in range(1, len(statuses)):
            if statuses[i] != statuses[i - 1]:
                last = times[i]
        out[int(cid)] = last
    return out


def site_visit_brief_data(engine: Engine, team_id: str, visit_date: str | None = None
                          ) -> SiteVisitBrief:
    """The coach's brief for a visit on `visit_date` (YYYY-MM-DD; '' = today).

    - changes: each indicator's value in the last month reported before the previous visit
      and in the latest month before this visit (the month before `visit_date`);
    - signals: the SPC signal of each indicator in words;
    - stalled PDSAs: open cycles whose status has not changed for more than `STALLED_DAYS`;
    - flags to verify: open data flags with the records to recount;
    - questions generated from all of the above.
    """
    try:
        when = pd.Timestamp(visit_date) if visit_date else pd.Timestamp(dt_today())
    except (ValueError, TypeError) as exc:
        raise ValidationFailed(f"visit date {visit_date!r} is not a date; write it as "
                               "YYYY-MM-DD, e.g. 2026-11-15.") from exc
    all_m = read_measurements(engine, team_ids=[team_id])
    last_month = pd.Period(when, freq="M") - 1
    period = min(last_month, all_m["period"].max()) if len(all_m) else last_month
    report = team_report_data(engine, team_id, str(period))
    visits = read_visits(engine, team_id=team_id)
    before = visits[visits["visit_date"] < when.strftime("%Y-%m-%d")] if len(visits) else visits
    previous = before.iloc[-1].to_dict() if len(before) else None
    info = _indicator_dicts(report.indicators)
    team_m = _valid(all_m[all_m["period"] <= period])
    since = (pd.Period(previous["visit_date"], freq="M") - 1) if previous else None
    rows = []
    for ind_id, i in info.items():
        m = team_m[team_m["indicator_id"] == ind_id].sort_values("period")
        now = m.tail(1)
        then = m[m["period"] <= since].tail(1) if since is not None else m.head(1)
        v_now = float(now["value"].iloc[0]) if len(now) else np.nan
        v_then = float(then["value"].iloc[0]) if len(then) else np.nan
        rows.append({"indicator_id": ind_id, "indicator": i.get("name") or ind_id,
                     "then_month": cd.month_label(then["period"].iloc[0]) if len(then) else "–",
                     "then": format_value(v_then, i) if len(then) else "–",
                     "now_month": cd.month_label(now["period"].iloc[0]) if len(now) else "–",
                     "now": format_value(v_now, i) if len(now) else "–",
                     "change": _pp(v_now - v_then, i), "change_value": v_now - v_then})
    changes = pd.DataFrame(rows)
    signals = report.headline[["indicator_id", "indicator", "latest", "target", "signal"]]
    cycles = read_pdsa_cycles(engine, team_id=team_id)
    open_cycles = cycles[cycles["status"] != "closed"]
    changed = _last_change(engine, [int(c) for c in open_cycles["cycle_id"]])
    table = _cycle_table(open_cycles, read_change_ideas(engine)) if len(open_cycles) else \
        open_cycles.assign(change="", cycle=0)
    table["last_change"] = [changed.get(int(c), pd.Timestamp(u)) for c, u in
                            zip(table["cycle_id"], table["updated_at"], strict=False)]
    table["days_unchanged"] = [(when - t).days for t in table["last_change"]]
    table["last_change"] = [t.strftime("%Y-%m-%d") for t in table["last_change"]]
    stalled = table[table["days_unchanged"] > STALLED_DAYS].reset_index(drop=True)
    actions = report.visit_actions if previous else report.visit_actions.iloc[0:0]
    questions = _questions(report, stalled, actions)
    return SiteVisitBrief(team=report.team, visit_date=when.strftime("%Y-%m-%d"), period=period,
                          previous_visit=previous, changes=changes, signals=signals,
                          stalled_pdsas=stalled, pdsa_in_flight=table.reset_index(drop=True),
                          flags_to_verify=report.open_flags, previous_actions=actions,
                          questions=questions, report=report)


def dt_today() -> str:
    import datetime

    return datetime.date.today().isoformat()


def _questions(report: TeamReport, stalled: pd.DataFrame, actions: pd.DataFrame) -> list[str]:
    """Questions for the visit, generated from signals, PDSAs, flags and last actions."""
    out = []
    for row in report.headline.itertuples(index=False):
        if "concern" in row.signal:
            out.append(f"{row.indicator}: the chart shows a signal of concern ({row.signal}). "
                       "What changed on the ward, and when?")
        elif "improvement" in row.signal:
            out.append(f"{row.indicator}: the chart shows a signal of improvement. Which change "
                       "made the difference, and is it now part of the routine?")
        if row.target_met == "no" and "improvement" not in row.signal:
            out.append(f"{row.indicator} is at {row.latest} against a target of {row.target}. "
                       "What is the next change to test?")
    for row in stalled.itertuples(index=False):
        out.append(f"PDSA '{row.title}' has not moved on from '{row.status}' for "
                   f"{row.days_unchanged} days. What is in the way?")
    for row in report.open_flags.itertuples(index=False):
        out.append(f"Data flag on {row.indicator_id} for {row.month} ({row.rule_code}): can we "
                   "recount it together from the registers?")
    for row in actions.itertuples(index=False):
        out.append(f"Last visit's action '{row.action}' (owner {row.owner or '–'}, due "
                   f"{row.due or '–'}): done?")
    a = report.assessments
    if len(a):
        last = a[a["period"] == a["period"].max()]
        fac = last.loc[last["assessor_type"] == "faculty", "score"]
        own = last.loc[last["assessor_type"] == "self", "score"]
        if len(fac) and len(own) and abs(float(own.iloc[-1]) - float(fac.iloc[-1])) >= 1:
            out.append(f"The team scored itself {float(own.iloc[-1]):g} and the coach "
                       f"{float(fac.iloc[-1]):g} on the assessment scale: what evidence "
                       "explains the gap?")
    return out


# --------------------------------------------------------------------------------------------
# Collaborative summary


@dataclass
class CollaborativeSummary:
    """The collaborative summary's frames (`rollup`: `summary.collaborative_rollup`)."""

    period: pd.Period
    rollup: dict[str, pd.DataFrame]
    indicators: pd.DataFrame
    teams: pd.DataFrame
    measurements: pd.DataFrame
    spc: pd.DataFrame
    attention: pd.DataFrame
    overview: pd.DataFrame

    @property
    def period_label(self) -> str:
        return cd.month_label(self.period)

    @property
    def team_labels(self) -> dict[str, str]:
        return dict(zip(self.teams["team_id"], self.teams["team_id"], strict=False))

    def status_matrix_figure(self) -> Any:
        from workbench.charts_collab import status_matrix_chart

        return status_matrix_chart(self.rollup["status_matrix"], self.indicators,
                                   period=str(self.period))

    def attainment_figure(self) -> Any:
        from workbench.charts_collab import target_attainment_chart

        return target_attainment_chart(self.rollup["indicator_months"], self.indicators)

    def small_multiples(self, indicator_id: str) -> Any:
        from workbench.charts import small_multiples

        info = _indicator_dicts(self.indicators)[indicator_id]
        return small_multiples(self.spc, info, team_labels=self.team_labels)

    def funnel_figure(self, indicator_id: str) -> Any:
        from workbench.charts_collab import funnel_plot

        info = _indicator_dicts(self.indicators)[indicator_id]
        m = self.measurements
        latest = m[(m["period"] == self.period) & (m["indicator_id"] == indicator_id)]
        return funnel_plot(latest, info, period=str(self.period))

    def pooled_figure(self, indicator_id: str) -> Any:
        from workbench.charts_collab import pooled_chart

        info = _indicator_dicts(self.indicators)[indicator_id]
        m = _valid(self.measurements[self.measurements["indicator_id"] == indicator_id])
        pooled = m.groupby("period", as_index=False).agg(
            numerator=("numerator", "sum"), denominator=("denominator", "sum"),
            teams=("team_id", "nunique"))
        pooled = pooled.assign(team_id="ALL", indicator_id=indicator_id,
                               value=pooled["numerator"] / pooled["denominator"])
        spc = cd.spc_frame(pooled.drop(columns="teams"), self.indicators)
        return pooled_chart(spc, info, teams_reporting=pooled["teams"])

    def assessment_figure(self) -> Any:
        from workbench.charts_collab import assessment_chart

        return assessment_chart(self.rollup["assessment_rows"], team_label="all teams (median)")

    def wave_figure(self, indicator_id: str) -> Any:
        from workbench.charts_collab import wave_cohort_chart

        info = _indicator_dicts(self.indicators)[indicator_id]
        return wave_cohort_chart(self.rollup["waves"], info)

    def most_improved_table(self) -> pd.DataFrame:
        """`rollup.most_improved` with values formatted."""
        mi = self.rollup["most_improved"]
        info = _indicator_dicts(self.indicators)
        if mi.empty:
            return pd.DataFrame(columns=list(COLUMNS["most_improved"]))
        return mi.assign(
            baseline=[format_value(v, info.get(i, {})) for v, i in
                      zip(mi["baseline"], mi["indicator_id"], strict=False)],
            latest=[format_value(v, info.get(i, {})) for v, i in
                    zip(mi["latest_value"], mi["indicator_id"], strict=False)],
            gain=[_pp(g / 100, info.get(i, {})) for g, i in
                  zip(mi["improvement_pp"], mi["indicator_id"], strict=False)])


def collaborative_summary_data(engine: Engine, period: str | None = None) -> CollaborativeSummary:
    """Roll-ups (`summary.collaborative_rollup`), every team's SPC series and the teams that
    need attention (a signal of concern, no report this month, or open error flags)."""
    from workbench.summary import collaborative_rollup

    m = read_measurements(engine)
    p = resolve_period(m, period)
    m = m[m["period"] <= p]
    rollup = collaborative_rollup(engine, str(p))
    rollup["assessment_rows"] = read_assessments(engine)
    rollup["assessment_rows"] = rollup["assessment_rows"][
        rollup["assessment_rows"]["period"] <= str(p)].drop_duplicates(
            ["team_id", "period", "assessor_type"], keep="last")  # the current rows
    indicators = read_indicators(engine)
    teams = read_teams(engine)
    spc = cd.spc_frame(m, indicators)
    matrix = rollup["status_matrix"]
    flags = read_flags(engine, status="open")
    errors = flags[flags["severity"] == "error"].groupby("team_id").size() if len(flags) else \
        pd.Series(dtype=int)
    rows = []
    for team in teams.itertuples(index=False):
        t = matrix[matrix["team_id"] == team.team_id]
        concern = list(t.loc[t["signal"] == "concern", "indicator_id"])
        missing = list(t.loc[t["months_since_report"].fillna(1) > 0, "indicator_id"])
        n_err = int(errors.get(team.team_id, 0))
        reasons = []
        if concern:
            reasons.append("signal of concern: " + ", ".join(concern))
        if missing:
            reasons.append("no report this month: " + ", ".join(missing))
        if n_err:
            reasons.append(f"{n_err} open data error flag(s)")
        if reasons:
            rows.append({"team_id": team.team_id, "team": team.name, "coach": team.coach,
                         "why": "; ".join(reasons)})
    attention = pd.DataFrame(rows, columns=["team_id", "team", "coach", "why"])
    ov = rollup["indicators"].merge(indicators[["indicator_id", "name", "multiplier", "unit"]],
                                    on="indicator_id", how="left")
    overview = pd.DataFrame({
        "indicator": ov["name"],
        "teams": [f"{a:.0f} of {b:.0f}" for a, b in zip(ov["teams_reporting"],
                                                        ov["teams_joined"], strict=False)],
        "at_target": [f"{a:.0f} ({b:.0f}%)" for a, b in zip(ov["teams_at_target"],
                                                           ov["pct_at_target"], strict=False)],
        "pooled": [format_value(v, r) for v, r in zip(ov["pooled_value"],
                                                      ov.to_dict("records"), strict=False)],
        "median": [format_value(v, r) for v, r in zip(ov["median"], ov.to_dict("records"),
                                                      strict=False)],
        "target": [format_value(v, r) for v, r in zip(ov["target"], ov.to_dict("records"),
                                                      strict=False)],
    })
    return CollaborativeSummary(period=p, rollup=rollup, indicators=indicators, teams=teams,
                                measurements=m, spc=spc, attention=attention, overview=overview)

"""The data of the coach's site-visit brief: `site_visit_brief_data(engine, team_id,
visit_date)`.

Built on the team report of the month before the visit (`workbench.briefs.team_report`): what
changed since the previous visit, the signals, PDSA cycles that have stalled, flags to verify,
the previous visit's actions, and questions for the visit generated from all of these.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, SupportsInt, cast

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from workbench.briefs.tables import _change_words, _indicator_dicts, _valid
from workbench.briefs.team_report import TeamReport, _cycle_table, team_report_data
from workbench.charts import data as cd
from workbench.charts.series import format_value
from workbench.errors import ValidationFailed
from workbench.i18n import N_, format_count, format_date
from workbench.i18n import gettext as _
from workbench.rollup.status import signal_label
from workbench.store import read_change_ideas, read_measurements, read_pdsa_cycles, read_visits
from workbench.store.reads import read_pdsa_history

__all__ = ["NO_NEW_DATA", "STALLED_DAYS", "SiteVisitBrief", "site_visit_brief_data"]

STALLED_DAYS = 45


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
    def signal_legend(self) -> str:
        """What the Signal column means, in one line (the team report's legend)."""
        return self.report.signal_legend

    @property
    def visit_date_label(self) -> str:
        """The visit's date for readers (`1 Dec 2026`, `1 déc. 2026`)."""
        return format_date(dt.date.fromisoformat(self.visit_date))

    @property
    def no_new_data(self) -> bool:
        """True when no month was reported after the one before the last visit."""
        return bool(len(self.changes)) and not self.changes["new_data"].any()

    @property
    def since_label(self) -> str:
        if self.previous_visit:
            return _("since the last visit on {date}").format(
                date=format_date(dt.date.fromisoformat(str(self.previous_visit["visit_date"])[:10])))
        return _("since the team joined (no earlier visit)")


def _last_change(engine: Engine, cycle_ids: list[int]) -> dict[int, pd.Timestamp]:
    """When each cycle's status last changed (its first version when it never did)."""
    hist = read_pdsa_history(engine, cycle_ids)
    out: dict[int, pd.Timestamp] = {}
    for cid, rows in hist.groupby("cycle_id"):
        statuses = list(rows["status"])
        times = list(pd.to_datetime(rows["created_at"]))
        last = times[0]
        for i in range(1, len(statuses)):
            if statuses[i] != statuses[i - 1]:
                last = times[i]
        out[int(cast(SupportsInt, cid))] = last
    return out


#: what "What changed" says when no month was reported after the one before the last visit
NO_NEW_DATA = N_("no new data since the last visit")


def _changes(team_m: pd.DataFrame, info: dict[str, dict[str, Any]],
             since: pd.Period | None) -> pd.DataFrame:
    """Each indicator's value in the last month reported up to `since` (the first month
    when None) and in the latest month, with the change in words.

    When the latest month is not after `since` (the last visit came after the last data
    month), there is nothing to compare: the change says `NO_NEW_DATA`, never "+0.0 pts".
    """
    rows = []
    # each indicator's (period, value) in order of period: the frame sorted and split once
    ordered = team_m.sort_values("period", kind="stable")
    months = {key: (list(g["period"]), g["value"].to_numpy(float))
              for key, g in ordered.groupby("indicator_id", sort=False)} if len(ordered) else {}
    for ind_id, i in info.items():
        periods, values = months.get(ind_id, ([], np.array([])))
        now = len(periods) - 1 if periods else None
        if since is None:
            then = 0 if periods else None
        else:
            then = next((n for n in range(len(periods) - 1, -1, -1) if periods[n] <= since),
                        None)
        v_now = float(values[now]) if now is not None else np.nan
        v_then = float(values[then]) if then is not None else np.nan
        stale = since is not None and now is not None and periods[now] <= since
        rows.append({"indicator_id": ind_id, "indicator": i.get("name") or ind_id,
                     "then_month": cd.month_label(periods[then]) if then is not None else "–",
                     "then": format_value(v_then, i) if then is not None else "–",
                     "now_month": cd.month_label(periods[now]) if now is not None else "–",
                     "now": format_value(v_now, i) if now is not None else "–",
                     "change": _(NO_NEW_DATA) if stale else _change_words(v_now - v_then, i),
                     "change_value": np.nan if stale else v_now - v_then,
                     "new_data": not stale})
    return pd.DataFrame(rows)


def _actions(visit: dict[str, Any] | None) -> pd.DataFrame:
    """The actions agreed at `visit` (none without a visit)."""
    listed = visit.get("actions") if visit else None
    return pd.DataFrame(list(listed) if isinstance(listed, list) else [],
                        columns=["action", "owner", "due"])


def site_visit_brief_data(engine: Engine, team_id: str, visit_date: str | None = None
                          ) -> SiteVisitBrief:
    """The coach's brief for a visit on `visit_date` (YYYY-MM-DD; '' = today).

    - the previous visit is the last one recorded on or before `visit_date` (so the brief
      refreshed after a visit is saved compares against that visit);
    - changes: each indicator's value in the last month reported before the previous visit
      and in the latest month before this visit (the month before `visit_date`); "no new data
      since the last visit" when no month was reported since;
    - previous actions: the actions agreed at the previous visit;
    - signals: the signal status of each indicator and its rule in words (the team report's
      headline columns: one signal status everywhere);
    - stalled PDSAs: open cycles whose status has not changed for more than `STALLED_DAYS`;
    - flags to verify: open data flags with the records to recount;
    - questions generated from all of the above.
    """
    try:
        when = pd.Timestamp(visit_date) if visit_date else pd.Timestamp(dt_today())
    except (ValueError, TypeError) as exc:
        raise ValidationFailed(_("visit date {date!r} is not a date; write it as "
                                 "YYYY-MM-DD, e.g. 2026-11-15.").format(date=visit_date)) from exc
    all_m = read_measurements(engine, team_ids=[team_id])
    last_month = pd.Period(when, freq="M") - 1
    period = min(last_month, all_m["period"].max()) if len(all_m) else last_month
    report = team_report_data(engine, team_id, str(period))
    visits = read_visits(engine, team_id=team_id)
    # a visit recorded on the brief's date is the last visit: the brief after a visit is saved
    # is the brief for the next one
    before = visits[visits["visit_date"] <= when.strftime("%Y-%m-%d")] if len(visits) else visits
    previous = cast("dict[str, Any]", before.iloc[-1].to_dict()) if len(before) else None
    info = _indicator_dicts(report.indicators)
    team_m = _valid(all_m[all_m["period"] <= period])
    since = (pd.Period(previous["visit_date"], freq="M") - 1) if previous else None
    changes = _changes(team_m, info, since)
    signals = report.headline[["indicator_id", "indicator", "latest", "target", "signal_status",
                               "signal_rule", "signal"]]
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
    actions = _actions(previous)  # the last visit's, even when it came after `period`
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
        if row.signal_status == "concern":
            rule = ", ".join(signal_label(p.strip()) for p in str(row.signal_rule).split(","))
            out.append(_("{indicator}: the chart shows a signal of concern ({rule}). What "
                         "changed on the ward, and when?").format(indicator=row.indicator,
                                                                   rule=rule))
        elif row.signal_status == "improvement":
            out.append(_("{indicator}: the chart shows a signal of improvement. Which change "
                         "made the difference, and is it now part of the routine?").format(
                indicator=row.indicator))
        if row.met is False and row.signal_status != "improvement":
            out.append(_("{indicator} is at {latest} against a target of {target}. What is the "
                         "next change to test?").format(indicator=row.indicator,
                                                        latest=row.latest, target=row.target))
    for row in stalled.itertuples(index=False):
        out.append(_("PDSA '{title}' has not moved on from '{status}' for {days} days. What is "
                     "in the way?").format(title=row.title, status=row.status,
                                           days=row.days_unchanged))
    for row in report.open_flags.itertuples(index=False):
        out.append(_("Data flag on {indicator} for {month} ({rule}): can we recount it "
                     "together from the registers?").format(indicator=row.indicator,
                                                            month=row.month, rule=row.rule_code))
    for row in actions.itertuples(index=False):
        owner, due = cast("str | None", row.owner), cast("str | None", row.due)
        out.append(_("Last visit's action '{action}' (owner {owner}, due {due}): done?").format(
            action=row.action, owner=owner or "–", due=due or "–"))
    a = report.assessments
    if len(a):
        last = a[a["period"] == a["period"].max()]
        fac = last.loc[last["assessor_type"] == "faculty", "score"]
        own = last.loc[last["assessor_type"] == "self", "score"]
        if len(fac) and len(own) and abs(float(own.iloc[-1]) - float(fac.iloc[-1])) >= 1:
            out.append(_("The team scored itself {own} and the coach {faculty} on the "
                         "assessment scale: what evidence explains the gap?").format(
                own=format_count(own.iloc[-1]), faculty=format_count(fac.iloc[-1])))
    return out

"""The data of the monthly team report: `team_report_data(engine, team_id, period)`.

One team's rows, its SPC series with PDSA events and data flags (the one chart assembly,
`workbench.charts.data.chart_view`), the headline table (latest value, target, change vs last
month and vs baseline, the signal status of `workbench.rollup.status.signal_status` with its
rule in words, collaborative median), PDSA
cycles in flight and finished, open flags with the records to recount, the last coaching
visit with its actions and recounts, and the assessment scores. The collaborative medians are
computed once per kernel for one state of the measurements (`collaborative_medians`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from workbench.briefs.tables import _change_words, _indicator_dicts, _valid, resolve_period
from workbench.charts import data as cd
from workbench.charts.series import (
    FigureHTML,
    control_chart,
    control_chart_html,
    format_value,
)
from workbench.i18n import format_count, format_date, format_number
from workbench.i18n import gettext as _
from workbench.model import plain_text
from workbench.rollup.status import signal_legend, signal_status
from workbench.store import (
    get_team,
    read_assessments,
    read_change_ideas,
    read_collaborative_measurements,
    read_flags,
    read_measurements,
    read_pdsa_cycles,
    read_recounts,
    read_visits,
    team_indicators,
)
from workbench.store.reads import measurements_state

__all__ = [
    "BASELINE_MONTHS",
    "TeamReport",
    "collaborative_figures",
    "collaborative_medians",
    "headline_table",
    "team_report_data",
]

BASELINE_MONTHS = 3


def headline_table(team_m: pd.DataFrame, all_m: pd.DataFrame | None,
                   indicators: pd.DataFrame, spc: pd.DataFrame, period: pd.Period, *,
                   medians: pd.Series | None = None) -> pd.DataFrame:
    """One row per indicator: latest value, target, change vs last month and vs baseline,
    signal, collaborative median (numbers in `*_value` columns, text beside).

    The signal is `signal_status` of the team's charts `spc` (drawn for `period`):
    `signal_status` (improvement, concern, no signal, not enough data), `signal_rule` and
    `signal` (the status and its rule in words).

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
        assert all_m is not None, "headline_table needs all_m when medians is not given"
        month_all = _valid(all_m[all_m["period"] == period])
        medians = month_all.groupby("indicator_id")["value"].median()
    status = signal_status(spc, indicators).set_index("indicator_id") if len(spc) else None
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
        known = status is not None and ind_id in status.index
        sts = cast(pd.DataFrame, status)  # read only when `known`: not None then
        rows.append({
            "indicator_id": ind_id, "indicator": info.get("name") or ind_id,
            "latest_value": value, "previous_value": prev_value, "baseline_value": baseline,
            "target_value": target, "median_value": median,
            "change_month_value": value - prev_value, "change_baseline_value": value - baseline,
            "latest": format_value(value, info) if not np.isnan(value) else _("no report"),
            "target": format_value(target, info) if not np.isnan(target) else "–",
            "target_met": _("yes") if met else (_("no") if met is False else "–"),
            "met": met,
            "vs_last_month": _change_words(value - prev_value, info),
            "vs_baseline": _change_words(value - baseline, info),
            "median": format_value(median, info) if not np.isnan(median) else "–",
            "signal_status": sts.at[ind_id, "signal"] if known else "not enough data",
            "signal_rule": sts.at[ind_id, "rule"] if known else "",
            "signal": sts.at[ind_id, "words"] if known
            else _("not enough data: no month reported"),
        })
    return pd.DataFrame(rows)


# Collaborative aggregates every team report shows (the median of each indicator and month),
# computed once for one state of the data: by the report batch, which keeps them in a file
# and names it in the environment (`CACHE_ENV`), else once per process, keyed by the database
# URL and a fingerprint of `measurement_revisions` (append-only: any change adds rows). They
# hold nothing of one team that another team's report does not show as well.
CACHE_ENV = "WORKBENCH_COLLABORATIVE_CACHE"
_COLLABORATIVE_CACHE: dict[tuple[str, tuple[Any, ...]], tuple[pd.Period | None, pd.Series]] = {}
_CACHE_SIZE = 4


def collaborative_figures(engine: Engine) -> tuple[pd.Period | None, pd.Series]:
    """(latest month in the data, median of the teams' valid values by (period,
    indicator_id)), computed from every team's rows of the collaborative indicators.

    The rows are the roll-ups' one-scan read (`read_collaborative_measurements`), leaving
    out a row whose stored count is not a number (`unreadable="skip"`): it fails the report
    of its own team (which reads it), never every team's."""
    all_m = read_collaborative_measurements(engine, unreadable="skip")
    latest = all_m["period"].max() if len(all_m) else None
    return latest, _medians(all_m)


def _medians(all_m: pd.DataFrame) -> pd.Series:
    """The median of the valid values (`_valid`) by (period, indicator_id)."""
    return _valid(all_m).groupby(["period", "indicator_id"])["value"].median()


def _from_batch_file() -> tuple[pd.Period | None, pd.Series] | None:
    import os
    import pickle

    path = os.environ.get(CACHE_ENV, "")
    if not path or not os.path.isfile(path):
        return None
    key = ("file:" + path, (os.path.getmtime(path),))
    cached = _COLLABORATIVE_CACHE.get(key)
    if cached is None:
        with open(path, "rb") as handle:  # written by this workbench's report batch
            cached = cast("tuple[pd.Period | None, pd.Series]", pickle.load(handle))
        _remember(key, cached)
    return cached


def _remember(key: tuple[str, tuple[Any, ...]],
              value: tuple[pd.Period | None, pd.Series]) -> None:
    while len(_COLLABORATIVE_CACHE) >= _CACHE_SIZE:
        _COLLABORATIVE_CACHE.pop(next(iter(_COLLABORATIVE_CACHE)))
    _COLLABORATIVE_CACHE[key] = value


def collaborative_medians(engine: Engine) -> tuple[pd.Period | None, pd.Series]:
    """`collaborative_figures` of the current data: from the report batch's file when one
    is named in `$WORKBENCH_COLLABORATIVE_CACHE`, else cached in the process for the current
    state of the measurements."""
    from_batch = _from_batch_file()
    if from_batch is not None:
        return from_batch
    key = (engine.url.render_as_string(hide_password=False), measurements_state(engine))
    cached = _COLLABORATIVE_CACHE.get(key)
    if cached is None:
        cached = collaborative_figures(engine)
        _remember(key, cached)
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
        out[col] = out[col].map(plain_text)
    return out


def _by_indicator(frame: pd.DataFrame) -> Callable[[str], pd.DataFrame]:
    """`lambda ind_id: frame[frame["indicator_id"] == ind_id]`, the frame split once."""
    if frame.empty or "indicator_id" not in frame:
        return lambda _ind_id: frame.iloc[0:0]
    groups = dict(iter(frame.groupby("indicator_id", sort=False)))
    return lambda ind_id: groups.get(ind_id, frame.iloc[0:0])


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
    #: the headline rows of the team's own measures (`workbench measure add`), apart
    own_headline: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def own_measures_note(self) -> str:
        """What the team's own measures are, or that it has none."""
        if self.own_headline.empty:
            return _("This team has no measure of its own. A team adds one to test a change "
                     "with workbench measure add.")
        return _("Measures this team added to test its changes. They are not part of the "
                 "collaborative's figures, so they have no collaborative median.")

    @property
    def team_label(self) -> str:
        return f"{self.team['team_id']} {self.team['name']}"

    @property
    def period_label(self) -> str:
        return cd.month_label(self.period)

    @property
    def signal_legend(self) -> str:
        """What the Signal column means, in one line (`signal_legend`)."""
        return signal_legend()

    @property
    def chart_guide(self) -> str:
        """How to read the charts, in one paragraph."""
        return _("Dots are monthly values; grey steps are the expected range (control limits). "
                 "Large red diamonds are months outside the limits (astronomical points); a "
                 "dashed red centre line means a shift or too few crossings in that phase. "
                 "PDSA cycles are the markers in the lane under the chart; a new phase starts "
                 "after an adopted change. A grey square marks a month left out of the limits "
                 "(an open data-error flag).")

    def _charted(self, own: bool) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
        """(indicator_id, indicator, the chart's arguments) of each chart `figures` draws."""
        out = []
        owner = self.indicators.get("team_id", pd.Series(None, index=self.indicators.index))
        shown = self.indicators[owner.notna() == own]
        spc, events, flags = (_by_indicator(frame)
                              for frame in (self.spc, self.events, self.flag_notes))
        for ind_id, info in _indicator_dicts(shown).items():
            pts = spc(ind_id)
            if pts.empty:
                continue
            out.append((ind_id, info, {"points": pts, "team_label": self.team_label,
                                       "events": events(ind_id), "flags": flags(ind_id)}))
        return out

    def figures(self, own: bool = False) -> list[tuple[str, Any]]:
        """(indicator_id, annotated control chart) for every collaborative indicator with
        data; `own`: for every measure of the team's own instead. Drawn for a static page
        (`control_chart(sparse=True)`: no glyph that would draw nothing)."""
        return [(ind_id, control_chart(indicator=info, sparse=True, **args))
                for ind_id, info, args in self._charted(own)]

    def charts(self, own: bool = False) -> list[tuple[str, FigureHTML]]:
        """The charts of `figures`, already embedded for the page (`control_chart_html`:
        the same documents, without building each chart's bokeh models): what the report
        shows (`charts.show_many`)."""
        return [(ind_id, control_chart_html(indicator=info, **args))
                for ind_id, info, args in self._charted(own)]

    def assessment_figure(self) -> Any:
        """The team's assessment-scale chart (a bokeh figure)."""
        from workbench.charts.assessment import assessment_chart

        return assessment_chart(self.assessments, team_label=self.team_label)

    def assessment_chart(self) -> FigureHTML:
        """The chart of `assessment_figure`, already embedded for the page
        (`assessment_chart_html`: the same document, without building the figure): what the
        report shows (`charts.show`)."""
        from workbench.charts.assessment import assessment_chart_html

        return assessment_chart_html(self.assessments, team_label=self.team_label)

    @property
    def last_visit_text(self) -> str:
        v = self.last_visit
        if not v:
            return _("No coaching visit recorded yet.")
        when = plain_text(v["visit_date"])
        try:
            when = format_date(dt.date.fromisoformat(when[:10]))
        except ValueError:
            pass
        return _("{date}, by {coach}: {notes}").format(
            date=when, coach=v["coach"], notes=plain_text(v.get("notes")) or _("no notes"))


def _load_team(engine: Engine, team_id: str, period: str | None) -> tuple[
        dict[str, Any], pd.DataFrame, pd.Series, pd.DataFrame, pd.Period, pd.DataFrame,
        pd.DataFrame, cd.ChartView, pd.DataFrame]:
    team = get_team(engine, team_id)
    indicators = team_indicators(engine, team_id)  # the collaborative's and its own
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
    flags = read_flags(engine, team_id=team_id)
    view = cd.chart_view(team_m, indicators, cycles, ideas, flags, period=p)
    return team, indicators, _medians_of(medians, p), team_m, p, cycles, ideas, view, flags


def _open_flags(flags: pd.DataFrame, indicators: pd.DataFrame, measurements: pd.DataFrame,
                ) -> pd.DataFrame:
    cols = ["flag_id", "rule_code", "severity", "indicator_id", "indicator", "period", "month",
            "message", "reported", "recount"]
    f = flags[flags["status"] == "open"].copy() if len(flags) else flags
    if f is None or f.empty:
        return pd.DataFrame(columns=cols)
    info = _indicator_dicts(indicators)
    cur = measurements.assign(period=measurements["period"].astype(str)).set_index(
        ["indicator_id", "period"])
    reported, recount, months = [], [], []
    for row in f.itertuples(index=False):
        months.append(cd.month_label(cast("pd.Period | str", row.period))
                      if plain_text(row.period) else "–")
        key = cast("tuple[str, str]", (row.indicator_id, row.period))
        if key in cur.index:
            r = cast("pd.Series | pd.DataFrame", cur.loc[key])
            r = r.iloc[0] if isinstance(r, pd.DataFrame) else r
            reported.append(f"{format_count(r['numerator']) or '–'} / "
                            f"{format_count(r['denominator']) or '–'}")
        else:
            reported.append(_("not reported"))
        i = info.get(cast(str, row.indicator_id), {})
        if i:
            recount.append(_("{month}: count '{numerator}' and '{denominator}' from the "
                             "registers").format(month=months[-1],
                                                 numerator=i.get("numerator_definition"),
                                                 denominator=i.get("denominator_definition")))
        else:
            recount.append("–")
    from workbench.validate.messages import flag_messages

    f["month"], f["reported"], f["recount"] = months, reported, recount
    f["message"] = flag_messages(f)  # in the report's language (the stored text is English)
    f["indicator"] = [info.get(cast(str, i), {}).get("name") or i for i in f["indicator_id"]]
    return f[cols].reset_index(drop=True)


def team_report_data(engine: Engine, team_id: str, period: str | None = None) -> TeamReport:
    """Everything the monthly report of one team shows, for the month `period` (YYYY-MM;
    None or '' = the latest month in the data). Data after `period` are ignored.

    In a report batch that kept this team's report for the same month and data, the kept
    one (`workbench.briefs.reuse`: a site-visit brief after the team report)."""
    from workbench.briefs.reuse import keep_report, kept_report

    kept = kept_report(team_id, period) if period else None
    if isinstance(kept, TeamReport):
        return kept
    team, indicators, medians, team_m, p, cycles, ideas, view, flags = _load_team(
        engine, team_id, period)
    headline = headline_table(team_m, None, indicators, view.spc, p, medians=medians)
    own = headline["indicator_id"].isin(indicators.loc[indicators["team_id"].notna(),
                                                       "indicator_id"]) if len(headline) \
        else pd.Series(dtype=bool)
    start, end = p.to_timestamp(how="start"), p.to_timestamp(how="end")
    table = _cycle_table(cycles, ideas) if len(cycles) else cycles.assign(change="", cycle=0)
    started = pd.to_datetime(table["start_date"].replace("", None), errors="coerce")
    ended = pd.to_datetime(table["end_date"].replace("", None), errors="coerce")
    in_flight = table[(table["status"] != "closed") & (started.isna() | (started <= end))
                      & (ended.isna() | (ended > end))]
    finished = table[(ended >= start) & (ended <= end)]
    visits = read_visits(engine, team_id=team_id)
    visits = visits[pd.to_datetime(visits["visit_date"]) <= end] if len(visits) else visits
    last_visit = cast("dict[str, Any]", visits.iloc[-1].to_dict()) if len(visits) else None
    actions = pd.DataFrame(list(last_visit["actions"]) if last_visit and isinstance(
        last_visit.get("actions"), list) else [], columns=["action", "owner", "due"])
    recounts = read_recounts(engine, team_id=team_id)
    if last_visit is not None and len(recounts):
        from workbench.validate.verification import verification_table

        recounts = verification_table(recounts[recounts["visit_id"] == last_visit["visit_id"]])
        recounts["month"] = recounts["period"].map(cd.month_label)
        names = _indicator_dicts(indicators)
        recounts["indicator"] = [names.get(i, {}).get("name") or i
                                 for i in recounts["indicator_id"]]
        recounts["result"] = np.where(recounts["in_band"], _("agrees"), _("differs: check"))
        recounts["factor"] = recounts["vf"].map(
            lambda v: "–" if pd.isna(v) else format_number(v, 2))
        for column in ("reported_numerator", "recounted_numerator", "reported_denominator",
                       "recounted_denominator"):
            recounts[column] = recounts[column].map(lambda v: format_count(v) or "–")
    else:
        recounts = recounts.iloc[0:0]
    assessments = read_assessments(engine, team_id=team_id)
    assessments = assessments[assessments["period"] <= str(p)]
    # the store returns rows in entry order: the last per month and assessor type is current
    assessments = assessments.drop_duplicates(["period", "assessor_type"], keep="last")
    report = TeamReport(
        team=team, period=p, indicators=indicators,
        headline=headline[~own].reset_index(drop=True) if len(headline) else headline,
        own_headline=headline[own].reset_index(drop=True) if len(headline) else headline,
        spc=view.spc,
        events=view.events, flag_notes=view.flags, pdsa_in_flight=in_flight.reset_index(drop=True),
        pdsa_finished=finished.reset_index(drop=True),
        open_flags=_open_flags(flags, indicators, team_m), last_visit=last_visit,
        visit_actions=actions, recounts=recounts.reset_index(drop=True),
        assessments=assessments.reset_index(drop=True))
    keep_report(report)
    return report

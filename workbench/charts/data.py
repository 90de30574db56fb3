"""Frames behind the charts: SPC points per team × indicator, PDSA events, phases, flags.

Pure functions on the store's frames (no I/O), vectorised over all teams: one `qic()` call per
chart type covers every series. `workbench.briefs` reads the store and calls these.

Phases: a change adopted at the end of a PDSA cycle starts a new phase (qicharts2 `part`) in
the charts of the indicators the cycle is linked to, from the month after the decision —
but only when each phase keeps at least `MIN_PHASE_POINTS` months, so limits stay usable.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from workbench.model import plain_text as _text
from workbench.spc.qic import NEEDS_N, qic

__all__ = [
    "MIN_PHASE_POINTS",
    "SPC_COLUMNS",
    "adoption_phases",
    "flag_notes",
    "month_label",
    "pdsa_events",
    "signal_words",
    "spc_frame",
]

MIN_PHASE_POINTS = 8
SPC_COLUMNS = ["team_id", "indicator_id", "period", "x", "numerator", "denominator", "value",
               "y", "cl", "lcl", "ucl", "part", "sigma_signal", "runs_signal", "chart"]

_EVENT_COLUMNS = ["team_id", "indicator_id", "cycle_id", "date", "period", "kind", "label",
                  "detail", "change_id", "change_name", "cycle_number", "title"]


def month_label(period: pd.Period | str) -> str:
    """`Jan 2025` for a monthly period (or a 'YYYY-MM' string)."""
    return pd.Period(period, freq="M").strftime("%b %Y")


def _chart_of(indicators: pd.DataFrame) -> pd.Series:
    chart = indicators.set_index("indicator_id")["chart"].fillna("run").astype(str)
    return chart.where(chart != "", "run")


def spc_frame(measurements: pd.DataFrame, indicators: pd.DataFrame,
              phases: pd.DataFrame | None = None) -> pd.DataFrame:
    """SPC lines for every (team, indicator) series of a tidy frame, on the value scale.

    `phases`: optional (team_id, indicator_id, period) rows, each the first month of a new
    phase. Returns `SPC_COLUMNS`, sorted by team, indicator, period; `x` is the first day of
    the month (a Timestamp), `part` counts phases from 1.
    """
    if measurements.empty:
        return pd.DataFrame(columns=SPC_COLUMNS)
    data = measurements.sort_values(["team_id", "indicator_id", "period"]).reset_index(drop=True)
    chart_of = _chart_of(indicators)
    data["chart"] = data["indicator_id"].map(chart_of).fillna("run")
    # rows a chart cannot take become gaps (the data-quality flags report them)
    num, den = data["numerator"].astype(float), data["denominator"].astype(float)
    needs_n = data["chart"].isin(list(NEEDS_N))
    bad = (num < 0) | (needs_n & ((den <= 0) | den.isna()))
    bad |= data["chart"].isin(["p", "pp"]) & (num > den)
    data.loc[bad, ["numerator", "denominator", "value"]] = np.nan
    data["part"] = 1
    if phases is not None and len(phases):
        starts = phases.assign(period=pd.PeriodIndex(phases["period"].astype(str), freq="M"))
        for (team, ind), group in starts.groupby(["team_id", "indicator_id"]):
            mask = (data["team_id"] == team) & (data["indicator_id"] == ind)
            cuts = np.sort(group["period"].to_numpy())
            data.loc[mask, "part"] = 1 + np.searchsorted(cuts, data.loc[mask, "period"].to_numpy(),
                                                          side="right")
    data["x"] = data["period"].dt.to_timestamp()
    data["key"] = (data["team_id"] + "\x1f" + data["indicator_id"] + "\x1f"
                   + data["part"].astype(str))
    pieces = []
    for chart, group in data.groupby("chart", sort=False):
        if chart in NEEDS_N:
            result = qic(group, chart, x="x", y="numerator", n="denominator", series="key")
        else:
            result = qic(group, chart, x="x", y="value", series="key")
        pts = result.points[["series", "x", "cl", "lcl", "ucl", "sigma_signal", "runs_signal"]]
        pts = pts.rename(columns={"series": "key"})
        pieces.append(group.merge(pts, on=["key", "x"], how="left"))
    out = pd.concat(pieces, ignore_index=True)
    out["y"] = out["value"]
    out["sigma_signal"] = out["sigma_signal"].fillna(False).astype(bool)
    out["runs_signal"] = out["runs_signal"].fillna(False).astype(bool)
    out = out.sort_values(["team_id", "indicator_id", "period"]).reset_index(drop=True)
    return out[SPC_COLUMNS]



def _as_list(value: object) -> list[str]:
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    if isinstance(value, np.ndarray):
        return [str(v) for v in value.tolist()]
    return []


def pdsa_events(cycles: pd.DataFrame, change_ideas: pd.DataFrame | None = None) -> pd.DataFrame:
    """Chart annotations from PDSA cycles: a `start` at each start date and the act decision
    (`adopt` / `adapt` / `abandon`) at the end date, once per linked indicator.

    A cycle with no linked indicators is drawn on the indicators of its change idea.
    `label` is short (for the chart); `detail` is the longer hover text. Text is raw user
    text: escaping is the renderer's job (bokeh hover and `workbench.notebook.render` escape it).
    """
    if cycles is None or cycles.empty:
        return pd.DataFrame(columns=_EVENT_COLUMNS)
    ideas = {}
    idea_inds = {}
    if change_ideas is not None and len(change_ideas):
        ideas = dict(zip(change_ideas["change_id"], change_ideas["name"], strict=False))
        idea_inds = dict(zip(change_ideas["change_id"],
                             change_ideas["indicator_ids"].map(_as_list), strict=False))
    rows = []
    for cyc in cycles.itertuples(index=False):
        inds = _as_list(cyc.linked_indicators) or idea_inds.get(cyc.change_id, [])
        name = _text(ideas.get(cyc.change_id)) or _text(cyc.change_id)
        title = _text(cyc.title) or name
        base = f"{cyc.change_id} cycle {cyc.cycle_number}"
        marks = []
        start, end, act = _text(cyc.start_date), _text(cyc.end_date), _text(cyc.act_decision)
        if start:
            marks.append((start, "start", f"{base} start", f"PDSA started: {title} ({name})"))
        if act and end:
            marks.append((end, act, f"{base} {act}", f"{act.capitalize()}: {title} ({name})"))
        for date, kind, label, detail in marks:
            for ind in inds:
                rows.append((cyc.team_id, ind, int(cyc.cycle_id), pd.Timestamp(date),
                             pd.Period(date, freq="M"), kind, label, detail, cyc.change_id,
                             name, int(cyc.cycle_number), title))
    return pd.DataFrame(rows, columns=_EVENT_COLUMNS).sort_values(
        ["team_id", "indicator_id", "date"], kind="stable").reset_index(drop=True)


def adoption_phases(events: pd.DataFrame, measurements: pd.DataFrame,
                    min_points: int = MIN_PHASE_POINTS) -> pd.DataFrame:
    """First months of new phases: the month after each `adopt`, kept only when the phase
    before and the one after it each hold at least `min_points` months of data."""
    cols = ["team_id", "indicator_id", "period", "cycle_id"]
    if events.empty or measurements.empty:
        return pd.DataFrame(columns=cols)
    adopted = events[events["kind"] == "adopt"]
    rows = []
    months = measurements.groupby(["team_id", "indicator_id"])["period"].apply(
        lambda s: np.sort(s.to_numpy()))
    for (team, ind), group in adopted.groupby(["team_id", "indicator_id"]):
        if (team, ind) not in months.index:
            continue
        have = months[(team, ind)]
        last_cut = None
        for ev in group.sort_values("date").itertuples(index=False):
            start = ev.period + 1
            before = np.sum(have < start) if last_cut is None else np.sum(
                (have >= last_cut) & (have < start))
            after = np.sum(have >= start)
            if before >= min_points and after >= min_points:
                rows.append((team, ind, start, ev.cycle_id))
                last_cut = start
    return pd.DataFrame(rows, columns=cols)


def flag_notes(flags: pd.DataFrame, statuses: Iterable[str] = ("open",)) -> pd.DataFrame:
    """One row per (team_id, indicator_id, period) with the messages of its flags joined."""
    cols = ["team_id", "indicator_id", "period", "flag_text", "flag_ids"]
    if flags is None or flags.empty:
        return pd.DataFrame(columns=cols)
    f = flags[flags["status"].isin(list(statuses)) & flags["period"].notna()
              & flags["indicator_id"].notna()]
    if f.empty:
        return pd.DataFrame(columns=cols)
    f = f.assign(period=pd.PeriodIndex(f["period"].astype(str), freq="M"),
                 text=f["rule_code"].astype(str) + ": " + f["message"].astype(str))
    out = f.groupby(["team_id", "indicator_id", "period"]).agg(
        flag_text=("text", "; ".join), flag_ids=("flag_id", list)).reset_index()
    return out[cols]


def signal_words(series: pd.DataFrame, direction: str = "increase") -> str:
    """The SPC signal of one series' latest point, in words a coach can read.

    Looks at the latest point (outside the limits?) and its phase (a runs signal: shift or
    trend). Direction says which way is better.
    """
    s = series.dropna(subset=["y"])
    if s.empty:
        return "no data"
    last = s.iloc[-1]
    phase = s[s["part"] == last["part"]]
    better_up = direction != "decrease"
    words = []
    if bool(last["sigma_signal"]):
        high = last["y"] > last["ucl"] if pd.notna(last["ucl"]) else False
        good = high == better_up
        words.append(f"unusually {'high' if high else 'low'} this month "
                     f"({'improvement' if good else 'concern'})")
    if bool(phase["runs_signal"].any()):
        recent = phase.tail(6)
        above = float(np.mean(recent["y"] > recent["cl"]))
        up = above >= 0.5
        good = up == better_up
        words.append(f"sustained shift {'above' if up else 'below'} the centre line "
                     f"({'improvement' if good else 'concern'})")
    if not words:
        return "no signal: ordinary month-to-month variation"
    return "; ".join(words)

"""The signal status of a team × indicator in a month, and the learning session's matrix.

Pure pandas, no I/O; re-exported by `workbench.rollup`. There is ONE signal status: every
surface (team report, site-visit brief, coach app, status matrix, `workbench summary`,
learning-session app, team card) shows what `signal_status` says.

**Signal rule** (`signal_status`), read from the chart the report draws for the reporting
month (`workbench.rollup.series.team_charts`: data up to that month, a new phase after each
adopted change, months the chart cannot take left out, Anhøj rules), in its current phase
(the last):

1. `not enough data`: fewer than `MIN_SIGNAL_POINTS` months with a value in the phase.
2. *astronomical point*: the latest month lies outside the control limits; its side (above
   the upper or below the lower limit) gives the direction. It is the newest evidence, so it
   decides when the runs rules point the other way.
3. *shift* (a run on one side of the centre line longer than round(log2 n) + 3 months) or
   *crossings* (fewer crossings of the centre line than qbinom(0.05, n − 1, ½)): the level
   moved within the phase; the direction is the way it moved, the mean of the later half of
   the phase's months against the mean of the earlier half (a tie: the side of the latest
   month off the centre line).
4. Otherwise `no signal`.

The direction becomes `improvement` or `concern` by the indicator's direction: up is
better for `increase`, down for `decrease`. `SIGNAL_LEGEND` says this in one line for
readers; `words` says it for each series.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import numpy as np
import pandas as pd

from workbench.i18n import N_, format_month, ngettext
from workbench.i18n import gettext as _
from workbench.rollup.base import (
    at_target,
    frame_codes,
    from_ordinals,
    group_numbers,
    indicator_attributes,
    per_distinct,
    prepare,
    team_attributes,
)
from workbench.rollup.series import MIN_PHASE_POINTS, TeamCharts, team_charts

__all__ = [
    "MIN_SIGNAL_POINTS",
    "SIGNALS",
    "SIGNAL_COLUMNS",
    "SIGNAL_LEGEND",
    "chart_signals",
    "chart_signals_of",
    "signal_label",
    "signal_legend",
    "signal_status",
    "status_matrix",
]

#: The four signal statuses, best first.
SIGNALS = ("improvement", "concern", "no signal", "not enough data")
#: A phase needs this many months with a value before its chart is judged.
MIN_SIGNAL_POINTS = MIN_PHASE_POINTS

_LEGEND = N_(
    "Signal, read from the current phase of the team's chart (a new phase starts after an "
    "adopted change): shift = more months in a row on one side of the centre line than "
    "chance allows (round(log2 n) + 3, e.g. 9 or more in 24 months); crossings = fewer "
    "crossings of the centre line than chance allows; astronomical point = this month is "
    "outside the control limits; judged improvement or concern by the indicator's "
    "direction (higher or lower is better); not enough data = fewer than "
    "{points} months in the phase.")
#: The legend in English (`signal_legend()` gives it in the reader's language).
SIGNAL_LEGEND = _LEGEND.format(points=MIN_SIGNAL_POINTS)

#: A status as readers see it (`signal_label`): the statuses themselves are codes.
_LABELS = {"improvement": N_("improvement"), "concern": N_("concern"),
           "no signal": N_("no signal"), "not enough data": N_("not enough data"),
           "astronomical point": N_("astronomical point"), "shift": N_("shift"),
           "crossings": N_("crossings")}


def signal_legend() -> str:
    """What the Signal column means, in one line, in the current language."""
    return _(_LEGEND).format(points=MIN_SIGNAL_POINTS)


def signal_label(code: str) -> str:
    """A status or rule code (`improvement`, `shift` …) in the current language."""
    return _(_LABELS[code]) if code in _LABELS else code


SIGNAL_COLUMNS = ["team_id", "indicator_id", "chart", "latest_period", "phase", "n_points",
                  "side", "signal", "rule", "words"]

_KEYS = ["team_id", "indicator_id"]
_SID = "_sid"  # a series' number (`_series_ids`)
#: what `signal_status` reads of a chart's rows
_READ = ["period", "y", "cl", "part", "sigma_signal", "longest_run", "longest_run_max",
         "n_crossings", "n_crossings_min", "n_useful"]


def _series_ids(spc: pd.DataFrame) -> np.ndarray:
    """One integer per team × indicator series (rows grouped by integers, not by two text
    columns: the text is hashed once here instead of once per grouping)."""
    teams, _ = frame_codes(spc, "team_id")  # `spc_frame` gives its frame's codes
    indicators, names = frame_codes(spc, "indicator_id")
    out: np.ndarray = teams * (len(names) + 1) + indicators
    return out


def _movement(phase: pd.DataFrame) -> pd.Series:
    """Mean of the later half of each phase's months minus the mean of the earlier half
    (`phase` sorted by month within each series `_sid`, each series' rows together)."""
    sid = phase[_SID].to_numpy()
    starts = np.flatnonzero(np.r_[True, sid[1:] != sid[:-1]]) if len(sid) else np.zeros(
        0, dtype=np.int64)
    counts = np.diff(np.append(starts, len(sid)))
    pos = np.arange(len(sid)) - np.repeat(starts, counts)  # the month's place in its phase
    n = np.repeat(counts, counts)
    y = phase["y"].astype(float)
    frame = phase[[_SID]].assign(early=y.where(pos < n // 2), late=y.where(pos >= n - n // 2))
    means = frame.groupby(_SID, sort=False)[["early", "late"]].mean()
    return means["late"] - means["early"]


def _astronomical_phrase(above: bool, month: str) -> str:
    return (_("{month} is above the upper control limit") if above
            else _("{month} is below the lower control limit")).format(month=month)


def _shift_phrase(run: int, most: int) -> str:
    return _("{run} months in a row on one side of the centre line (more than {most} "
             "is unlikely by chance)").format(run=run, most=most)


def _crossings_phrase(times: int, months: int, least: int) -> str:
    return ngettext("the months cross the centre line {times} time in {months} (fewer "
                    "than {least} is unlikely by chance)",
                    "the months cross the centre line {times} times in {months} (fewer "
                    "than {least} is unlikely by chance)", times).format(
        times=times, months=months, least=least)


def _movement_phrase(higher: bool) -> str:
    return (_("the later months of the phase are higher than the earlier ones") if higher
            else _("the later months of the phase are lower than the earlier ones"))


def _phrases(r: Mapping[str, Any], month: str) -> list[str]:
    out = []
    if r["astronomical"]:
        out.append(_astronomical_phrase(r["last_side"] > 0, month))
    if r["shift"]:
        out.append(_shift_phrase(int(r["longest_run"]), int(r["longest_run_max"])))
    if r["crossings"]:
        out.append(_crossings_phrase(int(r["n_crossings"]), int(r["n_useful"]),
                                     int(r["n_crossings_min"])))
    if (r["shift"] or r["crossings"]) and not r["astronomical"] and r["move"] != 0:
        out.append(_movement_phrase(r["move"] > 0))
    return out


def _rule_words(rule: object) -> str:
    return ", ".join(signal_label(part.strip()) for part in str(rule).split(","))


#: what `_signal_sentence` puts where the reasons go (no label or translation holds it)
_WHY = "\x00"


def _signal_sentence(signal: object, rule: object) -> str:
    """The sentence of a signal and its rules with `_WHY` where the reasons go."""
    return _("{signal} ({rule}): {why}").format(signal=signal_label(str(signal)),
                                                 rule=_rule_words(rule), why=_WHY)


def _words(r: Mapping[str, Any], months: Mapping[Any, str] | None = None) -> str:
    """The status of one series in words: what it is, which rule fired and what it saw
    (`months`: latest_period → the month in words, when already formatted)."""
    if r["signal"] == "not enough data":
        return _("not enough data: {points} month(s) in the current phase, {needed} "
                 "needed").format(points=int(r["n_points"]), needed=MIN_SIGNAL_POINTS)
    if r["signal"] == "no signal":
        return _("no signal: ordinary month-to-month variation")
    month = (months[r["latest_period"]] if months is not None
             else format_month(pd.Period(r["latest_period"], freq="M")))
    why = "; ".join(_phrases(r, month))
    return why.join(_signal_sentence(r["signal"], r["rule"]).split(_WHY))


def _loud_words(loud: pd.DataFrame) -> list[str]:
    """`_words` of rows with a signal, each phrase and sentence built once per distinct
    set of the values it says, then joined per row."""
    n = len(loud)
    astro, shift, cross = (loud[c].to_numpy(dtype=bool)
                           for c in ("astronomical", "shift", "crossings"))
    move = loud["move"].to_numpy(dtype=float)
    phrases = [np.full(n, None, dtype=object) for _ in range(4)]
    phrases[0][astro] = per_distinct(
        [loud["last_side"].to_numpy(dtype=float)[astro] > 0,
         loud["period"].to_numpy(dtype=object)[astro]],
        lambda above, month: _astronomical_phrase(bool(above), format_month(
            pd.Period(month, freq="M"))))
    phrases[1][shift] = per_distinct(
        [loud[c].to_numpy(dtype=object)[shift] for c in ("longest_run", "longest_run_max")],
        lambda run, most: _shift_phrase(int(run), int(most)))
    phrases[2][cross] = per_distinct(
        [loud[c].to_numpy(dtype=object)[cross]
         for c in ("n_crossings", "n_useful", "n_crossings_min")],
        lambda times, months, least: _crossings_phrase(int(times), int(months), int(least)))
    with np.errstate(invalid="ignore"):
        moved = (shift | cross) & ~astro & (move != 0)
        phrases[3][moved] = np.where(move[moved] > 0, _movement_phrase(True),
                                     _movement_phrase(False))
    sentences = per_distinct([loud["signal"].to_numpy(dtype=object),
                               loud["rule"].to_numpy(dtype=object)],
                              _signal_sentence)
    return ["; ".join(p for p in row if p is not None).join(sentence.split(_WHY))
            for sentence, *row in zip(sentences.tolist(), *(p.tolist() for p in phrases),
                                      strict=True)]


def _all_words(out: pd.DataFrame) -> list[str]:
    """`_words` of every row of `out`, each distinct sentence built once (20,000 series
    hold a handful of quiet ones and a few thousand signals)."""
    quiet = out["signal"].isin(["not enough data", "no signal"]).to_numpy()
    words = np.empty(len(out), dtype=object)
    at = np.flatnonzero(quiet)
    for key, rows in out[quiet].groupby(["signal", "n_points"], sort=False).indices.items():
        signal, points = cast("tuple[str, int]", key)
        words[at[rows]] = _words({"signal": signal, "n_points": points})
    words[~quiet] = _loud_words(out[~quiet])
    return list(words)


_RULE_NAMES = ("astronomical point", "shift", "crossings")
#: the rules that fired, by the code 4 × astronomical + 2 × shift + crossings
_RULES = np.array([", ".join(name for bit, name in zip((4, 2, 1), _RULE_NAMES, strict=True)
                             if code & bit) for code in range(8)], dtype=object)


def _current_phase(sid: np.ndarray, part: pd.Series) -> np.ndarray:
    """Which rows are of their series' last phase (highest `part`), as booleans (`sid`:
    each row's series number)."""
    if pd.api.types.is_integer_dtype(part.dtype) and len(sid) and bool(
            (np.diff(sid) >= 0).all()):  # series in runs: the highest part of each run
        ends = _run_ends(sid)
        counts = np.diff(np.r_[-1, ends])
        highest = np.repeat(np.maximum.reduceat(part.to_numpy(), np.r_[0, ends[:-1] + 1]),
                            counts)
        current: np.ndarray = part.to_numpy() == highest
        return current
    by_series = pd.Series(part.to_numpy(), index=pd.RangeIndex(len(sid)))
    return (by_series == by_series.groupby(sid, sort=False).transform("max")).to_numpy()


def _run_ends(keys: np.ndarray) -> np.ndarray:
    """The last position of each run of equal `keys`."""
    if not len(keys):
        return np.zeros(0, dtype=np.int64)
    return np.append(np.flatnonzero(keys[1:] != keys[:-1]), len(keys) - 1)


def _in_runs(phase: pd.DataFrame) -> bool:
    """Are the rows sorted by series number, then month (no month missing)?"""
    sid = phase[_SID].to_numpy()
    month = pd.PeriodIndex(phase["period"]).asi8 if isinstance(
        phase["period"].dtype, pd.PeriodDtype) else None
    if month is None or not len(sid) or (month == np.iinfo(np.int64).min).any():
        return False
    step = np.diff(sid)
    return bool(((step > 0) | ((step == 0) & (np.diff(month) > 0))).all())


def signal_status(spc: pd.DataFrame, indicators: pd.DataFrame,
                  min_points: int = MIN_SIGNAL_POINTS) -> pd.DataFrame:
    """The signal of each team × indicator chart (rule in the module docstring).

    `spc`: the charts as drawn for the reporting month (`team_charts(...).spc`, or the `spc`
    of a team report). Columns `SIGNAL_COLUMNS`: chart, latest_period (latest month with a
    value), phase (number of the current phase), n_points (months with a value in it), side
    (+1 up, −1 down, 0 none), signal (one of `SIGNALS`), rule (`astronomical point`,
    `shift`, `crossings`, comma-joined; '' without signal), words (the status explained).
    """
    attrs = indicator_attributes(indicators).set_index("indicator_id")
    sid = _series_ids(spc)
    every = spc[_KEYS + ["chart"]].assign(_sid=sid).drop_duplicates(_SID)
    has_y = spc["y"].notna().to_numpy()
    rows = np.flatnonzero(has_y)  # the rows with a value of each series' current phase
    rows = rows[_current_phase(sid[rows], spc["part"].iloc[rows])]
    current = np.zeros(len(spc), dtype=bool)
    current[rows] = True
    phase = spc.loc[current, _READ].assign(_sid=sid[rows])
    in_runs = _in_runs(phase)
    if not in_runs:
        phase = phase.sort_values([_SID, "period"], kind="stable")
    with np.errstate(invalid="ignore"):
        off = cast("pd.Series[float]", np.sign(phase["y"].astype(float)
                                                 - phase["cl"].astype(float))).fillna(0.0)
    if in_runs:  # each series' rows together, by month (`spc_frame`'s order)
        ends = _run_ends(phase[_SID].to_numpy())
        starts = np.r_[0, ends[:-1] + 1] if len(ends) else ends
        n_points = pd.Series(ends - starts + 1, name="n_points", index=pd.Index(
            phase[_SID].to_numpy()[ends], name=_SID))
        last = phase.iloc[ends].set_index(_SID)
        useful = (off != 0).to_numpy()
        useful_sid = phase[_SID].to_numpy()[useful]
        at = _run_ends(useful_sid)
        useful_side = pd.Series(off.to_numpy()[useful][at], index=useful_sid[at])
    else:
        n_points = phase.groupby(_SID, sort=False).size().rename("n_points")
        last = phase.groupby(_SID, sort=False).tail(1).set_index(_SID)
        useful_side = phase.assign(_off=off)[off != 0].groupby(_SID, sort=False)["_off"].last()
    r = last[["period", "part", "sigma_signal"] + [
        "longest_run", "longest_run_max", "n_crossings", "n_crossings_min", "n_useful"]].copy()
    r = r.join(n_points)
    with np.errstate(invalid="ignore"):
        last_side = cast("pd.Series[float]", np.sign(last["y"].astype(float)
                                                       - last["cl"].astype(float)))
        r["last_side"] = last_side.fillna(0.0)
    r["move"] = _movement(phase).reindex(r.index).fillna(0.0)
    r["astronomical"] = r["sigma_signal"].astype(bool)
    r["shift"] = (r["longest_run"] > r["longest_run_max"]).fillna(False).astype(bool)
    r["crossings"] = (r["n_crossings"] < r["n_crossings_min"]).fillna(False).astype(bool)
    runs_side = np.sign(r["move"]).where(r["move"] != 0,
                                         useful_side.reindex(r.index).fillna(0.0))
    side = np.where(r["astronomical"], r["last_side"],
                    np.where(r["shift"] | r["crossings"], runs_side, 0.0))
    out = every.merge(r.reset_index(), on=_SID, how="left")
    out["n_points"] = out["n_points"].fillna(0).astype(int)
    enough = out["n_points"] >= min_points
    side_of = pd.Series(side, index=r.index).reindex(out[_SID].to_numpy())
    out["side"] = np.where(enough, side_of.fillna(0.0).to_numpy(), 0.0).astype(int)
    better = np.where(out["indicator_id"].map(attrs["direction"]) == "decrease", -1, 1)
    effect = out["side"].to_numpy() * better
    out["signal"] = np.select([~enough, effect > 0, effect < 0],
                              ["not enough data", "improvement", "concern"], "no signal")
    fired = out[["astronomical", "shift", "crossings"]].fillna(False).astype(bool).to_numpy()
    out["rule"] = np.where(out["signal"].isin(["improvement", "concern"]).to_numpy(),
                           _RULES[fired @ np.array([4, 2, 1])], "").tolist()
    out["latest_period"] = out["period"]
    out["phase"] = out["part"].fillna(1).astype(int)
    out["words"] = _all_words(out)
    return out[SIGNAL_COLUMNS].sort_values(["indicator_id", "team_id"]).reset_index(drop=True)


def chart_signals(measurements: pd.DataFrame, indicators: pd.DataFrame, *,
                  period: object = None, cycles: pd.DataFrame | None = None,
                  change_ideas: pd.DataFrame | None = None,
                  flags: pd.DataFrame | None = None) -> pd.DataFrame:
    """`signal_status` of every team × indicator chart as drawn for the reporting month
    (`team_charts` of the measurements, PDSA cycles, change ideas and data flags)."""
    charts = team_charts(measurements, indicators, cycles, change_ideas, period=period,
                         flags=flags)
    return chart_signals_of(charts, indicators)


def chart_signals_of(charts: TeamCharts, indicators: pd.DataFrame) -> pd.DataFrame:
    """`signal_status` of charts already assembled (`team_charts`); `chart_signals` is this
    of the charts it assembles."""
    if charts.spc.empty:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in SIGNAL_COLUMNS})
    return signal_status(charts.spc, indicators)


def _latest(m: pd.DataFrame) -> pd.DataFrame:
    """Per team × indicator of the prepared frame: its latest month and value (the last of
    its rows, which lie together in month order), matched by the frame's shared codes."""
    month = m["month"].to_numpy(dtype=float)
    numbered = group_numbers(m, ["team_id", "indicator_id"])
    if numbered is None or np.isnan(month).any():  # missing keys or months: pandas decides
        latest: pd.DataFrame = m.groupby(["team_id", "indicator_id"], sort=False).agg(
            latest_month=("month", "last"), latest_value=("value", "last")).reset_index()
        return latest
    number = numbered[0]
    ends = np.append(np.flatnonzero(number[1:] != number[:-1]), len(m) - 1) if len(m) else (
        np.zeros(0, dtype=np.int64))
    return pd.DataFrame({"team_id": m["team_id"].to_numpy(dtype=object)[ends],
                         "indicator_id": m["indicator_id"].to_numpy(dtype=object)[ends],
                         "latest_month": month[ends],
                         "latest_value": m["value"].to_numpy(dtype=float)[ends]})


MATRIX_COLUMNS = ["team_id", "wave_id", "indicator_id", "latest_period", "latest_value",
                  "target", "direction", "target_met", "signal", "signal_rule",
                  "months_since_report"]


def status_matrix(measurements: pd.DataFrame, indicators: pd.DataFrame,
                  teams: pd.DataFrame | None = None, *, period: object = None,
                  signals: pd.DataFrame | None = None, cycles: pd.DataFrame | None = None,
                  change_ideas: pd.DataFrame | None = None,
                  flags: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per team × indicator: where each team stands in the reporting month.

    Teams: those in `teams` that joined on or before the reporting month (plus any team with
    data missing from `teams`); indicators: all of `indicators`. Columns: team_id, wave_id,
    indicator_id, latest_period and latest_value (latest reported month up to the reporting
    month; NaN if never), target, direction, target_met (1/0 for the latest value,
    direction-aware; NaN without value or target), signal and signal_rule (`signal` and
    `rule` of `chart_signals` with the PDSA `cycles`, `change_ideas` and data `flags`, so
    the phases and the months left out of the limits are the report's; "not enough data"
    without data; pass `signals` to reuse a computed frame),
    months_since_report (reporting month − latest_period; 0 = reported this month; NaN if
    never reported).
    """
    m, rp = prepare(measurements, indicators, teams, period)
    attrs = indicator_attributes(indicators)
    team_frame = team_attributes(teams)
    if rp is not None:
        team_frame = team_frame[team_frame["join_month"].isna()
                                | (team_frame["join_month"] <= rp.ordinal)]
    codes, distinct = frame_codes(m, "team_id")  # each distinct team looked up once
    listed = pd.Series(np.append(np.asarray(distinct, dtype=object), np.nan),
                       dtype=object).isin(team_frame["team_id"]).to_numpy()
    extra: pd.DataFrame = m.loc[~listed[codes], ["team_id", "wave_id"]]
    team_frame = pd.concat([team_frame[["team_id", "wave_id"]], extra.drop_duplicates("team_id")],
                           ignore_index=True)
    grid = team_frame.merge(attrs[["indicator_id", "target", "direction"]], how="cross")
    latest = _latest(m)
    out = grid.merge(latest, on=["team_id", "indicator_id"], how="left")
    out["latest_period"] = from_ordinals(out["latest_month"]).array
    out["target_met"] = at_target(out["latest_value"], out["target"], out["direction"])
    if rp is not None:
        out["months_since_report"] = rp.ordinal - out["latest_month"]
    else:
        out["months_since_report"] = np.nan
    if signals is None:
        signals = chart_signals(measurements, indicators, period=rp, cycles=cycles,
                                change_ideas=change_ideas, flags=flags)
    signals = signals[["team_id", "indicator_id", "signal", "rule"]].rename(
        columns={"rule": "signal_rule"})
    out = out.merge(signals, on=["team_id", "indicator_id"], how="left")
    out["signal"] = out["signal"].fillna("not enough data")
    out["signal_rule"] = out["signal_rule"].fillna("")
    order = {k: i for i, k in enumerate(attrs["indicator_id"])}
    out = out.assign(_i=out["indicator_id"].map(order)).sort_values(["team_id", "_i"])
    return out[MATRIX_COLUMNS].reset_index(drop=True)

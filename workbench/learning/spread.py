"""Spread and sustainability: do spread waves reach the target faster, and do graduated teams
hold their gains?

`spread_waves(time_to_target, teams, waves, period)` — per indicator × later wave, against
the first wave on the wave-cohort alignment (months since joining): the spread wave has been
observed for `months_observed` months (its first join month to `period`); the share of its
teams that reached the target within that many months of joining and their median months to
target, beside the same figures of the first wave's teams *within the same number of months*
(so the longer follow-up of the first wave does not count for it). `time_to_target` is
`workbench.rollup.time_to_threshold` (team rows, threshold "target"); `waves` carries the
package version each wave joined with.

`sustainability(measurements, indicators, teams, period)` — for every graduated team (a
`graduated_on` date: coaching ended) × indicator: the level it graduated with (the median of
its last `BASELINE_MONTHS` months up to the graduation month) and whether it *slipped* after:
a shift against the indicator's direction (the Anhøj runs rules on the months before and
after against the graduation median, the after median worse) or, for a team that graduated at
target (its graduation median meets it), `BELOW_MONTHS` consecutive months missing the
target. At 6 and 12 months after graduation (`HORIZONS`) a team *sustains*
an indicator when it has that many months of follow-up and had not slipped within them.
Returns the team rows and, per indicator, the counts and % of graduated teams sustaining.

Pure: frames in, frames out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd

from workbench.learning.effect import runs_signal
from workbench.rollup.base import at_target

__all__ = ["BASELINE_MONTHS", "BELOW_MONTHS", "HORIZONS", "SPREAD_COLUMNS",
           "SUSTAIN_COLUMNS", "Sustainability", "spread_frames", "spread_waves",
           "sustainability"]

SPREAD_COLUMNS = ["indicator_id", "wave_id", "package_version", "first_wave_id", "teams",
                  "months_observed", "teams_reached", "pct_reached", "median_months_to_target",
                  "first_wave_teams", "first_wave_pct_reached",
                  "first_wave_median_months_to_target", "pct_reached_difference"]
#: months before graduation (up to and including its month) that set the level to hold
BASELINE_MONTHS = 6
#: consecutive months missing the target after graduation that count as slipping
BELOW_MONTHS = 3
#: months after graduation at which sustainability is counted
HORIZONS = (6, 12)
TEAM_COLUMNS = ["team_id", "indicator_id", "graduated_on", "months_since_graduation",
                "graduation_median", "after_median", "status", "why",
                *[f"sustained_{h}" for h in HORIZONS]]
SUSTAIN_COLUMNS = ["indicator_id", "graduated_teams", "slipping_now",
                   *[c for h in HORIZONS for c in (f"teams_followed_{h}", f"sustaining_{h}",
                                                  f"pct_sustaining_{h}")]]


def _month(value: Any) -> int:
    return pd.Period(str(value)[:7], freq="M").ordinal


def _months(values: pd.Series) -> pd.Series:
    """`values.map(_month)`, each distinct value read once (2,000 teams join in a few
    months)."""
    codes, distinct = pd.factorize(values, use_na_sentinel=False)  # a missing value too
    months = [_month(value) for value in distinct]
    return pd.Series(np.asarray(months)[codes] if len(codes) else values.map(_month),
                     index=values.index, name=values.name)


def spread_waves(time_to_target: pd.DataFrame, teams: pd.DataFrame, waves: pd.DataFrame,
                 period: pd.Period | str) -> pd.DataFrame:
    """Each later wave against the first on equal follow-up (see the module docstring)."""
    t = time_to_target
    t = t[(t["level"] == "team") & (t["threshold"] == "target")]
    if t.empty or waves.empty:
        return pd.DataFrame(columns=SPREAD_COLUMNS)
    order = waves.sort_values(["start_period", "wave_id"])
    first = str(order["wave_id"].iloc[0])
    versions = dict(zip(waves["wave_id"], waves.get("package_version", pd.Series(
        [None] * len(waves))), strict=True))
    joined = _months(teams.set_index("team_id")["joined_period"])
    end = _month(period)
    joined_month = t["team_id"].map(joined)
    # each wave's and indicator's rows picked by masks on the columns' values (a frame
    # filtered per wave and indicator cost more than the arithmetic)
    wave_of = t["wave_id"].to_numpy(dtype=object)
    indicator_of = t["indicator_id"].to_numpy(dtype=object)
    reach = t["months_to_reach"]
    months = reach.to_numpy(dtype=float)
    in_first = wave_of == first
    rows = []
    for wave in order["wave_id"].iloc[1:]:
        in_wave = wave_of == wave
        if not in_wave.any():
            continue
        observed = end - int(joined_month[in_wave].min())
        within = months <= observed  # NaN (never reached): not within
        either = in_wave | in_first
        for indicator in pd.unique(indicator_of[either]):  # in order of first appearance
            if pd.isna(indicator):  # as groupby: no group of a missing indicator
                continue
            of_indicator = either & (indicator_of == indicator)
            spread, base = of_indicator & in_wave, of_indicator & in_first
            n_spread, n_base = int(spread.sum()), int(base.sum())
            reached, base_reached = int((spread & within).sum()), int((base & within).sum())
            pct = 100 * reached / n_spread if n_spread else np.nan
            base_pct = 100 * base_reached / n_base if n_base else np.nan
            rows.append({
                "indicator_id": indicator, "wave_id": wave,
                "package_version": _version(versions.get(wave)), "first_wave_id": first,
                "teams": n_spread, "months_observed": observed,
                "teams_reached": reached, "pct_reached": _r(pct),
                "median_months_to_target": _median(reach[spread & within]),
                "first_wave_teams": n_base, "first_wave_pct_reached": _r(base_pct),
                "first_wave_median_months_to_target": _median(reach[base & within]),
                "pct_reached_difference": _r(pct - base_pct)})
    return pd.DataFrame(rows, columns=SPREAD_COLUMNS)


def _version(value: Any) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def _median(values: pd.Series) -> float | None:
    v = pd.to_numeric(values, errors="coerce").dropna()
    return float(v.median()) if len(v) else None


def _r(value: float) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), 1)


@dataclass
class Sustainability:
    """What `sustainability` returns: one row per graduated team × indicator, and per
    indicator the counts (`SUSTAIN_COLUMNS`)."""

    teams: pd.DataFrame
    summary: pd.DataFrame

    @property
    def slipping(self) -> pd.DataFrame:
        return self.teams[self.teams["status"] == "slipping"].reset_index(drop=True)


def _slipped(before: np.ndarray, after: np.ndarray, sign: float, target: float,
             direction: str) -> str:
    """Why the months `after` graduation slipped from `before` ('' = they held)."""
    if len(after) == 0 or len(before) == 0:
        return ""
    centre = float(np.median(before))
    if runs_signal(np.concatenate((before, after)), centre) and \
            sign * (float(np.median(after)) - centre) < 0:
        return "shift against the indicator's direction after graduation"
    at_graduation = at_target(np.array([centre]), np.array([target]), np.array([direction]))
    if np.isfinite(target) and at_graduation[0] == 1.0:
        met = at_target(after, np.full(len(after), target), np.full(len(after), direction))
        run = 0
        for ok in met:
            run = run + 1 if ok == 0.0 else 0
            if run >= BELOW_MONTHS:
                return f"{BELOW_MONTHS} months in a row below target"
    return ""


def sustainability(measurements: pd.DataFrame, indicators: pd.DataFrame, teams: pd.DataFrame,
                   period: pd.Period | str) -> Sustainability:
    """Graduated teams holding their gains (see the module docstring)."""
    grads = teams[teams["graduated_on"].notna() & (teams["graduated_on"].astype(str) != "")]
    graduated = {str(t): _month(g) for t, g in zip(grads["team_id"], grads["graduated_on"],
                                                   strict=True)}
    dates = dict(zip(grads["team_id"], grads["graduated_on"], strict=True))
    m = measurements[measurements["team_id"].isin(list(graduated))
                     & (measurements["denominator"] > 0) & measurements["numerator"].notna()]
    codes, months_seen = pd.factorize(m["period"].astype(str))  # few distinct months
    ordinal = pd.PeriodIndex(months_seen, freq="M").asi8
    m = m.assign(_o=ordinal[codes] if len(codes) else np.array([], np.int64),
                 _v=m["numerator"] / m["denominator"]).sort_values(["team_id", "indicator_id",
                                                                     "_o"])
    end = _month(period)
    info = {str(r["indicator_id"]): r for r in
            cast("list[dict[str, Any]]", indicators.to_dict("records"))}
    keys = (m["team_id"].astype(str) + "\x00" + m["indicator_id"].astype(str)).to_numpy()
    starts: list[int] = (np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]]).tolist()
                         if len(keys) else [])
    bounds = list(zip(starts, [*starts[1:], len(keys)], strict=True)) if starts else []
    all_months, all_values = m["_o"].to_numpy(np.int64), m["_v"].to_numpy(float)
    team_ids, indicator_ids = m["team_id"].to_numpy(), m["indicator_id"].to_numpy()
    rows = []
    for lo, hi in bounds:
        team, indicator = str(team_ids[lo]), str(indicator_ids[lo])
        months, values = all_months[lo:hi], all_values[lo:hi]
        g, ind = graduated[str(team)], info[str(indicator)]
        direction = str(ind["direction"])
        sign = -1.0 if direction == "decrease" else 1.0
        target = float(ind["target"]) if pd.notna(ind["target"]) else np.nan
        before = values[(months > g - BASELINE_MONTHS) & (months <= g)]
        after_all = (months > g) & (months <= end)
        why = _slipped(before, values[after_all], sign, target, direction)
        row = {"team_id": team, "indicator_id": indicator, "graduated_on": dates[team],
               "months_since_graduation": end - g,
               "graduation_median": (round(float(np.median(before)), 4) if len(before)
                                     else None),
               "after_median": (round(float(np.median(values[after_all])), 4)
                                if after_all.any() else None),
               "status": ("slipping" if why else "holding" if after_all.any()
                          else "no data since graduation"),
               "why": why}
        for h in HORIZONS:
            window = (months > g) & (months <= min(g + h, end))
            row[f"sustained_{h}"] = (None if end - g < h or not len(before) else
                                     not _slipped(before, values[window], sign, target,
                                                  direction))
        rows.append(row)
    frame = pd.DataFrame(rows, columns=TEAM_COLUMNS)
    return Sustainability(frame, _summary(frame))


def _summary(frame: pd.DataFrame) -> pd.DataFrame:
    out = []
    for indicator, g in frame.groupby("indicator_id", sort=True):
        row: dict[str, Any] = {"indicator_id": indicator, "graduated_teams": len(g),
                               "slipping_now": int((g["status"] == "slipping").sum())}
        for h in HORIZONS:
            followed = g[f"sustained_{h}"].notna()
            held = int((g.loc[followed, f"sustained_{h}"] == True).sum())  # noqa: E712
            row[f"teams_followed_{h}"] = int(followed.sum())
            row[f"sustaining_{h}"] = held
            row[f"pct_sustaining_{h}"] = _r(100 * held / followed.sum()) if followed.any() \
                else None
        out.append(row)
    return pd.DataFrame(out, columns=SUSTAIN_COLUMNS)


def spread_frames(time_to_target: pd.DataFrame, measurements: pd.DataFrame,
                  indicators: pd.DataFrame, teams: pd.DataFrame, waves: pd.DataFrame,
                  period: pd.Period | str | None) -> dict[str, pd.DataFrame]:
    """The frames `workbench summary` adds: `spread` (`spread_waves`), `sustainability`
    (per indicator) and `slipping` (the graduated teams slipping now)."""
    if period is None:
        return {"spread": pd.DataFrame(columns=SPREAD_COLUMNS),
                "sustainability": pd.DataFrame(columns=SUSTAIN_COLUMNS),
                "slipping": pd.DataFrame(columns=TEAM_COLUMNS)}
    held = sustainability(measurements, indicators, teams, period)
    return {"spread": spread_waves(time_to_target, teams, waves, period),
            "sustainability": held.summary, "slipping": held.slipping}

"""Before/after shifts of one team's indicator around a month, judged as the charts judge.

A *window* is a team × indicator around `start`: up to `before` months before it and up to
`after` months from it. Its shift is the change of the pooled value (Σ numerator ÷ Σ
denominator) from the before phase to the after phase, in percentage points, signed so that
positive is better by the indicator's direction; its standard error comes from the monthly
values of each phase (so month-to-month variation counts, not only binomial noise). It is
*shifted* when the series shows a non-random pattern against the before phase's median (the
Anhøj runs rules of `workbench.spc`, as qicharts2's `freeze` applies them: longest run or
number of crossings beyond the critical values for the useful points) and the after phase's
median lies on the better side. A window needs `min_points` months in each phase.

Every window is computed at once (numpy over windows × months): `SeriesBank` holds the
collaborative as dense team × indicator × month arrays, so 2,000 teams' windows cost about
what 24 teams' did.

Pure: frames in, frames out.
"""

from __future__ import annotations

import warnings
from functools import lru_cache

import numpy as np
import pandas as pd

from workbench.spc import anhoej_critical_values

__all__ = ["SHIFT_COLUMNS", "SeriesBank", "month_ordinals", "runs_signal", "shift_arrays",
           "window_shifts"]

SHIFT_COLUMNS = ["shift_pp", "se_pp", "shifted", "n_before", "n_after"]


def month_ordinals(periods: pd.Series) -> np.ndarray:
    """Monthly Period ordinals of a column of Periods or 'YYYY-MM' texts (each distinct
    value parsed once)."""
    if isinstance(periods.dtype, pd.PeriodDtype):
        return np.asarray(periods.array.asi8, dtype=np.int64)
    codes, uniques = pd.factorize(periods.astype(str))
    parsed = np.array([pd.Period(u, freq="M").ordinal for u in uniques], dtype=np.int64)
    return parsed[codes] if len(codes) else np.array([], dtype=np.int64)


class SeriesBank:
    """Every team × indicator series of a tidy frame as dense arrays (team × indicator ×
    month; NaN where a month has no usable value: no report, no numerator or a denominator
    of 0)."""

    def __init__(self, measurements: pd.DataFrame) -> None:
        m = measurements[(measurements["denominator"] > 0) & measurements["numerator"].notna()]
        team_codes, teams = pd.factorize(m["team_id"].astype(str), sort=True)
        ind_codes, inds = pd.factorize(m["indicator_id"].astype(str), sort=True)
        months = month_ordinals(m["period"])
        self.first_month = int(months.min()) if len(months) else 0
        n_months = int(months.max()) - self.first_month + 1 if len(months) else 0
        self.team_index = {str(t): k for k, t in enumerate(teams)}
        self.indicator_index = {str(i): k for k, i in enumerate(inds)}
        shape = (len(teams), len(inds), n_months)
        self.num = np.full(shape, np.nan)
        self.den = np.full(shape, np.nan)
        at = (team_codes, ind_codes, months - self.first_month)
        self.num[at] = m["numerator"].to_numpy(float)
        self.den[at] = m["denominator"].to_numpy(float)
        self._has = ~np.isnan(self.num).all(axis=2)  # team × indicator: any usable month

    def teams(self, indicator_id: str) -> list[str]:
        """The teams with a usable month of the indicator, by code."""
        k = self.indicator_index.get(indicator_id)
        if k is None:
            return []
        return [t for t, j in self.team_index.items() if self._has[j, k]]


@lru_cache(maxsize=256)
def _critical(n_useful: int) -> tuple[int, int]:
    row = anhoej_critical_values(n_useful).iloc[0]
    return int(row["longest_run_max"]), int(row["n_crossings_min"])


def runs_signal(values: np.ndarray, centre: float) -> bool:
    """A non-random pattern of `values` around `centre`: the longest run or the number of
    crossings beyond the Anhøj critical values for the useful points (points on the centre
    line are not useful)."""
    side = np.sign(values - centre)
    useful = side[side != 0]
    if len(useful) < 2:
        return False
    change = np.flatnonzero(np.diff(useful) != 0)
    bounds = np.concatenate(([0], change + 1, [len(useful)]))
    longest = int(np.max(np.diff(bounds)))
    longest_max, crossings_min = _critical(len(useful))
    return bool(longest > longest_max or len(change) < crossings_min)


def _runs_signals(values: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """`runs_signal` of every row of `values` (NaN = no point) around its `centre`."""
    rows, width = values.shape
    with np.errstate(invalid="ignore"):
        side = np.sign(values - centre[:, None])
    useful = ~np.isnan(side) & (side != 0)
    n_useful = useful.sum(axis=1)
    order = np.argsort(~useful, axis=1, kind="stable")  # the useful points first, in order
    side = np.take_along_axis(np.where(useful, side, 0.0), order, axis=1)
    longest = np.where(n_useful > 0, 1, 0)
    run = np.ones(rows, dtype=np.int64)
    crossings = np.zeros(rows, dtype=np.int64)
    for j in range(1, width):
        inside = j < n_useful
        same = side[:, j] == side[:, j - 1]
        run = np.where(inside & same, run + 1, 1)
        longest = np.where(inside, np.maximum(longest, run), longest)
        crossings += inside & ~same
    limits = np.array([_critical(n) if n > 0 else (0, 0) for n in range(width + 1)])
    signal = (n_useful >= 2) & ((longest > limits[n_useful, 0])
                                | (crossings < limits[n_useful, 1]))
    return np.asarray(signal, dtype=bool)


def window_shifts(bank: SeriesBank, windows: pd.DataFrame, directions: dict[str, str], *,
                  before: int = 6, after: int = 6, min_points: int = 3) -> pd.DataFrame:
    """`windows` (team_id, indicator_id, start: a monthly Period) with `SHIFT_COLUMNS` added."""
    out = windows.reset_index(drop=True).copy()
    values = _shifts(bank, out, directions, before, after, min_points)
    for column in SHIFT_COLUMNS:
        out[column] = values[column] if len(out) else []
    return out


def _shifts(bank: SeriesBank, windows: pd.DataFrame, directions: dict[str, str], before: int,
            after: int, min_points: int) -> dict[str, np.ndarray]:
    team = windows["team_id"].astype(str).map(bank.team_index).fillna(-1).to_numpy(np.int64)
    ind = windows["indicator_id"].astype(str).map(bank.indicator_index).fillna(-1) \
        .to_numpy(np.int64)
    sign = np.where(windows["indicator_id"].map(directions) == "decrease", -1.0, 1.0)
    start = month_ordinals(windows["start"]) if len(windows) else np.zeros(0, np.int64)
    return shift_arrays(bank, team, ind, start, sign, before, after, min_points)


def shift_arrays(bank: SeriesBank, team: np.ndarray, ind: np.ndarray, start: np.ndarray,
                 sign: np.ndarray, before: int, after: int, min_points: int,
                 ) -> dict[str, np.ndarray]:
    """`SHIFT_COLUMNS` of windows given as arrays: team and indicator positions in `bank`
    (-1: not there), start month ordinals, and +1 / -1 for the better direction."""
    month = start[:, None] - bank.first_month + np.arange(-before, after)[None, :]
    inside = (team[:, None] >= 0) & (ind[:, None] >= 0) & (month >= 0) & \
        (month < bank.num.shape[2])
    at = (np.where(inside, team[:, None], 0), np.where(inside, ind[:, None], 0),
          np.where(inside, month, 0))
    if bank.num.size:
        num = np.where(inside, bank.num[at], np.nan)
        den = np.where(inside, bank.den[at], np.nan)
    else:
        num = den = np.full(month.shape, np.nan)
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN phases: no window
        value = num / den
        b, a = value[:, :before], value[:, before:]
        nb, na = (~np.isnan(b)).sum(axis=1), (~np.isnan(a)).sum(axis=1)
        sb, sa = np.nansum(den[:, :before], axis=1), np.nansum(den[:, before:], axis=1)
        pb = np.nansum(num[:, :before], axis=1) / sb
        pa = np.nansum(num[:, before:], axis=1) / sa
        binomial = pb * (1 - pb) / sb + pa * (1 - pa) / sa
        monthly = np.nanvar(b, axis=1, ddof=1) / nb + np.nanvar(a, axis=1, ddof=1) / na
        se = 100 * np.sqrt(np.fmax(binomial, monthly))
        centre = np.nanmedian(b, axis=1)
        better = sign * (np.nanmedian(a, axis=1) - centre) > 0
    enough = (nb >= min_points) & (na >= min_points)
    shifted = enough & better & _runs_signals(value, centre)
    return {"shift_pp": np.where(enough, sign * 100 * (pa - pb), np.nan),
            "se_pp": np.where(enough, se, np.nan), "shifted": shifted,
            "n_before": nb.astype(np.int64), "n_after": na.astype(np.int64)}

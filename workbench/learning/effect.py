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

Pure: frames in, frames out.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import cast

import numpy as np
import pandas as pd

from workbench.spc import anhoej_critical_values

__all__ = ["SHIFT_COLUMNS", "SeriesBank", "runs_signal", "window_shifts"]

SHIFT_COLUMNS = ["shift_pp", "se_pp", "shifted", "n_before", "n_after"]


@dataclass
class _Series:
    months: np.ndarray  # period ordinals, sorted
    num: np.ndarray
    den: np.ndarray


class SeriesBank:
    """Every team × indicator series of a tidy frame, as numpy arrays for fast windows."""

    def __init__(self, measurements: pd.DataFrame) -> None:
        m = measurements[(measurements["denominator"] > 0) & measurements["numerator"].notna()]
        m = m.assign(_o=m["period"].map(lambda p: pd.Period(p, freq="M").ordinal))
        self.series: dict[tuple[str, str], _Series] = {}
        for (team, ind), g in m.sort_values("_o").groupby(["team_id", "indicator_id"]):
            self.series[(str(team), str(ind))] = _Series(
                g["_o"].to_numpy(np.int64), g["numerator"].to_numpy(float),
                g["denominator"].to_numpy(float))

    def teams(self, indicator_id: str) -> list[str]:
        return sorted(t for t, i in self.series if i == indicator_id)


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


def _one(s: _Series | None, start: int, before: int, after: int, sign: float,
         min_points: int) -> tuple[float, float, bool, int, int]:
    nothing = (np.nan, np.nan, False, 0, 0)
    if s is None:
        return nothing
    b = (s.months >= start - before) & (s.months < start)
    a = (s.months >= start) & (s.months < start + after)
    nb, na = int(b.sum()), int(a.sum())
    if nb < min_points or na < min_points:
        return (np.nan, np.nan, False, nb, na)
    pb, pa = s.num[b].sum() / s.den[b].sum(), s.num[a].sum() / s.den[a].sum()
    vb, va = s.num[b] / s.den[b], s.num[a] / s.den[a]
    binomial = pb * (1 - pb) / s.den[b].sum() + pa * (1 - pa) / s.den[a].sum()
    monthly = vb.var(ddof=1) / nb + va.var(ddof=1) / na
    se = 100 * float(np.sqrt(max(binomial, monthly)))
    centre = float(np.median(vb))
    shifted = runs_signal(np.concatenate((vb, va)), centre) and \
        sign * (float(np.median(va)) - centre) > 0
    return (sign * 100 * (pa - pb), se, shifted, nb, na)


def window_shifts(bank: SeriesBank, windows: pd.DataFrame, directions: dict[str, str], *,
                  before: int = 6, after: int = 6, min_points: int = 3) -> pd.DataFrame:
    """`windows` (team_id, indicator_id, start: a monthly Period) with `SHIFT_COLUMNS` added."""
    rows = []
    for w in windows.itertuples(index=False):
        sign = -1.0 if directions.get(cast(str, w.indicator_id)) == "decrease" else 1.0
        rows.append(_one(bank.series.get((str(w.team_id), str(w.indicator_id))),
                         cast(pd.Period, w.start).ordinal, before, after, sign, min_points))
    out = windows.reset_index(drop=True).copy()
    values = pd.DataFrame(rows, columns=SHIFT_COLUMNS)
    for column in SHIFT_COLUMNS:
        out[column] = values[column].to_numpy() if len(values) else []
    return out

"""`window_shifts` computes every window at once (numpy over windows × months); each window
must come out as the one-window definition of `workbench.learning.effect` says: pooled shift,
its standard error, the Anhøj runs signal against the before median with the after median on
the better side, and the month counts — checked window by window against that definition
written out plainly, on random series with gaps, zero denominators and both directions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.learning.effect import SeriesBank, runs_signal, window_shifts


def _one(months: np.ndarray, num: np.ndarray, den: np.ndarray, start: int, before: int,
         after: int, sign: float, min_points: int) -> tuple[float, float, bool, int, int]:
    """One window, as the module docstring defines it (the series' usable months only)."""
    b = (months >= start - before) & (months < start)
    a = (months >= start) & (months < start + after)
    nb, na = int(b.sum()), int(a.sum())
    if nb < min_points or na < min_points:
        return (np.nan, np.nan, False, nb, na)
    pb, pa = num[b].sum() / den[b].sum(), num[a].sum() / den[a].sum()
    vb, va = num[b] / den[b], num[a] / den[a]
    binomial = pb * (1 - pb) / den[b].sum() + pa * (1 - pa) / den[a].sum()
    monthly = vb.var(ddof=1) / nb + va.var(ddof=1) / na
    centre = float(np.median(vb))
    shifted = runs_signal(np.concatenate((vb, va)), centre) and \
        sign * (float(np.median(va)) - centre) > 0
    return (sign * 100 * (pa - pb), 100 * float(np.sqrt(max(binomial, monthly))), shifted,
            nb, na)


@pytest.fixture(scope="module")
def measurements() -> pd.DataFrame:
    rng = np.random.default_rng(13)
    rows = []
    for t in range(30):
        for ind in ("UP", "DOWN"):
            level = rng.uniform(0.2, 0.7)
            for k, month in enumerate(pd.period_range("2024-01", "2026-06", freq="M")):
                if rng.random() < 0.12:
                    continue  # a month not reported
                den = float(rng.integers(0, 60))  # 0: left out as no usable value
                p = min(0.95, level + (0.2 if k > 14 and t % 3 == 0 else 0.0))
                rows.append({"team_id": f"T{t:02d}", "indicator_id": ind, "period": month,
                             "numerator": float(rng.binomial(int(den), p)),
                             "denominator": den})
    return pd.DataFrame(rows)


def test_every_window_is_the_one_window_definition(measurements: pd.DataFrame) -> None:
    bank = SeriesBank(measurements)
    directions = {"UP": "increase", "DOWN": "decrease"}
    rng = np.random.default_rng(5)
    windows = pd.DataFrame({
        "team_id": [f"T{t:02d}" for t in rng.integers(0, 32, 400)],  # T30, T31: no series
        "indicator_id": rng.choice(["UP", "DOWN"], 400),
        "start": [pd.Period("2023-11", "M") + int(k) for k in rng.integers(0, 36, 400)]})
    got = window_shifts(bank, windows, directions, before=9, after=9, min_points=3)
    usable = measurements[measurements["denominator"] > 0]
    checked = shifted = 0
    for row in got.itertuples(index=False):
        s = usable[(usable["team_id"] == row.team_id)
                   & (usable["indicator_id"] == row.indicator_id)].sort_values("period")
        want = _one(np.array([p.ordinal for p in s["period"]]), s["numerator"].to_numpy(),
                    s["denominator"].to_numpy(), row.start.ordinal, 9, 9,
                    -1.0 if row.indicator_id == "DOWN" else 1.0, 3)
        assert (row.n_before, row.n_after) == want[3:5], row
        assert bool(row.shifted) == want[2], row
        np.testing.assert_allclose([row.shift_pp, row.se_pp], want[:2], rtol=1e-9,
                                   equal_nan=True)
        checked += not np.isnan(want[0])
        shifted += want[2]
    assert checked > 150 and shifted > 10  # real windows, some of them shifted

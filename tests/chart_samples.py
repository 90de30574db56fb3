"""One indicator's 24 months for the chart tests: a p chart that climbs from 40 % to 80 %."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["INDICATOR", "PERIODS", "measurements"]

INDICATOR = {"indicator_id": "AMTSL", "name": "Births receiving AMTSL", "chart": "p",
             "multiplier": 100.0, "target": 0.9, "direction": "increase", "unit": "%"}
PERIODS = pd.period_range("2024-11", periods=24, freq="M")


def measurements(team: str = "T01", jump_at: int | None = None) -> pd.DataFrame:
    """A team's 24 months; `jump_at` puts one month at 100 %, far above the limits."""
    den = np.array([40 + (i * 7) % 23 for i in range(24)], dtype=float)
    num = np.round(den * np.linspace(0.4, 0.8, 24))
    if jump_at is not None:
        num[jump_at] = den[jump_at]
    return pd.DataFrame({"team_id": team, "indicator_id": "AMTSL", "period": PERIODS,
                         "numerator": num, "denominator": den, "value": num / den})

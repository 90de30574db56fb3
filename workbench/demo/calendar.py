"""The demo collaborative's calendar: its 24 months, wave 2's start, its "now", and dates.

Months are numbered from the first (0 = 2024-11, `DEMO_PERIODS[m]` its 'YYYY-MM'):
`_month_start` and `_month_end` give a month's first and last second, `_month_of` the month of
a datetime, `_date` a datetime's ISO date. Used by every part of the generated demo
(`workbench.demo`).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

__all__ = ["START", "N_MONTHS", "DEMO_PERIODS", "WAVE2_MONTH", "DEMO_NOW"]

START = pd.Period("2024-11", freq="M")
N_MONTHS = 24
DEMO_PERIODS: list[str] = [str(START + i) for i in range(N_MONTHS)]
WAVE2_MONTH = 9  # 2025-08, the 10th month
#: the demo's "now": October's reports are in, a little before the collaborative's close
DEMO_NOW = dt.datetime(2026, 11, 20, 18, 0)


def _month_start(m: int) -> dt.datetime:
    return (START + m).start_time.to_pydatetime()


def _month_end(m: int) -> dt.datetime:
    return (START + m + 1).start_time.to_pydatetime() - dt.timedelta(seconds=1)


def _month_of(when: dt.datetime) -> int:
    return (when.year - START.year) * 12 + when.month - START.month


def _date(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%d")

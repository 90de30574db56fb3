"""The demo collaborative's calendar: its months, wave 2's start, its "now", and dates.

Months are numbered from the first (0 = 2024-11 in the default demo). Every demo ends with
October 2026 (`END`), so a longer demo starts earlier and never holds a month after "now" (the
collaborative calendar refuses those). `demo_calendar(months)` gives a demo of any length its
calendar (`DemoCalendar`: the 'YYYY-MM' of each month, wave 2's joining month, the
demo's "now" 20 days after the last month); the default demo's are the constants
`DEMO_PERIODS`, `WAVE2_MONTH` and `DEMO_NOW`. The default demo's story after the launch
happens in three more months (`workbench.demo.story`): the synthesis meeting reviews the data
to `SYNTHESIS_MONTH` (2025-10, the 12th month) and records change package v2, the spread wave
W3 joins in `SPREAD_MONTH` (2025-12, the 14th) with v2, and 8 wave-1 teams graduate at the end
of `GRADUATION_MONTH` (2026-04, the 18th). `_month_start` and `_month_end` give a month's
first and last second, `_month_of` the month of a datetime, `_date` a datetime's ISO date.
Used by every part of the generated demo (`workbench.demo`).
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import pandas as pd

__all__ = ["END", "START", "N_MONTHS", "DEMO_PERIODS", "WAVE2_MONTH", "DEMO_NOW", "DemoCalendar",
           "GRADUATION_MONTH", "SPREAD_MONTH", "SYNTHESIS_MONTH", "demo_calendar"]

#: the last month of every demo (its "now" is the 20th of the month after)
END = pd.Period("2026-10", freq="M")
#: the first month of the default 24-month demo
START = END - 23


class DemoCalendar(NamedTuple):
    """The months of a demo: `periods` ('YYYY-MM' of month 0, 1, …), `wave2_month` (the month
    wave 2 joins: 2025-08, or 3/8 of the way into a shorter demo) and `now` (the 20th after
    the last month, 18:00: that month's reports are in)."""

    periods: list[str]
    wave2_month: int
    now: dt.datetime
    start: pd.Period = START

    @property
    def n_months(self) -> int:
        return len(self.periods)

    def month_start(self, m: int) -> dt.datetime:
        """The first second of month `m`."""
        return (self.start + m).start_time.to_pydatetime()

    def month_end(self, m: int) -> dt.datetime:
        """The last second of month `m`."""
        return (self.start + m + 1).start_time.to_pydatetime() - dt.timedelta(seconds=1)

    def month_of(self, when: dt.datetime) -> int:
        """The number of the month `when` falls in."""
        return (when.year - self.start.year) * 12 + when.month - self.start.month


def demo_calendar(months: int) -> DemoCalendar:
    """The calendar of a demo of `months` months ending with `END` (`months` >= 6)."""
    start = END - (months - 1)
    periods = [str(start + i) for i in range(months)]
    now = (start + months).start_time.to_pydatetime() + dt.timedelta(days=19, hours=18)
    return DemoCalendar(periods, min(9, months * 3 // 8), now, start)


_DEFAULT = demo_calendar(24)
N_MONTHS = _DEFAULT.n_months
DEMO_PERIODS: list[str] = _DEFAULT.periods
WAVE2_MONTH = _DEFAULT.wave2_month  # 2025-08, the 10th month
#: the demo's "now": October's reports are in, a little before the collaborative's close
DEMO_NOW = _DEFAULT.now
#: the last month the synthesis meeting (learning session 3, 2025-11-12) saw: 2025-10
SYNTHESIS_MONTH = 11
#: the month the spread wave W3 joins with change package v2: 2025-12
SPREAD_MONTH = 13
#: the month at whose end 8 wave-1 teams graduate (coaching ends): 2026-04
GRADUATION_MONTH = 17


def _month_start(m: int) -> dt.datetime:
    return (START + m).start_time.to_pydatetime()


def _month_end(m: int) -> dt.datetime:
    return (START + m + 1).start_time.to_pydatetime() - dt.timedelta(seconds=1)


def _month_of(when: dt.datetime) -> int:
    return (when.year - START.year) * 12 + when.month - START.month


def _date(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%d")

"""Demo data problems: the injected errors, how many of each kind, and the table recording them.

`DemoProblems._inject_measurement_problems` alters untouched revisions (`_pick`) and records
each problem (`_record`) in `self.injections`, as many of each kind as `self.counts` says
(`INJECTION_COUNTS` in the default demo, scaled with a larger one: `workbench.demo.size`);
the recounts that disagree are injected with the visits (`workbench.demo.visits`). The kinds
are described in `workbench.demo`; the database table is `demo_injections`, read back with
`read_injections`.

Every injected value is one a real door accepts (the value policy of `workbench.model`):
suspicious, so validation flags it, never impossible (no negative or fractional counts), so
an export of the demo imports again unchanged.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import (
    JSON,
    Column,
    Connection,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    inspect,
    select,
)

from workbench.demo.calendar import DemoCalendar
from workbench.store.measurements import _conn

__all__ = [
    "INJECTION_COUNTS",
    "INJECTION_KINDS",
    "DemoProblems",
    "demo_injections",
    "injection_metadata",
    "read_injections",
]

INJECTION_COUNTS: dict[str, int] = {
    "numerator_exceeds_denominator": 5,
    "outlier": 5,
    "missing_month": 5,
    "late_entry": 5,
    "conflicting_duplicate": 5,
    "recount_disagrees": 5,
    "zero_denominator": 3,
    "dropped_digit": 3,
}
INJECTION_KINDS: tuple[str, ...] = tuple(INJECTION_COUNTS)

injection_metadata = MetaData()
demo_injections = Table(
    "demo_injections",
    injection_metadata,
    Column("injection_id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(40), nullable=False),
    Column("team_id", String(40), nullable=False),
    Column("indicator_id", String(40), nullable=True),
    Column("period", String(7), nullable=True),
    Column("detail", JSON, nullable=False, default=dict),
)

_PROCESS = ("AMTSL", "PARTOGRAPH", "NEWBORN_CARE")


def read_injections(bind: Engine | Connection, kind: str | None = None) -> pd.DataFrame:
    """The injected data problems (one row each), optionally of one kind; none (an empty
    frame) in a database that is not a demo."""
    query = select(demo_injections).order_by(demo_injections.c.injection_id)
    if kind is not None:
        query = query.where(demo_injections.c.kind == kind)
    with _conn(bind) as conn:
        if not inspect(conn).has_table("demo_injections"):  # not a demo database
            return pd.DataFrame(columns=list(demo_injections.c.keys()))
        return pd.DataFrame(conn.execute(query).mappings().all(),
                            columns=list(demo_injections.c.keys()))


class DemoProblems:
    """The injected measurement problems: a part of the demo's `_World`."""

    rng: np.random.Generator
    teams: list[dict[str, Any]]
    keys: dict[tuple[str, str, str], list[dict[str, Any]]]
    injections: list[dict[str, Any]]
    cal: DemoCalendar
    codes: tuple[str, ...]
    counts: dict[str, int]

    def _candidates(self, ok: Any, indicators: tuple[str, ...]) -> list[tuple[str, str, str]]:
        """The untouched keys (team, indicator, period) satisfying ok(row, month), in order."""
        periods = self.cal.periods
        candidates = []
        for team in self.teams:
            for m in range(team["join"] + 1, self.cal.n_months - 1):
                for ind in indicators:
                    key = (team["team_id"], ind, periods[m])
                    if key not in self.used and ok(self.keys[key][0], m):
                        candidates.append(key)
        return candidates

    def _pick(self, n: int, ok: Any, indicators: tuple[str, ...]) -> list[tuple[str, str, str]]:
        """n distinct untouched keys satisfying ok(row, month) (fewer if there are not n)."""
        candidates = self._candidates(ok, indicators)
        chosen = self.rng.choice(len(candidates), size=min(n, len(candidates)), replace=False)
        picked = [candidates[i] for i in sorted(chosen)]
        self.used.update(picked)
        return picked

    def _record(self, kind: str, key: tuple[str, str, str], **detail: Any) -> None:
        self.injections.append({"kind": kind, "team_id": key[0], "indicator_id": key[1],
                                "period": key[2], "detail": detail})

    def _inject_measurement_problems(self) -> None:
        rng = self.rng
        self.used: set[tuple[str, str, str]] = set()
        counts = self.counts
        every = self.codes
        clinical = tuple(i for i in every if i != "OXY_STOCK")
        process = tuple(i for i in _PROCESS if i in every) or clinical

        for i, key in enumerate(self._pick(counts["numerator_exceeds_denominator"],
                                           lambda r, m: 5 <= r["denominator"]
                                           and r["numerator"] < r["denominator"] * 0.8,
                                           process)):
            row = self.keys[key][0]
            old = (row["numerator"], row["denominator"])
            if i % 2 == 0:  # numerator and denominator swapped
                row["numerator"], row["denominator"] = old[1], old[0]
                how = "numerator and denominator swapped"
            else:
                row["numerator"] = old[1] + int(rng.integers(1, max(2, old[1] // 5) + 1))
                how = "numerator overcounted past the denominator"
            self._record("numerator_exceeds_denominator", key, how=how,
                         true_numerator=old[0], true_denominator=old[1],
                         numerator=row["numerator"], denominator=row["denominator"])

        for key in self._pick(counts["outlier"], lambda r, m: r["denominator"] >= 8, clinical):
            row = self.keys[key][0]
            true = row["denominator"]
            row["denominator"] = true * 10
            self._record("outlier", key, component="denominator", how="extra zero typed",
                         true_value=true, value=row["denominator"])

        for key in self._pick(counts["missing_month"], lambda r, m: True, every):
            row = self.keys.pop(key)[0]
            self._record("missing_month", key, true_numerator=row["numerator"],
                         true_denominator=row["denominator"])

        months = {period: m for m, period in enumerate(self.cal.periods)}
        for key in self._pick(counts["late_entry"],
                              lambda r, m: m <= self.cal.n_months - 5, every):
            row = self.keys[key][0]
            m = months[key[2]]
            late = dt.timedelta(days=int(rng.integers(60, 101)))
            row["created_at"] = (self.cal.month_end(m) + late).replace(
                hour=int(rng.integers(8, 17)), second=0)
            days_late = (row["created_at"] - self.cal.month_end(m)).days
            self._record("late_entry", key, created_at=row["created_at"].isoformat(),
                         days_after_month_end=days_late)

        for key in self._pick(counts["conflicting_duplicate"],
                              lambda r, m: r["numerator"] >= 6 and r["created_at"].hour <= 16,
                              clinical):
            first = self.keys[key][0]
            delta = int(rng.integers(2, max(3, first["numerator"] // 4) + 1))
            new_num = first["numerator"] - delta if rng.random() < 0.5 else min(
                first["denominator"], first["numerator"] + delta)
            if new_num == first["numerator"]:
                new_num -= delta
            second = {**first, "numerator": new_num,
                      "created_at": first["created_at"] + dt.timedelta(
                          hours=int(rng.integers(1, 4)), minutes=int(rng.integers(60)))}
            self.keys[key].append(second)
            self._record("conflicting_duplicate", key,
                         first={"numerator": first["numerator"],
                                "denominator": first["denominator"],
                                "created_at": first["created_at"].isoformat()},
                         second={"numerator": second["numerator"],
                                 "denominator": second["denominator"],
                                 "created_at": second["created_at"].isoformat()})

        for key in self._pick(counts["zero_denominator"], lambda r, m: r["numerator"] > 0,
                              clinical):
            row = self.keys[key][0]
            true = row["denominator"]
            row["denominator"] = 0
            self._record("zero_denominator", key, true_denominator=true,
                         numerator=row["numerator"])

        for key in self._pick_dropped_digits(counts["dropped_digit"], clinical):
            row = self.keys[key][0]
            true = row["numerator"]
            row["numerator"] = true // 10
            self._record("dropped_digit", key, component="numerator", true_value=true,
                         value=row["numerator"], denominator=row["denominator"])

    def _pick_dropped_digits(self, n: int, indicators: tuple[str, ...]
                             ) -> list[tuple[str, str, str]]:
        """n keys whose dropped digit shows (`_digit_drop_shows`), one per series at most.

        Picked one at a time from the candidates that remain (a drop never makes another
        series' prior month, as every later candidate of a picked series is struck off): the
        candidates are listed once, so a large demo does not list them n times.
        """
        candidates = self._candidates(self._digit_drop_shows, indicators)
        by_series: dict[tuple[str, str], list[int]] = {}
        for i, key in enumerate(candidates):
            by_series.setdefault(key[:2], []).append(i)
        left = np.ones(len(candidates), dtype=bool)
        picked = []
        for _ in range(n):
            remaining = np.flatnonzero(left)
            if not len(remaining):
                break
            key = candidates[remaining[self.rng.choice(len(remaining), size=1, replace=False)[0]]]
            left[by_series[key[:2]]] = False
            self.used.add(key)
            picked.append(key)
        return picked

    def _digit_drop_shows(self, row: dict[str, Any], m: int) -> bool:
        """A numerator whose last digit, if dropped, makes a drop validation must flag.

        The rule `sudden-jump` compares a month with the mean of the series' previous
        `jump_window` (3) reported months: with that mean at least 0.6, the dropped value at
        most 0.1 and a denominator of 30 or more, the fall (50+ points) exceeds both the
        30-point threshold and three binomial standard errors (at most 27 points). One such
        month per series (the caller's guard), so another drop is never a previous month.
        """
        if not (row["denominator"] >= 30 and 10 <= row["numerator"] <= row["denominator"]):
            return False
        series = (row["team_id"], row["indicator_id"])
        prior = []
        for k in range(m - 1, -1, -1):
            revisions = self.keys.get((*series, self.cal.periods[k]))
            if revisions and revisions[-1]["denominator"] > 0:
                prior.append(revisions[-1]["numerator"] / revisions[-1]["denominator"])
            if len(prior) == 3:
                break
        return len(prior) == 3 and all(0 <= v <= 1 for v in prior) and sum(prior) / 3 >= 0.6

"""Demo measurements: monthly counts from each team's latent probabilities, and their revisions.

`DemoMeasurements._measure` draws the latent probabilities (baseline, adopted changes, noise)
and the monthly counts: births (seasonal, Poisson), numerators binomial; outcomes follow the
process indicators and AMTSL drops on stock-outs. Extra indicators (a demo of more than six)
are binomial around their own baseline, lifted a little by every change the team adopts.
`_revisions` enters each month's report 3–20 days after the month ended (`self.keys`: the
revisions of each team × indicator × period).
A part of the generated demo (`workbench.demo`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from workbench.demo.calendar import DemoCalendar
from workbench.demo.teams import _LATENT

__all__ = ["DemoMeasurements"]

_CAESAREAN = {"hospital": 0.18, "hc4": 0.08, "hc3": 0.0}
_SPILLOVER = 0.25  # the logit lift of an extra indicator for each change the team adopts


def _logit(p: np.ndarray | float) -> np.ndarray:
    logit: np.ndarray = np.log(np.asarray(p) / (1 - np.asarray(p)))
    return logit


def _expit(x: np.ndarray) -> np.ndarray:
    expit: np.ndarray = 1 / (1 + np.exp(-x))
    return expit


class DemoMeasurements:
    """The monthly counts and their revisions: a part of the demo's `_World`."""

    rng: np.random.Generator
    teams: list[dict[str, Any]]
    cal: DemoCalendar
    codes: tuple[str, ...]
    extras: list[dict[str, Any]]

    def _measure(self) -> None:
        """Latent probabilities and monthly counts per team (clean data, before injections)."""
        rng = self.rng
        n_months = self.cal.n_months
        months = np.arange(n_months)
        season = 1 + 0.12 * np.sin(2 * np.pi * (months + 11 - 3) / 12)
        days = np.array([(self.cal.start + m).days_in_month for m in months], dtype=float)
        for team in self.teams:
            logits = {}
            for ind in _LATENT:
                shift = np.zeros(n_months)
                for month, effects in team["adopted"]:
                    if ind in effects and month < n_months:
                        shift[month:] += effects[ind]
                logits[ind] = (_logit(team["baseline"][ind]) + shift
                               + rng.normal(0, 0.15, n_months))
            p = {ind: _expit(v) for ind, v in logits.items()}
            births = np.clip(rng.poisson(team["births"] * season), 5, 400)
            vaginal = births - rng.binomial(births, _CAESAREAN[team["level"]])
            live = births - rng.binomial(births, 0.02)
            stock = rng.binomial(days.astype(int), p["OXY_STOCK"])
            amtsl_p = p["AMTSL"] * (0.55 + 0.45 * stock / days)
            amtsl = rng.binomial(vaginal, amtsl_p)
            pph = rng.binomial(vaginal, team["pph"] * (1 - 0.6 * amtsl_p))
            part = rng.binomial(births, p["PARTOGRAPH"])
            nbc = rng.binomial(live, p["NEWBORN_CARE"])
            asph = rng.binomial(live, team["asphyxia"]
                                * (1 - 0.3 * p["PARTOGRAPH"] - 0.3 * p["NEWBORN_CARE"]))
            team["counts"] = {
                "AMTSL": (amtsl, vaginal), "PARTOGRAPH": (part, births),
                "NEWBORN_CARE": (nbc, live), "PPH": (pph, vaginal), "ASPHYXIA": (asph, live),
                "OXY_STOCK": (stock, days.astype(int)),
            }
            if self.extras:
                self._measure_extras(team, {"all": births, "vaginal": vaginal, "live": live})
            team["p"] = p

    def _measure_extras(self, team: dict[str, Any], births: dict[str, np.ndarray]) -> None:
        """Counts of the extra indicators: binomial around the baseline, lifted by adoptions."""
        n_months = self.cal.n_months
        lift = np.zeros(n_months)
        for month, _ in team["adopted"]:
            lift[min(month, n_months):] += _SPILLOVER
        for ind in self.extras:
            logit = (_logit(team["baseline"][ind["code"]]) + lift
                     + self.rng.normal(0, 0.15, n_months))
            den = births[ind["births"]]
            team["counts"][ind["code"]] = (self.rng.binomial(den, _expit(logit)), den)

    def _revisions(self) -> None:
        rng = self.rng
        periods = self.cal.periods
        self.keys: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
        for team in self.teams:
            team["entered"] = {}
            for m in range(team["join"], self.cal.n_months):
                late = dt.timedelta(days=int(rng.integers(3, 21)))
                when = (self.cal.month_end(m) + late).replace(
                    hour=int(rng.integers(8, 17)), minute=int(rng.integers(60)), second=0)
                team["entered"][m] = when
                for ind in self.codes:
                    num, den = team["counts"][ind]
                    self.keys[(team["team_id"], ind, periods[m])] = [{
                        "team_id": team["team_id"], "indicator_id": ind,
                        "period": periods[m], "numerator": int(num[m]),
                        "denominator": int(den[m]), "author": team["officer"],
                        "created_at": when,
                    }]

    @property
    def revisions(self) -> list[dict[str, Any]]:
        rows = [row for rows in self.keys.values() for row in rows]
        rows.sort(key=lambda r: (r["created_at"], r["team_id"], r["indicator_id"], r["period"]))
        return rows

"""The default demo's spread wave: 24 more teams in a fourth district joining with package v2.

`SpreadWave(rng, launch)` is a `_World` of its own, drawn from its own Generator (so the
launch teams' data is the same with or without it): the 24 facilities of
`content.SPREAD_FACILITIES` in `content.SPREAD_DISTRICT` (T25..T48, wave `SPREAD_WAVE`, joining
in `SPREAD_MONTH`, 2025-12, no data before), one coach. Their profiles are drawn at once (the
definition lists them); their PDSA ramps, monthly data and visits only once the synthesis
meeting has recorded the refined package (`grow(package)`), because they test that package:
its changes with the best evidence first, in shorter ramps, adopted more often and to a little
more effect (the guidance now says what teams learned) — so, from a baseline like the first
wave's, they improve faster, as the seed expects of spread. Their data has injected problems
of every kind too, in proportion to its monthly values (`spread_injection_counts`: 22 beside
the launch teams' 36), so validation meets them at the same density. `add_to_definition`
puts the wave, its teams, its launch session and the words for 48 teams into the
collaborative definition.
A part of the generated demo (`workbench.demo`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from workbench.demo import content
from workbench.demo.calendar import SPREAD_MONTH
from workbench.demo.world import _World
from workbench.learning.evidence import GRADES

__all__ = ["SPREAD_WAVE", "SpreadWave", "package_ideas", "spread_injection_counts"]

SPREAD_WAVE = "W3"
_RANK = {grade: i for i, grade in enumerate(GRADES)}


class SpreadWave(_World):
    """The spread wave's teams, and once `grow` ran, their cycles, data and visits."""

    max_cycles = 3  # ramps of 1 or 2 cycles: the package says what worked
    adopt_bonus = 0.15
    effect_bonus = 1.2

    def __init__(self, rng: np.random.Generator, launch: _World) -> None:  # noqa: D107
        self.rng = rng
        self.size = launch.size
        self.cal = launch.cal
        self.counts = spread_injection_counts(launch)
        self.injections: list[dict[str, Any]] = []
        self.indicators, self.codes, self.extras = launch.indicators, launch.codes, launch.extras
        self.coaches = {content.SPREAD_DISTRICT: content.SPREAD_COACH}
        first = len(launch.teams)
        self.teams = [self._profile(f"T{first + i + 1:02d}", facility, content.SPREAD_DISTRICT,
                                    level, SPREAD_WAVE, SPREAD_MONTH)
                      for i, (facility, level) in enumerate(content.SPREAD_FACILITIES)]
        self.innovations = {}
        self.package: list[dict[str, Any]] = []
        self.cycles: list[dict[str, Any]] = []

    def add_to_definition(self, definition: dict[str, Any]) -> None:
        """The wave, its teams and its launch session in the collaborative `definition`."""
        periods = self.cal.periods
        definition["waves"].append({"wave_id": SPREAD_WAVE, "name": "Wave 3 (spread)",
                                    "start_period": periods[SPREAD_MONTH]})
        definition["teams"] += self._team_rows()
        definition["learning_sessions"].append({
            "name": "Wave 3 launch (learning session 1)",
            "date": f"{periods[SPREAD_MONTH]}-09", "wave_id": SPREAD_WAVE})
        definition["learning_sessions"].sort(key=lambda ls: ls["date"])
        launch = len(definition["teams"]) - len(self.teams)
        definition["collaborative"]["description"] = (
            f"{launch} maternity units in Kabale, Kisoro and Rukungiri districts, then "
            f"{len(self.teams)} more in {content.SPREAD_DISTRICT} (the spread wave), improving "
            "AMTSL, partograph use and immediate newborn care. Demo data, generated: not real "
            "facilities' results.")

    def grow(self, package: list[dict[str, Any]]) -> None:
        """The teams test `package` (`package_ideas`): PDSA ramps, monthly data, visits."""
        self.package = package
        self._pdsa()
        self._measure()
        self._revisions()
        self._inject_measurement_problems()
        self._visits()

    def _ideas(self, index: int) -> list[dict[str, Any]]:
        """The package's changes, the best evidence first (in a random order within a grade)."""
        shuffled = [self.package[j] for j in self.rng.permutation(len(self.package))]
        return sorted(shuffled, key=lambda idea: _RANK.get(idea["grade"], len(_RANK)))


def spread_injection_counts(launch: _World) -> dict[str, int]:
    """How many problems of each kind the spread wave's data gets: the launch teams' counts
    (`launch.counts`) in proportion to the wave's team-months (24 teams × 11 months against
    the launch's 504: 3 of each kind, 2 of the rarer ones)."""
    launch_months = sum(launch.cal.n_months - t["join"] for t in launch.teams)
    share = len(content.SPREAD_FACILITIES) * (launch.cal.n_months - SPREAD_MONTH) / launch_months
    return {kind: max(1, round(n * share)) for kind, n in launch.counts.items()}


def package_ideas(version: list[dict[str, Any]], grades: dict[str, str],
                  launch: _World) -> list[dict[str, Any]]:
    """The changes of a recorded package version (rows of `read_package`, those in the
    package) as the generator's change ideas (`content.CHANGE_PACKAGE` and the launch teams'
    innovations), each with its evidence grade from the draft (`grades`)."""
    ideas = {idea["code"]: idea for idea in content.CHANGE_PACKAGE}
    ideas.update({idea["code"]: idea for idea in launch.innovations.values()})
    return [{**ideas[str(row["change_id"])], "grade": grades.get(str(row["change_id"]), "")}
            for row in version if row["in_package"] and str(row["change_id"]) in ideas]

"""The demo's simulation: `_World` holds everything the demo writes, generated in a fixed order
from one numpy Generator.

Each part is a mixin in its own module (`workbench.demo.teams`, `pdsa`, `measurements`,
`problems`, `visits`); the order of the calls in `_World.__init__` is the order of the draws,
so the same seed gives the same demo. The default demo's spread wave is another `_World`
(`workbench.demo.spread`) drawn from its own Generator, so adding it changes none of these
draws. A part of the generated demo (`workbench.demo`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from workbench.demo.calendar import demo_calendar
from workbench.demo.measurements import DemoMeasurements
from workbench.demo.pdsa import DemoPDSA
from workbench.demo.problems import DemoProblems
from workbench.demo.size import DEFAULT_SIZE, DemoSize, injection_counts
from workbench.demo.teams import DemoTeams
from workbench.demo.visits import DemoVisits

__all__ = ["_World"]

class _World(DemoTeams, DemoPDSA, DemoMeasurements, DemoProblems, DemoVisits):
    """Everything the demo writes, generated in a fixed order from one Generator.

    Each part is a mixin in its own module; the order of the calls here is the order of the
    draws, so the same seed gives the same demo.
    """

    def __init__(self, rng: np.random.Generator, size: DemoSize = DEFAULT_SIZE) -> None:
        self.rng = rng
        self.size = size
        self.cal = demo_calendar(size.months)
        self.counts = injection_counts(size)
        self.injections: list[dict[str, Any]] = []
        self._teams()
        self.definition = self._definition()
        self.cycles: list[dict[str, Any]] = []
        self._pdsa()
        self._measure()
        self._revisions()
        self._inject_measurement_problems()
        self._visits()

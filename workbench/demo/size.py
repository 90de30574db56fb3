"""The size of a demo collaborative: teams, indicators, months and districts.

`DemoSize` is what `workbench demo --teams N --indicators K --months M --districts D` asks for;
`DEFAULT_SIZE` (24 × 6 × 24, 3 districts) is the embedded demo, which every other size grows
from: the same facilities' pattern of levels and waves repeated, the same six indicators first
(then `content.EXTRA_INDICATORS`), the same calendar from 2024-11. `check_size` refuses a size
the generator cannot fill, with the limits in the message. `injection_counts` scales the
injected problems with the number of monthly values (and visits), so a larger demo has the
same density of problems for validation to find.
"""

from __future__ import annotations

from typing import NamedTuple

from workbench.demo.content import EXTRA_INDICATORS, INDICATORS
from workbench.demo.problems import INJECTION_COUNTS
from workbench.errors import ConfigError
from workbench.i18n import N_

__all__ = ["DEFAULT_SIZE", "MAX_INDICATORS", "DemoSize", "check_size", "injection_counts"]

MAX_INDICATORS = len(INDICATORS) + len(EXTRA_INDICATORS)


class DemoSize(NamedTuple):
    """How big a demo is: `teams`, `indicators`, `months` (from 2024-11), `districts`."""

    teams: int = 24
    indicators: int = 6
    months: int = 24
    districts: int = 3


DEFAULT_SIZE = DemoSize()


def check_size(size: DemoSize) -> DemoSize:
    """`size` if the generator can build it; ConfigError naming the option and its limits."""
    limits = (("teams", size.teams, 2, 99_999), ("indicators", size.indicators, 1, MAX_INDICATORS),
              ("months", size.months, 12, 240), ("districts", size.districts, 1, size.teams))
    for name, value, low, high in limits:
        if not low <= value <= high:
            raise ConfigError(N_("--{name} {value} is out of range: the demo takes {low} to "
                                 "{high} {name} (at most one district per team).")
                              if name == "districts" else
                              N_("--{name} {value} is out of range: the demo takes {low} to "
                                 "{high} {name}."),
                              params={"name": name, "value": value, "low": low, "high": high})
    return size


def injection_counts(size: DemoSize) -> dict[str, int]:
    """How many problems of each kind a demo of `size` injects: `INJECTION_COUNTS` for the
    default demo, scaled by the number of monthly values (recounts: by teams × months), at
    least one of each."""
    base = DEFAULT_SIZE
    values = (size.teams * size.indicators * size.months) / (
        base.teams * base.indicators * base.months)
    visits = (size.teams * size.months) / (base.teams * base.months)
    return {kind: max(1, round(n * (visits if kind == "recount_disagrees" else values)))
            for kind, n in INJECTION_COUNTS.items()}

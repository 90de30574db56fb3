"""Run and control charts (qicharts2 semantics), vectorised over teams. Pure: never imports the
store, charts or HTML.
"""

from workbench.spc.qic import (
    CHARTS,
    RULE_SETS,
    SPCResult,
    anhoej_critical_values,
    qic,
)

__all__ = [
    "CHARTS",
    "RULE_SETS",
    "SPCResult",
    "anhoej_critical_values",
    "qic",
]

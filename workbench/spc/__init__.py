"""Run and control charts (qicharts2 semantics), vectorised over teams. Pure: never imports the
store, charts or HTML (a notebook shows `SPCResult` through `workbench.notebook.reprs`).

Modules, in the order a chart is computed: `subgroups` (input checks, aggregation),
`layout` (positions, parts, rebase dates, baselines), `limits` (centre lines and limits per
chart type), `anhoej` (runs analysis), `rules` (IHI and NHS rule sets, with the IHI runs
limits in `ihi_runs`), `qic` (the entry point and the result frames); `kernels` holds the
segment-wise numpy reductions they share.
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

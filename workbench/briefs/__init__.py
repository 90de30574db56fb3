"""Data assembly for the report notebooks: read the store once, return ready frames.

- `team_report_data(engine, team_id, period)` — the monthly team report;
- `site_visit_brief_data(engine, team_id, visit_date)` — the coach's brief before a visit;
- `collaborative_summary_data(engine, period)` — the collaborative summary (delegates the
  roll-ups to `workbench.briefs.summary.collaborative_rollup`);
- `synthesis_data(engine, period, wave)` — the synthesis-meeting pack (what works, the draft
  of the refined change package; `workbench.briefs.synthesis`).

Each returns a dataclass of frames and values already formatted for people (percentages as
`85.3%`, months as `Jan 2025`); the notebooks render them with `workbench.notebook.render` and draw
them with `workbench.charts` (`*.figures()` methods build the bokeh figures). A team's data
carry nothing of another team except collaborative aggregates (the median).

The code lives in one module per report — `workbench.briefs.team_report`,
`workbench.briefs.site_visit_brief`, `workbench.briefs.collaborative_summary` — with what they share
(table headers in the reader's language, notebook parameters: `db_url`, `period`, `lang`) in
`workbench.briefs.tables`; this module gathers their
public names, so the notebooks import one module (`from workbench import briefs`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported on first use (`__getattr__`): `workbench summary` needs no bokeh
    from workbench.briefs.collaborative_summary import (
        CollaborativeSummary,
        collaborative_summary_data,
    )
    from workbench.briefs.reuse import show_figures
    from workbench.briefs.site_visit_brief import (
        NO_NEW_DATA,
        STALLED_DAYS,
        SiteVisitBrief,
        site_visit_brief_data,
    )
    from workbench.briefs.synthesis import SYNTHESIS_COLUMNS, SynthesisPack, synthesis_data
    from workbench.briefs.tables import COLUMNS, engine_for, resolve_period, set_report_language
    from workbench.briefs.team_report import (
        BASELINE_MONTHS,
        TeamReport,
        collaborative_medians,
        team_report_data,
    )

#: where each public name lives (the module is imported when the name is first used)
_HOME = {
    "CollaborativeSummary": "collaborative_summary",
    "collaborative_summary_data": "collaborative_summary",
    "NO_NEW_DATA": "site_visit_brief", "STALLED_DAYS": "site_visit_brief",
    "SiteVisitBrief": "site_visit_brief", "site_visit_brief_data": "site_visit_brief",
    "SYNTHESIS_COLUMNS": "synthesis", "SynthesisPack": "synthesis",
    "synthesis_data": "synthesis",
    "COLUMNS": "tables", "engine_for": "tables", "resolve_period": "tables",
    "set_report_language": "tables",
    "BASELINE_MONTHS": "team_report", "TeamReport": "team_report",
    "collaborative_medians": "team_report", "team_report_data": "team_report",
    "show_figures": "reuse",
}


def __getattr__(name: str) -> Any:
    """A public name (or a submodule) of the briefs, imported on first use: the report
    modules import bokeh, which commands that only roll up (`workbench summary`) skip."""
    if name in _HOME:
        value = getattr(importlib.import_module(f"workbench.briefs.{_HOME[name]}"), name)
        globals()[name] = value
        return value
    try:
        return importlib.import_module(f"workbench.briefs.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"workbench.briefs.{name}":  # a submodule's own import failed
            raise
        raise AttributeError(f"module 'workbench.briefs' has no attribute {name!r}") from None


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOME])


__all__ = [
    "BASELINE_MONTHS",
    "COLUMNS",
    "NO_NEW_DATA",
    "STALLED_DAYS",
    "SYNTHESIS_COLUMNS",
    "CollaborativeSummary",
    "SiteVisitBrief",
    "SynthesisPack",
    "TeamReport",
    "collaborative_medians",
    "collaborative_summary_data",
    "engine_for",
    "resolve_period",
    "set_report_language",
    "show_figures",
    "site_visit_brief_data",
    "synthesis_data",
    "team_report_data",
]

"""A team report computed once a cycle, shown again in the team's site-visit brief.

In the monthly cycle (`workbench.reports.cycle`) a team due a visit gets its team report
and then its site-visit brief for the same month. The brief shows the team report's data
(`site_visit_brief_data` builds it with `team_report_data`) and the same charts
(`show_figures`). Rather than computing them twice, the team report's run keeps them in a
file and the brief's run reads it back:

- the report batch names the file in the kernel's environment: `KEEP_ENV` for a team
  report (write it), `REUSE_ENV` for a brief (read it). The batch names it only when the
  inputs of both runs are the same (the file's name carries a digest of the team's data,
  the collaborative's, the library and the language: `workbench.reports.batch`), so a file
  of other data is never read;
- `team_report_data` returns the kept `TeamReport` when the file is for the same team,
  month and language (else it computes one as always);
- `show_figures(report)` shows the charts the team report showed (their outputs, as they
  were displayed), and when asked to keep them, draws them with `charts.show_many` and
  keeps what was displayed. One function still draws every chart: `TeamReport.charts()`
  (the documents of `TeamReport.figures()`, embedded).

Without those variables (a notebook opened by hand, `workbench report` alone) nothing is
read or written.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import pandas as pd

from workbench.i18n import current_language

# `TeamReport` (workbench.briefs.team_report, which calls this module) is `Any` here
TeamReport = Any

__all__ = ["KEEP_ENV", "REUSE_ENV", "kept_report", "keep_report", "show_figures"]

#: the file a team report's run writes its data and charts into
KEEP_ENV = "WORKBENCH_REPORT_KEEP"
#: the file a site-visit brief's run reads them from
REUSE_ENV = "WORKBENCH_REPORT_REUSE"
_KEEP = "keep_path"  # keys of `TeamReport.extra`
_OUTPUTS = "chart_outputs"


def kept_report(team_id: str, period: str) -> TeamReport | None:
    """The team report kept for `team_id` and `period` (YYYY-MM) in the file `$REUSE_ENV`
    names, in the current language; None when there is none."""
    path = os.environ.get(REUSE_ENV, "")
    if not path or not os.path.isfile(path):
        return None
    try:
        period = str(pd.Period(period, freq="M"))
    except (ValueError, TypeError):
        return None  # the report says what is wrong with it
    try:
        with open(path, "rb") as handle:  # written by this workbench's report batch
            kept = cast("dict[str, Any]", pickle.load(handle))
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None  # unreadable: computed again, never shown wrong
    if (kept.get("team_id"), kept.get("period"), kept.get("language")) != (
            team_id, period, current_language()):
        return None
    report = kept["report"]
    report.extra[_OUTPUTS] = kept["outputs"]
    return report


def keep_report(report: TeamReport) -> None:
    """Mark `report` to be kept once its charts are shown, when the batch asks for it."""
    path = os.environ.get(KEEP_ENV, "")
    if path:
        report.extra[_KEEP] = path


def show_figures(report: TeamReport) -> None:
    """Show the charts of the collaborative's indicators: `charts.show_many(report.charts())`,
    or the outputs those charts had in the team report this report was kept from."""
    from IPython.display import publish_display_data as publish_untyped

    # IPython annotates none of its display functions
    publish = cast("Callable[[dict[str, Any], dict[str, Any]], None]", publish_untyped)

    from workbench import charts

    outputs = report.extra.get(_OUTPUTS)
    if outputs is not None:
        for data, metadata in outputs:
            publish(data, metadata)
        return
    path = report.extra.get(_KEEP)
    if not path:
        charts.show_many(report.charts())
        return
    from IPython.utils.capture import capture_output

    with capture_output(stdout=False, stderr=False, display=True) as captured:
        charts.show_many(report.charts())
    outputs = [(dict(o.data), dict(o.metadata or {})) for o in captured.outputs]
    for data, metadata in outputs:
        publish(data, metadata)
    _write(Path(path), report, outputs)


def _write(path: Path, report: TeamReport, outputs: list[tuple[dict[str, Any],
                                                               dict[str, Any]]]) -> None:
    """Write the kept report (to a temporary name, renamed: never half a file); a file that
    cannot be written only means the brief computes its own."""
    extra = {k: v for k, v in report.extra.items() if k not in (_KEEP, _OUTPUTS)}
    kept = {"team_id": str(report.team["team_id"]), "period": str(report.period),
            "language": current_language(), "outputs": outputs,
            "report": _with_extra(report, extra)}
    tmp = ""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".keep-", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as handle:
            pickle.dump(kept, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except (OSError, pickle.PicklingError, TypeError, AttributeError):
        if tmp:
            Path(tmp).unlink(missing_ok=True)


def _with_extra(report: TeamReport, extra: dict[str, Any]) -> TeamReport:
    from dataclasses import replace

    return replace(report, extra=extra)

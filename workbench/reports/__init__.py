"""Batch reports: parameterised notebooks run in reused kernels into HTML, with a resumable output
folder.
"""

from workbench.reports.batch import (
    NOTEBOOKS,
    BatchResult,
    ReportResult,
    default_visit_date,
    default_workers,
    demo_reports,
    report_fingerprints,
    resolve_notebook,
    run_reports,
)

__all__ = [
    "NOTEBOOKS",
    "ReportResult",
    "BatchResult",
    "run_reports",
    "resolve_notebook",
    "report_fingerprints",
    "default_visit_date",
    "default_workers",
    "demo_reports",
]

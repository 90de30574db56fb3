"""Where a batch's reports run: the protocol an executor of `run_reports` follows.

`run_reports(..., executor=None)` runs its jobs on kernels of this machine (worker threads,
one warm kernel each). An `Executor` runs the same jobs elsewhere — Dask workers
(`workbench.reports.dask_engine.DaskExecutor`) — and yields the same `ReportResult`s as they
finish, with the files written by the batch; resume, failures and interruption behave the same.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

from sqlalchemy import Engine

__all__ = ["Executor"]


class Executor(Protocol):
    """Runs a batch's report jobs and yields their results as they finish."""

    #: what the index and the CLI say about where reports ran (`dask tcp://…`)
    description: str

    def check_database(self, engine: Engine) -> None:
        """Raise `WorkbenchError` when the workers cannot read this database."""

    def run(self, spec: Any, jobs: list[Any]) -> Iterator[Any]:
        """`ReportResult` of each job, files written into `spec.folder`, in finishing order;
        on `KeyboardInterrupt` or `close` the work still running is cancelled."""
        ...

    def close(self) -> None:
        """Release the workers (a LocalCluster is shut down; a remote scheduler is left)."""

"""The Dask worker plugin of `workbench.reports.dask_engine` (imported only with Dask installed).

`WarmKernelPlugin` lives as long as its worker: the worker's report kernel starts in the
worker's task thread, which owns the kernel's channels (when the executor connects:
`DaskExecutor.warm`, else with the worker's first report), and is reused for every later
report; when the worker closes, the plugin stops it.
"""

from __future__ import annotations

from typing import Any

from distributed import WorkerPlugin

__all__ = ["PLUGIN_NAME", "WarmKernelPlugin"]

PLUGIN_NAME = "workbench-warm-kernel"


class WarmKernelPlugin(WorkerPlugin):
    """Keeps the worker's warm report kernel(s) for the worker's lifetime."""

    name = PLUGIN_NAME

    def setup(self, worker: Any) -> None:
        self.worker_address = str(getattr(worker, "address", ""))

    def teardown(self, worker: Any) -> None:
        from workbench.reports.batch import stop_worker_sessions

        stop_worker_sessions()

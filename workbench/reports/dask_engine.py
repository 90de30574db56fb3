"""Reports on Dask distributed: the same jobs, results, failures and resume as the local pool.

    executor = DaskExecutor.connect(scheduler="tcp://10.0.0.5:8786")   # an existing cluster
    executor = DaskExecutor.connect(cluster="local", workers=2)         # a LocalCluster here
    run_reports(engine, "2026-10", executor=executor); executor.close()

- Each Dask worker keeps its own warm kernel (`workbench.reports.dask_plugin.WarmKernelPlugin`,
  registered on every worker
  by `connect`): the kernel starts as soon as `connect` has found the worker (`warm`: while
  this machine plans the batch and computes the collaborative figures), is reused for every later
  report in the worker's task thread (reset between teams, restarted after a failure, as in
  `workbench.reports.kernel_pool`), and is stopped when the worker closes. Workers run one
  report at a time each (LocalCluster: one thread per worker process, and none of Dask's
  background work a machine of kernels has no use for: `LOCAL_CLUSTER_CONFIG`).
- The workers read the shared store themselves (the notebook's `db_url`): PostgreSQL when
  they run on other hosts. A SQLite file is refused with a clear error when any worker is
  on another host; on a LocalCluster it works (same files).
- A worker returns the rendered report (HTML text, the failed notebook); the batch writes the
  files here, so the workers need no shared folder. The collaborative figures file the batch
  names in the kernels' environment is used when a worker sees it (same machine); workers on
  other hosts compute the same figures once per kernel from the store.
- Ctrl-C cancels the reports not started; a report already running on a worker finishes
  there and is thrown away (the manifest marks it `interrupted`, the next run does it).

Needs the `dask` extra: `pip install 'coaching-workbench[dask]'`.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from sqlalchemy import Engine

from workbench.errors import WorkbenchError
from workbench.i18n import N_

__all__ = ["LOCAL_CLUSTER_CONFIG", "DaskExecutor", "check_shared_database", "make_executor",
           "remote_hosts"]
_LOOPBACK = {"127.0.0.1", "localhost", "::1", ""}
#: Dask settings of the LocalCluster (`--cluster local`), which shares this machine's cores
#: with the kernels doing the work: each worker's statistical profiler (a thread sampling
#: every thread's stack 100 times a second, for the dashboard, which is off), work stealing
#: (the scheduler queues a worker's next report already) and the event loop and system
#: monitors at their default pace cost CPU beside every report. Measured at 2,000 teams with
#: 2 workers on 2 cores (`bench_cycle.py --scaling`, 3 rounds against main): the CPU the
#: cluster spends beyond the reports' own 0.080-0.092 -> 0.041-0.047 s a report, and a
#: report's own (its kernel and task thread) 0.37-0.39 -> 0.32-0.35 s, the local pool's
#: 0.34-0.37 (the README gives the same settings for `dask-worker`).
LOCAL_CLUSTER_CONFIG: dict[str, object] = {
    "distributed.worker.profile.enabled": False,
    "distributed.scheduler.work-stealing": False,
    "distributed.admin.tick.interval": "500ms",
    "distributed.admin.system-monitor.interval": "5s",
}


def _distributed() -> Any:
    try:
        import distributed
    except ImportError as exc:
        raise WorkbenchError(N_("Dask is not installed: pip install 'coaching-workbench[dask]' "
                                "(or 'dask[distributed]'), then run the command again.")) from exc
    return distributed


def _warm_on_worker() -> int | None:
    """A Dask task: start this worker's report kernel now (the pid), before its first report;
    a kernel that fails to start is started again (or fails) at the first report."""
    from workbench.paths import notebooks_dir
    from workbench.reports.batch import _shutdown_worker_session, _worker_session

    try:
        return _worker_session(str(notebooks_dir())).kernel_pid
    except Exception:  # noqa: BLE001 - the first report tries again, and says why
        _shutdown_worker_session()
        return None


def _render_on_worker(spec: Any, job: Any) -> Any:
    """The Dask task: run and render one report in this worker's warm kernel."""
    from workbench.reports.batch import render_job, resolve_notebook

    if not Path(spec.notebook_path).is_file():  # another host: its own copy of the notebook
        spec = replace(spec, notebook_path=str(resolve_notebook(spec.name)[0]))
    return render_job(spec, job)


def _host(address: str) -> str:
    return urlparse(address).hostname or ""


def _this_machine() -> set[str]:
    here = {socket.gethostname(), socket.getfqdn()}
    try:
        here.update(socket.gethostbyname_ex(socket.gethostname())[2])
    except OSError:
        pass
    return here


def remote_hosts(worker_hosts: set[str], this_machine: set[str]) -> set[str]:
    """The worker hosts that are not this machine (loopback and this machine's names and
    addresses are local)."""
    return {h for h in worker_hosts if h not in _LOOPBACK and h not in this_machine}


def check_shared_database(engine: Engine, remote: set[str]) -> None:
    """Refuse a SQLite file when workers on other hosts (`remote`) would have to read it."""
    if engine.url.get_backend_name() != "sqlite" or not remote:
        return
    raise WorkbenchError(N_("The database {database} is a SQLite file, which Dask workers on "
                            "other hosts ({hosts}) cannot read: put the collaborative in "
                            "PostgreSQL (--db postgresql://user@host/db) or use --cluster local."),
                         params={"database": engine.url.database,
                                 "hosts": ', '.join(sorted(remote))})


class DaskExecutor:
    """Runs report jobs on a Dask cluster (see the module docstring)."""

    def __init__(self, client: Any, cluster: Any = None, description: str = "dask") -> None:
        self.client = client
        self.cluster = cluster
        self.description = description
        self.warming: list[Any] = []  # the futures of `warm`

    @classmethod
    def connect(cls, scheduler: str | None = None, cluster: str | None = None,
                workers: int = 2) -> DaskExecutor:
        """A client of the scheduler at `scheduler` (tcp://HOST:8786), or of a new
        LocalCluster of `workers` processes on 127.0.0.1 (`cluster="local"`)."""
        distributed = _distributed()
        if (scheduler is None) == (cluster is None):
            raise WorkbenchError(N_("Give either --scheduler tcp://HOST:8786 or --cluster local."))
        if cluster is not None and cluster != "local":
            raise WorkbenchError(N_("Unknown cluster {cluster!r}: only 'local' (a LocalCluster "
                                    "on this machine); for others start dask-scheduler and "
                                    "dask-worker and give --scheduler."),
                                 params={"cluster": cluster})
        local = None
        if cluster == "local":
            import dask

            with dask.config.set(LOCAL_CLUSTER_CONFIG):  # the nannies hand it to the workers
                local = distributed.LocalCluster(
                    n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                    dashboard_address=None, silence_logs=40)
            client = distributed.Client(local)
            description = f"dask LocalCluster ({workers} workers)"
        else:
            try:
                client = distributed.Client(scheduler, timeout="10s")
            except OSError as exc:
                raise WorkbenchError(N_("Cannot reach the Dask scheduler at {scheduler}: {exc}. "
                                        "Start it (dask-scheduler) and its workers (dask-worker "
                                        "tcp://HOST:8786), or use --cluster local."),
                                     params={"scheduler": scheduler, "exc": exc}) from exc
            description = f"dask {scheduler}"
        from workbench.reports.dask_plugin import PLUGIN_NAME, WarmKernelPlugin

        client.register_plugin(WarmKernelPlugin(), name=PLUGIN_NAME)
        executor = cls(client, local, description)
        executor.warm()
        return executor

    def warm(self) -> None:
        """Start each worker's kernel now, in the worker's task thread, while this machine
        prepares the batch (the plan, the collaborative figures; in a cycle also the import
        and validation), as the local pool's threads do: one task a worker, not waited for."""
        batch = uuid.uuid4().hex[:8]
        self.warming = [self.client.submit(_warm_on_worker, workers=[address],
                                           allow_other_workers=False, pure=False,
                                           key=f"warm-kernel-{n}-{batch}")
                        for n, address in enumerate(self.client.scheduler_info()
                                                    .get("workers", {}))]

    # -- Executor ---------------------------------------------------------------------------
    def worker_hosts(self) -> set[str]:
        return {_host(a) for a in self.client.scheduler_info().get("workers", {})}

    def shares_folder(self) -> bool:
        """True when every worker runs on this machine (and so sees the report folder)."""
        return not remote_hosts(self.worker_hosts(), _this_machine())

    def check_database(self, engine: Engine) -> None:
        check_shared_database(engine, remote_hosts(self.worker_hosts(), _this_machine()))

    def run(self, spec: Any, jobs: list[Any]) -> Iterator[Any]:
        from workbench.reports.batch import write_rendered

        distributed = _distributed()
        if not jobs:
            return
        batch = uuid.uuid4().hex[:8]
        futures = [self.client.submit(_render_on_worker, spec, job, pure=False,
                                      key=f"report-{spec.name}-{job.key}-{batch}")
                   for job in jobs]
        by_key = {f.key: job for f, job in zip(futures, jobs, strict=True)}
        try:
            for future in distributed.as_completed(futures):
                try:
                    rendered = future.result()
                except Exception as exc:  # noqa: BLE001 - a lost worker fails its report only
                    from workbench.reports.batch import crashed_result

                    yield crashed_result(by_key[future.key], exc)
                    continue
                yield write_rendered(Path(spec.folder), rendered, spec.self_contained)
        finally:
            self.client.cancel([f for f in futures if not f.done()])

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def make_executor(scheduler: str | None, cluster: str | None,
                  workers: int | None) -> DaskExecutor | None:
    """The CLI's choice: None for the local pool, else a `DaskExecutor`."""
    if scheduler is None and cluster is None:
        return None
    return DaskExecutor.connect(scheduler=scheduler, cluster=cluster, workers=workers or 2)

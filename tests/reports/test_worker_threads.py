"""The batch's worker threads (workbench.reports.batch._WorkerThreads): their kernels start
while the batch is being prepared, and a batch stopped then leaves no kernel running."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from workbench.reports import batch as batch_module
from workbench.reports.batch import _WorkerThreads, run_reports

PERIOD = "2026-10"


def _kernels(psutil: Any, before: frozenset[int] = frozenset()) -> list[Any]:
    """This process's kernels, but those in `before` (kernels other tests of the session
    keep running, e.g. a Voilà server's preheated ones)."""
    found = []
    for child in psutil.Process().children():  # a Voilà server's kernels are its own
        try:
            if child.pid not in before and "ipykernel_launcher" in " ".join(child.cmdline()):
                found.append(child)
        except psutil.Error:
            continue
    return found


def _wait_for(condition: Any, seconds: float = 120) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_the_kernels_start_while_the_collaborative_figures_are_computed(
        demo_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Kernel start-up and the preload (seconds of CPU in the kernels) overlap the batch's
    own preparation (the collaborative figures: seconds of CPU here at 2,000 teams)."""
    psutil = pytest.importorskip("psutil")
    real = batch_module.collaborative_context
    seen: list[int] = []
    before = frozenset(k.pid for k in _kernels(psutil))

    def while_computing(sql: Any, folder: Path) -> dict[str, str]:
        # the batch's kernels appear while the figures are still being computed
        _wait_for(lambda: len(_kernels(psutil, before)) == 2, seconds=60)
        seen.append(len(_kernels(psutil, before)))
        return real(sql, folder)

    monkeypatch.setattr(batch_module, "collaborative_context", while_computing)
    result = run_reports(demo_db, PERIOD, "team_report", teams=["T01", "T02", "T03"],
                         out_dir=tmp_path, workers=2, progress=False)
    assert seen == [2]
    assert [r.status for r in result.results] == ["ok", "ok", "ok"]
    assert len({r.kernel_pid for r in result.results}) == 2  # the warm kernels ran them
    assert _wait_for(lambda: not _kernels(psutil, before), seconds=30)


def test_a_pool_stopped_before_its_jobs_leaves_no_kernel_and_no_thread(tmp_path: Path) -> None:
    psutil = pytest.importorskip("psutil")
    pool = _WorkerThreads.start(str(tmp_path), 2)
    assert _wait_for(lambda: len(pool.sessions) == 2 and all(
        s.kernel_pid for s in pool.sessions))
    pids = [s.kernel_pid for s in pool.sessions]
    pool.close(finished=False)  # Ctrl-C while the batch was being prepared
    assert not any(thread.is_alive() for thread in pool.threads)
    assert _wait_for(lambda: not any(
        psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
        for pid in pids), seconds=30)
    pool.close(finished=False)  # closing twice does nothing

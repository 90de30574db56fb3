"""The report engine: one long-lived Jupyter kernel, reused for many parameterised notebooks.

A fresh kernel per report costs start-up plus `import pandas, bokeh` every time (about 1.4 s of
a 1.7 s report, see the project's jupyter-stack reference). A `KernelSession` starts one kernel,
pre-imports the heavy libraries once, and runs report after report in it:

0. the kernel runs without IPython's history (`KERNEL_ARGUMENTS`);
1. reset the kernel (`%reset -f`, `bokeh.io.reset_output()`, `curdoc().clear()`, working
   folder and environment variables restored, execution counter back to 1), so nothing of the
   previous team's run is visible. The survivors are then moved out of the garbage collector's
   view (`gc.freeze()`): `%reset` collects garbage, and scanning the heap of pandas and bokeh
   every time cost 0.2 s a reset;
2. inject the parameters with papermill's own `parameterize_notebook` (same translation, same
   `injected-parameters` cell) and run the cells through papermill's nbclient wrapper,
   registered as the papermill engine `workbench-kernel`;
3. collect the first error the way papermill does (`raise_for_execution_errors`): the failed
   notebook gets papermill's banner cell at the top and an anchor before the failing cell;
4. after any failure, timeout or dead kernel the kernel is *restarted*, so state from a run
   that stopped half-way can never leak into the next report.

Kernels use the IPC transport on POSIX (`IPCKernelManager`: Unix sockets at a private path per
kernel), so workers that start kernels at the same moment cannot race for TCP ports
(papermill #511), and no kernel warns that it runs over unencrypted TCP. The papermill engine
of `workbench.reports` passes the same class to `papermill.execute_notebook`.
"""

from __future__ import annotations

import atexit
import copy
import os
import signal
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import nbformat
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import Engine, papermill_engines
from papermill.exceptions import PapermillExecutionError
from papermill.execute import (
    prepare_notebook_metadata,
    raise_for_execution_errors,
    remove_error_markers,
)
from papermill.iorw import load_notebook_node
from papermill.log import logger
from papermill.parameterize import parameterize_notebook
from traitlets import default

__all__ = [
    "ENGINE_NAME",
    "DEFAULT_PRELOAD",
    "CellError",
    "NotebookRun",
    "KernelSession",
    "IPCKernelManager",
    "kernel_manager_class",
    "load_notebook",
]

ENGINE_NAME = "workbench-kernel"

#: Modules imported once when a kernel starts (missing ones are ignored).
DEFAULT_PRELOAD: tuple[str, ...] = (
    "numpy", "pandas", "sqlalchemy", "bokeh.plotting", "bokeh.embed", "bokeh.models",
    "bokeh.io", "IPython.display", "workbench.store", "workbench.spc", "workbench.rollup",
    "workbench.charts", "workbench.briefs",
)

#: The kernel's command-line options: no IPython history. A report kernel writes every cell
#: it runs to the history database (`~/.ipython/.../history.sqlite`, shared by every kernel
#: of the user) from a thread of its own: about 6 % of a warm kernel's CPU a team report,
#: measured with py-spy at 2,000 teams, for a history nobody reads.
KERNEL_ARGUMENTS: tuple[str, ...] = ("--HistoryManager.enabled=False",)

_PRELOAD_CODE = """\
import importlib as _wb_importlib, os as _wb_os, sys as _wb_sys
for _wb_name in {modules!r}:
    try:
        _wb_importlib.import_module(_wb_name)
    except Exception:
        pass
_wb_sys._workbench_environ = dict(_wb_os.environ)
del _wb_importlib, _wb_os, _wb_sys, _wb_name
import gc as _wb_gc
_wb_gc.collect()
_wb_gc.freeze()
del _wb_gc
"""

_RESET_CODE = """\
%reset -f
import os as _wb_os, sys as _wb_sys
if "bokeh.io" in _wb_sys.modules:
    _wb_sys.modules["bokeh.io"].reset_output()
    _wb_sys.modules["bokeh.io"].curdoc().clear()
if hasattr(_wb_sys, "_workbench_environ"):
    _wb_os.environ.clear()
    _wb_os.environ.update(_wb_sys._workbench_environ)
_wb_os.environ.update({env!r})
_wb_os.chdir({cwd!r})
get_ipython().execution_count = 1
del _wb_os, _wb_sys
import gc as _wb_gc
_wb_gc.freeze()
del _wb_gc
"""


_IPC_ROOT: tempfile.TemporaryDirectory[str] | None = None


def _ipc_root() -> Path:
    """One private folder per process for the kernels' sockets (removed at exit)."""
    global _IPC_ROOT
    if _IPC_ROOT is None:
        _IPC_ROOT = tempfile.TemporaryDirectory(prefix="wb-ipc-")
        atexit.register(_IPC_ROOT.cleanup)
    return Path(_IPC_ROOT.name)


class IPCKernelManager(AsyncKernelManager):
    """An `AsyncKernelManager` whose kernel listens on Unix sockets at a path of its own."""

    @default("transport")
    def _default_transport(self) -> str:
        return "ipc"

    def _ip_default(self) -> str:
        return str(_ipc_root() / f"k-{uuid.uuid4().hex[:12]}")


def kernel_manager_class() -> type[AsyncKernelManager]:
    """`IPCKernelManager` on POSIX, else jupyter_client's `AsyncKernelManager` (TCP)."""
    return IPCKernelManager if os.name == "posix" else AsyncKernelManager


@dataclass(frozen=True)
class CellError:
    """Where and why a notebook stopped (papermill's `PapermillExecutionError` fields)."""

    cell_index: int
    execution_count: int | None
    source: str
    ename: str
    evalue: str

    @property
    def summary(self) -> str:
        """One line: `ValueError: bad input (cell 7)`."""
        text = f"{self.ename}: {self.evalue}" if self.evalue else self.ename
        return f"{text} (cell {self.cell_index})"

    @classmethod
    def from_papermill(cls, exc: PapermillExecutionError) -> CellError:
        return cls(cell_index=exc.cell_index, execution_count=exc.exec_count,
                   source=exc.source, ename=exc.ename, evalue=exc.evalue)


@dataclass
class NotebookRun:
    """An executed notebook and the first error (None when every cell ran)."""

    nb: nbformat.NotebookNode
    error: CellError | None
    seconds: float

    @property
    def ok(self) -> bool:
        return self.error is None


class ReusedKernelEngine(Engine):  # type: ignore[misc]  # papermill ships no types: Engine is Any
    """A papermill engine that runs the notebook in a kernel it is given (`km`, `kc`)."""

    @classmethod
    def execute_managed_notebook(cls, nb_man: Any, kernel_name: str, *, km: Any, kc: Any,
                                 log_output: bool = False, start_timeout: float = 60,
                                 execution_timeout: float | None = None,
                                 **_ignored: Any) -> Any:
        client = PapermillNotebookClient(nb_man, km=km, kernel_name=kernel_name,
                                         timeout=execution_timeout,
                                         startup_timeout=start_timeout, log=logger,
                                         log_output=log_output)
        client.kc = kc  # reuse the open channels: the client neither starts nor stops a kernel
        return client.execute()


papermill_engines.register(ENGINE_NAME, ReusedKernelEngine)


def load_notebook(path: str | Path) -> nbformat.NotebookNode:
    """Read a notebook the way papermill does (papermill metadata and tag lists added)."""
    nb: nbformat.NotebookNode = load_notebook_node(str(path))
    return nb


class KernelSession:
    """One kernel, started once and reused for many notebook runs.

    `env` adds environment variables to the kernel's (restored before every run). Use as a
    context manager, or call `start()` and `shutdown()`.
    """

    def __init__(self, kernel_name: str = "python3", *, preload: tuple[str, ...] = DEFAULT_PRELOAD,
                 cwd: str | Path | None = None, start_timeout: float = 60,
                 env: dict[str, str] | None = None) -> None:
        self.kernel_name = kernel_name
        self.env = dict(env or {})
        self.preload = preload
        self.cwd = str(Path(cwd or os.getcwd()).resolve())
        self.start_timeout = start_timeout
        self.runs = 0
        self.restarts = 0
        self.aborted = False
        self._km: AsyncKernelManager | None = None
        self._kc: Any = None

    # -- lifecycle -------------------------------------------------------------------------
    def __enter__(self) -> KernelSession:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.shutdown()

    @property
    def kernel_pid(self) -> int | None:
        """The kernel's process id (for memory measurements)."""
        provisioner = getattr(self._km, "provisioner", None)
        process = getattr(provisioner, "process", None)
        return getattr(process, "pid", None)

    def start(self) -> None:
        """Start the kernel and import the preload modules in it."""
        if self._km is not None:
            return
        if self.aborted:
            raise RuntimeError("this kernel session was aborted")
        self._km = kernel_manager_class()(kernel_name=self.kernel_name)
        run_sync(self._km.start_kernel)(cwd=self.cwd, env={**os.environ, **self.env},
                                        extra_arguments=list(KERNEL_ARGUMENTS))
        self._open_client()
        self._run_silently(_PRELOAD_CODE.format(modules=list(self.preload)))

    def _open_client(self) -> None:
        assert self._km is not None
        self._kc = self._km.client()
        self._kc.start_channels()
        run_sync(self._kc.wait_for_ready)(timeout=self.start_timeout)
        self._kc.allow_stdin = False

    def restart(self) -> None:
        """Replace the kernel by a fresh one (after a failure, timeout or dead kernel);
        after `abort()` only stop it."""
        self.shutdown()
        if self.aborted:
            return
        self.restarts += 1
        self.start()

    def abort(self) -> None:
        """Stop whatever the kernel is running by killing it, from any thread (the batch was
        interrupted): the run in progress ends as a dead kernel, and the session does not
        start another kernel."""
        self.aborted = True
        pid = self.kernel_pid
        if pid is not None:
            try:
                os.kill(pid, signal.SIGKILL if hasattr(signal, "SIGKILL") else signal.SIGTERM)
            except OSError:
                pass

    def shutdown(self) -> None:
        """Stop the kernel and close the channels (idempotent)."""
        if self._kc is not None:
            self._kc.stop_channels()
            self._kc = None
        if self._km is not None:
            try:
                run_sync(self._km.shutdown_kernel)(now=True)
            except Exception:  # noqa: BLE001 - a dead kernel cannot be shut down twice
                pass
            self._km = None

    # -- running ---------------------------------------------------------------------------
    def _run_silently(self, code: str, timeout: float = 60) -> None:
        reply = run_sync(self._kc.execute_interactive)(
            code, silent=False, store_history=False, allow_stdin=False, timeout=timeout,
            output_hook=lambda _msg: None)
        if reply["content"]["status"] != "ok":
            content = reply["content"]
            raise RuntimeError(f"kernel set-up failed: {content.get('ename')}: "
                               f"{content.get('evalue')}")

    def reset(self, cwd: str | None = None, env: dict[str, str] | None = None) -> None:
        """Forget everything the previous run defined (see the module docstring); `env` is
        added to the kernel's restored environment for the next run only."""
        if self._km is None:
            self.start()
        elif not run_sync(self._km.is_alive)():
            self.restart()
        self._run_silently(_RESET_CODE.format(cwd=cwd or self.cwd, env=dict(env or {})))

    def execute(self, nb: nbformat.NotebookNode, parameters: dict[str, Any], *,
                input_path: str = "", cwd: str | None = None,
                timeout: float | None = 600, env: dict[str, str] | None = None) -> NotebookRun:
        """Run a copy of `nb` with `parameters` injected; never raises for cell errors.

        `timeout` is per cell in seconds. Cell errors, timeouts and a dead kernel come back as
        `NotebookRun.error`, with papermill's banner in the notebook; the kernel is restarted.
        `env`: environment variables for this run only.
        """
        started = time.perf_counter()
        self.reset(cwd, env)
        nb = parameterize_notebook(copy.deepcopy(nb), parameters, kernel_name=self.kernel_name,
                                   language="python")
        nb = prepare_notebook_metadata(nb, input_path, None)
        nb = remove_error_markers(nb)
        stopped: str | None = None
        try:
            nb = papermill_engines.execute_notebook_with_engine(
                ENGINE_NAME, nb, kernel_name=self.kernel_name, km=self._km, kc=self._kc,
                input_path=input_path, output_path=None, progress_bar=False, log_output=False,
                start_timeout=self.start_timeout, execution_timeout=timeout)
        except CellTimeoutError:
            stopped = f"a cell ran longer than the {timeout:g} s limit; the kernel was restarted"
            _mark_stopped_cell(nb, "CellTimeoutError", stopped)
        except DeadKernelError:
            stopped = "the kernel died (out of memory or killed); it was restarted"
            _mark_stopped_cell(nb, "DeadKernelError", stopped)
        self.runs += 1
        error: CellError | None = None
        try:
            raise_for_execution_errors(nb, None)
        except PapermillExecutionError as exc:
            error = CellError.from_papermill(exc)
        if error is not None or stopped is not None:
            self.restart()
        return NotebookRun(nb=nb, error=error, seconds=time.perf_counter() - started)


def _mark_stopped_cell(nb: nbformat.NotebookNode, ename: str, evalue: str) -> None:
    """Give the cell that was running when execution stopped an error output (for the banner)."""
    started = [cell for cell in nb.cells if cell.cell_type == "code"
               and cell.metadata.get("papermill", {}).get("start_time")]
    cells = started or [cell for cell in nb.cells if cell.cell_type == "code"]
    for cell in cells[-1:]:
        new_output = cast("Callable[..., nbformat.NotebookNode]",  # nbformat is unannotated
                          nbformat.v4.new_output)
        cell.setdefault("outputs", []).append(new_output(
            "error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"]))

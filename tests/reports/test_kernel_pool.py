"""The report kernel's set-up (workbench.reports.kernel_pool), on a real kernel."""

from __future__ import annotations

from pathlib import Path

import nbformat

from workbench.reports.kernel_pool import KernelSession, load_notebook


def test_a_report_kernel_keeps_no_ipython_history_and_still_resets_between_runs(
        tmp_path: Path) -> None:
    """No history thread writing every cell to ~/.ipython (6 % of a report's kernel CPU);
    `%reset -f` between runs works without it."""
    cells = ["seen = 'x' in dir()\nx = 1",
             "print(get_ipython().history_manager.enabled, seen, x)"]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, tmp_path / "nb.ipynb")
    with KernelSession(preload=("json",)) as session:
        runs = [session.execute(load_notebook(tmp_path / "nb.ipynb"), {}) for _ in range(2)]
    assert [run.error for run in runs] == [None, None]
    printed = [[o["text"] for c in run.nb.cells for o in c.get("outputs", [])
                if o.get("name") == "stdout"] for run in runs]
    assert printed == [["False False 1\n"]] * 2

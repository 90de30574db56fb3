"""nbval: point every notebook at a freshly built, validated demo database.

`pytest --nbval-lax notebooks/` runs the notebooks with their default parameters, so
`db_url` is empty and `WORKBENCH_DB` decides. Kernels inherit the environment of this
process when they start, so it is set once, at session start.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest


def pytest_sessionstart(session: pytest.Session) -> None:
    config = session.config
    if not (config.getoption("nbval", False) or config.getoption("nbval_lax", False)):
        return
    from workbench.demo.build import build_demo
    from workbench.validate.run import run_validation

    folder = Path(tempfile.mkdtemp(prefix="workbench-nbval-"))
    path = folder / "demo.db"
    engine = build_demo(str(path))
    run_validation(engine)
    engine.dispose()
    os.environ["WORKBENCH_DB"] = str(path)
    os.environ.setdefault("WORKBENCH_BOKEHJS", "template")  # keep the executed outputs small

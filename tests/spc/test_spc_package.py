"""workbench.spc is pure analytics (DESIGN.md "Layers"; issue 11): it imports neither the
store, the charts nor any HTML, its modules form no import cycle (imports inside functions
count), every module has a docstring and `__all__`, and mypy --strict passes on it."""

from __future__ import annotations

import ast
import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SPC = Path(__file__).resolve().parents[2] / "workbench" / "spc"
ROOT = SPC.parents[1]


def imports_of(path: Path) -> set[str]:
    """Every module `path` imports, at any depth (top level, functions, TYPE_CHECKING)."""
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def module_name(path: Path) -> str:
    return "workbench.spc" if path.stem == "__init__" else f"workbench.spc.{path.stem}"


MODULES = {module_name(p): p for p in sorted(SPC.glob("*.py"))}


def spc_graph() -> dict[str, set[str]]:
    return {name: {m for m in imports_of(path) if m in MODULES and m != name}
            for name, path in MODULES.items()}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_spc_modules_import_only_numpy_pandas_errors_and_each_other(name):
    outside = {m for m in imports_of(MODULES[name])
               if m.startswith("workbench") and m not in MODULES
               and m not in ("workbench.errors", "workbench.errors.SPCInputError",
                             "workbench.errors.Message", "workbench.errors.N_")
               and not m.startswith("workbench.spc.")}
    assert outside == set()
    third_party = {m.split(".")[0] for m in imports_of(MODULES[name])
                   if not m.startswith(("workbench", "__future__"))}
    assert third_party <= {"numpy", "pandas", "collections", "dataclasses", "functools",
                           "typing", "math", "datetime"}


def test_spc_modules_form_no_import_cycle_counting_imports_inside_functions():
    graph = spc_graph()
    graph["workbench.spc"] = set()  # the facade re-exports; nothing imports it back
    state: dict[str, int] = {}
    cycle: list[str] = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle.extend(trail + [node, nxt])
            elif nxt not in state:
                visit(nxt, trail + [node])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [])
    assert cycle == []
    assert "workbench.spc.qic" not in graph["workbench.spc.rules"]
    assert "workbench.spc.limits" in graph["workbench.spc.rules"]


@pytest.mark.parametrize("name", sorted(MODULES))
def test_every_spc_module_has_a_docstring_and_all(name):
    tree = ast.parse(MODULES[name].read_text())
    assert ast.get_docstring(tree)
    assert any(isinstance(n, ast.Assign) and any(getattr(t, "id", "") == "__all__"
                                                 for t in n.targets) for n in tree.body)


def test_importing_spc_loads_no_store_charts_or_notebook_module():
    code = ("import sys, workbench.spc, workbench.spc.qic; "
            "print(sorted(m for m in sys.modules if m.startswith(('workbench.store', "
            "'workbench.charts', 'workbench.notebook', 'sqlalchemy', 'bokeh', 'IPython'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("mypy") is None, reason="mypy not installed")
def test_spc_passes_mypy_strict():
    mypy = shutil.which("mypy", path=str(Path(sys.executable).parent)) or "mypy"
    out = subprocess.run([mypy], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Success: no issues found" in out.stdout

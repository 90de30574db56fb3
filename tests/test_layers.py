"""The layers hold: no import cycle in the apps or the reports (counting imports inside
functions), the app server starts without the widget stack, and the faces leave the schema's
SQL to `workbench.store`. The whole map is `make test`'s `lint-imports`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def imported_by(statement: str) -> set[str]:
    """The modules a fresh interpreter holds after `statement`."""
    code = f"import sys\n{statement}\nprint('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True)
    return set(out.stdout.split())


def test_serving_the_apps_does_not_import_the_widget_stack():
    modules = imported_by("import workbench.apps.server.serve, workbench.cli.serve_cmd")
    assert "workbench.apps.server.serve" in modules
    assert {"ipywidgets", "workbench.widgets", "workbench.apps.base", "bokeh"} & modules == set()


def test_an_app_builder_imports_only_its_own_app():
    modules = imported_by("import workbench.apps.builders")
    assert {"workbench.apps.forms", "workbench.apps.learning_session"} & modules == set()


@pytest.mark.parametrize("contract", ["acyclic-faces"])
def test_import_contract_is_kept(contract):
    if not LINT_IMPORTS.exists():
        pytest.fail("lint-imports is missing: install the test extra (make venv)")
    result = subprocess.run([str(LINT_IMPORTS), "--contract", contract, "--no-cache"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:]


def test_apps_reports_and_cli_leave_the_schema_to_the_store():
    grimp = pytest.importorskip("grimp", reason="grimp comes with import-linter (test extra)")
    graph = grimp.build_graph("workbench")
    faces = ("workbench.apps", "workbench.reports", "workbench.cli")
    offenders = sorted(
        (importer, imported)
        for importer in graph.modules if importer.startswith(faces)
        for imported in graph.find_modules_directly_imported_by(importer)
        if imported == "workbench.store.schema")
    assert offenders == []

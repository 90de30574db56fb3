"""The report notebooks run under papermill on the demo collaborative and say what they should."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.charts.embed import compressed_docs

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
PAPERMILL = str(Path(sys.executable).with_name("papermill"))


@pytest.fixture(scope="module")
def validated_demo_db(demo_db_master: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    import shutil

    from workbench.store import open_engine
    from workbench.validate.run import run_validation

    path = tmp_path_factory.mktemp("nb") / "demo.db"
    shutil.copy(demo_db_master, path)
    run_validation(open_engine(str(path)))
    return str(path)


def _run(name: str, tmp_path: Path, **parameters: str) -> str:
    import papermill

    out = tmp_path / f"{name}.ipynb"
    nb = papermill.execute_notebook(str(NOTEBOOKS / f"{name}.ipynb"), str(out),
                                    parameters=parameters, kernel_name="python3",
                                    progress_bar=False, cwd=str(tmp_path))
    texts = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            assert output.get("output_type") != "error", output
            data = output.get("data", {})
            html = data.get("text/html", "")
            # a chart's own words (titles, legends) sit in its gzipped bokeh document
            charts = compressed_docs(html)
            texts.append(html + data.get("text/plain", "")
                         + (json.dumps(charts, ensure_ascii=False) if charts else ""))
    return "\n".join(texts)


@pytest.mark.slow
def test_team_report_runs_and_shows_headline_charts_and_pdsas(validated_demo_db, tmp_path):
    text = _run("team_report", tmp_path, team_id="T01", period="2026-10",
                db_url=f"sqlite:///{validated_demo_db}")
    assert "T01 Kabale Regional Referral Hospital: monthly report for Oct 2026" in text
    assert "Collaborative median" in text and "Births receiving AMTSL" in text
    assert text.count("[chart] ") == 7  # six indicators + assessment scores
    assert "Data verification" in text or "No recounts at this visit." in text


@pytest.mark.slow
def test_site_visit_brief_runs_and_suggests_questions(validated_demo_db, tmp_path):
    text = _run("site_visit_brief", tmp_path, team_id="T02", visit_date="2026-11-05",
                db_url=validated_demo_db)
    assert "Site visit brief: T02" in text and "visit on 5 Nov 2026" in text
    assert "<h2>Suggested questions</h2>" in text  # headings are outputs (translated), not markdown
    assert "?</li>" in text


@pytest.mark.slow
def test_collaborative_summary_runs_with_matrix_funnel_and_small_multiples(validated_demo_db,
                                                                           tmp_path):
    text = _run("collaborative_summary", tmp_path, period="2026-10", db_url=validated_demo_db)
    assert "Collaborative summary: Oct 2026" in text
    assert "[chart] Where each team stands in Oct 2026" in text
    assert "by number of cases" in text and "Every team: Births receiving AMTSL" in text


@pytest.mark.parametrize("name, parameters", [
    ("team_report", ["team_id: str (default \"T01\")", "team code", "period: str",
                     "YYYY-MM; empty: the latest month in the data", "db_url: str"]),
    ("site_visit_brief", ["visit_date: str", "YYYY-MM-DD of the visit", "db_url: str"]),
    ("collaborative_summary", ["period: str", "indicator_id: str", "db_url: str"]),
])
def test_papermill_help_notebook_lists_each_parameter_with_its_help(name, parameters):
    result = subprocess.run([PAPERMILL, "--help-notebook", str(NOTEBOOKS / f"{name}.ipynb")],
                            capture_output=True, text=True, check=True)
    for expected in parameters:
        assert expected in result.stdout
    assert "Unable to parse" not in result.stderr


def test_committed_notebooks_have_no_outputs_and_one_parameters_cell():
    import nbformat

    for path in NOTEBOOKS.glob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1, path
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, path
                assert not re.search(r"^\s*(def|for|while|class) ", cell.source, re.M), path

"""Which BokehJS bundles a report page embeds (workbench.reports.html_export.bokehjs_components)."""

from __future__ import annotations

import subprocess
import sys

import nbformat
from bokeh.embed import components
from bokeh.models import ColumnDataSource, DataTable, TableColumn

from workbench.reports.html_export import bokehjs_components


def _notebook(*outputs: dict) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [nbformat.v4.new_output("display_data", data=o["data"],
                                           metadata=o.get("metadata", {})) for o in outputs]
    return nbformat.v4.new_notebook(cells=[cell])


def _foreign_table_output() -> dict:
    """A bokeh DataTable shown the plain bokeh way: no workbench metadata."""
    table = DataTable(source=ColumnDataSource({"a": [1, 2]}), columns=[TableColumn(field="a")])
    script, div = components(table)
    return {"data": {"text/html": div + script, "text/plain": "table"}}


def test_a_page_without_charts_embeds_no_bokehjs() -> None:
    assert bokehjs_components(_notebook({"data": {"text/html": "<p>Hi</p>"}})) == []


def test_workbench_charts_are_trusted_for_their_declared_bundles() -> None:
    chart = {"data": {"text/html": "<div></div>", "text/plain": "[chart] x"},
             "metadata": {"workbench": {"figure": True, "bundles": ["bokeh"]}}}
    tables = {"data": {"text/html": "<div></div>", "text/plain": "[chart] y"},
              "metadata": {"workbench": {"figure": True, "bundles": ["bokeh", "bokeh-tables"]}}}
    assert bokehjs_components(_notebook(chart)) == ["bokeh"]
    assert bokehjs_components(_notebook(chart, tables)) == ["bokeh", "bokeh-tables"]


def test_a_foreign_bokeh_output_is_scanned_for_the_models_it_uses() -> None:
    assert bokehjs_components(_notebook(_foreign_table_output())) == ["bokeh", "bokeh-tables"]


def test_declared_bundles_spare_the_driver_importing_every_bokeh_model() -> None:
    code = (
        "import sys, nbformat\n"
        "from workbench.reports.html_export import bokehjs_components\n"
        "cell = nbformat.v4.new_code_cell('x')\n"
        "cell.outputs = [nbformat.v4.new_output('display_data', data={'text/html': "
        "'<script>Bokeh.embed.embed_items()</script>'}, metadata={'workbench': "
        "{'figure': True, 'bundles': ['bokeh']}})]\n"
        "print(bokehjs_components(nbformat.v4.new_notebook(cells=[cell])), "
        "'bokeh.models' in sys.modules)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.split() == ["['bokeh']", "False"]


def test_the_lean_export_is_the_page_nbconvert_would_write() -> None:
    """`notebook_to_html` skips nbconvert's BeautifulSoup pass and validates once; the page
    is the one `HTMLExporter` writes (the same elements and attributes: an output
    focusable, an image given an alt text), and the notebook is validated all the same."""
    from datetime import datetime

    import pytest
    from bs4 import BeautifulSoup
    from nbconvert import HTMLExporter

    from workbench.reports import html_export
    from workbench.reports.html_export import ReportCover, notebook_to_html

    image = {"data": {"text/html": '<p>a &amp; b</p><img src="data:,">',
                      "text/plain": "x"}}
    nb = _notebook({"data": {"text/html": "<table><tr><td>1</td></tr></table>"}}, image)
    nb.cells.append(nbformat.v4.new_markdown_cell("**note**"))
    cover = ReportCover(title="Monthly", period="2026-10", generated=datetime(2026, 11, 1),
                        version="1", team_id="T01", team_name="<b>A</b>")
    lean, _shared = notebook_to_html(nb, cover, self_contained=False)
    exporter = html_export._new_exporter()
    resources = {"metadata": {"name": "Monthly — T01, October 2026"},
                 "workbench": {**cover.as_resources(), "bokehjs": (), "bokehjs_files": (),
                               "shared_css": []}}
    full, _resources = HTMLExporter.from_notebook_node(exporter, nb, resources=resources)
    assert lean.count('tabindex="0"') == 3  # two outputs, one text cell
    assert 'alt="No description has been provided for this image"' in lean
    assert str(BeautifulSoup(lean, "html.parser")) == str(BeautifulSoup(full, "html.parser"))
    nb.cells[0].outputs[0]["output_type"] = "not an output type"
    with pytest.raises(nbformat.ValidationError):
        notebook_to_html(nb, cover, self_contained=False)

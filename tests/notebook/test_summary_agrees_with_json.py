"""The collaborative summary notebook (a real papermill run on the demo) shows the figures that
`workbench summary --json` gives, wherever both show one: every indicator's teams reporting,
teams at target, pooled value and median; the most improved teams and their gains; every cell
of the team × indicator status matrix (its signal and its latest value)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner

from workbench.charts.embed import compressed_docs
from workbench.cli import main as cli

pytestmark = [pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
PERIOD = "2026-10"


@pytest.fixture(scope="module")
def shown(demo_db_master: Path, tmp_path_factory: pytest.TempPathFactory
          ) -> tuple[dict[str, str], dict[str, Any]]:
    """(the notebook's HTML outputs by cell id, the JSON of `workbench summary`)."""
    import papermill

    folder = tmp_path_factory.mktemp("agree")
    db = folder / "demo.db"
    shutil.copy(demo_db_master, db)
    nb = papermill.execute_notebook(
        str(ROOT / "notebooks" / "collaborative_summary.ipynb"), str(folder / "out.ipynb"),
        parameters={"period": PERIOD, "db_url": str(db), "lang": "en"}, kernel_name="python3",
        progress_bar=False, cwd=str(folder))
    outputs = {cell.get("id", ""): "".join(o.get("data", {}).get("text/html", "")
                                           for o in cell.get("outputs", []))
               for cell in nb.cells}
    result = CliRunner().invoke(cli, ["summary", "--db", str(db), "--period", PERIOD, "--json"])
    assert result.exit_code == 0, result.output
    return outputs, json.loads(result.output)


def _rows(html: str) -> list[list[str]]:
    table = BeautifulSoup(html, "html.parser").find("table")
    assert table is not None, html[:200]
    return [[td.get_text() for td in tr.find_all("td")] for tr in table.find_all("tr")
            if tr.find_all("td")]


def _number(text: str) -> float:
    found = re.search(r"-?\d[\d,]*(?:\.\d+)?", text)
    assert found, text
    return float(found.group().replace(",", ""))


def _cell_of(outputs: dict[str, str], code: str) -> str:
    """The output of the cell whose source calls `code`."""
    nb_cells = json.loads((ROOT / "notebooks" / "collaborative_summary.ipynb").read_text())
    ids = [c["id"] for c in nb_cells["cells"] if code in "".join(c["source"])]
    assert len(ids) == 1, code
    return outputs[ids[0]]


def _source(doc: Any, name: str) -> dict[str, list[Any]]:
    """The data of the ColumnDataSource called `name` in a serialised bokeh document."""
    if isinstance(doc, dict):
        attributes = doc.get("attributes", {})
        if doc.get("name") == "ColumnDataSource" and attributes.get("name") == name:
            return {key: list(values) for key, values in attributes["data"]["entries"]}
        items: list[Any] = list(doc.values())
    elif isinstance(doc, list):
        items = doc
    else:
        return {}
    for item in items:
        found = _source(item, name)
        if found:
            return found
    return {}


def test_every_indicators_teams_at_target_pooled_value_and_median_agree(shown) -> None:  # type: ignore[no-untyped-def]
    outputs, summary = shown
    rows = _rows(_cell_of(outputs, "summary.overview"))
    expected = summary["indicators"]
    assert len(rows) == len(expected) == 6
    for (_name, teams, at_target, pooled, median, _target), row in zip(rows, expected,
                                                                        strict=True):
        assert teams == f"{row['teams_reporting']} of {row['teams_joined']}"
        assert at_target == f"{row['teams_at_target']} ({round(row['pct_at_target'])}%)"
        assert _number(pooled) == round(row["pooled_value"] * 100, 1), (row, pooled)
        assert _number(median) == round(row["median"] * 100, 1), (row, median)


def test_the_most_improved_teams_and_their_gains_agree(shown) -> None:  # type: ignore[no-untyped-def]
    outputs, summary = shown
    rows = _rows(_cell_of(outputs, "summary.most_improved_table()"))
    expected = summary["most_improved"]
    assert len(rows) == len(expected) > 0
    for (_indicator, rank, _team, code, _baseline, latest, gain), row in zip(rows, expected,
                                                                            strict=True):
        assert (int(rank), code) == (row["rank"], row["team_id"])
        assert _number(latest) == round(row["latest_value"] * 100, 1)
        assert _number(gain) == round(row["improvement_pp"], 1)


def test_every_cell_of_the_status_matrix_agrees(shown) -> None:  # type: ignore[no-untyped-def]
    outputs, summary = shown
    (doc,) = compressed_docs(_cell_of(outputs, "summary.status_matrix_figure()"))
    cells = _source(doc, "cells")
    drawn = {(team, indicator): (status, value) for team, indicator, status, value in zip(
        cells["code"], cells["indicator"], cells["status"], cells["value"], strict=True)}
    expected = summary["status_matrix"]
    assert len(drawn) == len(expected) == 48 * 6
    for row in expected:
        status, value = drawn[(row["team_id"], row["indicator_id"])]
        assert status == row["signal"], row
        if row["latest_value"] is None or row["months_since_report"]:
            assert value == "–", row
        else:
            assert _number(value) == round(row["latest_value"] * 100, 1), row

"""The learning-session app's "what is working" panel in-process: it shows what `workbench
practices` says for the selected indicator, follows the indicator, and an "as of" date
recomputes it from the data entered by then."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from workbench.apps.builders import build_learning_session_app
from workbench.apps.practices_panel import TOP
from workbench.cli import main

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def app(demo_db_master):  # type: ignore[no-untyped-def]
    return build_learning_session_app(str(demo_db_master))


def _cli(db: str, indicator: str) -> list[dict]:
    result = CliRunner().invoke(main, ["practices", "--db", db, "--indicator", indicator,
                                       "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _cells(html: str) -> list[list[str]]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in body.split("</tr>")
            if "<td" in row]


def test_the_panel_waits_for_the_button_then_shows_the_top_changes_of_workbench_practices(
        app, demo_db_master) -> None:  # type: ignore[no-untyped-def]
    panel = app.practices
    assert not panel.computed and "press the button" in panel.html
    panel._button.click()
    assert panel.computed
    cli = _cli(str(demo_db_master), "AMTSL")[:TOP]
    cells = _cells(panel.html)
    assert [c[0] for c in cells] == [f"{r['change_id']} {r['change_name']}" for r in cli]
    assert [c[1] for c in cells] == [r["grade"] for r in cli]
    assert [c[2].split(" pts")[0] for c in cells] == [f"{r['effect_pp']:+.1f}" for r in cli]
    assert [int(c[3]) for c in cells] == [r["teams_adopted"] for r in cli]
    assert all(re.fullmatch(r"(T\d\d(, )?)+", c[5]) for c in cells if c[1] == "strong")
    assert "an association, not proof of cause" in panel.html


def test_the_panel_follows_the_indicator(app, demo_db_master) -> None:  # type: ignore[no-untyped-def]
    app.practices._button.click()
    app.indicator.value = "PARTOGRAPH"
    try:
        cli = _cli(str(demo_db_master), "PARTOGRAPH")[:TOP]
        assert [c[0] for c in _cells(app.practices.html)] == [
            f"{r['change_id']} {r['change_name']}" for r in cli]
    finally:
        app.indicator.value = "AMTSL"


def test_an_as_of_date_recomputes_the_evidence_from_what_was_entered_by_then(app) -> None:  # type: ignore[no-untyped-def]
    app.practices._button.click()
    now = sum(int(c[3]) for c in _cells(app.practices.html))
    app.as_of.value = "2025-06-30"
    try:
        then = _cells(app.practices.html)
        assert sum(int(c[3]) for c in then) < now
    finally:
        app.as_of.value = ""

"""The form apps (Voilà pages over one form): one team picker on the page, the app's."""

from __future__ import annotations

from collections.abc import Iterator

import ipywidgets as w
import pytest

from workbench.apps.builders import build_coach_app, build_data_entry_app, build_pdsa_journal_app
from workbench.apps.context import AppContext


def _widgets(root: w.Widget) -> Iterator[w.Widget]:
    yield root
    for child in getattr(root, "children", ()):
        yield from _widgets(child)


def _visible_team_pickers(app: w.Widget) -> list[w.Widget]:
    return [x for x in _widgets(app) if isinstance(x, w.Dropdown)
            and x.description == "Team" and x.layout.display != "none"]


@pytest.mark.parametrize("build", [build_data_entry_app, build_pdsa_journal_app,
                                   build_coach_app], ids=["data_entry", "pdsa_journal", "coach"])
def test_a_form_app_shows_one_team_picker_and_its_forms_follow_it(empty_db: str, build) -> None:  # type: ignore[no-untyped-def]
    app = build(empty_db)
    app.present(AppContext(team="T02"))
    assert _visible_team_pickers(app) == [app.team_picker]
    forms = [x for x in _widgets(app) if hasattr(x, "show_team_picker")]
    assert forms and {f.team_id for f in forms} == {"T02"}
    app.team_picker.value = "T01"
    forms = [x for x in _widgets(app) if hasattr(x, "show_team_picker")]
    assert forms and {f.team_id for f in forms} == {"T01"}
    assert _visible_team_pickers(app) == [app.team_picker]

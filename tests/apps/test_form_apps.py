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


def test_the_form_apps_show_the_name_their_saves_go_under(empty_db: str) -> None:
    app = build_pdsa_journal_app(empty_db)
    app.present(AppContext(team="T01", user="Ann O'Neil"))
    assert app.who.value == '<div class="wb-user">Saving as <b>Ann O&#x27;Neil</b></div>'
    assert app.form.user == "Ann O'Neil"


def test_the_coach_apps_brief_is_refreshed_after_a_visit_is_saved(demo_db: str) -> None:
    import datetime as dt

    from workbench.briefs import NO_NEW_DATA

    app = build_coach_app(demo_db)
    app.present(AppContext(team="T05", user="Ann Coach"))
    from workbench.i18n import format_date

    today = format_date(dt.date.today())
    assert f"since the last visit on {today}" not in app.brief_box.children[0].value
    app.form._coach.value = "Ann Coach"
    app.form._actions.value = [{"action": "Recount the partographs <weekly>", "owner": "midwife",
                                "due": "2027-01-15"}]
    app.form.save()
    assert app.form.message.startswith("Saved visit")
    brief = app.brief_box.children[0].value
    assert f"since the last visit on {today}" in brief
    assert NO_NEW_DATA in brief  # the demo's data end in 2026-10, before today's visit
    assert "Recount the partographs &lt;weekly&gt;" in brief  # the last visit's actions

"""The apps' language: `?lang=fr` in an address, `workbench serve --lang`, and an app built
in one language rebuilt for a request in another (headless widgets, a real SQLite demo)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from workbench import i18n
from workbench.apps.context import parse_query
from workbench.cli import main


@pytest.fixture
def english_after() -> Iterator[None]:
    """An app sets its kernel's language for the process: put English back afterwards."""
    yield
    i18n.set_language("en")


def test_the_address_may_ask_for_a_language() -> None:
    assert parse_query("team=T01&lang=fr").lang == "fr"
    assert parse_query("lang=FR-fr").lang == "fr"
    context = parse_query("team=T01&lang=xx")
    assert context.lang is None and context.team == "T01"
    assert context.problems[0].startswith("lang: unknown language 'xx'; available: en, fr.")


def test_serve_refuses_a_language_without_a_catalogue(demo_db: str) -> None:
    result = CliRunner().invoke(main, ["serve", "--db", demo_db, "--lang", "xx"])
    assert result.exit_code == 2
    assert "unknown language 'xx'; available: en, fr." in result.output


def test_an_app_built_in_english_is_rebuilt_in_french_for_a_french_request(
        demo_db: str, english_after: None) -> None:
    from workbench.apps.context import AppContext
    from workbench.apps.forms import DataEntryApp

    app = DataEntryApp(demo_db)
    assert app.language == "en" and "Monthly data entry" in app._title.value
    french = app.present(AppContext(team="T01", period="2026-10", lang="fr"))
    assert french is not app and french.language == "fr"
    assert "Saisie des données mensuelles" in french._title.value
    assert french.team_picker.description == "Équipe"
    assert french.form._save_button.description == "Enregistrer le mois"
    assert "Naissances avec GATPA" in french.form._grid.children[1].children[0].children[0].value


@pytest.mark.parametrize("app_name", ["CoachApp", "PDSAJournalApp", "ValidationQueueApp",
                                      "LearningSessionApp"])
def test_every_app_is_rebuilt_in_french_for_a_french_request(
        demo_db: str, english_after: None, app_name: str) -> None:
    from workbench.apps import forms, learning_session
    from workbench.apps.context import AppContext

    titles = {"CoachApp": "Visite de coaching", "PDSAJournalApp": "Journal PDSA",
              "ValidationQueueApp": "File de validation",
              "LearningSessionApp": "Session d&#x27;apprentissage"}
    cls = getattr(forms, app_name, None) or getattr(learning_session, app_name)
    app = cls(demo_db)
    assert app.language == "en"
    french = app.present(AppContext(team="T01", lang="fr"))
    assert french is not app and french.language == "fr"
    assert titles[app_name] in french._title.value

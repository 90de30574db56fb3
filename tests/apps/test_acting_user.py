"""The name every save of a served app goes under: the server's, else one the person types once.

`store.known_user` decides (JupyterHub's user, then `?user=` / the typed name, then
`workbench serve --user`, i.e. `WORKBENCH_USER`); with none of them the form apps hide their
form behind a "who is saving?" box instead of saving under the OS user of the server.
"""

from __future__ import annotations

import pytest

from workbench.apps.builders import build_data_entry_app, build_validation_queue_app
from workbench.apps.context import AppContext
from workbench.store import open_engine, read_audit, read_revisions


@pytest.fixture
def nobody(monkeypatch: pytest.MonkeyPatch) -> None:
    """No hub, no `--user`: the server knows no one."""
    monkeypatch.delenv("WORKBENCH_USER", raising=False)
    monkeypatch.delenv("JUPYTERHUB_USER", raising=False)


def _save(app, period: str, numerator: str) -> None:  # type: ignore[no-untyped-def]
    app.form.load(period=period)
    app.form.set_value("AMTSL", numerator, "50")
    app.form._save_button.click()
    assert app.form.message.startswith("Saved 1 value(s)"), app.form.message


def test_when_nobody_is_known_the_app_asks_once_and_every_save_goes_under_that_name(
        empty_db: str, nobody: None) -> None:
    app = build_data_entry_app(empty_db)
    app.present(AppContext(team="T01", period="2025-05"))
    assert app.who.value == ""
    assert app.name_prompt.layout.display is None  # the question is shown …
    assert app.body.children[-1].children == ()  # … instead of the form
    app._name.value = "Amina Kato"
    app._name_button.click()
    assert app.who.value == '<div class="wb-user">Saving as <b>Amina Kato</b></div>'
    assert app.name_prompt.layout.display == "none"
    assert app.body.children[-1].children == (app._gated,)  # the tabs of both forms
    _save(app, "2025-05", "40")
    _save(app, "2025-06", "41")
    revs = read_revisions(open_engine(empty_db))
    assert revs["author"].tolist() == ["Amina Kato", "Amina Kato"]
    assert read_audit(open_engine(empty_db))["user"].tolist() == ["Amina Kato", "Amina Kato"]
    assert app.self_assessment.user == "Amina Kato"  # the other tab too


def test_the_name_stays_when_the_team_changes(empty_db: str, nobody: None) -> None:
    app = build_data_entry_app(empty_db)
    app.present(AppContext(team="T01"))
    app.use_name("Amina Kato")
    app.team_picker.value = "T02"
    assert app.form.team_id == "T02" and app.form.user == "Amina Kato"
    assert app.body.children[-1].children == (app._gated,)


def test_a_name_that_is_not_a_name_is_refused_and_nothing_can_be_saved(
        empty_db: str, nobody: None) -> None:
    app = build_data_entry_app(empty_db)
    app.present(AppContext(team="T01"))
    app.use_name("<script>")
    assert "Not a usable name: a name is 1 to 80 letters" in app._name_message.value
    assert app.acting_user() is None and app.body.children[-1].children == ()


def test_the_user_given_to_workbench_serve_saves_without_asking(
        empty_db: str, nobody: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKBENCH_USER", "amina")  # what `workbench serve --user amina` sets
    app = build_data_entry_app(empty_db)
    app.present(AppContext(team="T01", period="2025-05"))
    assert app.who.value == '<div class="wb-user">Saving as <b>amina</b></div>'
    assert app.name_prompt.layout.display == "none"
    _save(app, "2025-05", "40")
    assert read_revisions(open_engine(empty_db))["author"].tolist() == ["amina"]


def test_under_jupyterhub_the_hub_user_saves_whatever_name_is_typed(
        empty_db: str, nobody: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUPYTERHUB_USER", "hubuser")
    app = build_data_entry_app(empty_db)
    app.present(AppContext(team="T01", user="Eve"))
    app.use_name("Mallory")
    assert app.acting_user() == "hubuser" and app.form.user == "hubuser"


def test_the_validation_queue_says_who_reviews(empty_db: str, nobody: None) -> None:
    app = build_validation_queue_app(empty_db)
    app.present(AppContext())
    assert app.name_prompt.layout.display is None
    app.use_name("Val Idator")
    assert app.who.value == '<div class="wb-user">Reviewing as <b>Val Idator</b></div>'
    assert app.form.user == "Val Idator"


def test_workbench_serve_refuses_a_user_that_is_not_a_name_before_starting_anything(
        empty_db: str) -> None:
    from click.testing import CliRunner

    from workbench.cli import main

    result = CliRunner().invoke(main, ["serve", "--db", empty_db, "--user", "<b>x</b>"])
    assert result.exit_code == 1
    assert result.output == ("Error: --user '<b>x</b>' is not usable: a name is 1 to 80 "
                             "letters, digits, spaces or . @ ' -.\n")
    help_text = CliRunner().invoke(main, ["serve", "--help"]).output
    assert "--user NAME" in help_text and "--user amina" in help_text


# -- the name typed once, kept for the browser session (`AppContext.session_user`) ------------

def test_a_name_typed_earlier_in_the_browser_session_saves_without_asking(
        empty_db: str, nobody: None) -> None:
    app = build_data_entry_app(empty_db)
    app.present(AppContext(team="T01", period="2025-05", session_user="Nurse Okello"))
    assert app.who.value == '<div class="wb-user">Saving as <b>Nurse Okello</b></div>'
    assert app._kept_note.value == ('<span class="wb-kept">(kept until this browser is '
                                    'closed)</span>')
    assert app.name_prompt.layout.display == "none"
    assert app._change_name.layout.display is None  # "Not you?"
    _save(app, "2025-05", "40")
    assert read_revisions(open_engine(empty_db))["author"].tolist() == ["Nurse Okello"]


def test_the_server_s_user_and_the_address_s_come_before_the_session_s_name(
        empty_db: str, nobody: None, monkeypatch: pytest.MonkeyPatch) -> None:
    app = build_data_entry_app(empty_db)
    app.present(AppContext(team="T01", user="Bo", session_user="Nurse Okello"))
    assert app.acting_user() == "Bo" and app._change_name.layout.display == "none"
    monkeypatch.setenv("WORKBENCH_USER", "amina")  # `workbench serve --user amina`
    app = build_data_entry_app(empty_db)
    app.present(AppContext(team="T01", session_user="Nurse Okello"))
    assert app.acting_user() == "amina" and app.form.user == "amina"
    assert app._kept_note.value == "" and app._change_name.layout.display == "none"


def test_not_you_forgets_the_session_s_name_and_asks_again(
        empty_db: str, nobody: None) -> None:
    app = build_data_entry_app(empty_db)
    app.present(AppContext(team="T01", period="2025-05", session_user="Nurse Okello"))
    app._change_name.click()
    assert app.acting_user() is None and app.who.value == ""
    assert app.name_prompt.layout.display is None and app.body.children[-1].children == ()
    assert app._change_name.layout.display == "none"
    app.use_name("Dr Achieng")
    _save(app, "2025-05", "40")
    assert read_revisions(open_engine(empty_db))["author"].tolist() == ["Dr Achieng"]


def test_a_session_name_is_shown_escaped(empty_db: str, nobody: None) -> None:
    app = build_data_entry_app(empty_db)
    app.present(AppContext(team="T01", session_user="O'Neil"))
    assert app.who.value == '<div class="wb-user">Saving as <b>O&#x27;Neil</b></div>'

"""French-speaking users' journeys, each app asked for in French (`?lang=fr`): a QI team's
data entry (title, tabs, labels, buttons, the indicators' French names, percentages written
`73 %`; an English page opened beside it stays English), a coach's visit page (the brief and
the form), a team's PDSA journal (tabs, buttons, the validation problems next to the fields and the
error under them) and a validator's
queue (a flag's message with its numbers, the buttons, a validation message), and a
facilitator's learning session (its pickers, the team list's pickers and the rule it
follows, top 12 by improvement); a coach refused a save on another team's page, told in
French who they are and who may, with nothing saved; every page declares `<html lang="fr">`.

In headless Chromium against `workbench serve` on the demo collaborative (served in English:
the address's `?lang=fr` rebuilds the preheated app in French). No console error at any step.
"""

from __future__ import annotations

import re

import pytest
from journey import step

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_a_team_enters_its_month_in_french(served, page) -> None:
    page.goto(served.url("data_entry", "team=T03&period=2026-10&user=Equipe%20T03&lang=fr"),
              wait_until="commit")
    page.wait_for_selector(".wb-title:has-text('Saisie des données mensuelles')")
    page.wait_for_selector("button:has-text('Enregistrer le mois')")
    assert page.evaluate("document.documentElement.lang") == "fr"
    step(page, "saisie-en-francais")
    body = page.inner_text("body")
    for words in ("Données mensuelles", "Auto-évaluation", "Enregistré au nom de Equipe T03",
                  "Recharger", "numérateur / dénominateur", "Naissances avec GATPA",
                  "indicateurs saisis sur"):
        assert words in body, words
    for english in ("Monthly data entry", "Save month", "Saving as", "Reload"):
        assert english not in body, english


def test_an_english_page_beside_it_stays_english(served, page) -> None:
    page.goto(served.url("data_entry", "team=T03&period=2026-10"), wait_until="commit")
    page.wait_for_selector(".wb-title:has-text('Monthly data entry')")
    page.wait_for_selector("button:has-text('Save month')")
    assert page.evaluate("document.documentElement.lang") == "en"
    step(page, "english-beside")
    assert "Enregistrer" not in page.inner_text("body")


def _french_flag(db: str) -> tuple[str, int]:
    """A team with an open numerator-above-denominator flag (its message has numbers)."""
    from workbench.store import open_engine, read_flags

    flags = read_flags(open_engine(db), status="open")
    wrong = flags[(flags["rule_code"] == "numerator-exceeds-denominator")
                  & flags["team_id"].notna()]
    row = wrong.iloc[-1]
    return str(row["team_id"]), int(row["flag_id"])


def test_a_coach_visits_in_french(served, page) -> None:
    page.goto(served.url("coach", "team=T07&user=Coach%20Awa&lang=fr"), wait_until="commit")
    page.wait_for_selector(".wb-title:has-text('Visite de coaching')")
    page.wait_for_selector("text=Fiche de visite :")
    page.wait_for_selector("button:has-text('Enregistrer la visite')")
    assert page.evaluate("document.documentElement.lang") == "fr"
    step(page, "coach-en-francais")
    body = page.inner_text("body")
    for words in ("Ce qui a changé", "Signaux", "Actions convenues", "Évaluation IHI (faculté)",
                  "Ajouter un recomptage", "Facteur de vérification = recompté ÷ rapporté",
                  "Questions pour la visite"):
        assert words in body, words
    for english in ("Site-visit brief", "Save visit", "Agreed actions", "Add recount"):
        assert english not in body, english


def test_a_team_plans_a_pdsa_cycle_in_french(served, page) -> None:
    page.goto(served.url("pdsa_journal", "team=T07&user=Equipe%20T07&lang=fr"),
              wait_until="commit")
    page.wait_for_selector(".wb-title:has-text('Journal PDSA')")
    page.wait_for_selector("button:has-text('Nouveau cycle')")
    step(page, "journal-pdsa-en-francais")
    body = page.inner_text("body")
    for words in ("Planifier", "Faire", "Étudier", "Agir", "Enregistrer et passer à",
                  "Préparer le cycle suivant", "Objectif", "Questions et prédictions",
                  "Plan de collecte des données"):
        assert words in body, words
    for english in ("New cycle", "Save and move", "Ramp next cycle", "Objective"):
        assert english not in body, english
    page.get_by_role("button", name="Nouveau cycle").click()
    page.wait_for_selector("text=Nouveau cycle : remplissez le plan, puis Enregistrer.")
    page.get_by_role("button", name="Enregistrer").first.click()  # an empty plan
    page.wait_for_selector("text=Non enregistré")
    # the problems next to the fields, and the error under the message, in French
    page.wait_for_selector("text=écrivez l'objectif : ce que ce cycle doit vous apprendre")
    step(page, "pdsa-message-de-validation")
    body = page.inner_text("body")
    for words in ("ajoutez au moins une question avec sa prédiction",
                  "le cycle PDSA n'a pas été enregistré : "):
        assert words in body, words
    for english in ("write the objective", "was not saved", "add at least one question"):
        assert english not in body, english


def test_a_validator_reads_a_flag_in_french(served, page) -> None:
    team, flag_id = _french_flag(served.db)
    page.goto(served.url("validation_queue", f"team={team}&user=Val%20Fatou&lang=fr"),
              wait_until="commit")
    page.wait_for_selector(".wb-title:has-text('File de validation')")
    page.wait_for_selector(f"select[multiple] option:text-matches('^#{flag_id}\\\\b')")
    assert page.inner_text(".wb-user") == "Revue faite par Val Fatou"
    labels = page.locator("select[multiple]").evaluate("s => [...s.options].map(o => o.label)")
    mine = next(label for label in labels if re.match(rf"#{flag_id}\b", label))
    text = mine.replace("\u00a0", " ")  # ipywidgets keeps an option's spaces as no-break ones
    assert "[erreur]" in text and "ouverte" in text and "le numérateur" in text, text
    page.locator("select[multiple]").select_option(label=[mine])
    page.wait_for_selector(f"text=Alerte n° {flag_id}")
    step(page, "file-de-validation-en-francais")
    body = page.inner_text("body")
    for words in ("Pourquoi :", " est supérieur au dénominateur ", "Appliquer à cette alerte",
                  "Confirmer la sélection", "Rejeter la sélection", "Historique",
                  "alerte(s) affichée(s)"):
        assert words in body, words
    for english in ("Why:", "is more than denominator", "Apply to this flag", "History"):
        assert english not in body, english
    page.get_by_role("button", name="Appliquer à cette alerte").click()  # no note written
    page.wait_for_selector("text=écrivez une note : ce que vous avez vérifié et pourquoi")
    step(page, "validation-message-en-francais")


def test_a_facilitator_opens_the_learning_session_in_french(served, page) -> None:
    page.goto(served.url("learning_session", "lang=fr"), wait_until="commit")
    page.wait_for_selector(".wb-title:has-text(\"Session d'apprentissage\")")
    page.wait_for_selector(".wb-status:has-text('équipes, mois de rapport')")
    page.wait_for_selector(".wb-rule:has-text('Mois de rapport : par défaut le dernier mois')")
    page.wait_for_selector(".bk-Canvas, canvas", timeout=120_000)  # the charts are attached
    assert page.evaluate("document.documentElement.lang") == "fr"
    step(page, "session-d-apprentissage-en-francais")
    body = page.inner_text("body").replace("\u00a0", " ")  # a picker's text keeps no-break spaces
    for words in ("Toutes les équipes", "Mode présentation", "Toutes les vagues",
                  "Équipes à la cible au fil du temps", "Ce qui marche"):
        assert words in body, words
    for english in ("Every team", "Presentation mode", "All waves", "reporting month"):
        assert english not in body, english
    # the team list: its pickers, and the rule it follows, in French
    rule = page.inner_text(".wb-team-rule")
    assert rule == "Les 48 équipes affichées : triées par code d'équipe.", rule
    pickers = page.locator("select").evaluate_all(
        "ss => ss.map(s => [...s.options].map(o => o.label))")
    labels = {label.replace("\u00a0", " "): label for options in pickers for label in options}
    for words in ("Toutes les équipes", "Les 12 premières par amélioration",
                  "Code d'équipe", "Le plus de signaux d'amélioration"):
        assert words in labels, words
    assert not any(label.startswith(("Top 12", "Team code")) for label in labels)
    assert "oct. 2026 : déclaré par 48 sur 48" in labels  # the month picker
    assert not any("reported by" in label for label in labels)
    top = labels["Les 12 premières par amélioration"]
    which = next(i for i, options in enumerate(pickers) if top in options)
    page.locator("select").nth(which).select_option(label=top)
    page.wait_for_selector(".wb-team-rule:has-text('les 12 équipes dont la valeur')")
    step(page, "session-liste-des-equipes-en-francais")
    assert "the 12 teams" not in page.inner_text("body")


def test_a_refused_save_is_told_in_french_and_saves_nothing(serve_with, page) -> None:  # type: ignore[no-untyped-def]
    """A coach of T01 opens T09's monthly data in French and saves: the refusal (who they are,
    who may) reads in French under the form, and no revision is written."""
    from click.testing import CliRunner

    from workbench.cli import main
    from workbench.store import open_engine, read_revisions

    served = serve_with("--app", "data_entry", "--user", "amina")
    for args in (["users", "add", "root", "--role", "admin"],
                 ["users", "add", "amina", "--role", "coach", "--teams", "T01", "--user",
                  "root"]):
        added = CliRunner().invoke(main, [*args, "--db", served.db])
        assert added.exit_code == 0, added.output
    before = len(read_revisions(open_engine(served.db), "T09", "AMTSL", "2026-09"))
    page.goto(served.url("data_entry", "team=T09&period=2026-09&lang=fr"), wait_until="commit")
    page.wait_for_selector(".wb-title:has-text('Saisie des données mensuelles')")
    page.wait_for_selector("text=T09 2026-09")
    row = page.locator(".widget-hbox", has=page.locator("b:text-is('AMTSL')")).first
    numerator = row.locator("input").first
    value = int(float(numerator.input_value()))
    numerator.fill(str(value - 1 if value > 0 else 1))
    numerator.press("Tab")
    page.get_by_role("button", name="Enregistrer le mois").click()
    refusal = ("amina est un coach pour T01 ; enregistrer les données mensuelles de T09 "
               "demande le membre d'équipe de T09, son coach ou un administrateur")
    page.wait_for_selector(f"text={refusal}")
    step(page, "refus-en-francais")
    body = page.inner_text("body")
    assert "is a coach for" not in body and "needs" not in body
    assert len(read_revisions(open_engine(served.db), "T09", "AMTSL", "2026-09")) == before

"""Domain errors and form problems read in the reader's language (issue 16): an error keeps
its message template (marked for the catalogue) apart from its values, so the same error
object reads in English or French where it is shown, and the values are never translated;
the problems a form shows next to its fields (records/) are written in the form's language."""

from __future__ import annotations

import pickle

import pandas as pd

from workbench.errors import IngestError, Message, NotFoundError, StoreError
from workbench.i18n import N_, use_language
from workbench.ingest.cells import check_entries
from workbench.records.pdsa import PDSACycle, validate_cycle
from workbench.records.visits import CoachingVisit, validate_visit

NO_DB = N_("no workbench database at {path}. Create one with `workbench init --db PATH "
           "--config collaborative.yaml` or `workbench demo`.")


def test_one_error_reads_in_the_language_it_is_shown_in() -> None:
    error = StoreError(NO_DB, params={"path": "/data/fr.db"})
    assert str(error).startswith("no workbench database at /data/fr.db. Create one with")
    with use_language("fr"):
        assert str(error).startswith("aucune base workbench à /data/fr.db. Créez-en une")
        assert error.message == str(error)
    assert error.template == NO_DB and error.params == {"path": "/data/fr.db"}


def test_values_are_not_translated() -> None:
    error = NotFoundError(N_("unknown team {value!r}. List teams with `workbench status --db "
                             "URL --json` or check the code."), params={"value": "choose the team"})
    with use_language("fr"):
        assert str(error).startswith("équipe inconnue 'choose the team'.")


def test_a_message_inside_a_message_follows_the_reader() -> None:
    error = StoreError(N_("cannot open database {url}: {reason} {advice}"), params={
        "url": "x.db", "reason": "boom.", "advice": Message(N_("Check the URL and server."))})
    assert str(error) == "cannot open database x.db: boom. Check the URL and server."
    with use_language("fr"):
        assert str(error) == ("impossible d'ouvrir la base x.db : boom. Vérifiez l'URL et le "
                              "serveur.")


def test_an_error_sent_between_processes_keeps_its_template_and_fields() -> None:
    error = IngestError(N_("{path}: cannot read the file ({reason})."),
                        params={"path": "a.csv", "reason": "denied"}, file="/tmp/a.csv")
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is IngestError and copy.file == "/tmp/a.csv"
    with use_language("fr"):
        assert str(copy) == "a.csv : impossible de lire le fichier (denied)."


def test_a_plain_message_still_reads_as_given() -> None:
    assert str(StoreError("something only English knows")) == "something only English knows"


def test_the_monthly_forms_problems_are_written_in_the_forms_language() -> None:
    entries = pd.DataFrame({"team_id": "T01", "indicator_id": ["AMTSL", "PPH"],
                            "period": "2026-10", "numerator": ["abc", 12],
                            "denominator": [20, None]}, dtype=object)
    indicators = pd.DataFrame({"indicator_id": ["AMTSL", "PPH"],
                               "kind": ["proportion", "proportion"]})
    english = set(check_entries(entries, indicators)["message"])
    with use_language("fr"):
        french = set(check_entries(entries, indicators)["message"])
    assert english == {"'abc' is not a number; enter a whole count such as 12",
                       "denominator is missing; enter both numerator and denominator "
                       "(or neither)"}
    assert french == {"'abc' n'est pas un nombre ; saisissez un nombre entier comme 12",
                      "le dénominateur manque ; saisissez le numérateur et le dénominateur "
                      "(ou aucun des deux)"}


def test_the_pdsa_and_visit_forms_problems_in_french() -> None:
    with use_language("fr"):
        cycle = {f.field: f.message for f in validate_cycle(PDSACycle(team_id="T01"))}
        visit = {f.field: f.message for f in validate_visit(
            CoachingVisit(team_id="", visit_date="2026-13-40", coach=""))}
    assert cycle["objective"] == "écrivez l'objectif : ce que ce cycle doit vous apprendre"
    assert cycle["questions"] == "ajoutez au moins une question avec sa prédiction"
    assert visit["team_id"] == "choisissez l'équipe"
    assert visit["visit_date"] == "'2026-13-40' n'est pas une date ; écrivez AAAA-MM-JJ"
    assert visit["coach"] == "nommez le coach qui a fait la visite"

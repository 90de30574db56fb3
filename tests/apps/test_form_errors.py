"""Every error the library raises shows in the form's message area, whatever the form and
whatever the error carries (a list of failures, or a failure table)."""

from __future__ import annotations

import datetime as dt

import pytest
from workbench.widgets import (
    CoachingVisitForm,
    MonthlyDataForm,
    PDSACycleForm,
    SelfAssessmentForm,
    ValidationQueue,
)

from workbench.store import add_revisions, open_engine, read_flags, read_revisions, read_visits
from workbench.validate.flags import resolve_flag
from workbench.validate.run import run_validation

FORMS = [PDSACycleForm, MonthlyDataForm, CoachingVisitForm, SelfAssessmentForm,
         ValidationQueue]


@pytest.fixture
def db(empty_db: str) -> str:
    """T01 AMTSL: 40/50 in 2025-04, and 55/50 in 2025-05, flagged (numerator above the
    denominator)."""
    engine = open_engine(empty_db)
    with engine.begin() as conn:
        add_revisions(conn, [
            {"team_id": "T01", "indicator_id": "AMTSL", "period": "2025-04", "numerator": 40,
             "denominator": 50},
            {"team_id": "T01", "indicator_id": "AMTSL", "period": "2025-05", "numerator": 55,
             "denominator": 50}], source="import", author="seed")
    run_validation(engine, "2025-05", rules=["numerator-exceeds-denominator"])
    return empty_db


def the_flag(db: str) -> int:
    return int(read_flags(open_engine(db))["flag_id"].iloc[0])


def library_refusal(db: str) -> str:
    """The message of the library's refusal of a correction to 1.5 / 50 (its failure table
    says "not a whole number"), raised outside any form."""
    with pytest.raises(Exception) as caught:
        resolve_flag(open_engine(db), the_flag(db), "correct", "recount", numerator=1.5,
                     denominator=50)
    assert type(caught.value).__name__ == "ValidationFailed"
    assert len(caught.value.failure_cases) == 1  # a DataFrame: one row per problem
    return str(caught.value)


@pytest.mark.parametrize("form_class", FORMS, ids=[f.__name__ for f in FORMS])
def test_a_library_error_carrying_a_failure_table_shows_in_the_message_area(db, form_class):
    expected = library_refusal(db)
    form = form_class(db, team_id="T01", user="ann")
    correct = form._guard(lambda: resolve_flag(form.engine, the_flag(db), "correct", "recount",
                                               numerator=1.5, denominator=50))
    assert correct() is None  # the error became a message; it did not escape the form
    assert expected in form.message
    assert "1.5 is not a whole number" in form.message
    assert "truth value" not in form.message
    assert form.last_error == form.message
    assert read_flags(form.engine)["status"].tolist() == ["open"]  # nothing written


def test_a_failure_table_shows_each_reason_next_to_its_field(db):
    queue = ValidationQueue(db, user="ann")
    queue._guard(lambda: resolve_flag(queue.engine, the_flag(db), "correct", "recount",
                                      numerator=1.5, denominator=50))()
    assert queue.field_errors() == {
        "numerator": "1.5 is not a whole number; counts are 0, 1, 2 …"}


# -- each form, through its own buttons, meets an error the library raises -------------------
def pdsa_conflict(db: str) -> tuple[PDSACycleForm, str]:
    ann = PDSACycleForm(db, team_id="T01", user="ann")
    ann._change.value = "C01"
    ann._title.value = "Oxytocin ready"
    ann._objective.value = "Learn whether drawing oxytocin up early is feasible"
    q = ann._questions.rows[0]
    q[0].value, q[1].value = "Is it drawn up before birth?", "in 8 of 10 births"
    t = ann._tasks.rows[0]
    t[0].value, t[1].value = "Midwife in charge", "brief night staff"
    ann._linked.value = ("AMTSL",)
    ann._start_date.value = dt.date(2025, 3, 1)
    ann._save_button.click()
    bob = PDSACycleForm(db, team_id="T01", user="bob", cycle_id=ann._draft.cycle_id)
    bob._title.value = "Bob's title"
    bob._save_button.click()
    ann._title.value = "Ann's title"
    ann._save_button.click()
    return ann, "was saved by bob"


def monthly_conflict(db: str) -> tuple[MonthlyDataForm, str]:
    ann = MonthlyDataForm(db, team_id="T01", period="2025-04", user="ann")
    bob = MonthlyDataForm(db, team_id="T01", period="2025-04", user="bob")
    bob.set_value("AMTSL", "45", "50")
    bob._save_button.click()
    ann.set_value("AMTSL", "42", "50")
    ann._save_button.click()
    return ann, "AMTSL 2025-04 was saved as 45 / 50 by bob"


def visit_without_coach(db: str) -> tuple[CoachingVisitForm, str]:
    form = CoachingVisitForm(db, team_id="T01", user="ann")
    form._visit_date.value = dt.date(2025, 6, 12)
    form._coach.value = ""
    form._score.value = 2.5
    form._justification.value = "First tests running, data on the wall"
    form._save_button.click()
    return form, "the visit was not saved: name the coach who made the visit"


def self_assessment_again_without_reason(db: str) -> tuple[SelfAssessmentForm, str]:
    form = SelfAssessmentForm(db, team_id="T01", user="ann")
    form._period.value = "2025-05"
    for score in (3.0, 2.5):
        form._score.value = score
        form._justification.value = "two changes tested"
        form._save_button.click()
    return form, "the self-assessment of T01 for 2025-05 was not saved"


def queue_conflict(db: str) -> tuple[ValidationQueue, str]:
    ann, bob = ValidationQueue(db, user="ann"), ValidationQueue(db, user="bob")
    for queue, action in ((bob, "confirm"), (ann, "dismiss")):
        queue.select(the_flag(db))
        queue._action.value = action
        queue._note.value = "checked the register"
    bob._apply_button.click()
    ann._apply_button.click()
    return ann, f"flag {the_flag(db)} was changed by bob"


SCENARIOS = [pdsa_conflict, monthly_conflict, visit_without_coach,
             self_assessment_again_without_reason, queue_conflict]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.__name__ for s in SCENARIOS])
def test_an_error_the_library_raises_on_save_shows_in_the_forms_message_area(db, scenario):
    revisions_before = len(read_revisions(open_engine(db)))
    form, library_says = scenario(db)
    assert library_says in form.message
    assert form.last_error == form.message
    assert not form.message.startswith("Unexpected error")
    assert len(read_revisions(form.engine)) <= revisions_before + 1  # bob's save at most
    assert read_visits(form.engine).empty

"""CoachingVisitForm driven headless."""

from __future__ import annotations

import datetime as dt

import pytest
from workbench.widgets import CoachingVisitForm

from workbench.store import (
    add_revisions,
    open_engine,
    read_assessments,
    read_flags,
    read_recounts,
    read_visits,
    utcnow,
)
from workbench.store import schema as s


@pytest.fixture
def db(empty_db):
    engine = open_engine(empty_db)
    with engine.begin() as conn:
        add_revisions(conn, [{"team_id": "T01", "indicator_id": "AMTSL", "period": p,
                              "numerator": n, "denominator": 50}
                             for p, n in (("2025-04", 40), ("2025-05", 45))],
                      source="import", author="seed")
        conn.execute(s.assessments.insert().values(
            team_id="T01", period="2025-05", score=3.0, assessor_type="self", assessor="team",
            justification="two changes tested", created_at=utcnow()))
    return empty_db


def fill(form: CoachingVisitForm) -> None:
    form._visit_date.value = dt.date(2025, 6, 12)
    form._notes.value = "Registers complete and tidy"
    a = form._actions.rows[0]
    a[0].value, a[1].value, a[2].value = "Start night tally", "Ward in-charge", "2025-07-01"
    form._score.value = 2.5
    form._justification.value = "First tests running, data on the wall"


def test_form_shows_the_coach_the_self_score_and_each_levels_meaning(db):
    form = CoachingVisitForm(db, team_id="T01")
    assert form._coach.value == "A. Mugisha"  # the team's coach from the YAML
    assert "Team's own latest score: <b>3.0</b> (2025-05)" in form._self_score.value
    form._score.value = 4.0
    assert "Significant improvement" in form._meaning.value
    form._team.value = "T02"
    assert "has not scored itself yet" in form._self_score.value


def test_verification_factor_shows_at_once_against_the_band(db):
    form = CoachingVisitForm(db, team_id="T01")
    form.add_recount("AMTSL", "2025-05", "36", "50")
    result = form._recount_rows[0].result.value
    assert "reported 45 / 50" in result and "numerator VF 0.80" in result
    assert "OUTSIDE 0.90–1.10 (over-reported)" in result and "#b00020" in result
    form._recount_rows[0].numerator.value = "44"
    assert "inside 0.90–1.10" in form._recount_rows[0].result.value
    form._recount_rows[0].period.value = "2025-01"
    assert "the team reported nothing to verify" in form._recount_rows[0].result.value


def test_save_writes_the_whole_visit_and_flags_out_of_band_results(db):
    form = CoachingVisitForm(db, team_id="T01", user="coach1")
    fill(form)
    form.add_recount("AMTSL", "2025-04", "40", "50")
    form._add_recount_button.click()
    form.add_recount("AMTSL", "2025-05", "36", "50")
    form._save_button.click()
    assert form.message == ("Saved visit 1, the assessment score, 2 recount(s). 1 verification "
                            "factor(s) outside the band were flagged for the validators "
                            "(flag 1).")
    engine = open_engine(db)
    visit = read_visits(engine).iloc[0]
    assert (visit["coach"], visit["visit_date"], visit["author"]) == (
        "A. Mugisha", "2025-06-12", "coach1")
    assert read_assessments(engine, "T01")["assessor_type"].tolist() == ["self", "faculty"]
    assert len(read_recounts(engine)) == 2
    assert read_flags(engine)["rule_code"].tolist() == ["verification-out-of-band"]
    assert form._notes.value == "" and form._score.value is None  # ready for the next visit


@pytest.mark.parametrize("change, field, message", [
    (lambda f: setattr(f._justification, "value", ""), "justification",
     "justify the assessment score: what did you see that places the team at this level?"),
    (lambda f: setattr(f._coach, "value", ""), "coach", "name the coach who made the visit"),
    (lambda f: setattr(f._actions.rows[0][1], "value", ""), "actions",
     "action 1: name its owner"),
    (lambda f: setattr(f._visit_date, "value", None), "visit_date",
     "'' is not a date; write YYYY-MM-DD"),
    (lambda f: f.add_recount("AMTSL", "2025-05", "x", "50"), "recounts",
     "recount 1 (AMTSL 2025-05): recounted numerator: 'x' is not a number; enter a whole "
     "count such as 12"),
])
def test_each_problem_shows_next_to_its_field_and_nothing_is_saved(db, change, field, message):
    form = CoachingVisitForm(db, team_id="T01")
    fill(form)
    change(form)
    form._save_button.click()
    assert form.field_errors()[field] == message
    assert read_visits(open_engine(db)).empty


def test_an_error_inside_a_callback_shows_in_the_message_area(db):
    form = CoachingVisitForm(db, team_id="T01")
    fill(form)
    with form.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE flag_events")
    form.add_recount("AMTSL", "2025-05", "30", "50")
    form._save_button.click()
    assert form.message.startswith("Unexpected error (OperationalError)")
    assert read_visits(form.engine).empty  # one transaction: the visit rolled back too

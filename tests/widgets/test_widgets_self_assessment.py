"""SelfAssessmentForm driven headless, and its tab in the data-entry app."""

from __future__ import annotations

import pytest
from workbench.widgets import SelfAssessmentForm

from workbench.apps.builders import build_data_entry_app
from workbench.apps.context import AppContext
from workbench.records.assessments import SelfAssessment, save_self_assessment
from workbench.store import add_revisions, open_engine, read_assessments, utcnow
from workbench.store import schema as s


@pytest.fixture
def db(empty_db):  # type: ignore[no-untyped-def]
    """Data up to 2025-06; a faculty score for T01 2025-05 and T01's own score for 2025-05."""
    engine = open_engine(empty_db)
    with engine.begin() as conn:
        add_revisions(conn, [{"team_id": "T01", "indicator_id": "AMTSL", "period": p,
                              "numerator": 40, "denominator": 50}
                             for p in ("2025-05", "2025-06")],
                      source="import", author="seed")
        conn.execute(s.assessments.insert(), [
            {"team_id": "T01", "period": "2025-05", "score": 2.5, "assessor_type": "faculty",
             "assessor": "A. Mugisha", "justification": "tests under way",
             "created_at": utcnow()},
            {"team_id": "T01", "period": "2025-05", "score": 3.0, "assessor_type": "self",
             "assessor": "Team lead", "justification": "two changes tested",
             "created_at": utcnow()}])
    return empty_db


def self_rows(db: str):  # type: ignore[no-untyped-def]
    rows = read_assessments(open_engine(db), team_id="T01")
    return rows[rows["assessor_type"] == "self"].reset_index(drop=True)


def test_filling_the_form_and_clicking_save_writes_one_self_assessment(db) -> None:
    form = SelfAssessmentForm(db, team_id="T01", user="clerk")
    assert form._period.value == "2025-06"  # the latest month with data
    assert not form.needs_reason
    assert "Faculty score (latest, 2025-05): <b>2.5</b> Changes tested, but no improvement" \
        in form._faculty.value
    form._score.value = 3.5
    form._justification.value = "Checklist used on every shift; AMTSL above the median"
    assert form._assessor.value == "clerk"
    form._assessor.value = "Team lead"
    form._save_button.click()
    rows = self_rows(db)
    assert rows[["period", "score", "assessor", "justification"]].values.tolist()[-1] == [
        "2025-06", 3.5, "Team lead", "Checklist used on every shift; AMTSL above the median"]
    assert form.message == ("Saved the self-assessment of T01 for 2025-06: 3.5 (Improvement), "
                            f"by Team lead (assessment {rows['assessment_id'].iloc[-1]}).")
    assert form._score.value is None and form._justification.value == ""
    assert form.needs_reason  # the month now has an entry


def test_the_score_list_shows_each_level_with_its_meaning(db) -> None:
    form = SelfAssessmentForm(db, team_id="T01")
    labels = [label for label, value in form._score.options if value is not None]
    assert len(labels) == 10
    assert labels[5] == ("3.0 — Modest improvement: Some change-package tests succeeded; some "
                         "small-scale implementation; about a fifth of expected results.")


def test_a_month_already_assessed_shows_its_score_and_asks_for_a_reason(db) -> None:
    form = SelfAssessmentForm(db, team_id="T01", user="clerk")
    assert form._reason_box.layout.display == "none"
    form._period.value = "2025-05"
    assert form.needs_reason and form._reason_box.layout.display != "none"
    assert "2025-05 already has a self-assessment: 3.0, by Team lead on" \
        in form._current.value
    assert "Faculty score (this month): <b>2.5</b>" in form._faculty.value
    form._score.value = 2.5
    form._justification.value = "only one change tested"
    form._save_button.click()
    assert form.field_errors() == {"reason": (
        "T01 2025-05 already has a self-assessment (3.0, entered on "
        f"{utcnow().date().isoformat()} by Team lead); to enter a new one, give the reason "
        "for the correction")}
    assert len(self_rows(db)) == 1
    form._reason.value = "we over-scored"
    form._save_button.click()
    rows = self_rows(db)
    assert rows["score"].tolist() == [3.0, 2.5]
    assert rows["justification"].iloc[-1].startswith(
        "Correction of the entry of ")
    assert rows["justification"].iloc[-1].endswith(
        " by Team lead: we over-scored. only one change tested")
    assert "<td>2025-05</td><td>2.5</td>" in form._history.value
    assert form._history.value.count("<td>current</td>") == 1
    assert form._history.value.count("<td>replaced</td>") == 1
    form._team.value = "T02"
    assert not form.needs_reason
    assert "No self-assessment yet." in form._history.value


def test_a_script_in_the_justification_shows_escaped_in_the_history(db) -> None:
    form = SelfAssessmentForm(db, team_id="T01")
    form._score.value = 1.0
    form._justification.value = "<script>alert('x')</script>"
    form._save_button.click()
    assert form.last_error is None, form.message
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in form._history.value
    assert "<script>" not in form._history.value


def test_the_data_entry_app_has_a_self_assessment_tab_for_the_requested_team(db) -> None:
    app = build_data_entry_app(db)  # built before the request, as in a preheated kernel
    save_self_assessment(app.engine, SelfAssessment("T01", "2025-06", 3.0, "charts", "Lead"))
    app.present(AppContext(team="T01", period="2025-06", user="Nurse Jane"))
    ((tabs,),) = [gate.children for gate in app.body.children]  # the form's box, then the tabs
    assert tabs.titles == ("Monthly data", "Self-assessment")
    form = tabs.children[1]
    assert isinstance(form, SelfAssessmentForm)
    assert (form.team_id, form._period.value, form._assessor.value) == (
        "T01", "2025-06", "Nurse Jane")
    assert form.needs_reason  # the entry saved after the app was built shows
    assert "<td>2025-06</td><td>3.0</td>" in form._history.value
    app.team_picker.value = "T02"
    assert app.body.children[0].children[0].children[1].team_id == "T02"

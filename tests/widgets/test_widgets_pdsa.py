"""PDSACycleForm driven headless: set `.value`, call `.click()`."""

from __future__ import annotations

import datetime as dt
import os

from workbench.widgets import PDSACycleForm
from workbench.widgets.pdsa_form import _NEW_IDEA

from workbench.records.pdsa import cycle_history, load_cycle, team_journal
from workbench.store import open_engine


def fill_plan(form: PDSACycleForm) -> None:
    form._change.value = "C01"
    form._title.value = "Oxytocin ready"
    form._objective.value = "Learn whether drawing oxytocin up early is feasible"
    q = form._questions.rows[0]
    q[0].value, q[1].value = "Is it drawn up before birth?", "in 8 of 10 births"
    t = form._tasks.rows[0]
    t[0].value, t[1].value = "Midwife in charge", "brief night staff"
    form._linked.value = ("AMTSL",)
    form._start_date.value = dt.date(2025, 3, 1)


def test_form_saves_a_plan_and_says_what_it_saved(empty_db):
    form = PDSACycleForm(empty_db, team_id="T01", user="ann")
    fill_plan(form)
    form._save_button.click()
    assert form.message == ("Saved cycle 1 of C01 for T01: status plan, version 1, by ann.")
    journal = team_journal(open_engine(empty_db), "T01")
    assert journal[["cycle_number", "status", "author"]].values.tolist() == [[1, "plan", "ann"]]
    assert form._journal.value == int(journal["cycle_id"].iloc[0])


def test_user_comes_from_the_environment(empty_db, monkeypatch):
    monkeypatch.setenv("JUPYTERHUB_USER", "hub-user")
    form = PDSACycleForm(empty_db, team_id="T01")
    assert form.user == "hub-user"
    fill_plan(form)
    form._save_button.click()
    assert team_journal(open_engine(empty_db), "T01")["author"].tolist() == ["hub-user"]
    assert os.environ["WORKBENCH_USER"] == "tester"


def test_every_problem_shows_next_to_its_field_and_nothing_is_saved(empty_db):
    form = PDSACycleForm(empty_db, team_id="T01")
    form._questions.rows[0][0].value = "Will it work?"
    form._save_button.click()
    errors = form.field_errors()
    assert errors["objective"] == "write the objective: what this cycle should teach you"
    assert errors["questions"] == "question 1: write one prediction for it"
    assert form.message.startswith("Not saved — fix the problems marked below.")
    assert team_journal(open_engine(empty_db), "T01").empty


def test_a_new_change_idea_can_be_named_in_the_form(empty_db):
    form = PDSACycleForm(empty_db, team_id="T01")
    fill_plan(form)
    form._change.value = "__new__"
    assert form._new_change_name.layout.display is None
    form._new_change_name.value = "Birth companion"
    form._save_button.click()
    assert "Saved cycle 1 of T01-N1" in form.message
    assert ("T01-N1 — Birth companion", "T01-N1") in form._change.options


def test_state_machine_through_the_buttons_and_cannot_close_without_act(empty_db):
    form = PDSACycleForm(empty_db, team_id="T01")
    fill_plan(form)
    form._save_button.click()
    form._advance_button.click()  # plan -> do
    assert form._draft.status == "do"
    form._advance_button.click()  # do -> study refused: what happened?
    assert form.field_errors()["do_notes"] == ("describe what happened (Do) before moving to "
                                               "Study")
    form._do_notes.value = "Briefed 6 of 7 midwives"
    form._advance_button.click()
    assert form._draft.status == "study"
    form._tabs.selected_index = 2
    form.set_study_result(0, "7 of 10 births")
    form._advance_button.click()
    assert form._draft.status == "act"
    assert form._advance_button.description == "Save and move to closed"
    form._advance_button.click()  # no decision
    assert form.field_errors()["act_decision"].startswith("a cycle cannot be closed without")
    assert load_cycle(open_engine(empty_db), form._draft.cycle_id).status == "act"
    form._act.value = "adapt"
    form._advance_button.click()
    stored = load_cycle(open_engine(empty_db), form._draft.cycle_id)
    assert (stored.status, stored.act_decision, stored.study_results) == (
        "closed", "adapt", [{"question": "Is it drawn up before birth?",
                             "prediction": "in 8 of 10 births", "result": "7 of 10 births"}])
    assert form._advance_button.disabled
    assert len(cycle_history(open_engine(empty_db), stored.cycle_id)) == 5


def test_ramp_prefills_the_next_cycle_and_saves_it_as_new(empty_db):
    form = PDSACycleForm(empty_db, team_id="T01")
    fill_plan(form)
    form._act.value = "adopt"
    form._next_steps.value = "extend to night shift"
    form._save_button.click()
    first = form._draft.cycle_id
    form._ramp_button.click()
    assert form.message == ("Cycle 2 of C01 drafted from cycle 1: review the plan, then Save.")
    assert form._cycle_number.value == 2
    assert form._questions.value == [{"question": "Is it drawn up before birth?",
                                      "prediction": "in 8 of 10 births"}]
    assert form._act.value is None and form._do_notes.value == ""
    form._save_button.click()
    journal = team_journal(open_engine(empty_db), "T01")
    assert journal["cycle_number"].tolist() == [1, 2]
    assert journal["parent_cycle_id"].iloc[1] == first


def test_two_forms_on_the_same_cycle_the_second_save_is_a_conflict(empty_db):
    first = PDSACycleForm(empty_db, team_id="T01", user="ann")
    fill_plan(first)
    first._save_button.click()
    cycle_id = first._draft.cycle_id
    other = PDSACycleForm(empty_db, team_id="T01", user="bob", cycle_id=cycle_id)
    other._title.value = "Bob's title"
    other._save_button.click()
    first._title.value = "Ann's title"
    first._save_button.click()
    assert "was saved by bob" in first.message and "Nothing was saved" in first.message
    assert load_cycle(open_engine(empty_db), cycle_id).title == "Bob's title"


def test_journal_selection_loads_the_cycle(empty_db):
    form = PDSACycleForm(empty_db, team_id="T01")
    fill_plan(form)
    form._save_button.click()
    cycle_id = form._draft.cycle_id
    form._new_button.click()
    assert form._objective.value == ""
    form._journal.value = cycle_id
    assert form._objective.value.startswith("Learn whether")


def test_study_step_shows_the_linked_indicator_series(empty_db):
    from workbench.store import add_revisions

    engine = open_engine(empty_db)
    with engine.begin() as conn:
        add_revisions(conn, [{"team_id": "T01", "indicator_id": "AMTSL", "period": "2025-0"
                              f"{m}", "numerator": 40 + m, "denominator": 50}
                             for m in range(1, 7)], source="import")
    form = PDSACycleForm(empty_db, team_id="T01")
    fill_plan(form)
    form._chart_button.click()
    assert [type(c).__name__ for c in form._chart_box.children] == ["BokehModel"]
    assert form.last_error is None


def test_an_error_inside_a_callback_shows_in_the_message_area(empty_db):
    form = PDSACycleForm(empty_db, team_id="T01")
    fill_plan(form)
    with form.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE pdsa_history")
    form._save_button.click()
    assert form.message.startswith("Unexpected error (OperationalError)")
    assert "pdsa_history" in form.message
    assert team_journal(form.engine, "T01").empty  # the transaction rolled back


def test_hiding_the_new_idea_name_hides_no_other_field(empty_db):
    form = PDSACycleForm(empty_db, team_id="T01")
    assert form._new_change_name.layout.display == "none"  # an existing idea is chosen
    for field in (form._change, form._journal, form._title, form._objective, form._data_plan):
        assert field.layout.display is None, field


def test_a_new_cycle_of_a_change_already_tested_proposes_the_next_number(empty_db):
    """The journal's default "1" would fail for a change the team has tested: the form
    proposes one after the team's highest cycle of that change, and 1 for an untested one."""
    form = PDSACycleForm(empty_db, team_id="T01")
    fill_plan(form)
    form._save_button.click()
    assert form.message.startswith("Saved cycle 1 of C01")
    form._new_button.click()
    form._change.value = "C01"
    assert form._cycle_number.value == 2
    form._change.value = _NEW_IDEA
    assert form._cycle_number.value == 1
    form._change.value = "C01"
    fill_plan(form)
    form._save_button.click()
    assert form.message.startswith("Saved cycle 2 of C01"), form.message


def test_the_linked_indicators_offer_the_teams_own_measures_only_to_that_team(empty_db):
    from workbench.store import TeamMeasure, add_team_measure

    add_team_measure(open_engine(empty_db), TeamMeasure(
        "T01", "T01_SKIN", "Skin-to-skin within 1 hour", "babies skin to skin", "live births",
        80, "up"))
    form = PDSACycleForm(empty_db, team_id="T01")
    assert [v for _, v in form._linked.options][-1] == "T01_SKIN"
    form._team.value = "T02"
    assert "T01_SKIN" not in [v for _, v in form._linked.options]

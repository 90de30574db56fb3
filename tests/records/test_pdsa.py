"""PDSA cycles: validation, the state machine, saving with history and conflicts, ramping."""

from __future__ import annotations

import dataclasses

import pytest

from workbench.errors import ConflictError, ValidationFailed
from workbench.records.pdsa import (
    PDSACycle,
    cycle_history,
    load_cycle,
    ramp_cycle,
    save_cycle,
    team_journal,
    validate_cycle,
)
from workbench.store import open_engine, read_change_ideas


def planned(**changes) -> PDSACycle:
    base = PDSACycle(team_id="T01", change_id="C01", title="Oxytocin ready",
                     objective="Learn whether drawing oxytocin up early is feasible",
                     questions=[{"question": "Is it drawn up before birth?",
                                 "prediction": "in 8 of 10 births"}],
                     plan_tasks=[{"who": "Midwife in charge", "what": "brief night staff",
                                  "when": "Monday", "where": "labour ward"}],
                     linked_indicators=["AMTSL"], start_date="2025-03-01")
    return dataclasses.replace(base, **changes)


def fields(failures) -> list[str]:
    return [f.field for f in failures]


def test_when_plan_is_complete_then_no_failures():
    assert validate_cycle(planned()) == []


def test_when_plan_is_empty_then_every_problem_is_reported_at_once():
    failures = validate_cycle(PDSACycle(team_id="", change_id=None))
    assert fields(failures) == ["team_id", "change_id", "objective", "questions"]


def test_when_a_question_has_no_prediction_then_it_is_named():
    failures = validate_cycle(planned(questions=[{"question": "q1", "prediction": "p1"},
                                                 {"question": "q2", "prediction": " "}]))
    assert failures == [("questions", "question 2: write one prediction for it")]


def test_when_a_task_has_no_owner_then_it_is_named():
    failures = validate_cycle(planned(plan_tasks=[{"who": "", "what": "count"}]))
    assert failures == [("plan_tasks", "task 1: say who")]


def test_when_end_date_is_before_start_then_failure():
    failures = validate_cycle(planned(start_date="2025-03-10", end_date="2025-03-01"))
    assert fields(failures) == ["end_date"]


def test_when_date_is_not_a_date_then_failure():
    assert validate_cycle(planned(start_date="2025-02-30")) == [
        ("start_date", "'2025-02-30' is not a date; write YYYY-MM-DD")]


def test_when_closing_without_act_decision_then_refused():
    cycle = planned(status="closed", do_notes="done", study_results=["8 of 10"])
    assert validate_cycle(cycle, previous_status="act") == [
        ("act_decision", "a cycle cannot be closed without an act decision: choose adopt, "
                         "adapt or abandon")]


def test_when_skipping_a_step_then_refused():
    failures = validate_cycle(planned(status="study", do_notes="done"), previous_status="plan")
    assert fields(failures) == ["status"]
    assert "the next step is 'do'" in failures[0].message


def test_when_going_back_a_step_then_refused():
    failures = validate_cycle(planned(status="plan"), previous_status="do")
    assert fields(failures) == ["status"]


def test_when_moving_to_act_then_every_prediction_needs_a_result():
    cycle = planned(status="act", do_notes="ran it", study_results=[""])
    assert validate_cycle(cycle, previous_status="study") == [
        ("study_results", "question 1: write the result against its prediction before moving "
                          "to Act")]


def test_when_moving_to_study_then_do_notes_are_required():
    assert fields(validate_cycle(planned(status="study"), previous_status="do")) == ["do_notes"]


def test_when_decision_is_unknown_then_failure():
    assert fields(validate_cycle(planned(act_decision="keep"))) == ["act_decision"]


def test_cycle_moves_through_every_step_and_each_save_is_in_history(empty_db):
    engine = open_engine(empty_db)
    cycle = save_cycle(engine, planned())
    assert (cycle.cycle_id, cycle.version, cycle.status) == (1, 1, "plan")
    for step, change in (("do", {}), ("study", {"do_notes": "briefed 6 of 7 midwives"}),
                         ("act", {"study_results": ["7 of 10: close to prediction"]}),
                         ("closed", {"act_decision": "adapt", "next_steps": "add day shift"})):
        cycle = save_cycle(engine, dataclasses.replace(cycle, status=step, **change))
    stored = load_cycle(engine, cycle.cycle_id)
    assert (stored.status, stored.act_decision, stored.version, stored.author) == (
        "closed", "adapt", 5, "tester")
    history = cycle_history(engine, cycle.cycle_id)
    assert list(history["version"]) == [1, 2, 3, 4, 5]
    assert [h["status"] for h in history["snapshot"]] == ["plan", "do", "study", "act",
                                                         "closed"]


def test_when_save_is_invalid_then_nothing_is_written(empty_db):
    engine = open_engine(empty_db)
    with pytest.raises(ValidationFailed) as info:
        save_cycle(engine, planned(objective="", linked_indicators=["NOPE"]))
    assert fields(info.value.failure_cases) == ["objective", "linked_indicators"]
    assert team_journal(engine, "T01").empty


def test_when_two_users_save_the_same_version_then_the_second_gets_a_conflict(empty_db):
    engine = open_engine(empty_db)
    cycle = save_cycle(engine, planned(), user="ann")
    mine, theirs = load_cycle(engine, cycle.cycle_id), load_cycle(engine, cycle.cycle_id)
    save_cycle(engine, dataclasses.replace(theirs, title="theirs"), user="bob")
    with pytest.raises(ConflictError) as info:
        save_cycle(engine, dataclasses.replace(mine, title="mine"), user="ann")
    assert "was saved by bob" in str(info.value)
    assert load_cycle(engine, cycle.cycle_id).title == "theirs"


def test_when_cycle_number_is_taken_then_failure(empty_db):
    engine = open_engine(empty_db)
    save_cycle(engine, planned())
    with pytest.raises(ValidationFailed) as info:
        save_cycle(engine, planned())
    assert info.value.failure_cases == [("cycle_number", (
        "cycle 1 of C01 already exists for T01; ramp from it or choose another number"))]


def test_when_a_new_idea_is_named_then_it_is_created_with_the_cycle(empty_db):
    engine = open_engine(empty_db)
    saved = save_cycle(engine, planned(change_id=None, new_change_name="Birth companion"))
    assert saved.change_id == "T01-N1"
    ideas = read_change_ideas(engine).set_index("change_id")
    assert ideas.loc["T01-N1", "name"] == "Birth companion"
    assert ideas.loc["T01-N1", "source"] == "team"


def test_ramp_prefills_the_next_cycle_from_the_last(empty_db):
    engine = open_engine(empty_db)
    cycle = save_cycle(engine, planned(act_decision="adapt", next_steps="try on nights"))
    draft = ramp_cycle(engine, cycle.cycle_id)
    assert (draft.cycle_number, draft.parent_cycle_id, draft.status, draft.version) == (
        2, cycle.cycle_id, "plan", 0)
    assert draft.questions == cycle.questions and draft.plan_tasks == cycle.plan_tasks
    assert draft.linked_indicators == ["AMTSL"]
    assert draft.objective.startswith("try on nights")
    assert (draft.do_notes, draft.study_results, draft.act_decision) == ("", [], None)
    saved = ramp_cycle(engine, cycle.cycle_id, save=True)
    assert saved.cycle_number == 2 and saved.cycle_id is not None


def test_ramp_needs_an_act_decision(empty_db):
    engine = open_engine(empty_db)
    cycle = save_cycle(engine, planned())
    with pytest.raises(ValidationFailed, match="has no act decision yet"):
        ramp_cycle(engine, cycle.cycle_id)


def test_journal_lists_cycles_with_status_and_idea_name(empty_db):
    engine = open_engine(empty_db)
    first = save_cycle(engine, planned(act_decision="adopt"))
    ramp_cycle(engine, first.cycle_id, save=True)
    journal = team_journal(engine, "T01")
    assert list(journal["cycle_number"]) == [1, 2]
    assert list(journal["status"]) == ["plan", "plan"]
    assert journal["change_name"].iloc[0] == "Oxytocin drawn up before the birth"
    assert team_journal(engine, "T02").empty

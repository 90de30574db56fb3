"""ValidationQueue driven headless, through workbench.validate.flags (the CLI's resolve
functions)."""

from __future__ import annotations

import pytest
from workbench.widgets import ValidationQueue

from workbench.store import (
    add_revisions,
    open_engine,
    read_flags,
    read_measurements,
    read_revisions,
)
from workbench.validate.flags import flag_history
from workbench.validate.run import run_validation


@pytest.fixture
def db(empty_db):
    """Three open flags: T01 and T02 AMTSL 2025-05 numerator above denominator, and one
    T01 PPH 2025-05 likewise."""
    engine = open_engine(empty_db)
    with engine.begin() as conn:
        add_revisions(conn, [
            {"team_id": "T01", "indicator_id": "AMTSL", "period": "2025-04", "numerator": 40,
             "denominator": 50},
            {"team_id": "T01", "indicator_id": "AMTSL", "period": "2025-05", "numerator": 55,
             "denominator": 50},
            {"team_id": "T02", "indicator_id": "AMTSL", "period": "2025-05", "numerator": 60,
             "denominator": 50},
            {"team_id": "T01", "indicator_id": "PPH", "period": "2025-05", "numerator": 9,
             "denominator": 5},
        ], source="import", author="seed")
    run_validation(engine, "2025-05", rules=["numerator-exceeds-denominator"])
    return empty_db


def flag_of(db, team, indicator):
    flags = read_flags(open_engine(db))
    return int(flags[(flags["team_id"] == team) & (flags["indicator_id"] == indicator)]
               ["flag_id"].iloc[0])


def test_queue_lists_open_flags_and_filters_them(db):
    queue = ValidationQueue(db)
    assert len(queue.flags) == 3 and len(queue._list.options) == 3
    queue._filters["team_id"].value = "T01"
    assert sorted(queue.flags["indicator_id"]) == ["AMTSL", "PPH"]
    queue.set_filter(indicator_id="PPH")
    assert queue.flags["flag_id"].tolist() == [flag_of(db, "T01", "PPH")]
    queue.set_filter(team_id=None, indicator_id=None, rule_code="sudden-jump")
    assert queue.flags.empty


def test_selected_flag_shows_reason_statistic_values_series_and_history(db):
    queue = ValidationQueue(db, team_id="T01")
    queue.select(flag_of(db, "T01", "AMTSL"))
    detail = queue._detail.value
    assert "numerator 55 is more than denominator 50" in detail
    assert "<b>Statistic:</b> 1.1 (bounds 0 – 1)" in detail
    assert "55 / 50 (import, seed, " in detail
    assert [type(c).__name__ for c in queue._series.children] == ["BokehModel"]
    assert queue.history["action"].tolist() == ["opened"]
    assert "opened" in queue._history.value


def test_correction_writes_a_new_revision_and_keeps_the_original(db):
    queue = ValidationQueue(db, user="val")
    flag_id = flag_of(db, "T01", "AMTSL")
    queue.select(flag_id)
    queue._action.value = "correct"
    assert queue._correction.layout.display is None
    queue._numerator.value, queue._denominator.value = "45", "50"
    queue._note.value = "register recount: 45 of 50"
    queue._apply_button.click()
    assert queue.message == (f"Corrected flag #{flag_id} (T01 AMTSL 2025-05): new value 45 / 50 "
                             "saved as a new revision by val; the original stays readable in "
                             "the history.")
    engine = open_engine(db)
    revs = read_revisions(engine, "T01", "AMTSL", "2025-05")
    assert revs[["numerator", "source", "author"]].values.tolist() == [
        [55.0, "import", "seed"], [45.0, "correction", "val"]]
    assert revs["flag_id"].iloc[1] == flag_id and revs["reason"].iloc[1] == (
        "register recount: 45 of 50")
    current = read_measurements(engine, team_ids=["T01"], indicator_ids=["AMTSL"])
    assert current["numerator"].tolist() == [40.0, 45.0]
    assert flag_history(engine, flag_id)["action"].tolist() == ["opened", "corrected"]
    assert flag_id not in queue.flags["flag_id"].tolist()  # the open filter hides it now


@pytest.mark.parametrize("action, numerator, denominator, note, field, message", [
    ("dismiss", "", "", "  ", "note", "write a note: what you checked and why"),
    ("correct", "", "50", "recount", "numerator", "numerator: enter the corrected numerator"),
    ("correct", "4.5", "50", "recount", "numerator",
     "numerator: '4.5' is not a whole number; counts are 0, 1, 2 …"),
    ("correct", "60", "50", "recount", "numerator",
     "the corrected numerator 60 is above the denominator 50"),
])
def test_each_review_problem_shows_next_to_its_field(db, action, numerator, denominator, note,
                                                     field, message):
    queue = ValidationQueue(db)
    flag_id = flag_of(db, "T01", "AMTSL")
    queue.select(flag_id)
    queue._action.value = action
    queue._numerator.value, queue._denominator.value = numerator, denominator
    queue._note.value = note
    queue._apply_button.click()
    assert queue.field_errors() == {field: message}
    assert flag_history(open_engine(db), flag_id)["action"].tolist() == ["opened"]


def test_bulk_dismiss_of_a_selection(db):
    queue = ValidationQueue(db, user="val")
    ids = [flag_of(db, "T01", "AMTSL"), flag_of(db, "T02", "AMTSL")]
    queue.select(*ids)
    queue._note.value = "known tally error, fixed at source next month"
    queue._bulk_dismiss.click()
    assert queue.message == f"Dismissed 2 flag(s): {ids[0]}, {ids[1]} (by val)."
    flags = read_flags(open_engine(db)).set_index("flag_id")
    assert flags.loc[ids, "status"].tolist() == ["dismissed", "dismissed"]
    assert flags.loc[ids, "reviewer"].tolist() == ["val", "val"]
    assert queue.flags["flag_id"].tolist() == [flag_of(db, "T01", "PPH")]


def test_bulk_needs_a_note_and_a_selection(db):
    queue = ValidationQueue(db)
    queue._bulk_confirm.click()
    assert queue.message == "Select the flags to review first."
    queue.select(flag_of(db, "T01", "AMTSL"))
    queue._bulk_confirm.click()
    assert queue.field_errors() == {"note": "write a note: what you checked and why"}


def test_two_reviewers_on_the_same_flag_the_second_gets_a_conflict(db):
    flag_id = flag_of(db, "T01", "AMTSL")
    ann, bob = ValidationQueue(db, user="ann"), ValidationQueue(db, user="bob")
    for queue in (ann, bob):
        queue.select(flag_id)
    bob._action.value = "confirm"
    bob._note.value = "checked the register"
    bob._apply_button.click()
    ann._action.value = "dismiss"
    ann._note.value = "not a problem"
    ann._apply_button.click()
    assert ann.message.startswith(f"flag {flag_id} was changed by bob (now confirmed")
    assert read_flags(open_engine(db)).set_index("flag_id").loc[flag_id, "status"] == \
        "confirmed"


def test_visit_flags_reach_the_queue(db):
    from workbench.records.visits import CoachingVisit, Recount, save_visit

    engine = open_engine(db)
    save_visit(engine, CoachingVisit(team_id="T01", visit_date="2025-06-12", coach="A",
                                     recounts=[Recount("AMTSL", "2025-04", "30", "50")]))
    queue = ValidationQueue(db, team_id="T01")
    queue.set_filter(rule_code="verification-out-of-band")
    assert queue.flags["period"].tolist() == ["2025-04"]


def test_an_error_inside_a_callback_shows_in_the_message_area(db):
    queue = ValidationQueue(db)
    queue.select(flag_of(db, "T01", "AMTSL"))
    with queue.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE flag_events")
    queue._note.value = "ok"
    queue._apply_button.click()
    assert queue.message.startswith("Unexpected error (OperationalError)")


def test_a_team_given_to_the_queue_filters_it_even_without_flags(db):
    queue = ValidationQueue(db, team_id="T02")
    assert queue.flags["team_id"].tolist() == ["T02"]
    with open_engine(db).begin() as conn:
        conn.exec_driver_sql("INSERT INTO teams (team_id, name, facility, district, region, "
                             "coach, joined_period) VALUES ('T09', 'New', '', '', '', '', "
                             "'2025-01')")
    assert ValidationQueue(db, team_id="T09").flags.empty

"""MonthlyDataForm driven headless."""

from __future__ import annotations

import datetime as dt

from workbench.widgets import MonthlyDataForm
from workbench.widgets.monthly_data import default_period

from workbench.store import add_revisions, open_engine, read_measurements, read_revisions


def seed(db, values):
    engine = open_engine(db)
    with engine.begin() as conn:
        add_revisions(conn, [{"team_id": "T01", "indicator_id": "AMTSL", "period": p,
                              "numerator": n, "denominator": d} for p, n, d in values],
                      source="import", author="seed")


def test_default_month_is_the_one_before_today():
    assert default_period(dt.date(2026, 1, 15)) == "2025-12"


def test_grid_shows_values_definitions_and_previous_months(empty_db):
    seed(empty_db, [("2025-04", 40, 50), ("2025-05", 45, 50)])
    form = MonthlyDataForm(empty_db, team_id="T01", period="2025-05")
    row = form._rows["AMTSL"]
    assert (row.numerator.value, row.denominator.value) == ("45", "50")
    assert "2025-04: 40 / 50" in row.previous.value
    assert row.definition.layout.display == "none"
    row.info.value = True
    assert row.definition.layout.display is None
    assert "Vaginal births in the facility" in row.definition.value
    assert form.message == "T01 2025-05: 1 of 3 indicators entered."


def test_typing_runs_the_checks_at_once_and_marks_the_line(empty_db):
    form = MonthlyDataForm(empty_db, team_id="T01", period="2025-05")
    form.set_value("AMTSL", "60", "50")
    form.set_value("PPH", "2.5", "50")
    messages = form.row_messages()
    assert messages["AMTSL"] == ["numerator: numerator 60 is more than denominator 50; the "
                                 "numerator counts a subset of the denominator"]
    assert messages["PPH"][0].startswith("numerator: '2.5' is not a whole number")
    assert form._rows["AMTSL"].numerator.layout.border == "2px solid #b00020"
    form._save_button.click()
    assert form.message == "Not saved — fix the lines marked in red first."
    assert read_revisions(open_engine(empty_db)).empty


def test_save_writes_changed_values_only_and_says_what_it_saved(empty_db):
    seed(empty_db, [("2025-05", 40, 50)])
    form = MonthlyDataForm(empty_db, team_id="T01", period="2025-05", user="nurse")
    form.set_value("PPH", "1", "50")
    form._save_button.click()
    assert form.message == "Saved 1 value(s) for T01 2025-05: PPH 1 / 50."
    revs = read_revisions(open_engine(empty_db))
    assert revs[["indicator_id", "author", "source"]].values.tolist() == [
        ["AMTSL", "seed", "import"], ["PPH", "nurse", "form"]]
    form._save_button.click()
    assert form.message == "Nothing to save for T01 2025-05: no value changed."


def test_two_forms_loaded_both_save_the_second_gets_a_conflict_with_both_values(empty_db):
    seed(empty_db, [("2025-05", 40, 50)])
    ann = MonthlyDataForm(empty_db, team_id="T01", period="2025-05", user="ann")
    bob = MonthlyDataForm(empty_db, team_id="T01", period="2025-05", user="bob")
    bob.set_value("AMTSL", "45", "50")
    bob._save_button.click()
    ann.set_value("AMTSL", "42", "50")
    ann._save_button.click()
    assert "AMTSL 2025-05 was saved as 45 / 50 by bob" in ann.message
    assert "your value is 42 / 50" in ann.message
    assert ann.last_error == ann.message
    assert read_measurements(open_engine(empty_db))["numerator"].tolist() == [45.0]
    ann._reload_button.click()
    assert ann._rows["AMTSL"].numerator.value == "45"


def test_changing_month_or_team_reloads_the_grid(empty_db):
    seed(empty_db, [("2025-04", 40, 50)])
    form = MonthlyDataForm(empty_db, team_id="T01", period="2025-05")
    assert form._rows["AMTSL"].numerator.value == ""
    form._period.value = "2025-04"
    assert form._rows["AMTSL"].numerator.value == "40"
    form._team.value = "T02"
    assert form._rows["AMTSL"].numerator.value == ""
    form._period.value = "April"
    assert form.field_errors() == {"period": "'April' is not a month; write it as YYYY-MM "
                                             "(year 1900 or later), e.g. 2025-06"}
    assert "period 'April' is not a month" in form.message


def test_an_error_inside_a_callback_shows_in_the_message_area(empty_db):
    form = MonthlyDataForm(empty_db, team_id="T01", period="2025-05")
    with form.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE measurement_revisions")
    form.set_value("AMTSL", "40", "50")
    form._save_button.click()
    assert form.message.startswith("Unexpected error (OperationalError)")

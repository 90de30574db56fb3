"""One calendar rule, every door: a month before the collaborative's start or more than one
month after the current one is refused by the imports (CSV, xlsx, DHIS2, Kobo), the monthly
form, the store's own write, `validate --period` and `export --as-of` — with the one message of
`workbench.model.calendar_problem` — and flags about such months close on the next run."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl import Workbook

from workbench.cli import main
from workbench.errors import IngestError, StoreError, ValidationFailed
from workbench.ingest.importer import import_file
from workbench.model import Calendar, calendar_of, calendar_problem, parse_as_of
from workbench.records.monthly_data import save_month
from workbench.store import (
    add_revisions,
    open_engine,
    read_calendar,
    read_flag_events,
    read_flags,
    read_revisions,
    utcnow,
)
from workbench.store import schema as s
from workbench.validate.run import run_validation

TIDY = "team_id,indicator_id,period,numerator,denominator,comment\n"
#: templates/collaborative.yaml starts in 2024-01; the calendar ends the month after this one
NEXT = str(pd.Timestamp.now(tz="UTC").tz_localize(None).to_period("M") + 1)
TOO_LATE = str(pd.Period(NEXT, "M") + 1)
OUTSIDE = [("before the start", "2023-12"), ("two months ahead", TOO_LATE),
           ("far future", "2100-12")]


def _message(month: str) -> str:
    return (f"'{month}' is outside the collaborative's calendar (2024-01 to {NEXT}); enter a "
            "month from its start to next month")


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------------- the rule itself

def test_calendar_runs_from_the_start_to_the_month_after_today():
    assert calendar_of("2024-01", dt.date(2026, 12, 1)) == Calendar("2024-01", "2027-01")
    assert calendar_of("2024-01", dt.date(2026, 6, 30)) == Calendar("2024-01", "2026-07")
    cal = Calendar("2024-01", "2027-01")
    assert calendar_problem("2024-01", cal) is None
    assert calendar_problem(" 2027-01 ", cal) is None
    assert calendar_problem("2023-12", cal) == ("'2023-12' is outside the collaborative's "
                                                "calendar (2024-01 to 2027-01); enter a month "
                                                "from its start to next month")
    assert calendar_problem("2027-02", cal).startswith("'2027-02' is outside")
    assert calendar_problem("0000-01", cal) == ("'0000-01' is not a month; write it as YYYY-MM "
                                                "(year 1900 or later), e.g. 2025-06")


def test_the_store_reads_the_calendar_of_its_collaborative(empty_db):
    assert read_calendar(open_engine(empty_db)) == Calendar("2024-01", NEXT)


@pytest.mark.parametrize("value", ["garbage", "", "2025-13-01", "0000-01-05", "NaT"])
def test_an_as_of_that_is_not_a_time_is_refused_with_the_fix(value):
    with pytest.raises(ValidationFailed, match="is not a time; write it as YYYY-MM-DD"):
        parse_as_of(value)


def test_an_as_of_with_an_offset_is_read_in_utc():
    assert parse_as_of("2025-06-30T12:00+02:00") == pd.Timestamp("2025-06-30T10:00")


# ------------------------------------------------------------------------- every door

@pytest.mark.parametrize(("case", "month"), OUTSIDE)
def test_the_csv_import_refuses_a_month_outside_the_calendar(empty_db, tmp_path, case, month):
    path = _write(tmp_path / "a.csv", TIDY + f"T01,AMTSL,2024-01,1,2,\nT01,AMTSL,{month},1,2,\n")
    with pytest.raises(IngestError) as info:
        import_file(open_engine(empty_db), path)
    failures = info.value.failure_cases
    assert failures[["row", "column", "reason", "message"]].values.tolist() == [
        [3, "period", "outside-calendar", _message(month)]]
    assert read_revisions(open_engine(empty_db)).empty


def test_the_first_and_the_last_month_of_the_calendar_import(empty_db, tmp_path):
    path = _write(tmp_path / "a.csv", TIDY + f"T01,AMTSL,2024-01,1,2,\nT01,AMTSL,{NEXT},1,2,\n")
    assert import_file(open_engine(empty_db), path).new == 2


def test_the_xlsx_import_refuses_a_month_outside_the_calendar(empty_db, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["team_id", "indicator_id", "period", "numerator", "denominator"])
    sheet.append(["T01", "AMTSL", "2023-12", 1, 2])
    book.save(tmp_path / "a.xlsx")
    with pytest.raises(IngestError) as info:
        import_file(open_engine(empty_db), tmp_path / "a.xlsx")
    assert info.value.failure_cases[["row", "reason"]].values.tolist() == [
        [2, "outside-calendar"]]


DHIS2_MAP = ("source: dhis2\norg_units: {OU1: T01}\nindicators:\n  AMTSL:\n    numerator: deA\n"
             "    denominator: deB\n")


@pytest.mark.parametrize(("period", "reason"), [("202312", "outside-calendar"),
                                                ("210012", "outside-calendar"),
                                                ("000001", "bad-period")])
def test_the_dhis2_import_refuses_a_month_outside_the_calendar(empty_db, tmp_path, period,
                                                               reason):
    doc = {"dataValues": [{"dataElement": "deA", "period": period, "orgUnit": "OU1",
                           "value": "3"},
                          {"dataElement": "deB", "period": period, "orgUnit": "OU1",
                           "value": "4"}]}
    path = _write(tmp_path / "v.json", json.dumps(doc))
    with pytest.raises(IngestError) as info:
        import_file(open_engine(empty_db), path, mapping=_write(tmp_path / "m.yaml", DHIS2_MAP))
    assert set(info.value.failure_cases["reason"]) == {reason}


@pytest.mark.parametrize(("day", "reason"), [("2023-12-05", "outside-calendar"),
                                             ("0000-01-05", "bad-period")])
def test_the_kobo_import_refuses_a_month_outside_the_calendar(empty_db, tmp_path, day, reason):
    mapping = _write(tmp_path / "kobo.yaml", "source: kobo\nkobo: {team: facility, period: "
                     "month}\nindicators:\n  AMTSL: {numerator: given, denominator: births}\n")
    path = _write(tmp_path / "kobo.csv", f"facility,month,given,births\nT01,{day},3,4\n")
    with pytest.raises(IngestError) as info:
        import_file(open_engine(empty_db), path, mapping=mapping)
    assert info.value.failure_cases[["row", "reason"]].values.tolist() == [[2, reason]]


@pytest.mark.parametrize(("case", "month"), OUTSIDE)
def test_the_monthly_form_refuses_a_month_outside_the_calendar(empty_db, case, month):
    engine = open_engine(empty_db)
    with pytest.raises(ValidationFailed) as info:
        save_month(engine, "T01", month, {"AMTSL": (1, 2)}, {"AMTSL": None})
    assert str(info.value) == f"period: {_message(month)}."
    assert read_revisions(engine).empty


@pytest.mark.parametrize(("case", "month"), OUTSIDE)
def test_the_store_refuses_a_month_outside_the_calendar(empty_db, case, month):
    engine = open_engine(empty_db)
    rows = [{"team_id": "T01", "indicator_id": "AMTSL", "period": "2024-01", "numerator": 1,
             "denominator": 2},
            {"team_id": "T01", "indicator_id": "AMTSL", "period": month, "numerator": 1,
             "denominator": 2}]
    with pytest.raises(StoreError) as info, engine.begin() as conn:
        add_revisions(conn, rows, source="import")
    assert str(info.value) == (f"measurement row 2 (T01 AMTSL {month}), period: "
                               f"{_message(month)}. Nothing was written.")
    assert read_revisions(engine).empty


@pytest.mark.parametrize(("case", "month"), OUTSIDE)
def test_validate_period_is_bounded_by_the_calendar(empty_db, case, month):
    result = CliRunner().invoke(main, ["validate", "--db", empty_db, "--period", month])
    assert result.exit_code == 1
    assert result.output == f"Error: period: {_message(month)}.\n"
    assert read_flags(open_engine(empty_db)).empty


@pytest.mark.parametrize(("as_of", "shown"), [
    ("1999-01-01", "as-of: '1999-01' is outside the collaborative's calendar"),
    ("2100-12-31T23:00", "as-of: '2100-12' is outside the collaborative's calendar"),
    ("garbage", "as-of: 'garbage' is not a time; write it as YYYY-MM-DD or YYYY-MM-DDTHH:MM"),
])
@pytest.mark.parametrize("what", ["measurements", "flags"])
def test_export_as_of_is_bounded_by_the_calendar(empty_db, as_of, shown, what):
    result = CliRunner().invoke(main, ["export", what, "--db", empty_db, "--as-of", as_of])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {shown}")
    assert result.output.count("\n") == 1


# ------------------------------------------------------------------------- flags close

def test_open_flags_about_months_outside_the_calendar_close_on_the_next_run(empty_db):
    """A database validated with a far-future --period before the calendar bounded it holds
    open 'missing report' flags for years ahead; the next run clears them, with the reason in
    their history, and deletes nothing."""
    engine = open_engine(empty_db)
    with engine.begin() as conn:
        add_revisions(conn, [{"team_id": "T01", "indicator_id": "AMTSL", "period": "2024-01",
                              "numerator": 1, "denominator": 2}], source="import")
        now = utcnow()
        conn.execute(s.flags.insert(), [
            {"fingerprint": f"missing-report|T01|AMTSL|{p}|", "rule_code": "missing-report",
             "severity": "warning", "team_id": "T01", "indicator_id": "AMTSL", "period": p,
             "message": f"no report for {p}", "status": status, "created_at": now,
             "updated_at": now, "version": 1, "details": {}}
            for p, status in (("2100-12", "open"), ("2023-06", "open"),
                              ("2099-01", "dismissed"))])
    summary = run_validation(engine, "2024-01")
    flags = read_flags(engine).set_index("period")
    assert flags.loc["2100-12", "status"] == "cleared"
    assert flags.loc["2023-06", "status"] == "cleared"
    assert flags.loc["2099-01", "status"] == "dismissed"  # a review is never undone
    assert summary["cleared"] == 2
    events = read_flag_events(engine)
    cleared = events[events["action"] == "cleared"]
    assert cleared["note"].tolist() == [
        f"the month is outside the collaborative's calendar (2024-01 to {NEXT})"] * 2
    assert {"2100-12", "2023-06", "2099-01"} <= set(read_flags(engine)["period"])  # kept

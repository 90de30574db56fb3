"""One value policy: every door gives the same answer for the same typed value, and the store
itself refuses what no door would let in (negative or fractional counts, a year-0000 month)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import Engine

from workbench.errors import IngestError, StoreError
from workbench.ingest.collaborative import init_collaborative
from workbench.ingest.importer import import_file
from workbench.records.monthly_data import check_month, load_month, save_month
from workbench.store import add_revisions, open_engine, read_revisions

TEMPLATE = Path(__file__).resolve().parents[2] / "templates" / "collaborative.yaml"

# (numerator typed, denominator typed) -> the stored pair, or the message for the numerator
CELLS = [
    (("12", "20"), (12.0, 20.0)),
    ((" 12 ", "20"), (12.0, 20.0)),
    (("12.0", "20.0"), (12.0, 20.0)),
    (("0", "20"), (0.0, 20.0)),
    (("+7", "20"), (7.0, 20.0)),
    (("1000", "2000"), (1000.0, 2000.0)),
    (("1,000", "2000"), "'1,000' has a thousands separator; write 1000 without thousands "
                        "separators"),
    (("1.5", "20"), "'1.5' is not a whole number; counts are 0, 1, 2 …"),
    (("-3", "20"), "'-3' is negative; counts are 0 or more"),
    (("true", "20"), "'true' is not a number; enter a whole count such as 12"),
    (("false", "20"), "'false' is not a number; enter a whole count such as 12"),
    (("abc", "20"), "'abc' is not a number; enter a whole count such as 12"),
    (("1e3", "2000"), "'1e3' is not a number; enter a whole count such as 12"),
    (("nan", "20"), "'nan' is not a number; enter a whole count such as 12"),
]


def _import_answer(engine: Engine, tmp_path: Path, numerator: str,
                   denominator: str) -> object:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["team_id", "indicator_id", "period", "numerator", "denominator"])
    writer.writerow(["T01", "AMTSL", "2024-03", numerator, denominator])
    path = tmp_path / "cell.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    try:
        import_file(engine, path)
    except IngestError as exc:
        failures = exc.failure_cases
        return failures.loc[failures["column"] == "numerator", "message"].iloc[0]
    row = read_revisions(engine, "T01", "AMTSL", "2024-03").iloc[-1]
    return (row["numerator"], row["denominator"])


def _form_answer(engine: Engine, numerator: str, denominator: str) -> object:
    sheet = load_month(engine, "T01", "2024-03")
    values = {"AMTSL": (numerator, denominator)}
    errors = [c.message for c in check_month(sheet, values)
              if c.severity == "error" and c.field == "numerator"]
    if errors:
        assert errors[0].startswith("numerator: ")
        return errors[0].removeprefix("numerator: ")
    save_month(engine, "T01", "2024-03", values, sheet.loaded_revision_ids, user="tester",
               sheet=sheet)
    row = read_revisions(engine, "T01", "AMTSL", "2024-03").iloc[-1]
    return (row["numerator"], row["denominator"])


@pytest.mark.parametrize(("typed", "expected"), CELLS, ids=[repr(c[0]) for c in CELLS])
def test_the_import_and_the_monthly_form_give_the_same_answer_for_the_same_cell(
        empty_db: str, tmp_path: Path, typed: tuple[str, str], expected: object) -> None:
    by_import = _import_answer(open_engine(empty_db), tmp_path, *typed)
    form_db = init_collaborative(str(tmp_path / "form.db"), TEMPLATE)
    by_form = _form_answer(form_db, *typed)
    assert by_import == by_form == expected


@pytest.mark.parametrize(("change", "message"), [
    ({"numerator": -3}, "measurement row 2 (T01 AMTSL 2024-02), numerator: -3 is negative; "
                        "counts are 0 or more. Nothing was written."),
    ({"denominator": 49.5}, "measurement row 2 (T01 AMTSL 2024-02), denominator: 49.5 is not a "
                            "whole number; counts are 0, 1, 2 …. Nothing was written."),
    ({"numerator": "1,000"}, "measurement row 2 (T01 AMTSL 2024-02), numerator: '1,000' has a "
                             "thousands separator; write 1000 without thousands separators. "
                             "Nothing was written."),
    ({"period": "0000-01"}, "measurement row 2 (T01 AMTSL 0000-01), period: '0000-01' is not a "
                            "month; write it as YYYY-MM (year 1900 or later), e.g. 2025-06. "
                            "Nothing was written."),
])
def test_the_store_refuses_an_impossible_value_and_writes_nothing(
        empty_db: str, change: dict[str, object], message: str) -> None:
    engine = open_engine(empty_db)
    rows = [{"team_id": "T01", "indicator_id": "AMTSL", "period": "2024-01", "numerator": 40,
             "denominator": 50},
            {"team_id": "T01", "indicator_id": "AMTSL", "period": "2024-02", "numerator": 41,
             "denominator": 50, **change}]
    with pytest.raises(StoreError) as caught, engine.begin() as conn:
        add_revisions(conn, rows, source="test", author="tester")
    assert str(caught.value) == message
    assert read_revisions(engine).empty


def test_the_store_keeps_what_is_possible_but_suspicious(empty_db: str) -> None:
    engine = open_engine(empty_db)
    rows = [{"team_id": "T01", "indicator_id": "AMTSL", "period": "2024-01", "numerator": 60,
             "denominator": 50},
            {"team_id": "T01", "indicator_id": "AMTSL", "period": "2024-02", "numerator": 3,
             "denominator": 0},
            {"team_id": "T01", "indicator_id": "AMTSL", "period": "2024-03", "numerator": None,
             "denominator": None}]
    with engine.begin() as conn:
        add_revisions(conn, rows, source="test", author="tester")
    stored = read_revisions(engine)
    assert stored["numerator"].tolist()[:2] == [60.0, 3.0]
    assert stored["denominator"].tolist()[:2] == [50.0, 0.0]
    assert len(stored) == 3

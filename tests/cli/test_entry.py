"""Monthly data entry: loading with context, inline checks, revisions, conflicts."""

from __future__ import annotations

import pytest

from workbench.errors import ConflictError, ValidationFailed
from workbench.records.monthly_data import check_month, load_month, save_month
from workbench.store import add_revisions, open_engine, read_measurements, read_revisions


def seed(engine, values, team="T01", indicator="AMTSL", author="seed"):
    with engine.begin() as conn:
        add_revisions(conn, [{"team_id": team, "indicator_id": indicator, "period": p,
                              "numerator": n, "denominator": d} for p, n, d in values],
                      source="import", author=author)


def test_load_month_shows_current_values_previous_months_and_revision_ids(empty_db):
    engine = open_engine(empty_db)
    seed(engine, [("2025-03", 40, 50), ("2025-04", 42, 50), ("2025-05", 45, 50)])
    sheet = load_month(engine, "T01", "2025-05", context_months=6)
    row = sheet.row("AMTSL")
    assert (row.numerator, row.denominator) == (45.0, 50.0)
    assert list(row.previous["period"]) == ["2025-03", "2025-04"]
    assert sheet.loaded_revision_ids == {"AMTSL": row.revision_id, "PPH": None,
                                         "OXY_STOCK": None}
    assert "uterotonic" in row.numerator_definition


def test_when_month_is_malformed_then_clear_error(empty_db):
    with pytest.raises(ValidationFailed, match="period '2025-13' is not a month"):
        load_month(open_engine(empty_db), "T01", "2025-13")


@pytest.mark.parametrize("values, expected", [
    ({"AMTSL": ("4.5", "50")}, [("AMTSL", "numerator", "error")]),
    ({"AMTSL": ("abc", "50")}, [("AMTSL", "numerator", "error")]),
    ({"AMTSL": ("-1", "50")}, [("AMTSL", "numerator", "error")]),
    ({"AMTSL": ("40", "")}, [("AMTSL", "denominator", "error")]),
    ({"AMTSL": ("51", "50")}, [("AMTSL", "numerator", "error")]),
    ({"AMTSL": ("3", "0")}, [("AMTSL", "denominator", "error"),
                             ("AMTSL", "numerator", "error")]),
    ({"AMTSL": ("40", "50"), "PPH": ("1", "50")}, []),
    ({"AMTSL": ("", "")}, []),
])
def test_inline_checks(empty_db, values, expected):
    sheet = load_month(open_engine(empty_db), "T01", "2025-05")
    assert [(c.indicator_id, c.field, c.severity) for c in check_month(sheet, values)] == expected


def test_when_value_jumps_from_recent_months_then_warning_only(empty_db):
    engine = open_engine(empty_db)
    seed(engine, [("2025-02", 40, 50), ("2025-03", 41, 50), ("2025-04", 40, 50)])
    sheet = load_month(engine, "T01", "2025-05")
    checks = check_month(sheet, {"AMTSL": ("10", "50")})
    assert [(c.field, c.severity) for c in checks] == [("value", "warning")]
    assert "points from the mean" in checks[0].message
    result = save_month(engine, "T01", "2025-05", {"AMTSL": ("10", "50")},
                        sheet.loaded_revision_ids)
    assert len(result.saved) == 1 and len(result.warnings) == 1


def test_save_writes_one_revision_per_changed_value_and_says_so(empty_db):
    engine = open_engine(empty_db)
    seed(engine, [("2025-05", 40, 50)])
    sheet = load_month(engine, "T01", "2025-05")
    result = save_month(engine, "T01", "2025-05",
                        {"AMTSL": ("40", "50"), "PPH": ("2", "50"), "OXY_STOCK": ("", "")},
                        sheet.loaded_revision_ids, user="nurse")
    assert [v.indicator_id for v in result.saved] == ["PPH"]
    assert sorted(result.unchanged) == ["AMTSL", "OXY_STOCK"]
    assert result.summary() == "Saved 1 value(s) for T01 2025-05: PPH 2 / 50."
    revs = read_revisions(engine, "T01", "PPH", "2025-05")
    assert list(revs["author"]) == ["nurse"] and list(revs["source"]) == ["form"]


def test_a_change_keeps_the_old_revision_readable(empty_db):
    engine = open_engine(empty_db)
    seed(engine, [("2025-05", 40, 50)])
    sheet = load_month(engine, "T01", "2025-05")
    result = save_month(engine, "T01", "2025-05", {"AMTSL": ("44", "50")},
                        sheet.loaded_revision_ids)
    assert result.summary() == "Saved 1 value(s) for T01 2025-05: AMTSL 44 / 50 (was 40 / 50)."
    assert list(read_revisions(engine, "T01", "AMTSL", "2025-05")["numerator"]) == [40.0, 44.0]
    assert read_measurements(engine)["numerator"].tolist() == [44.0]


def test_when_errors_then_nothing_is_saved(empty_db):
    engine = open_engine(empty_db)
    sheet = load_month(engine, "T01", "2025-05")
    with pytest.raises(ValidationFailed) as info:
        save_month(engine, "T01", "2025-05", {"AMTSL": ("60", "50"), "PPH": ("1", "50")},
                   sheet.loaded_revision_ids)
    assert len(info.value.failure_cases) == 1
    assert read_revisions(engine).empty


def test_when_someone_saved_after_loading_then_conflict_shows_both_values(empty_db):
    engine = open_engine(empty_db)
    seed(engine, [("2025-05", 40, 50)])
    ann = load_month(engine, "T01", "2025-05")
    bob = load_month(engine, "T01", "2025-05")
    save_month(engine, "T01", "2025-05", {"AMTSL": ("45", "50")}, bob.loaded_revision_ids,
               user="bob")
    with pytest.raises(ConflictError) as info:
        save_month(engine, "T01", "2025-05", {"AMTSL": ("42", "50"), "PPH": ("1", "50")},
                   ann.loaded_revision_ids, user="ann")
    message = str(info.value)
    assert "AMTSL 2025-05 was saved as 45 / 50 by bob" in message
    assert "(you saw 40 / 50); your value is 42 / 50" in message
    assert info.value.conflicts[0]["theirs"] == (45.0, 50.0)
    # nothing of ann's save went in, not even the PPH value that did not conflict
    assert read_revisions(engine, "T01", "PPH").empty
    assert read_measurements(engine)["numerator"].tolist() == [45.0]


def test_when_both_typed_the_same_value_then_no_conflict(empty_db):
    engine = open_engine(empty_db)
    ann = load_month(engine, "T01", "2025-05")
    save_month(engine, "T01", "2025-05", {"AMTSL": ("45", "50")}, ann.loaded_revision_ids,
               user="bob")
    result = save_month(engine, "T01", "2025-05", {"AMTSL": ("45", "50")},
                        ann.loaded_revision_ids, user="ann")
    assert result.saved == [] and result.unchanged == ["AMTSL"]

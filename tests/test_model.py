"""The domain vocabulary (`workbench.model`): every accepted and refused form, literal answers."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from workbench.errors import ValidationFailed
from workbench.model import (
    DEFAULT_SETTINGS,
    MISSING,
    Failure,
    failures_frame,
    format_count,
    format_pair,
    format_percent,
    is_date,
    is_period,
    merged_settings,
    parse_count,
    parse_counts,
    parse_period,
    parse_periods,
    period_problem,
    plain_text,
    read_count,
)


@pytest.mark.parametrize(("value", "expected"), [
    ("2025-06", "2025-06"),
    (" 2025-06 ", "2025-06"),
    ("1900-01", "1900-01"),
    ("2025-12", "2025-12"),
    (pd.Period("2025-06", freq="M"), "2025-06"),
    (pd.Period("2025-06-15", freq="D"), "2025-06"),
    (dt.date(2025, 6, 15), "2025-06"),
    (dt.datetime(2025, 6, 30, 23, 59), "2025-06"),
    (pd.Timestamp("2025-06-01"), "2025-06"),
])
def test_a_month_in_any_accepted_form_becomes_yyyy_mm(value: object, expected: str) -> None:
    assert parse_period(value) == expected
    assert is_period(value)


@pytest.mark.parametrize("value", [
    "2025-13", "2025-00", "2025-6", "25-06", "202506", "2025/06", "2025-06-15", "June 2025",
    "0000-01", "1899-12", "", "   ", None, True, 202506, 2025.06, pd.NaT,
    pd.Period("1850-01", freq="M"), dt.date(1, 1, 1),
])
def test_anything_else_is_refused_with_the_one_period_message(value: object) -> None:
    assert not is_period(value)
    with pytest.raises(ValidationFailed) as caught:
        parse_period(value)
    assert str(caught.value) == period_problem(value)


def test_the_period_message_says_what_was_given_the_form_and_an_example() -> None:
    assert period_problem("0000-01") == ("'0000-01' is not a month; write it as YYYY-MM (year "
                                         "1900 or later), e.g. 2025-06")
    assert period_problem(None).startswith("'' is not a month")
    assert period_problem("x" * 100) == (f"'{'x' * 60}…' is not a month; write it as YYYY-MM "
                                         "(year 1900 or later), e.g. 2025-06")


def test_parse_periods_gives_the_month_or_none_for_each_cell() -> None:
    raw = pd.Series(["2025-06", "0000-01", None, dt.date(2024, 2, 29), "2025-06"], index=[5, 6,
                                                                                           7, 8, 9])
    out = parse_periods(raw)
    assert out.tolist() == ["2025-06", None, None, "2024-02", "2025-06"]
    assert out.index.tolist() == [5, 6, 7, 8, 9]


@pytest.mark.parametrize(("value", "ok"), [
    ("2025-06-30", True), ("2024-02-29", True), ("2025-02-29", False), ("2025-02-30", False),
    ("0000-01-05", False), ("1899-12-31", False), ("2025-6-1", False), ("", False), (None, False),
])
def test_a_date_is_a_real_calendar_day_from_1900(value: object, ok: bool) -> None:
    assert is_date(value) is ok


COUNTS = [
    # typed, count, reason
    ("12", 12.0, None),
    (" 12 ", 12.0, None),
    ("+12", 12.0, None),
    ("12.0", 12.0, None),
    ("12.", 12.0, None),
    ("0", 0.0, None),
    ("-0", 0.0, None),
    (12, 12.0, None),
    (12.0, 12.0, None),
    (np.int64(7), 7.0, None),
    (np.float64(7.0), 7.0, None),
    ("", None, None),
    ("   ", None, None),
    (None, None, None),
    (float("nan"), None, None),
    (pd.NA, None, None),
    ("1.5", None, "not-an-integer"),
    (1.5, None, "not-an-integer"),
    (".5", None, "not-an-integer"),
    ("-3", None, "negative-count"),
    (-3, None, "negative-count"),
    ("1,000", None, "not-a-number"),
    ("1,5", None, "not-a-number"),
    ("abc", None, "not-a-number"),
    ("1e3", None, "not-a-number"),
    ("1_000", None, "not-a-number"),
    ("nan", None, "not-a-number"),
    ("inf", None, "not-a-number"),
    (float("inf"), None, "not-a-number"),
    ("true", None, "not-a-number"),
    ("false", None, "not-a-number"),
    (True, None, "not-a-number"),
    (False, None, "not-a-number"),
    (np.bool_(True), None, "not-a-number"),
]


@pytest.mark.parametrize(("typed", "count", "reason"), COUNTS)
def test_the_count_rule(typed: object, count: float | None, reason: str | None) -> None:
    got, problem = read_count(typed)
    assert got == count
    assert (problem.reason if problem else None) == reason


@pytest.mark.parametrize(("typed", "message"), [
    ("1,000", "'1,000' has a thousands separator; write 1000 without thousands separators"),
    ("12,345,678", "'12,345,678' has a thousands separator; write 12345678 without thousands "
                   "separators"),
    ("abc", "'abc' is not a number; enter a whole count such as 12"),
    ("1.5", "'1.5' is not a whole number; counts are 0, 1, 2 …"),
    (2.5, "2.5 is not a whole number; counts are 0, 1, 2 …"),
    ("-3", "'-3' is negative; counts are 0 or more"),
    (-4.0, "-4 is negative; counts are 0 or more"),
    (True, "'True' is a yes/no value, not a count; enter a whole count such as 12"),
])
def test_a_refused_count_says_what_was_given_and_the_fix(typed: object, message: str) -> None:
    assert read_count(typed)[1].message == message


def test_parse_count_raises_naming_the_field() -> None:
    assert parse_count(" 40 ", "numerator") == 40.0
    assert parse_count("", "numerator") is None
    with pytest.raises(ValidationFailed, match=r"^numerator: '-3' is negative; counts are 0 or "
                                               r"more$") as caught:
        parse_count("-3", "numerator")
    assert caught.value.failure_cases == [("numerator", "'-3' is negative; counts are 0 or more")]


def test_the_vectorised_count_rule_agrees_with_the_scalar_one_cell_by_cell() -> None:
    raw = pd.Series([typed for typed, _, _ in COUNTS], dtype=object)
    counts, reasons, messages = parse_counts(raw)
    for i, (typed, count, reason) in enumerate(COUNTS):
        assert (counts[i] if not np.isnan(counts[i]) else None) == count, typed
        assert reasons[i] == reason, typed
        problem = read_count(typed)[1]
        assert messages[i] == (problem.message if problem else None), typed


def test_a_numeric_column_goes_through_the_same_rule() -> None:
    counts, reasons, _ = parse_counts(pd.Series([3.0, np.nan, -1.0, 2.5, 12.0]))
    assert counts.tolist()[:1] + counts.tolist()[4:] == [3.0, 12.0]
    assert counts.isna().tolist() == [False, True, True, True, False]
    assert reasons.tolist() == [None, None, "negative-count", "not-an-integer", None]


@pytest.mark.parametrize(("numerator", "denominator", "text"), [
    (25, 31, "25 / 31"),
    (25.0, 31.0, "25 / 31"),
    (np.float64(1200), np.int64(1500), "1200 / 1500"),
    (25.0, None, "25"),
    (25.0, float("nan"), "25"),
    (None, 31.0, "– / 31"),
    (None, None, "–"),
    (float("nan"), float("nan"), "–"),
    (2.5, 10, "2.5 / 10"),
])
def test_a_pair_is_shown_as_whole_counts(numerator: object, denominator: object,
                                         text: str) -> None:
    assert format_pair(numerator, denominator) == text


@pytest.mark.parametrize(("value", "decimals", "text"), [
    (0.853, 1, "85.3%"), (1.0, 1, "100.0%"), (0.0, 1, "0.0%"), (0.8, 0, "80%"),
    (None, 1, "–"), (float("nan"), 1, "–"), (float("inf"), 1, "–"),
])
def test_a_percent_is_shown_with_one_decimal(value: object, decimals: int, text: str) -> None:
    assert format_percent(value, decimals) == text


def test_missing_values_read_the_same_everywhere() -> None:
    assert MISSING == "–"
    assert format_count(None) == format_pair(None, None) == format_percent(None) == MISSING
    assert format_count(12.0) == "12"
    assert [plain_text(v) for v in (None, float("nan"), pd.NA, "T01", 3)] == ["", "", "", "T01",
                                                                               "3"]


def test_settings_are_the_defaults_overridden_by_the_stored_ones() -> None:
    merged = merged_settings({"jump_window": 4, "verification_band": [0.8, 1.2]})
    assert merged["jump_window"] == 4
    assert merged["verification_band"] == [0.8, 1.2]
    assert merged["outlier_modified_z"] == 3.5
    assert merged_settings(None) == DEFAULT_SETTINGS
    merged_settings(None)["verification_band"].append(9)
    assert DEFAULT_SETTINGS["verification_band"] == [0.90, 1.10]


def test_one_failure_table_for_imports_and_forms() -> None:
    frame = failures_frame([
        {"row": 2, "column": "period", "reason": "bad-period", "value": "2025-13",
         "message": "bad"},
        {"row": 3, "column": "numerator", "reason": "negative-count", "value": "-1",
         "message": "neg", "severity": "warning"},
        Failure("score", "choose one"),
    ])
    assert frame.columns.tolist() == ["row", "column", "reason", "value", "message", "severity"]
    assert frame.values.tolist() == [
        [2, "period", "bad-period", "2025-13", "bad", "error"],
        [3, "numerator", "negative-count", "-1", "neg", "warning"],
        [None, "score", None, None, "choose one", "error"]]
    assert failures_frame([]).columns.tolist() == frame.columns.tolist()
    assert failures_frame().empty


def test_model_imports_nothing_from_workbench_but_errors_and_i18n() -> None:
    import ast
    from pathlib import Path

    import workbench.model

    tree = ast.parse(Path(workbench.model.__file__).read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                 for alias in node.names}
    assert {m for m in imported if m and m.startswith("workbench")} <= {"workbench",
                                                                        "workbench.errors"}
    assert "i18n" in {alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                      and node.module == "workbench" for alias in node.names}

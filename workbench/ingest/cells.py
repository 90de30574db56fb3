"""Cell checks shared by imports and forms, vectorised, collecting every failure at once.

Each check returns rows of a *failures frame* (pandera's lazy-validation convention,
data-quality reference §4): one row per failing value with columns

    row, column, reason, value, message, severity

`reason` is a stable kebab-case code (frictionless `type` style); `message` says how to fix it;
`severity` is "error" (blocks saving) or "warning".

`check_entries(frame, indicators, history=None, settings=None)` is the contract for the
monthly data-entry form (issue 6): pass the entries (one row per team × indicator × period with
`numerator`, `denominator` as typed — text, numbers or None), the indicators frame
(`read_indicators`) and optionally the team's recent tidy frame (`read_measurements`); it returns
the failures frame, empty when the entries are clean. `row` is the entry frame's index label.
Errors: not-a-number, not-an-integer, negative-count, incomplete-pair, zero-denominator,
numerator-exceeds-denominator (proportions), unknown-indicator. Warning: sudden-jump (the
proportion moves more than `jump_threshold_pp` points from the mean of the team's previous
`jump_window` months, reference §6 "consistency over time" / issue 4).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from workbench.i18n import N_, format_count
from workbench.i18n import gettext as _
from workbench.model import (
    FAILURE_COLUMNS,
    Calendar,
    calendar_problem,
    failures_frame,
    merged_settings,
    parse_counts,
    parse_periods,
    period_problem,
)

__all__ = [
    "FAILURE_COLUMNS",
    "failures_frame",
    "blank_mask",
    "check_counts",
    "normalise_periods",
    "check_calendar",
    "check_entries",
]

_DHIS2_MONTH = re.compile(r"^(\d{4})(0[1-9]|1[0-2])$")  # DHIS2 monthly yyyyMM

#: The message of a pair with one half typed, by the missing half (translated when read).
_MISSING_HALF = {
    "numerator": N_("numerator is missing; enter both numerator and denominator (or neither)"),
    "denominator": N_("denominator is missing; enter both numerator and denominator "
                      "(or neither)"),
}


def _concat(parts: list[pd.DataFrame]) -> pd.DataFrame:
    parts = [p for p in parts if len(p)]
    if not parts:
        return failures_frame()
    return failures_frame(pd.concat(parts, ignore_index=True))


def blank_mask(raw: pd.Series) -> pd.Series:
    """True where a cell is empty: None, NaN or text of only spaces."""
    if raw.dtype.kind in "fiub":
        return raw.isna()
    text = raw.astype("string").str.strip()
    return raw.isna() | text.isna() | (text == "")


def check_counts(raw: pd.Series, rows: pd.Series, column: str) -> tuple[pd.Series, pd.DataFrame]:
    """Parse a column of counts: returns the float series (NaN where blank or bad) and failures.

    The rule is `workbench.model.read_count` (whole numbers of 0 or more; reference §6
    "Type/format", DHIS2 INVALID_NUMERIC). Codes: not-a-number, not-an-integer, negative-count.
    """
    num, reason, message = parse_counts(raw)
    bad = reason.notna()
    if not bad.any():
        return num, failures_frame()
    return num, failures_frame(pd.DataFrame({
        "row": rows[bad], "column": column, "reason": reason[bad], "value": raw[bad],
        "message": message[bad]}))


def _dhis2_month(value: Any) -> Any:
    """DHIS2's monthly `yyyyMM` (text or a number) as `YYYY-MM`; other values unchanged."""
    if isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool):
        if not float(value).is_integer():
            return value
        value = str(int(value))
    if isinstance(value, str):
        match = _DHIS2_MONTH.match(value.strip())
        if match:
            return f"{match.group(1)}-{match.group(2)}"
    return value


def normalise_periods(raw: pd.Series, rows: pd.Series, column: str = "period",
                      calendar: Calendar | None = None) -> tuple[pd.Series, pd.DataFrame]:
    """Periods as `YYYY-MM` text by the period rule (`workbench.model.parse_period`), after
    DHIS2 monthly `yyyyMM` is written as `YYYY-MM`; dates and timestamps give their month.

    Codes: bad-period (not a month), outside-calendar (before the collaborative's start or
    after next month: `workbench.model.calendar_problem`, checked when `calendar` is given).
    Works on the distinct values only, so it is fast on large files.
    """
    codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    months = parse_periods(pd.Series([_dhis2_month(u) for u in uniques], dtype=object))
    lookup = np.array(list(months) + [None], dtype=object)
    out = pd.Series(lookup[codes], index=raw.index, dtype=object)
    bad = out.isna()
    parts = []
    if bad.any():
        parts.append(pd.DataFrame({
            "row": rows[bad], "column": column, "reason": "bad-period", "value": raw[bad],
            "message": [period_problem(v) for v in raw[bad]]}))
    if calendar is not None:
        parts.append(check_calendar(out, raw, rows, calendar, column))
    return out, _concat(parts)


def check_calendar(months: pd.Series, raw: pd.Series, rows: pd.Series, calendar: Calendar,
                   column: str = "period") -> pd.DataFrame:
    """Failures (`outside-calendar`) for months (`YYYY-MM`, None where already refused)
    outside `calendar`, with the one message of `workbench.model.calendar_problem`."""
    text = months.astype("string").fillna("")
    outside = months.notna() & ((text < calendar.first) | (text > calendar.last))
    if not outside.any():
        return failures_frame()
    return failures_frame(pd.DataFrame({
        "row": rows[outside], "column": column, "reason": "outside-calendar",
        "value": raw[outside],
        "message": [calendar_problem(m, calendar) for m in text[outside]]}))


def check_entries(frame: pd.DataFrame, indicators: pd.DataFrame,
                  history: pd.DataFrame | None = None,
                  settings: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Every problem of a set of form entries at once (see the module docstring)."""
    settings = merged_settings(settings)
    rows = pd.Series(frame.index, index=frame.index)
    num, f_num = check_counts(frame["numerator"], rows, "numerator")
    den, f_den = check_counts(frame["denominator"], rows, "denominator")
    parts = [f_num, f_den]
    kinds = dict(zip(indicators["indicator_id"], indicators["kind"], strict=False))
    kind = frame["indicator_id"].map(kinds)
    unknown = kind.isna()
    if unknown.any():
        parts.append(pd.DataFrame({
            "row": rows[unknown], "column": "indicator_id", "reason": "unknown-indicator",
            "value": frame["indicator_id"][unknown],
            "message": _("not an indicator of this collaborative; choose one of {codes}"
                         ).format(codes=", ".join(kinds))}))
    paired = kind.isin(["proportion", "rate", "mean"])
    num_blank = blank_mask(frame["numerator"])
    den_blank = blank_mask(frame["denominator"])
    half = paired & (num_blank != den_blank)
    if half.any():
        missing = np.where(num_blank[half], "numerator", "denominator")
        parts.append(pd.DataFrame({
            "row": rows[half], "column": missing, "reason": "incomplete-pair", "value": None,
            "message": [_(_MISSING_HALF[m]) for m in missing]}))
    zero = paired & (den == 0) & (num > 0)
    if zero.any():
        parts.append(pd.DataFrame({
            "row": rows[zero], "column": "denominator", "reason": "zero-denominator",
            "value": den[zero],
            "message": _("denominator is 0 but the numerator is not; check both counts")}))
    over = (kind == "proportion") & (num > den)
    if over.any():
        parts.append(pd.DataFrame({
            "row": rows[over], "column": "numerator", "reason": "numerator-exceeds-denominator",
            "value": num[over],
            "message": [_("numerator {numerator} is more than denominator {denominator}; the "
                          "numerator counts a subset of the denominator").format(
                              numerator=format_count(n), denominator=format_count(d))
                        for n, d in zip(num[over], den[over], strict=True)]}))
    if history is not None and len(history):
        parts.append(_jump_warnings(frame, num, den, kind, rows, history, settings))
    out = _concat(parts)
    if len(out):
        out.loc[out["reason"] == "sudden-jump", "severity"] = "warning"
        out["severity"] = out["severity"].fillna("error")
    return out


def _jump_warnings(frame: pd.DataFrame, num: pd.Series, den: pd.Series, kind: pd.Series,
                   rows: pd.Series, history: pd.DataFrame,
                   settings: Mapping[str, Any]) -> pd.DataFrame:
    window = int(settings["jump_window"])
    threshold = float(settings["jump_threshold_pp"])
    hist = history.copy()
    hist["period"] = hist["period"].astype(str)
    records = []
    for label in frame.index[(kind == "proportion") & (den > 0) & num.notna()]:
        entry = frame.loc[label]
        prior = hist[(hist["team_id"] == entry["team_id"])
                     & (hist["indicator_id"] == entry["indicator_id"])
                     & (hist["period"] < str(entry["period"]))
                     & hist["value"].notna()].sort_values("period").tail(window)
        if len(prior) < window:
            continue
        mean = float(prior["value"].mean()) * 100
        value = float(num[label] / den[label]) * 100
        if abs(value - mean) > threshold:
            records.append({
                "row": rows[label], "column": "numerator", "reason": "sudden-jump",
                "value": num[label], "severity": "warning",
                "message": _("This month, {value} %, is {points} points from the mean of the "
                             "previous {window} months ({mean} %); check the counts").format(
                    value=f"{value:.0f}", points=f"{abs(value - mean):.0f}", window=window,
                    mean=f"{mean:.0f}")})
    return failures_frame(records)

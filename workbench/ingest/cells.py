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
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "FAILURE_COLUMNS",
    "failures_frame",
    "blank_mask",
    "check_counts",
    "normalise_periods",
    "check_entries",
]

FAILURE_COLUMNS = ["row", "column", "reason", "value", "message", "severity"]
_MONTH = re.compile(r"^(\d{4})-?(0[1-9]|1[0-2])$")  # YYYY-MM, or DHIS2 monthly yyyyMM


def failures_frame(records: Iterable[Mapping[str, Any]] | pd.DataFrame | None = None
                   ) -> pd.DataFrame:
    """A failures frame (columns FAILURE_COLUMNS) from records or frames."""
    if records is None:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in FAILURE_COLUMNS})
    frame = records if isinstance(records, pd.DataFrame) else pd.DataFrame(list(records))
    for column in FAILURE_COLUMNS:
        if column not in frame:
            frame[column] = "error" if column == "severity" else None
    return frame[FAILURE_COLUMNS].reset_index(drop=True)


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

    Codes: not-a-number, not-an-integer, negative-count (reference §6 "Type/format": value
    numeric integer >= 0, DHIS2 INVALID_NUMERIC).
    """
    if raw.dtype.kind in "fiu":
        num = raw.astype(float)
        bad = pd.Series(False, index=raw.index)
    else:
        blank = blank_mask(raw)
        text = raw.where(~blank).astype("string").str.strip()
        num = pd.to_numeric(text, errors="coerce").astype(float)
        bad = ~blank & num.isna()
    parts = []
    if bad.any():
        parts.append(pd.DataFrame({
            "row": rows[bad], "column": column, "reason": "not-a-number", "value": raw[bad],
            "message": [f"{v!r} is not a number; enter a whole count such as 12"
                        for v in raw[bad]]}))
        num = num.where(~bad)
    finite = num.notna()
    fraction = finite & (num % 1 != 0)
    if fraction.any():
        parts.append(pd.DataFrame({
            "row": rows[fraction], "column": column, "reason": "not-an-integer",
            "value": raw[fraction],
            "message": [f"{v} is not a whole number; counts are whole numbers of events"
                        for v in num[fraction]]}))
    negative = finite & (num < 0)
    if negative.any():
        parts.append(pd.DataFrame({
            "row": rows[negative], "column": column, "reason": "negative-count",
            "value": raw[negative],
            "message": [f"{v:g} is negative; counts start at 0" for v in num[negative]]}))
    return num, _concat(parts)


def normalise_periods(raw: pd.Series, rows: pd.Series, column: str = "period",
                      latest: str | None = None) -> tuple[pd.Series, pd.DataFrame]:
    """Periods as `YYYY-MM` text; accepts `YYYY-MM`, DHIS2 `yyyyMM` and dates/timestamps.

    Codes: bad-period (not a month), future-period (after `latest`, the current month).
    Works on the distinct values only, so it is fast on large files.
    """
    codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    mapped: list[str | None] = []
    for value in uniques:
        mapped.append(_month(value))
    lookup = np.array(mapped + [None], dtype=object)
    out = pd.Series(lookup[codes], index=raw.index, dtype=object)
    bad = out.isna()
    parts = []
    if bad.any():
        parts.append(pd.DataFrame({
            "row": rows[bad], "column": column, "reason": "bad-period", "value": raw[bad],
            "message": [f"{v!r} is not a month; write it as YYYY-MM (e.g. 2024-06) or the "
                        f"DHIS2 monthly form yyyyMM (202406)" for v in raw[bad]]}))
    if latest is not None:
        future = ~bad & (out > latest)
        if future.any():
            parts.append(pd.DataFrame({
                "row": rows[future], "column": column, "reason": "future-period",
                "value": raw[future],
                "message": [f"{v} is after the current month {latest}; check the year and "
                            "month" for v in out[future]]}))
    return out, _concat(parts)


def _month(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if hasattr(value, "year") and hasattr(value, "month"):  # datetime, date, Timestamp, Period
        return f"{value.year:04d}-{value.month:02d}"
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(int(value)) if float(value).is_integer() else str(value)
    match = _MONTH.match(str(value).strip())
    return f"{match.group(1)}-{match.group(2)}" if match else None


def check_entries(frame: pd.DataFrame, indicators: pd.DataFrame,
                  history: pd.DataFrame | None = None,
                  settings: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Every problem of a set of form entries at once (see the module docstring)."""
    from workbench.ingest.collaborative import DEFAULT_SETTINGS

    settings = {**DEFAULT_SETTINGS, **(settings or {})}
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
            "message": "not an indicator of this collaborative; choose one of "
                       + ", ".join(kinds)}))
    paired = kind.isin(["proportion", "rate", "mean"])
    num_blank = blank_mask(frame["numerator"])
    den_blank = blank_mask(frame["denominator"])
    half = paired & (num_blank != den_blank)
    if half.any():
        missing = np.where(num_blank[half], "numerator", "denominator")
        parts.append(pd.DataFrame({
            "row": rows[half], "column": missing, "reason": "incomplete-pair", "value": None,
            "message": [f"{m} is missing; enter both numerator and denominator (or neither)"
                        for m in missing]}))
    zero = paired & (den == 0) & (num > 0)
    if zero.any():
        parts.append(pd.DataFrame({
            "row": rows[zero], "column": "denominator", "reason": "zero-denominator",
            "value": den[zero],
            "message": "denominator is 0 but the numerator is not; check both counts"}))
    over = (kind == "proportion") & (num > den)
    if over.any():
        parts.append(pd.DataFrame({
            "row": rows[over], "column": "numerator", "reason": "numerator-exceeds-denominator",
            "value": num[over],
            "message": [f"numerator {n:g} is more than denominator {d:g}; the numerator "
                        "counts a subset of the denominator" for n, d in
                        zip(num[over], den[over], strict=True)]}))
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
                "message": f"{value:.0f} % is {abs(value - mean):.0f} points from the mean of "
                           f"the previous {window} months ({mean:.0f} %); check the counts"})
    return failures_frame(records) if records else failures_frame()

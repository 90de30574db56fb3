"""The domain vocabulary: what every layer says the same way.

One function decides each of these, and every door (imports, forms, the validation queue, the
CLI, the apps' query strings, the store's own write function, the demo generator) calls it:

- **Period** — a reporting month, written `YYYY-MM`. `parse_period` accepts that text (spaces
  around it are ignored), a `pandas.Period`, a `datetime.date` / `datetime` / `Timestamp`
  (their month); the year must be 1900 or later (year 0000 would import, then crash every
  reader). Anything else gets ONE message, `period_problem`:
  `'2025-13' is not a month; write it as YYYY-MM (year 1900 or later), e.g. 2025-06`.
  Source-specific spellings (DHIS2 `yyyyMM`, Kobo dates) are turned into this text by their
  reader first. `parse_periods` is the vectorised form for import columns.
- **Count** — a numerator or denominator. `read_count` is the rule, decided once: a whole
  number of 0 or more.

  - blank (no value, not an error): None, NaN, `''`, `'   '`;
  - accepted: `'12'`, `' 12 '`, `'+12'`, `12` → 12; `'12.0'`, `12.0` → 12 (a whole number
    written with a decimal point); `'0'` → 0;
  - `not-an-integer`: `'1.5'`, `1.5`;
  - `negative-count`: `'-3'`, `-3`;
  - `not-a-number`: `'1,000'` ("write 1000 without thousands separators": a comma is a decimal
    mark in many locales), `'abc'`, `'1e3'`, `'nan'`, `inf`, and yes/no values (`True`,
    `'true'`, `'false'`: a yes/no value is not a count).

  Counts are returned as floats holding whole numbers (the tidy frame's dtype).
  `parse_count` raises `ValidationFailed` instead; `parse_counts` is the vectorised form
  (it applies `read_count` to the distinct values, so both always agree).
- **Value formats** — `format_percent` (`85.3%`), `format_count` (`1234`, never `1234.0`),
  `format_pair` (`25 / 31`, never `25.0 / 31.0`; `25` without a denominator), in the
  reader's locale through `workbench.i18n` (`87,3 %`, `1 234` in French), `MISSING`
  (`–`) for no value, `plain_text` ('' for None / NaN, for analytics that must not import the
  HTML helpers).
- **Settings** — `DEFAULT_SETTINGS` (validation thresholds and tunables, data-quality
  reference) and `merged_settings(stored)`, the defaults overridden by a collaborative's own.
- **Failure record** — one row per problem with columns `row, column, reason, value,
  message, severity` (pandera's lazy-validation table), made by `failures_frame` from rows
  (imports) or from `Failure(field, message)` pairs (forms and records, which know only the
  field and the message).

**The value policy.** Whatever the store holds, the product can export and re-import. So an
*impossible* value — a count that is not a whole number of 0 or more, a period that is not a
month — is refused at every door: the import, the forms, the queue's correction, the CLI,
the demo generator and `workbench.store.add_revisions` itself (a `StoreError`). A value that
is possible but suspicious is stored and *flagged* by validation: a numerator above its
denominator, a zero denominator with events, an outlier, a sudden jump. (The typed-entry
forms also stop a numerator above its denominator as a likely typo before saving; imports
accept it, because data from existing systems comes in and the validator reviews it.)
- **Calendar** — the months a collaborative can hold: from its `start_period` (the
  definition's "first month of data") to the month after the current one (UTC; one month of
  slack for a clock or a time zone ahead of the server's). `calendar_of(start_period)` makes
  the `Calendar`, `calendar_problem(period, calendar)` is the rule and its one message
  (`'2100-12' is outside the collaborative's calendar (2024-01 to 2027-01); enter a month from
  its start to next month`), `require_in_calendar` raises it as `ValidationFailed`. Every door
  refuses a month outside: the imports (`outside-calendar`), the forms, `workbench.store.
  add_revisions` (reading the calendar with `workbench.store.read_calendar`), `validate
  --period` and `export --as-of` (`parse_as_of`: the time's month).

This module imports nothing from `workbench` but `workbench.errors` and `workbench.i18n`
(the locale formats). CSV, JSON and DHIS2 exports do not use the value formats: they stay
locale-neutral.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from workbench import i18n
from workbench.errors import ValidationFailed

__all__ = [
    "MIN_YEAR",
    "PERIOD_EXAMPLE",
    "PERIOD_PATTERN",
    "shown",
    "period_problem",
    "parse_period",
    "is_period",
    "parse_periods",
    "is_date",
    "Calendar",
    "calendar_of",
    "calendar_problem",
    "require_in_calendar",
    "parse_as_of",
    "CountProblem",
    "read_count",
    "parse_count",
    "parse_counts",
    "MISSING",
    "format_count",
    "format_pair",
    "format_percent",
    "plain_text",
    "DEFAULT_SETTINGS",
    "merged_settings",
    "FAILURE_COLUMNS",
    "Failure",
    "failures_frame",
]

# --------------------------------------------------------------------------------------------
# Periods

#: The first year a period may have (year 0000 imports used to poison the store).
MIN_YEAR = 1900
PERIOD_EXAMPLE = "2025-06"
#: `YYYY-MM` text; `parse_period` also checks the year.
PERIOD_PATTERN = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_DATE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")
_SHOWN = 60  # characters of a refused value shown in a message


def shown(value: Any) -> str:
    """A refused value as a message shows it: quoted text ('' for a blank), cut to 60
    characters (a 1 MB cell must not make a 1 MB error line)."""
    text = value if isinstance(value, str) else "" if _is_blank(value) else str(value)
    if len(text) > _SHOWN:
        text = text[:_SHOWN] + "…"
    return repr(text)


def period_problem(value: Any) -> str:
    """The one message for a value that is not a month."""
    return i18n.gettext("{value} is not a month; write it as YYYY-MM (year {year} or later), "
                        "e.g. {example}").format(value=shown(value), year=MIN_YEAR,
                                                 example=PERIOD_EXAMPLE)


def _period_or_none(value: Any) -> str | None:
    """`YYYY-MM` for a usable month, else None (blank included)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        match = PERIOD_PATTERN.match(value.strip())
        if not match:
            return None
        year, month = int(match.group(1)), int(match.group(2))
    elif isinstance(value, pd.Period | dt.date | pd.Timestamp):  # datetime is a date
        if value is pd.NaT:
            return None
        year, month = int(value.year), int(value.month)
    else:
        return None
    return f"{year:04d}-{month:02d}" if year >= MIN_YEAR else None


def parse_period(value: Any) -> str:
    """A reporting month as `YYYY-MM`; raises `ValidationFailed` with `period_problem`.

    >>> parse_period(" 2025-06 "), parse_period(pd.Period("2025-06", "M"))
    ('2025-06', '2025-06')
    """
    period = _period_or_none(value)
    if period is None:
        raise ValidationFailed(period_problem(value),
                               failure_cases=[Failure("period", period_problem(value))])
    return period


def is_period(value: Any) -> bool:
    """True when `parse_period` accepts `value`."""
    return _period_or_none(value) is not None


def parse_periods(values: pd.Series) -> pd.Series:
    """`parse_period` over a column: `YYYY-MM` text, None where a value is refused or blank.

    Works on the distinct values only, so it is fast on large files.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    mapped = [_period_or_none(u) for u in uniques]
    lookup = np.array(mapped + [None], dtype=object)
    return pd.Series(lookup[codes], index=values.index, dtype=object)


def is_date(value: Any) -> bool:
    """True for a real calendar date written YYYY-MM-DD from year 1900 (2025-02-30 is not)."""
    match = _DATE.match(str(value if value is not None else ""))
    if not match or int(match.group(1)) < MIN_YEAR:
        return False
    try:
        dt.date.fromisoformat(str(value))
    except ValueError:
        return False
    return True


# --------------------------------------------------------------------------------------------
# The calendar

class Calendar(NamedTuple):
    """The first and last month (`YYYY-MM`, inclusive) a collaborative's data may have."""

    first: str
    last: str


def _month_after(day: dt.date) -> str:
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return f"{year:04d}-{month:02d}"


def calendar_of(start_period: str | None, today: dt.date | None = None) -> Calendar:
    """The calendar of a collaborative starting at `start_period` (None: the first year a period
    may have), seen on `today` (default: the current UTC date): up to the month after today's.

    >>> calendar_of("2024-01", dt.date(2026, 12, 1))
    Calendar(first='2024-01', last='2027-01')
    """
    first = parse_period(start_period) if start_period else f"{MIN_YEAR:04d}-01"
    return Calendar(first, _month_after(today or dt.datetime.now(dt.UTC).date()))


def calendar_problem(period: Any, calendar: Calendar) -> str | None:
    """None for a month inside `calendar`; else the one message (a value that is not a month
    gets `period_problem`)."""
    month = _period_or_none(period)
    if month is None:
        return period_problem(period)
    if calendar.first <= month <= calendar.last:
        return None
    return i18n.gettext("{month!r} is outside the collaborative's calendar ({first} to "
                        "{last}); enter a month from its start to next month").format(
        month=month, first=calendar.first, last=calendar.last)


def require_in_calendar(period: Any, calendar: Calendar, what: str = "period") -> str:
    """`YYYY-MM` for a month inside `calendar`; else `ValidationFailed` naming `what`."""
    problem = calendar_problem(period, calendar)
    if problem is not None:
        raise ValidationFailed(f"{what}: {problem}.", failure_cases=[Failure(what, problem)])
    return parse_period(period)


def parse_as_of(value: Any, calendar: Calendar | None = None) -> pd.Timestamp:
    """An `--as-of` time (`2025-06-30`, `2025-06-30T12:00`, with or without a UTC offset) as a
    naive UTC `Timestamp`; its month must be inside `calendar` when one is given. Anything
    else raises `ValidationFailed` with the fix."""
    text = shown(value)
    stamp: Any = None
    try:
        stamp = pd.Timestamp(str(value).strip()) if not _is_blank(value) else None
    except (ValueError, TypeError, OverflowError):
        stamp = None
    if not isinstance(stamp, pd.Timestamp) or pd.isna(stamp) or stamp.year < MIN_YEAR:
        message = i18n.gettext("{value} is not a time; write it as YYYY-MM-DD or "
                               "YYYY-MM-DDTHH:MM (year {year} or later), e.g. 2025-06-30"
                               ).format(value=text, year=MIN_YEAR)
        raise ValidationFailed(i18n.N_("as-of: {message}."), params={"message": message},
                               failure_cases=[Failure("as_of", message)])
    when: pd.Timestamp = stamp
    if when.tzinfo is not None:
        when = when.tz_convert("UTC").tz_localize(None)
    if calendar is not None:
        require_in_calendar(f"{when.year:04d}-{when.month:02d}", calendar, "as-of")
    return when


# --------------------------------------------------------------------------------------------
# Counts

class CountProblem(NamedTuple):
    """Why a typed count was refused: a failure reason code and the message."""

    reason: str  # not-a-number | not-an-integer | negative-count
    message: str


_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")


def _is_blank(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float | np.floating) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip() == ""


def _not_a_number(as_shown: str) -> str:
    return i18n.gettext("{value} is not a number; enter a whole count such as 12").format(
        value=as_shown)


def read_count(value: Any) -> tuple[float | None, CountProblem | None]:
    """The count rule (see the module docstring): `(count, None)`, `(None, None)` for a
    blank, or `(None, CountProblem)`."""
    if _is_blank(value):
        return None, None
    if isinstance(value, bool | np.bool_):
        return None, CountProblem("not-a-number", i18n.gettext(
            "{value} is a yes/no value, not a count; enter a whole count such as 12"
        ).format(value=shown(value)))
    if isinstance(value, int | float | np.integer | np.floating):
        number, as_shown = float(value), f"{float(value):g}"
    else:
        text = str(value).strip()
        as_shown = shown(text)
        if _THOUSANDS.match(text):
            return None, CountProblem("not-a-number", i18n.gettext(
                "{value} has a thousands separator; write {plain} without thousands separators"
            ).format(value=as_shown, plain=text.replace(",", "")))
        if not _NUMBER.match(text):
            return None, CountProblem("not-a-number", _not_a_number(as_shown))
        number = float(text)
    if not math.isfinite(number):
        return None, CountProblem("not-a-number", _not_a_number(as_shown))
    if not number.is_integer():
        return None, CountProblem("not-an-integer", i18n.gettext(
            "{value} is not a whole number; counts are 0, 1, 2 …").format(value=as_shown))
    if number < 0:
        return None, CountProblem("negative-count", i18n.gettext(
            "{value} is negative; counts are 0 or more").format(value=as_shown))
    return number + 0.0, None  # -0.0 becomes 0.0


def parse_count(value: Any, what: str = "count") -> float | None:
    """`read_count`, raising `ValidationFailed` (naming `what`) for a refused value."""
    count, problem = read_count(value)
    if problem is not None:
        raise ValidationFailed(f"{what}: {problem.message}",
                               failure_cases=[Failure(what, problem.message)])
    return count


def parse_counts(values: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """`read_count` over a column: (counts as floats, NaN where blank or refused; the reason
    code or None; the message or None), all with the column's index."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    results = [read_count(u) for u in uniques] + [(None, None)]
    count = np.array([np.nan if c is None else c for c, _ in results], dtype=float)
    reason = np.array([p.reason if p else None for _, p in results], dtype=object)
    message = np.array([p.message if p else None for _, p in results], dtype=object)
    return (pd.Series(count[codes], index=values.index),
            pd.Series(reason[codes], index=values.index, dtype=object),
            pd.Series(message[codes], index=values.index, dtype=object))


# --------------------------------------------------------------------------------------------
# Value formats

#: What a table, card or message shows where there is no value.
MISSING = "–"


def plain_text(value: Any) -> str:
    """'' for None / NaN / NA (pandas 3 stores missing text as NaN), else str(value)."""
    if value is None:
        return ""
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value)


def format_count(value: Any) -> str:
    """`1234` for a whole count (never `1234.0`; `1 234` in French), `MISSING` for none."""
    if _is_blank(value):
        return MISSING
    return i18n.format_count(value) or MISSING


def format_pair(numerator: Any, denominator: Any) -> str:
    """`25 / 31`, `25` (no denominator) or `MISSING` (neither)."""
    if _is_blank(numerator) and _is_blank(denominator):
        return MISSING
    if _is_blank(denominator):
        return format_count(numerator)
    return f"{format_count(numerator)} / {format_count(denominator)}"


def format_percent(value: Any, decimals: int = 1) -> str:
    """`85.3%` for 0.853 (a proportion on the 0–1 scale; `85,3 %` in French), `MISSING` for
    none."""
    if _is_blank(value) or not math.isfinite(float(value)):
        return MISSING
    return i18n.format_percent(value, decimals)


# --------------------------------------------------------------------------------------------
# Settings

#: Validation thresholds and other tunables (data-quality reference); YAML `settings:` overrides.
DEFAULT_SETTINGS: dict[str, Any] = {
    "late_entry_days": 30,
    "outlier_modified_z": 3.5,
    "outlier_min_points": 6,
    "jump_threshold_pp": 30.0,
    "jump_window": 3,
    "verification_band": [0.90, 1.10],
    "consistency_pairs": [],  # [{"numerator_of": A, "not_above_denominator_of": B}]
    "allowed_ranges": {},  # {indicator: [low, high]} on the value scale (0.9 = 90 %)
    "late_entry_backfill_months": 3,  # a batch with this many months or more is a backfill
    "assessment_target": 4.0,
    "language": "",  # reports, apps and messages: en, fr (workbench.i18n); '' = English
    # content in other languages: {"indicators": {"AMTSL": {"name": {"fr": …}}}, "change_ideas": …}
    "translations": {},
}


def merged_settings(stored: Mapping[str, Any] | None) -> dict[str, Any]:
    """The defaults overridden by a collaborative's stored settings (None = defaults only).

    A fresh copy: changing it changes neither the defaults nor `stored`.
    """
    settings = copy.deepcopy(DEFAULT_SETTINGS)
    settings.update(copy.deepcopy(dict(stored or {})))
    return settings


# --------------------------------------------------------------------------------------------
# The failure record

FAILURE_COLUMNS = ["row", "column", "reason", "value", "message", "severity"]


class Failure(NamedTuple):
    """One problem as a form or record check gives it: the field it is about and what to do.

    It is a row of the failures table with only `column` (= `field`) and `message` known;
    `failures_frame` turns a list of them into that table (severity "error").
    """

    field: str
    message: str


def failures_frame(records: Iterable[Failure | Mapping[str, Any]] | pd.DataFrame | None = None
                   ) -> pd.DataFrame:
    """The failures table (columns `FAILURE_COLUMNS`) from `Failure`s, mappings or a frame.

    A `Failure`'s `field` is the table's `column`; a missing severity is "error".
    """
    if records is None:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in FAILURE_COLUMNS})
    if isinstance(records, pd.DataFrame):
        frame = records.copy()
    else:
        rows = [{"column": r.field, "message": r.message} if isinstance(r, Failure)
                else dict(r) for r in records]
        if not rows:
            return failures_frame()
        frame = pd.DataFrame([[row.get(c) for c in FAILURE_COLUMNS] for row in rows],
                             columns=FAILURE_COLUMNS, dtype=object)
    for column in FAILURE_COLUMNS:
        if column not in frame:
            frame[column] = "error" if column == "severity" else None
    frame["severity"] = frame["severity"].fillna("error")
    return frame[FAILURE_COLUMNS].reset_index(drop=True)

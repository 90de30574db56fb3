"""Numbers, percentages, months and dates in the reader's locale (Babel, CLDR data).

In French: `oct. 2026`, `87,3 %`, `1 234` (CLDR separates thousands with a narrow no-break
space, U+202F, and puts one before `%`); in English: `Oct 2026`, `87.3%`, `1234`.

Counts are grouped by thousands only where the locale's group separator is a space: a comma
or a point between digits reads as a decimal mark in half the world, which is why the
product asks for counts typed without separators (`workbench.model.read_count`) and shows
them the same way.

These are for people. CSV, JSON and DHIS2 exports are machine-readable and locale-neutral:
they never call this module.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
from functools import cache
from typing import Any, Protocol

from babel import Locale
from babel.dates import format_date as _babel_date
from babel.dates import format_datetime as _babel_datetime
from babel.numbers import format_decimal as _babel_decimal
from babel.numbers import get_group_symbol, parse_pattern

from workbench.i18n.language import current_language

__all__ = [
    "format_count",
    "format_date",
    "format_datetime",
    "format_month",
    "format_month_long",
    "format_number",
    "format_percent",
    "finite_number",
    "locale_of",
]


class _HasMonth(Protocol):
    @property
    def year(self) -> int: ...

    @property
    def month(self) -> int: ...


def locale_of(language: str | None = None) -> Locale:
    """The Babel locale of `language` (default: the current language)."""
    return _locale(language or current_language())


@cache
def _locale(language: str) -> Locale:
    return Locale.parse(language)


def _first_day(month: _HasMonth | str) -> dt.date:
    if isinstance(month, str):
        year, number = month.strip()[:7].split("-")
        return dt.date(int(year), int(number), 1)
    return dt.date(int(month.year), int(month.month), 1)


def format_month(month: _HasMonth | str, language: str | None = None) -> str:
    """`Oct 2026` / `oct. 2026` for a month (a `pandas.Period`, a date or `YYYY-MM` text)."""
    return _babel_date(_first_day(month), "MMM y", locale=locale_of(language))


def format_month_long(month: _HasMonth | str, language: str | None = None) -> str:
    """`October 2026` / `octobre 2026`."""
    return _babel_date(_first_day(month), "LLLL y", locale=locale_of(language))


def format_date(day: dt.date, language: str | None = None, *, style: str = "medium") -> str:
    """`1 Dec 2026` / `1 déc. 2026` (style `medium`), `1 December 2026` / `1 décembre 2026`
    (`long`), or a CLDR pattern such as `d MMM y`."""
    pattern = {"medium": "d MMM y", "long": "d MMMM y"}.get(style, style)
    return _babel_date(day, pattern, locale=locale_of(language))


def format_datetime(moment: dt.datetime, language: str | None = None) -> str:
    """`1 December 2026, 18:05` / `1 décembre 2026, 18:05` (the clock as given)."""
    return _babel_datetime(moment, "d MMMM y, HH:mm", locale=locale_of(language),
                           tzinfo=None)


def finite_number(value: Any) -> float | None:
    """`value` as a finite float, else None (None, '', text, NaN, ±inf): what the formats
    show as '' and the flag messages as "undefined"."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


@cache
def _percent_pattern(language: str, decimals: int) -> Any:
    pattern = copy.copy(parse_pattern(locale_of(language).percent_formats[None].pattern))
    pattern.frac_prec = (decimals, decimals)
    return pattern


def format_percent(value: Any, decimals: int = 1, language: str | None = None) -> str:
    """`85.3%` / `85,3 %` for 0.853 (a proportion on the 0–1 scale); '' for no number."""
    number = finite_number(value)
    if number is None:
        return ""
    lang = language or current_language()
    return str(_percent_pattern(lang, decimals).apply(number, locale_of(lang)))


def _groups(language: str) -> bool:
    return not get_group_symbol(locale=locale_of(language)).strip()


def format_count(value: Any, language: str | None = None) -> str:
    """`1234` / `1 234` for a whole count, `2.5` / `2,5` otherwise; '' for no number."""
    number = finite_number(value)
    if number is None:
        return ""
    lang = language or current_language()
    if number.is_integer():
        return _babel_decimal(int(number), format="#,##0", locale=locale_of(lang),
                              group_separator=_groups(lang))
    return _babel_decimal(number, format="#,##0.######", locale=locale_of(lang),
                          group_separator=_groups(lang))


def format_number(value: Any, decimals: int = 1, language: str | None = None, *,
                  sign: bool = False) -> str:
    """`1234.5` / `1 234,5` with `decimals` digits; `+1.5` / `+1,5` with `sign`."""
    number = finite_number(value)
    if number is None:
        return ""
    lang = language or current_language()
    fraction = "." + "0" * decimals if decimals else ""
    text = _babel_decimal(abs(number), format=f"#,##0{fraction}", locale=locale_of(lang),
                          group_separator=_groups(lang))
    negative = number < 0 and any(ch not in "0,. \u202f\u00a0" for ch in text)
    if negative:
        return "-" + text
    return ("+" + text) if sign else text

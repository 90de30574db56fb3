"""Locale formats (Babel, CLDR) and the choice of language, decided in `workbench.i18n`."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from workbench import i18n
from workbench.errors import ConfigError
from workbench.model import MISSING, format_count, format_pair, format_percent

NNBSP, NBSP = "\u202f", "\u00a0"  # CLDR's French thousands separator; its space before %


@pytest.mark.parametrize(("language", "month", "long_month", "percent", "count", "decimal"), [
    ("en", "Oct 2026", "October 2026", "87.3%", "1234", "2.5"),
    ("fr", "oct. 2026", "octobre 2026", f"87,3{NBSP}%", f"1{NNBSP}234", "2,5"),
])
def test_months_percentages_and_counts_follow_the_locale(language: str, month: str,
                                                          long_month: str, percent: str,
                                                          count: str, decimal: str) -> None:
    assert i18n.format_month(pd.Period("2026-10", "M"), language) == month
    assert i18n.format_month("2026-10", language) == month
    assert i18n.format_month_long("2026-10", language) == long_month
    assert i18n.format_percent(0.873, 1, language) == percent
    assert i18n.format_count(1234, language) == count
    assert i18n.format_count(1234.0, language) == count
    assert i18n.format_count(2.5, language) == decimal


def test_the_value_formats_of_the_model_speak_the_current_language() -> None:
    assert (format_percent(0.873), format_count(1234), format_pair(1234, 1500)) == (
        "87.3%", "1234", "1234 / 1500")
    with i18n.use_language("fr"):
        assert (format_percent(0.873), format_count(1234), format_pair(1234, 1500)) == (
            f"87,3{NBSP}%", f"1{NNBSP}234", f"1{NNBSP}234 / 1{NNBSP}500")
        assert format_count(None) == format_percent(float("nan")) == MISSING
    assert format_percent(0.873) == "87.3%"  # the block ended: English again


def test_signed_numbers_and_dates_follow_the_locale() -> None:
    assert i18n.format_number(-1234.56, 1, "fr") == f"-1{NNBSP}234,6"
    assert i18n.format_number(1.25, 1, "en", sign=True) == "+1.2"
    assert i18n.format_number(-0.01, 1, "en") == "0.0"  # no minus on a rounded zero
    assert i18n.format_date(dt.date(2026, 12, 1), "fr") == "1 déc. 2026"
    assert i18n.format_date(dt.date(2026, 12, 1), "en") == "1 Dec 2026"
    assert i18n.format_datetime(dt.datetime(2026, 12, 1, 18, 5), "fr") == "1 décembre 2026, 18:05"


def test_messages_are_looked_up_in_the_catalogue_of_the_current_language() -> None:
    assert i18n.gettext("Indicator") == "Indicator"
    with i18n.use_language("fr"):
        assert i18n.gettext("Indicator") == "Indicateur"
        assert i18n.ngettext("{total} report", "{total} reports", 2) == "{total} rapports"
        assert i18n.gettext("a message nobody wrote") == "a message nobody wrote"


def test_the_language_is_the_request_then_the_environment_then_the_collaborative(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(i18n.LANGUAGE_ENV, raising=False)
    assert i18n.resolve_language() == "en"
    assert i18n.resolve_language(None, default="fr") == "fr"
    monkeypatch.setenv(i18n.LANGUAGE_ENV, "fr_FR.UTF-8")
    assert i18n.resolve_language(None, default="en") == "fr"
    assert i18n.resolve_language("en", default="fr") == "en"
    assert i18n.resolve_language("FR-fr") == "fr"


def test_an_unknown_language_names_the_available_ones() -> None:
    with pytest.raises(ConfigError) as err:
        i18n.normalize_language("de")
    assert str(err.value).startswith("unknown language 'de'; available: en, fr.")
    assert i18n.available_languages() == ("en", "fr")


def test_content_translations_fall_back_to_the_source_language() -> None:
    name = {"en": "Births receiving AMTSL", "fr": "Naissances avec GATPA"}
    assert i18n.localized(name, "fr") == "Naissances avec GATPA"
    assert i18n.localized(name, "en") == "Births receiving AMTSL"
    assert i18n.localized({"en": "Only English"}, "fr") == "Only English"
    assert i18n.localized("plain text", "fr") == "plain text"

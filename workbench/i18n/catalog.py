"""Translated text: `gettext` / `ngettext` look the message up in the catalogue of
`current_language()`; `N_` marks a message for extraction where it must be translated later
(a module-level table), and `translated_values` translates such a table when it is read.

The catalogues are gettext `.mo` files compiled by Babel (`make messages`) from the `.po`
files beside them; English, the source language, needs none. A message missing from a
catalogue reads in English.
"""

from __future__ import annotations

import gettext as _gettext
from collections.abc import Iterator, Mapping
from functools import cache
from typing import TypeVar

from workbench.errors import N_
from workbench.i18n.language import DOMAIN, SOURCE_LANGUAGE, current_language, locale_dir

__all__ = ["N_", "gettext", "ngettext", "pgettext", "translations", "translated_values",
           "TranslatedTable", "TranslatedValues"]

K = TypeVar("K")


@cache
def translations(language: str) -> _gettext.NullTranslations:
    """The catalogue of `language` (a `NullTranslations` for English or a missing one)."""
    if language == SOURCE_LANGUAGE:
        return _gettext.NullTranslations()
    return _gettext.translation(DOMAIN, localedir=str(locale_dir()), languages=[language],
                                fallback=True)


def gettext(message: str) -> str:
    """`message` in the current language (`_` in the code)."""
    return translations(current_language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form for `n`, in the current language."""
    return translations(current_language()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """`message` in the current language, told apart from the same English by `context`."""
    return translations(current_language()).pgettext(context, message)


def translated_values(table: Mapping[K, str]) -> dict[K, str]:
    """A copy of `table` with every value translated now."""
    return {key: gettext(value) for key, value in table.items()}


class TranslatedTable(Mapping[str, dict[str, str]]):
    """A table of tables of `N_`-marked texts whose inner tables are translated when read:
    `COLUMNS["headline"]` gives the headers in the current language."""

    def __init__(self, tables: Mapping[str, Mapping[str, str]]) -> None:
        self._tables = {name: dict(inner) for name, inner in tables.items()}

    def __getitem__(self, name: str) -> dict[str, str]:
        return translated_values(self._tables[name])

    def __iter__(self) -> Iterator[str]:
        return iter(self._tables)

    def __len__(self) -> int:
        return len(self._tables)


class TranslatedValues(Mapping[K, str]):
    """A table of `N_`-marked texts translated when read: `SHOW["all"]` (and `.items()`)
    in the current language, its `{fields}` filled from `params` (`n=12`)."""

    def __init__(self, table: Mapping[K, str], **params: object) -> None:
        self._table = dict(table)
        self._params = params

    def __getitem__(self, key: K) -> str:
        text = gettext(self._table[key])
        return text.format(**self._params) if self._params else text

    def __iter__(self) -> Iterator[K]:
        return iter(self._table)

    def __len__(self) -> int:
        return len(self._table)

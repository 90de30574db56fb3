"""Collaborative content in the reader's language: a text from the YAML definition may be one
string (the source language) or a mapping of translations, `name: {en: …, fr: …}`.

`localized(value)` picks the current language's text, else the source language's (`en`),
else the first one given; a plain string is returned as it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from workbench.i18n.language import SOURCE_LANGUAGE, current_language

__all__ = ["localized", "localized_records"]


def localized(value: Any, language: str | None = None) -> Any:
    """The text of `value` in `language` (default: the current one), falling back to English,
    then to the first translation; anything but a mapping is returned unchanged."""
    if not isinstance(value, Mapping):
        return value
    lang = language or current_language()
    for key in (lang, lang.split("_")[0], SOURCE_LANGUAGE):
        text = value.get(key)
        if text not in (None, ""):
            return text
    return next((v for v in value.values() if v not in (None, "")), "")


def localized_records(records: Iterable[Mapping[str, Any]], translations: Mapping[str, Any],
                      key: str, fields: Iterable[str], language: str | None = None
                      ) -> list[dict[str, Any]]:
    """`records` with `fields` replaced by their translation in `translations[record[key]]`
    (`{"AMTSL": {"name": {"fr": …}}}`) when there is one for `language`."""
    lang = language or current_language()
    fields = tuple(fields)
    out = []
    for record in records:
        row = dict(record)
        mine = translations.get(str(row.get(key)), {}) if lang != SOURCE_LANGUAGE else {}
        for name in fields:
            options = mine.get(name)
            if isinstance(options, Mapping) and options.get(lang):
                row[name] = options[lang]
        out.append(row)
    return out

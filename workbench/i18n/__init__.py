"""Languages: translated messages (gettext catalogues made with Babel), the reader's locale
formats, and the current language in one place.

- `set_language` / `use_language` / `current_language` / `resolve_language` — the language
  of this context (a contextvar set by the CLI, the apps and the report notebooks);
- `gettext` (imported as `_`), `ngettext`, `N_`, `TranslatedTable` — messages;
- `format_month`, `format_percent`, `format_count`, `format_number`, `format_date` — Babel
  locale formats (`oct. 2026`, `87,3 %`, `1 234` in French), and `finite_number`, the one
  test of "is there a number to show";
- `localized` — collaborative content with translations (`name: {en: …, fr: …}`).

This package imports nothing from `workbench` but `workbench.errors`, so every layer may use
it.
"""

from workbench.errors import install_translator
from workbench.i18n.catalog import (
    N_,
    TranslatedTable,
    gettext,
    ngettext,
    pgettext,
    translated_values,
    translations,
)
from workbench.i18n.content import localized, localized_records
from workbench.i18n.formats import (
    finite_number,
    format_count,
    format_date,
    format_datetime,
    format_month,
    format_month_long,
    format_number,
    format_percent,
    locale_of,
)
from workbench.i18n.language import (
    DOMAIN,
    LANGUAGE_ENV,
    SOURCE_LANGUAGE,
    available_languages,
    current_language,
    locale_dir,
    normalize_language,
    resolve_language,
    set_language,
    use_language,
)

_ = gettext
install_translator(gettext)  # domain errors read in the current language too

__all__ = [
    "DOMAIN",
    "LANGUAGE_ENV",
    "N_",
    "SOURCE_LANGUAGE",
    "TranslatedTable",
    "available_languages",
    "current_language",
    "finite_number",
    "format_count",
    "format_date",
    "format_datetime",
    "format_month",
    "format_month_long",
    "format_number",
    "format_percent",
    "gettext",
    "locale_dir",
    "locale_of",
    "localized",
    "localized_records",
    "ngettext",
    "normalize_language",
    "pgettext",
    "resolve_language",
    "set_language",
    "translated_values",
    "translations",
    "use_language",
]

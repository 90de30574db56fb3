"""The reader's language: decided once per entry point, read everywhere through a contextvar.

The entry points — a CLI command, a Voilà app's request, a report notebook's first cell — call
`set_language` (or `use_language` for a block); everything below them (`gettext`, the locale
formats, the collaborative content) asks `current_language()`. Which language an entry point
sets is decided by `resolve_language`, in this order:

1. what the user asked for (`--lang fr`, `?lang=fr`, a notebook's `lang` parameter);
2. `$WORKBENCH_LANG`;
3. the collaborative's default (`settings: {language: fr}` in its YAML definition);
4. English, the source language.

A language is available when a catalogue `locale/<lang>/LC_MESSAGES/workbench.mo` ships with
the package (English needs none); a third language is added by dropping one in (README).
"""

from __future__ import annotations

import contextvars
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from workbench.errors import N_, ConfigError

__all__ = [
    "DOMAIN",
    "LANGUAGE_ENV",
    "SOURCE_LANGUAGE",
    "available_languages",
    "current_language",
    "locale_dir",
    "normalize_language",
    "resolve_language",
    "set_language",
    "use_language",
]

#: The language the code's strings are written in.
SOURCE_LANGUAGE = "en"
#: The environment variable that chooses the language when the user did not.
LANGUAGE_ENV = "WORKBENCH_LANG"
#: The gettext domain: `locale/<lang>/LC_MESSAGES/workbench.mo`.
DOMAIN = "workbench"

_CODE = re.compile(r"^[a-z]{2,3}(_[A-Z]{2})?$")
_LANGUAGE: contextvars.ContextVar[str | None] = contextvars.ContextVar("workbench_language",
                                                                        default=None)
#: The language of this process when the current context set none (a kernel's comm callbacks
#: and a worker thread start with an empty context; `set_language` records it here too).
_process_language: str = SOURCE_LANGUAGE


def locale_dir() -> Path:
    """The folder of the catalogues (`<lang>/LC_MESSAGES/workbench.po` and `.mo`)."""
    return Path(__file__).resolve().parent / "locale"


@cache
def available_languages() -> tuple[str, ...]:
    """English, then every language with a compiled catalogue, sorted."""
    found = sorted(p.parent.parent.name for p in locale_dir().glob(f"*/LC_MESSAGES/{DOMAIN}.mo"))
    return (SOURCE_LANGUAGE, *(lang for lang in found if lang != SOURCE_LANGUAGE))


def normalize_language(value: str) -> str:
    """`fr`, `FR`, `fr-FR`, `fr_FR.UTF-8` → `fr` when `fr` is available; raises `ConfigError`
    naming the available languages otherwise."""
    text = value.strip().split(".")[0].replace("-", "_")
    parts = text.split("_")
    candidates = [text[:2].lower() + text[2:].upper() if len(parts) == 2 else text.lower(),
                  parts[0].lower()]
    for candidate in candidates:
        if _CODE.match(candidate) and candidate in available_languages():
            return candidate
    raise ConfigError(N_("unknown language {value!r}; available: {values}. A new language needs "
                         "a catalogue in workbench/i18n/locale/<lang>/LC_MESSAGES/ (see README)."),
                      params={"value": value, "values": ', '.join(available_languages())})


def resolve_language(requested: str | None = None,
                     default: str | Callable[[], str | None] | None = None) -> str:
    """The language to use — the one place that decides it, for every command, report and
    app: `requested` (`--lang`, `?lang=`), else `$WORKBENCH_LANG`, else the collaborative's
    `default` (`settings.language`; a function is called only when it is needed, so a
    command reads its database only when neither of the first two is given), else English.
    Each non-empty one must be available (`ConfigError` otherwise)."""
    for value in (requested, os.environ.get(LANGUAGE_ENV)):
        if value and value.strip():
            return normalize_language(value)
    chosen = default() if callable(default) else default
    if chosen and chosen.strip():
        return normalize_language(chosen)
    return SOURCE_LANGUAGE


def current_language() -> str:
    """The language set for this context, else for this process, else English."""
    return _LANGUAGE.get() or _process_language


def set_language(language: str | None) -> str:
    """Make `language` (checked; None or '' = `resolve_language()`) the language of this
    context and of this process; returns it."""
    global _process_language
    chosen = normalize_language(language) if language else resolve_language()
    _LANGUAGE.set(chosen)
    _process_language = chosen
    return chosen


@contextmanager
def use_language(language: str | None) -> Iterator[str]:
    """`with use_language("fr"):` — the block (this context only) speaks `language`."""
    chosen = normalize_language(language) if language else current_language()
    token = _LANGUAGE.set(chosen)
    try:
        yield chosen
    finally:
        _LANGUAGE.reset(token)

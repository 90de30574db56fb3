"""Domain errors. At the CLI boundary every `WorkbenchError` becomes `Error: …` and exit 1.

A message is a template marked for translation and its values kept apart:

    raise StoreError(N_("no workbench database at {path}. Create one with …"),
                     params={"path": path})

It reads in the language of whoever shows it (`str(exc)` looks the template up in the
catalogue of `workbench.i18n.current_language()` and fills in the values, which are never
translated). A message given as plain text (no `params`) is still looked up, and reads as
given when the catalogue lacks it. `workbench.i18n` sits above this module (it raises
`ConfigError`), so it installs its `gettext` here when it is imported (`install_translator`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

__all__ = [
    "WorkbenchError",
    "ConfigError",
    "StoreError",
    "ConflictError",
    "NotFoundError",
    "SPCInputError",
    "IngestError",
    "ValidationFailed",
    "PermissionDenied",
    "Message",
    "N_",
    "install_translator",
    "render_message",
]

#: How a template is translated (`workbench.i18n.gettext` once that package is imported).
_translate: Callable[[str], str] = str


def N_(message: str) -> str:
    """Marks `message` for extraction without translating it now (read it with `gettext`;
    `workbench.i18n.N_` is this one, here so that the layers below `workbench.i18n` — the SPC
    engine, the exports — mark their templates too)."""
    return message


def install_translator(translate: Callable[[str], str]) -> None:
    """Make `translate` the lookup of every message template (called by `workbench.i18n`)."""
    global _translate
    _translate = translate



def render_message(template: str, params: Mapping[str, Any] | None = None) -> str:
    """`template` in the current language with `params` filled in (`str.format` fields);
    the English template when a translation's fields do not match (a catalogue's slip never
    hides an error)."""
    translated = _translate(template)
    if params is None:
        return translated
    try:
        return translated.format(**params)
    except (KeyError, IndexError, ValueError):
        return template.format(**params)


class Message:
    """A message that is a part of another one (`params={"advice": Message(N_("…"))}`): it
    reads in the language of whoever shows the whole."""

    def __init__(self, template: str, params: Mapping[str, Any] | None = None) -> None:
        self.template, self.params = template, dict(params) if params is not None else None

    def __str__(self) -> str:
        return render_message(self.template, self.params)

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


class WorkbenchError(Exception):
    """Base class for errors the user can act on. The message says what to do next.

    `message` is a template (marked `N_`) whose `{fields}` are filled from `params` when
    shown; the other keyword arguments are structured fields (`file`, `row`, `column`,
    `failure_cases` …) set as attributes."""

    def __init__(self, message: str, /, *, params: Mapping[str, Any] | None = None,
                 **fields: Any) -> None:
        super().__init__(message)
        self.template = message
        self.params = dict(params) if params is not None else None
        self.fields = fields
        for key, value in fields.items():
            setattr(self, key, value)

    @property
    def message(self) -> str:
        """The message in the current language."""
        return render_message(self.template, self.params)

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:  # a worker process sends it back whole
        return (_rebuild, (type(self), self.template, self.params, self.fields))


def _rebuild(cls: type[WorkbenchError], template: str, params: Mapping[str, Any] | None,
             fields: dict[str, Any]) -> WorkbenchError:
    error = cls.__new__(cls)
    WorkbenchError.__init__(error, template, params=params, **fields)
    return error


class ConfigError(WorkbenchError):
    """A collaborative definition (YAML) is malformed; carries `file`, `key`, `line`."""


class StoreError(WorkbenchError):
    """The database cannot be opened or is not a workbench database."""


class NotFoundError(WorkbenchError):
    """A team, indicator, flag or other record does not exist."""


class ConflictError(WorkbenchError):
    """Someone else changed the record after it was read; nothing was written."""


class SPCInputError(WorkbenchError):
    """Input to a chart is unusable; carries `row` and `column` where known."""


class IngestError(WorkbenchError):
    """An import file is unusable; carries `failure_cases` (one row per problem)."""


class ValidationFailed(WorkbenchError):
    """A form or record failed validation; carries `failure_cases`."""


class PermissionDenied(WorkbenchError):
    """The acting user's roles or teams do not allow this write; the message says who may."""

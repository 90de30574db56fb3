"""Domain errors. At the CLI boundary every `WorkbenchError` becomes `Error: …` and exit 1."""

from __future__ import annotations

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
]


class WorkbenchError(Exception):
    """Base class for errors the user can act on. The message says what to do next."""

    def __init__(self, message: str, **fields: Any) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields
        for key, value in fields.items():
            setattr(self, key, value)

    def __str__(self) -> str:
        return self.message


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

"""Coaching workbench for health-care improvement collaboratives.

The library holds the behaviour; notebooks, Voilà apps, widgets and the CLI are thin faces:

- `workbench.model`   — the vocabulary every layer uses: period, count, value formats,
  settings, the failure record, and the value policy
- `workbench.store`   — the collaborative database (SQLAlchemy Core; SQLite or PostgreSQL)
- `workbench.ingest.collaborative`  — the collaborative definition (YAML) and `init`
- `workbench.demo`    — the embedded demo collaborative
- `workbench.spc`     — run and control charts (qicharts2 semantics), vectorised over teams
- `workbench.rollup`  — collaborative roll-ups
"""

from workbench.errors import (
    ConfigError,
    ConflictError,
    IngestError,
    NotFoundError,
    SPCInputError,
    StoreError,
    ValidationFailed,
    WorkbenchError,
)

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "WorkbenchError",
    "ConfigError",
    "ConflictError",
    "IngestError",
    "NotFoundError",
    "SPCInputError",
    "StoreError",
    "ValidationFailed",
]


def load_ipython_extension(ipython):  # type: ignore[no-untyped-def]
    """`%load_ext workbench` — the notebook extension (see workbench.notebook.extension)."""
    from workbench.notebook.extension import load_ipython_extension as _load

    _load(ipython)


def unload_ipython_extension(ipython):  # type: ignore[no-untyped-def]
    """`%unload_ext workbench` — forget the magic and the connection."""
    from workbench.notebook.extension import unload_ipython_extension as _unload

    _unload(ipython)

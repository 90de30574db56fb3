"""Coaching workbench for health-care improvement collaboratives.

The library holds the behaviour; notebooks, Voilà apps, widgets and the CLI are thin faces:

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



def _version() -> str:
    """The version in the package metadata (pyproject.toml's `version`, the one source); in a
    source checkout that was never installed, read from pyproject.toml itself."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("coaching-workbench")
    except PackageNotFoundError:
        import tomllib
        from pathlib import Path

        pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
        try:
            return str(tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["version"])
        except (OSError, KeyError, tomllib.TOMLDecodeError):
            return "0+unknown"


__version__ = _version()

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

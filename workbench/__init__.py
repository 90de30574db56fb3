"""Coaching workbench for health-care improvement collaboratives.

The library holds the behaviour; notebooks, Voilà apps, widgets and the CLI are thin faces.
One package per layer; a module imports only from layers below its own, never from a
sibling across `|` (`lint-imports` checks this map, `[tool.importlinter]` in pyproject.toml)::

    cli                     the `workbench` command (click), the demo's main job
    apps | reports          Voilà apps (base, forms, builders, learning_session, serve);
                            batch reports (papermill, kernel pool, HTML export, fingerprints)
    notebook | demo         the IPython extension, reprs, the team card, HTML fragments;
                            the demo collaborative's generator (its synthesis meeting
                            records package v2 with the briefs' synthesis pack)
    briefs                  the notebooks' view-models (team report, site-visit brief, summary)
    charts                  bokeh figures
    records                 form-backed records (monthly data, PDSA, visits, assessments)
    validate                data-quality rules, flags, verification
    ingest                  imports (CSV, xlsx, DHIS2, Kobo), the collaborative definition
    learning                what worked (pure)
    rollup                  collaborative roll-ups (pure)
    spc                     run and control charts (pure, qicharts2 semantics)
    store                   the database (SQLAlchemy Core; SQLite or PostgreSQL): every
                            query on the schema, data versions (`store.versions`)
    errors | paths | model  the vocabulary every layer shares (`model`: period, count,
                            value formats, settings, failure record, value policy)

Analytics (`spc`, `rollup`) never import the store, charts, HTML or widgets. `widgets/`
(imported as `workbench.widgets`) sits beside apps and notebook: forms over `records` and
`validate`.
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

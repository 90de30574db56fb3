"""Where the shipped notebooks, templates and Voilà apps are, installed or in a checkout."""

from __future__ import annotations

from pathlib import Path

__all__ = ["package_dir", "notebooks_dir", "templates_dir", "voila_apps_dir"]

_HERE = Path(__file__).resolve().parent


def package_dir(name: str) -> Path:
    """`notebooks`, `templates` or `voila_apps`: inside the installed package (wheel), else
    beside the `workbench/` folder (a checkout or an editable install)."""
    for candidate in (_HERE / name, _HERE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"the workbench's {name}/ folder is missing; reinstall the package")


def notebooks_dir() -> Path:
    return package_dir("notebooks")


def templates_dir() -> Path:
    return package_dir("templates")


def voila_apps_dir() -> Path:
    return package_dir("voila_apps")

"""The wheel carries the notebooks, templates, Voilà apps and widgets, and nothing top-level
but `workbench`, so an installed `workbench` works from any directory."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: what the build reads; copied so the build leaves no build/ or egg-info in the shared tree
SOURCES = ["pyproject.toml", "README.md", "workbench", "widgets", "notebooks", "templates",
           "voila_apps"]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if importlib.util.find_spec("setuptools") is None or importlib.util.find_spec(
            "wheel") is None:
        pytest.skip("the build backend (setuptools, wheel) is not installed in this venv")
    src = tmp_path_factory.mktemp("src")
    ignore = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints", "*.pyc", "*.db*")
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=ignore)
        elif path.exists():
            shutil.copy(path, src / name)
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "--wheel-dir", str(out), str(src)],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    (built,) = out.glob("coaching_workbench-*.whl")
    return built


@pytest.fixture(scope="module")
def wheel_names(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        return archive.namelist()


def _source_files(folder: str, *patterns: str) -> list[str]:
    base = ROOT / folder
    return sorted({str(p.relative_to(base)) for pattern in patterns for p in base.rglob(pattern)
                   if ".ipynb_checkpoints" not in p.parts and "__pycache__" not in p.parts})


@pytest.mark.parametrize(("folder", "patterns"), [
    ("notebooks", ("*.ipynb",)),
    ("voila_apps", ("*.ipynb", "*.json")),
    ("widgets", ("*.py",)),
    ("templates", ("*.yaml", "*.j2", "*.json", "*.css")),
])
def test_the_wheel_carries_every_shipped_folder_under_workbench(
    wheel_names: list[str], folder: str, patterns: tuple[str, ...]
) -> None:
    expected = _source_files(folder, *patterns)
    assert expected, f"{folder}/ has no {patterns} files to ship"
    missing = [f for f in expected if f"workbench/{folder}/{f}" not in wheel_names]
    assert missing == []


def test_the_wheel_carries_every_translation_catalogue(wheel_names: list[str]) -> None:
    locale = ROOT / "workbench" / "i18n" / "locale"
    catalogues = sorted(str(p.relative_to(ROOT)) for p in locale.rglob("*.[mp]o"))
    assert "workbench/i18n/locale/fr/LC_MESSAGES/workbench.mo" in catalogues
    assert [c for c in catalogues if c not in wheel_names] == []


def test_every_module_of_the_library_is_in_the_wheel(wheel_names: list[str]) -> None:
    modules = _source_files("workbench", "*.py")
    missing = [m for m in modules if f"workbench/{m}" not in wheel_names]
    assert missing == [], "add the sub-package to [tool.setuptools] packages in pyproject.toml"
    assert "workbench/py.typed" in wheel_names
    assert "workbench/templates/collaborative.yaml" in wheel_names


def test_nothing_but_workbench_is_installed_at_the_top_level(wheel_names: list[str]) -> None:
    top = {name.split("/")[0] for name in wheel_names}
    assert {t for t in top if not t.endswith(".dist-info")} == {"workbench"}


def test_the_wheel_declares_the_workbench_command(wheel: Path, wheel_names: list[str]) -> None:
    (entry_points,) = [n for n in wheel_names if n.endswith(".dist-info/entry_points.txt")]
    with zipfile.ZipFile(wheel) as archive:
        text = archive.read(entry_points).decode()
    assert "workbench = workbench.cli:main" in text

"""Versions: the workbench's own comes from one place (pyproject.toml, through the package
metadata), and the installed bokeh is one whose internals `workbench.charts.embed` mirrors."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import tomllib
from pathlib import Path

from click.testing import CliRunner
from packaging.requirements import Requirement

import workbench
from workbench.cli import main

ROOT = Path(__file__).resolve().parents[2]


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def requirement(name: str) -> Requirement:
    found = [Requirement(r) for r in pyproject()["project"]["dependencies"]]
    return next(r for r in found if r.name == name)


def test_installed_bokeh_is_within_the_versions_charts_embed_mirrors():
    pin = requirement("bokeh")
    installed = importlib.metadata.version("bokeh")
    assert pin.specifier, "pyproject.toml must pin bokeh to a range (charts/embed.py)"
    assert pin.specifier.contains(installed), (
        f"bokeh {installed} is installed, but workbench/charts/embed.py (and charts/payload.py) "
        f"mirror the internals of bokeh{pin.specifier}. Install a bokeh in that range "
        f"(pip install 'bokeh{pin.specifier}'), or check embed.py against bokeh {installed} "
        "(tests/charts/test_charts.py) and then move the pin in pyproject.toml.")


def test_the_bokeh_pin_admits_one_minor_series_only():
    pin = requirement("bokeh").specifier
    upper = [s for s in pin if s.operator == "<"]
    lower = [s for s in pin if s.operator == ">="]
    assert len(upper) == 1 and len(lower) == 1, f"bokeh{pin}: give >=X.Y,<X.(Y+1)"
    low, high = (tuple(int(p) for p in s.version.split(".")[:2]) for s in (lower[0], upper[0]))
    assert high == (low[0], low[1] + 1), f"bokeh{pin} spans more than one minor series"


def test_the_version_is_pyprojects_read_through_the_package_metadata():
    declared = pyproject()["project"]["version"]
    assert importlib.metadata.version("coaching-workbench") == declared, (
        "the installed metadata is stale: reinstall (make venv) after changing the version")
    assert workbench.__version__ == declared


def test_a_source_checkout_without_metadata_still_knows_its_version(tmp_path):
    """Run from the source folder with the installed distribution hidden."""
    code = ("import importlib.metadata as m, sys\n"
            "real = m.version\n"
            "def version(name):\n"
            "    if name == 'coaching-workbench':\n"
            "        raise m.PackageNotFoundError(name)\n"
            "    return real(name)\n"
            "m.version = version\n"
            f"sys.path.insert(0, {str(ROOT)!r})\n"
            "import workbench\n"
            "print(workbench.__version__)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=tmp_path, timeout=60, check=True)
    assert out.stdout.strip() == pyproject()["project"]["version"]


def test_the_cli_says_the_same_version():
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output.split()[-1] == workbench.__version__

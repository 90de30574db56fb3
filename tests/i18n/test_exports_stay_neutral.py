"""CSV, JSON and DHIS2 exports are for machines: the same bytes in every language."""

from __future__ import annotations

import ast
from pathlib import Path

from click.testing import CliRunner

import workbench.ingest.export
from workbench import i18n
from workbench.cli import main


def _export(db: str, fmt: str, out: Path) -> bytes:
    result = CliRunner().invoke(main, ["export", "measurements", "--db", db, "--format", fmt,
                                       "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out.read_bytes()


def test_a_csv_export_is_the_same_in_french_as_in_english(demo_db: str, tmp_path: Path) -> None:
    english = _export(demo_db, "csv", tmp_path / "en.csv")
    with i18n.use_language("fr"):
        french = _export(demo_db, "csv", tmp_path / "fr.csv")
    assert french == english
    assert b"\nT01,AMTSL,2024-11,58,202," in english


def test_json_output_is_the_same_in_french_as_in_english(demo_db: str) -> None:
    command = ["summary", "--db", demo_db, "--period", "2026-10", "--json"]
    english = CliRunner().invoke(main, command)
    with i18n.use_language("fr"):
        french = CliRunner().invoke(main, command)
    assert english.exit_code == french.exit_code == 0, english.output
    assert french.output == english.output
    assert "0." in english.output and ",3 %" not in french.output


def test_the_export_module_never_calls_the_locale_formats() -> None:
    tree = ast.parse(Path(workbench.ingest.export.__file__).read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
             for alias in node.names}
    assert "workbench.i18n" not in imported and "i18n" not in names
    assert not names & {"format_count", "format_pair", "format_percent", "format_value"}

"""`workbench snapshot`: a learning-session view as one offline HTML file, or a clear error."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from workbench.cli import main

pytestmark = pytest.mark.slow


def _run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, ["snapshot", *args])


def test_help_says_what_the_page_is_with_an_example() -> None:
    result = _run("--help")
    assert result.exit_code == 0
    assert "opens offline" in result.output
    assert "Example: workbench snapshot --db workbench.db --indicator AMTSL" in result.output
    for option in ("--indicator", "--district", "--wave", "--month", "--as-of", "--lang",
                   "--out"):
        assert option in result.output


def test_the_view_asked_is_written_with_its_filters_and_as_of_date_in_the_title(
        demo_db_master: Path, tmp_path: Path) -> None:
    out = tmp_path / "session.html"
    result = _run("--db", str(demo_db_master), "--indicator", "PPH", "--district", "Kisoro",
                  "--wave", "W2", "--month", "2025-09", "--as-of", "2025-10-15",
                  "--out", str(out))
    assert result.exit_code == 0, result.output
    assert re.fullmatch(rf"Wrote {re.escape(str(out))} \(\d\.\d MB\): opens offline, no kernel "
                        r"needed\.\n", result.output)
    page = out.read_text(encoding="utf-8")
    assert ("<title>Learning session — PPH · Kisoro · W2 · Sep 2025 · as of 2025-10-15</title>"
            in page)
    assert "Reporting month: picked." in page
    rows = re.findall(r'<tr data-team="[^"]+" data-code="([^"]+)" data-signal="[^"]+">', page)
    assert rows == ["T14", "T15", "T16"]  # Kisoro, wave 2


def test_the_page_is_in_the_language_asked(demo_db_master: Path, tmp_path: Path) -> None:
    out = tmp_path / "fr.html"
    result = _run("--db", str(demo_db_master), "--lang", "fr", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert '<html lang="fr">' in out.read_text(encoding="utf-8")


@pytest.mark.parametrize(("args", "message"), [
    (["--district", "Nowhere"], "Error: district 'Nowhere' is not in the collaborative; choose "
                                "one of: Kabale, Kanungu, Kisoro, Rukungiri (or leave "
                                "--district out)."),
    (["--indicator", "XYZ"], "Error: indicator 'XYZ' is not in the collaborative; choose one "
                             "of: AMTSL, ASPHYXIA, NEWBORN_CARE, OXY_STOCK, PARTOGRAPH, PPH (or "
                             "leave --indicator out)."),
    (["--month", "2019-01"], "Error: no team reported in 2019-01: the months with data run from "
                             "2024-11 to 2026-10; choose a month in that range or leave --month "
                             "out."),
])
def test_a_view_that_does_not_exist_is_one_error_line_and_writes_nothing(
        demo_db_master: Path, tmp_path: Path, args: list[str], message: str) -> None:
    out = tmp_path / "s.html"
    result = _run("--db", str(demo_db_master), *args, "--out", str(out))
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == message
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_an_out_folder_that_does_not_exist_is_refused_before_any_work(
        demo_db_master: Path, tmp_path: Path) -> None:
    result = _run("--db", str(demo_db_master), "--out", str(tmp_path / "no" / "s.html"))
    assert result.exit_code == 2
    assert "does not exist; create it first" in result.output

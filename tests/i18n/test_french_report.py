"""A team report written in French, end to end: `workbench report --lang fr` on the demo,
run by real papermill, exported by the report template, read back as text."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from workbench.charts.embed import compressed_docs
from workbench.cli import main
from workbench.store import add_revisions, open_engine
from workbench.validate.run import run_validation

NNBSP, NBSP = "\u202f", "\u00a0"


def _text(page: str) -> str:
    """The words of an HTML page (scripts and styles left out), spaces folded."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"[ \t\r\n]+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


@pytest.fixture(scope="module")
def french_report(demo_db_master: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """T01's October 2026 report in French, with a flagged month of 1234 births recorded."""
    folder = tmp_path_factory.mktemp("french")
    db = folder / "demo.db"
    db.write_bytes(demo_db_master.read_bytes())
    engine = open_engine(str(db))
    with engine.begin() as conn:
        add_revisions(conn, [{"team_id": "T01", "indicator_id": "PPH", "period": "2026-09",
                              "numerator": 1234, "denominator": 1000}],
                      source="form", author="test", reason="a typing slip to flag")
    run_validation(engine, rules=["numerator-exceeds-denominator"])
    result = CliRunner().invoke(main, ["report", "--db", str(db), "--period", "2026-10",
                                       "--teams", "T01", "--lang", "fr", "--engine",
                                       "papermill", "--workers", "1", "--no-progress",
                                       "--out", str(folder / "reports")])
    assert result.exit_code == 0, result.output
    # the command says what it did in the reports' language too
    assert "1 écrits, 0 inchangés (sautés), 0 en échec en " in result.output
    assert "Index : " in result.output
    return (folder / "reports" / "2026-10" / "T01.html").read_text(encoding="utf-8")


@pytest.mark.slow
def test_a_french_report_declares_its_language(french_report: str) -> None:
    assert re.search(r'<html lang="fr"', french_report)


@pytest.mark.slow
def test_a_french_report_has_french_headings_and_cover(french_report: str) -> None:
    text = _text(french_report)
    for heading in ("Rapport mensuel de coaching", "Période octobre 2026",
                    "T01 Kabale Regional Referral Hospital : rapport mensuel, oct. 2026",
                    "En bref : chaque indicateur ce mois-ci", "Graphiques",
                    "Cycles PDSA en cours", "Alertes de données ouvertes",
                    "Dernière visite de coaching", "Score d'évaluation"):
        assert heading in text
    for english in ("Headline", "monthly report for", "Open data flags", "Change vs"):
        assert english not in text


@pytest.mark.slow
def test_a_french_report_writes_months_percentages_and_counts_the_french_way(
        french_report: str) -> None:
    text = _text(french_report)
    # T01's AMTSL in October 2026: 85.3 % in the demo (seed 20240101), target 90 %
    assert f"Naissances avec GATPA 85,3{NBSP}% 90,0{NBSP}% non" in text  # the French name
    assert f"1{NNBSP}234 / 1{NNBSP}000" in text  # the flagged month's reported counts
    # the flagged month, the last visit (T01 graduated in April 2026: no visit since) and the
    # recounted month
    assert "sept. 2026" in text and "12 avr. 2026" in text and "mars 2026" in text
    assert "85.3%" not in text


@pytest.mark.slow
def test_french_charts_carry_french_legends_and_axis_months(french_report: str) -> None:
    # the charts' texts sit in bokeh's JSON, gzipped and base64-encoded inside each script
    charts = json.dumps(compressed_docs(french_report), ensure_ascii=False)
    assert charts != "[]", "the report carries no chart document"
    for words in ("Valeur mensuelle", "Limites de contrôle (plage attendue)",
                  "Numérateur / dénominateur", "par mois", "plus haut est mieux", "janv."):
        assert words in charts
    assert "Monthly value" not in charts

"""Collaborative content in several languages: `name: {en: …, fr: …}` in the YAML definition,
read back in the reader's language, the English text where no translation is given; the
collaborative's default language; the demo built in French."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from workbench import i18n
from workbench.cli import main
from workbench.errors import ConfigError
from workbench.ingest.collaborative import (
    collaborative_language,
    init_collaborative,
    load_collaborative,
)
from workbench.store import read_change_ideas, read_indicators

YAML = """\
collaborative:
  name: "AMTSL collaborative"
  start_period: "2024-01"
settings:
  language: fr
indicators:
  - code: AMTSL
    name: {en: "Births receiving AMTSL", fr: "Naissances avec GATPA"}
    numerator: {en: "Births with AMTSL", fr: "Naissances avec GATPA complète"}
    denominator: "Vaginal births"
    target: 0.9
  - code: PPH
    name: "Postpartum haemorrhage"
    direction: decrease
waves:
  - code: W1
    start_period: "2024-01"
teams:
  - code: T01
    name: "Kabale District Hospital"
    wave: W1
change_package:
  - code: C01
    name: {en: "Oxytocin drawn up before the birth", fr: "Ocytocine préparée avant la naissance"}
    indicators: [AMTSL]
"""


@pytest.fixture
def bilingual_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.delenv(i18n.LANGUAGE_ENV, raising=False)
    config = tmp_path / "collaborative.yaml"
    config.write_text(YAML, encoding="utf-8")
    db = str(tmp_path / "bilingual.db")
    init_collaborative(db, config)
    return db


def test_translated_names_are_read_in_the_readers_language(bilingual_db: str) -> None:
    from workbench.store import open_engine

    engine = open_engine(bilingual_db)
    english = read_indicators(engine).set_index("indicator_id")
    assert english.at["AMTSL", "name"] == "Births receiving AMTSL"
    with i18n.use_language("fr"):
        french = read_indicators(engine).set_index("indicator_id")
        ideas = read_change_ideas(engine).set_index("change_id")
    assert french.at["AMTSL", "name"] == "Naissances avec GATPA"
    assert french.at["AMTSL", "numerator_definition"] == "Naissances avec GATPA complète"
    assert french.at["AMTSL", "denominator_definition"] == "Vaginal births"  # not translated
    assert french.at["PPH", "name"] == "Postpartum haemorrhage"  # falls back to English
    assert ideas.at["C01", "name"] == "Ocytocine préparée avant la naissance"
    assert list(french.columns) == list(english.columns)


def test_the_collaborative_default_language_comes_after_the_request_and_the_environment(
        bilingual_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from workbench.store import open_engine

    engine = open_engine(bilingual_db)
    assert collaborative_language(engine) == "fr"
    assert collaborative_language(engine, "en") == "en"
    monkeypatch.setenv(i18n.LANGUAGE_ENV, "en")
    assert collaborative_language(engine) == "en"


def test_an_unknown_language_in_the_yaml_names_file_line_and_key(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(YAML.replace("fr: \"Naissances avec GATPA\"", "xx: \"?\""),
                      encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_collaborative(config)
    assert re.match(rf"{re.escape(str(config))}, line 8, indicators\[0\]\.name\.xx: unknown "
                    r"language 'xx'; available: en, fr\.", str(err.value))


@pytest.mark.slow
def test_the_demo_in_french_writes_french_reports(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(i18n.LANGUAGE_ENV, raising=False)
    db = tmp_path / "demo.db"
    result = CliRunner().invoke(main, ["demo", "--lang", "fr", "--no-serve", "--db", str(db)])
    assert result.exit_code == 0, result.output
    folder = tmp_path / "reports" / "2026-10"
    team = (folder / "T01.html").read_text(encoding="utf-8")
    summary = (folder / "collaborative-summary.html").read_text(encoding="utf-8")
    index = (folder / "index.html").read_text(encoding="utf-8")
    assert '<html lang="fr"' in team and '<html lang="fr"' in summary
    assert "Naissances avec GATPA" in team and "rapport mensuel, oct. 2026" in team
    assert "85,3\u00a0%" in team  # T01's AMTSL in October 2026 (seed 20240101)
    assert "Synthèse de la collaboration : oct. 2026" in summary
    assert "Ocytocine préparée avant la naissance" in (folder / "T02.html").read_text(
        encoding="utf-8") or "Naissances avec GATPA" in summary
    assert "Rapports : octobre 2026" in index and "Synthèse de la collaboration" in index

"""The synthesis-meeting pack in French: the evidence grades and their words, the effect
intervals in French number formats, the table headers and the pack's title; and
`workbench report --notebook synthesis --lang fr` writes the whole pack in French, run by real
papermill. The frames keep the English grade keys (`workbench practices --json` does too)."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from workbench import briefs
from workbench.cli import main
from workbench.i18n import use_language
from workbench.store import open_engine

NBSP = "\u00a0"
#: a signed French decimal: +26,9 / -0,0
FR_POINTS = r"[+-]\d+,\d"


def _text(page: str) -> str:
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"[ \t\r\n]+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


@pytest.fixture(scope="module")
def packs(demo_db_master: Path) -> tuple[briefs.SynthesisPack, briefs.SynthesisPack]:
    engine = open_engine(str(demo_db_master))
    english = briefs.synthesis_data(engine, "2026-10", "")
    with use_language("fr"):
        french = briefs.synthesis_data(engine, "2026-10", "")
    return english, french


def test_the_grades_keep_their_keys_and_their_words_are_french(packs) -> None:  # type: ignore[no-untyped-def]
    english, french = packs
    assert french.practices["grade"].tolist() == english.practices["grade"].tolist()
    strong = french.practices[french.practices["grade"] == "strong"].iloc[0]
    assert re.fullmatch(
        rf"fort : \d+ équipes adoptantes sur \d+ ont changé de niveau, \d+ non-adoptantes sur "
        rf"\d+ sur les mêmes mois ; {FR_POINTS} pts par rapport aux non-adoptantes \(intervalle "
        rf"à 95{NBSP}% de {FR_POINTS} à {FR_POINTS}\) ; une association, pas une preuve de "
        "cause", strong["words"]), strong["words"]
    english_strong = english.practices.loc[strong.name, "words"]
    assert english_strong.startswith(f"strong: {strong['teams_shifted']} of "
                                     f"{strong['teams_with_data']} adopting teams shifted")
    effect = f"{strong['effect_pp']:+.1f}".replace(".", ",")
    assert f"{effect} pts par rapport" in strong["words"]


def test_the_pack_tables_speak_french(packs) -> None:  # type: ignore[no-untyped-def]
    _, french = packs
    with use_language("fr"):
        ranked = french.ranked_table()
        headers = briefs.SYNTHESIS_COLUMNS["ranked"]
        title = french.title
        draft = french.draft_table()
    assert title == "Dossier de la réunion de synthèse : ce qui marche, fin oct. 2026"
    assert headers["grade"] == "Niveau de preuve"
    assert headers["effect"] == "Effet (intervalle à 95 pour cent)"
    assert set(ranked["grade"]) <= {"fort", "prometteur", "aucun effet observé", "insuffisant"}
    shown = ranked[ranked["effect"] != "–"]["effect"]
    assert len(shown) and all(re.fullmatch(rf"{FR_POINTS} pts \({FR_POINTS} à {FR_POINTS}\)", e)
                              for e in shown), shown.tolist()
    assert set(draft["action"]) <= {"garder", "ajouter", "retirer"}


@pytest.mark.slow
def test_workbench_report_writes_the_synthesis_pack_in_french(demo_db: str,
                                                             tmp_path: Path) -> None:
    out = tmp_path / "reports"
    result = CliRunner().invoke(main, ["report", "--db", demo_db, "--period", "2026-10",
                                       "--notebook", "synthesis", "--lang", "fr",
                                       "--out", str(out)])
    assert result.exit_code == 0, result.output
    page = (out / "2026-10" / "synthesis.html").read_text(encoding="utf-8")
    assert re.search(r'<html lang="fr"', page)
    text = _text(page)
    for heading in ("Dossier de la réunion de synthèse : ce qui marche, fin oct. 2026",
                    "Niveau de preuve", "Équipes à interroger",
                    "Effet (intervalle à 95 pour cent)"):
        assert heading in text, heading
    assert re.search(r"fort : \d+ équipes adoptantes sur \d+ ont changé de niveau", text)
    assert re.search(rf"{FR_POINTS} pts \({FR_POINTS} à {FR_POINTS}\)", text)
    assert "adopting teams shifted" not in text and "Teams to ask" not in text

"""A French-speaking QI team's journey: the data-entry app asked for in French (`?lang=fr`):
title, tabs, labels, buttons, the indicators' French names, percentages written `73 %`; an
English page opened beside it stays English.

In headless Chromium against `workbench serve` on the demo collaborative (served in English:
the address's `?lang=fr` rebuilds the preheated app in French). No console error at any step.
"""

from __future__ import annotations

import pytest
from journey import step

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_a_team_enters_its_month_in_french(served, page) -> None:
    page.goto(served.url("data_entry", "team=T03&period=2026-10&user=Equipe%20T03&lang=fr"),
              wait_until="commit")
    page.wait_for_selector(".wb-title:has-text('Saisie des données mensuelles')")
    page.wait_for_selector("button:has-text('Enregistrer le mois')")
    step(page, "saisie-en-francais")
    body = page.inner_text("body")
    for words in ("Données mensuelles", "Auto-évaluation", "Enregistré au nom de Equipe T03",
                  "Recharger", "numérateur / dénominateur", "Naissances avec GATPA",
                  "indicateurs saisis sur"):
        assert words in body, words
    for english in ("Monthly data entry", "Save month", "Saving as", "Reload"):
        assert english not in body, english


def test_an_english_page_beside_it_stays_english(served, page) -> None:
    page.goto(served.url("data_entry", "team=T03&period=2026-10"), wait_until="commit")
    page.wait_for_selector(".wb-title:has-text('Monthly data entry')")
    page.wait_for_selector("button:has-text('Save month')")
    step(page, "english-beside")
    assert "Enregistrer" not in page.inner_text("body")

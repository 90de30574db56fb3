"""Flag messages in the reader's language (issue 16): each flag keeps its message's parameters
(`details["args"]`); `flag_message` renders the rule's template in English — exactly the
stored message — or in French with French numbers; a flag stored before (no parameters)
shows its stored English text."""

from __future__ import annotations

import pytest

from workbench.store import read_flags
from workbench.store.engine import as_engine
from workbench.validate.messages import TEMPLATES, flag_message, flag_messages, flag_text
from workbench.validate.rules import RULES
from workbench.validate.run import run_validation


@pytest.fixture(scope="module")
def flags(demo_db_master):  # type: ignore[no-untyped-def]
    import shutil
    import tempfile
    from pathlib import Path

    folder = Path(tempfile.mkdtemp())
    path = folder / "demo.db"
    shutil.copy(demo_db_master, path)
    engine = as_engine(str(path))
    run_validation(engine)
    frame = read_flags(engine)
    engine.dispose()
    return frame


def test_every_rule_has_a_template() -> None:
    assert set(RULES) == set(TEMPLATES)


def test_the_english_rendering_is_the_stored_message(flags) -> None:  # type: ignore[no-untyped-def]
    assert len(flags) > 20
    assert all("args" in d for d in flags["details"])
    english = flag_messages(flags, "en")
    assert (english == flags["message"]).all(), flags.loc[english != flags["message"],
                                                          "message"].head().tolist()


def test_french_messages_with_french_numbers(flags) -> None:  # type: ignore[no-untyped-def]
    french = flag_messages(flags, "fr")
    assert not (french == flags["message"]).any()
    rules = set(flags["rule_code"])
    assert "numerator-exceeds-denominator" in rules
    assert any(t.startswith("le numérateur ") and " est supérieur au dénominateur " in t
               for t in french)


def test_literal_french_texts() -> None:
    assert flag_text("numerator-exceeds-denominator",
                     {"numerator": 1234.0, "denominator": 52.0}, "fr") == (
        "le numérateur 1\u202f234 est supérieur au dénominateur 52")
    assert flag_text("sudden-jump", {"value": 0.873, "delta": 21.4, "window": "3",
                                     "prior": 0.66}, "fr") == (
        "87\u00a0% est à 21 points de la moyenne des 3 mois précédents (66\u00a0%)")
    assert flag_text("sudden-jump", {"value": 0.873, "delta": 21.4, "window": "3",
                                     "prior": 0.66}, "en") == (
        "87 % is 21 points from the mean of the previous 3 months (66 %)")
    assert flag_text("negative-count", {"part": "denominator", "value": -3.0}, "fr") == (
        "dénominateur -3 négatif ; les comptes commencent à 0")
    assert flag_text("verification-out-of-band",
                     {"recount": [40.0, 52.0], "reported": [48.0, 52.0], "factor": None,
                      "low": "0.9", "high": "1.1"}, "fr") == (
        "recomptage 40 / 52 face au rapporté 48 / 52 : facteur de vérification indéfini hors "
        "de 0,9–1,1")


def test_attached_findings_in_french() -> None:
    details = {"args": {"numerator": 400.0, "denominator": 50.0},
               "also": [{"rule_code": "outlier-numerator", "message": "…",
                         "args": {"part": "numerator", "value": 400.0, "median": 41.0,
                                  "z": 9.27, "bound": "3.5"}}]}
    assert flag_message("numerator-exceeds-denominator", "stored", details, "fr") == (
        "le numérateur 400 est supérieur au dénominateur 50 ; aussi : outlier-numerator "
        "(numérateur 400 loin de la médiane de l'équipe 41 (z modifié 9,3, borne 3,5))")


def test_a_flag_stored_before_shows_its_stored_text() -> None:
    assert flag_message("late-entry", "first entered 40 days after", {}, "fr") == (
        "first entered 40 days after")
    assert flag_message("late-entry", "first entered 40 days after", None, "fr") == (
        "first entered 40 days after")
    assert flag_message("no-such-rule", "kept", {"args": {}}, "fr") == "kept"
    assert flag_message("late-entry", "kept", {"args": {"days": 3.0}}, "fr") == "kept"

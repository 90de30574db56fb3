"""Bad input gets its one-line `Erreur : …` in French (issue 16) — the file, row, column, what
is wrong and what to do, as the English `Error: …` says them — and changes nothing: a bad CSV
row and an unreadable CSV header (`workbench import`), a bad collaborative YAML (`workbench
init`, which speaks the definition's own `settings.language`), a permission refusal, an upgrade
refusal. The English messages stay the source (their tests are beside the commands)."""

from __future__ import annotations

import gzip
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from workbench.cli import main
from workbench.store.migrations.migrate import backup_path

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "templates" / "collaborative.yaml"
RELEASE = ROOT / "tests" / "data" / "demo-release-0.1.0.db.gz"
WORKBENCH = [str(Path(sys.executable).with_name("workbench"))]  # the installed entry point


def run(*args: object, lang: str | None = "fr"):  # type: ignore[no-untyped-def]
    env = {"WORKBENCH_LANG": lang or ""}
    return CliRunner().invoke(main, [str(a) for a in args], env=env)


def _dump(path: str | Path) -> list[str]:
    """Every row of the database, as SQL text (what "nothing changed" compares)."""
    with sqlite3.connect(path) as conn:
        return list(conn.iterdump())


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "october.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_bad_csv_row_is_told_in_french_and_nothing_is_imported(
        empty_db: str, tmp_path: Path) -> None:
    path = _csv(tmp_path, "team_id,indicator_id,period,numerator,denominator\n"
                          "T01,AMTSL,2024-01,40,50\n"
                          "T01,PPH,2024-01,abc,50\n")
    before = _dump(empty_db)
    done = run("import", path, "--db", empty_db)
    assert done.exit_code == 1
    line = done.output.splitlines()[-1]
    assert line == ("Erreur : october.csv : 1 problème dans 1 ligne ; rien n'a été importé. "
                    "Premier : ligne 3, colonne numerator : 'abc' n'est pas un nombre ; "
                    "saisissez un nombre entier comme 12. Corrigez chaque problème listé et "
                    "importez à nouveau.")
    assert "Error" not in done.output and "nothing was imported" not in done.output
    assert _dump(empty_db) == before


def test_an_unreadable_header_is_told_in_french(empty_db: str, tmp_path: Path) -> None:
    path = _csv(tmp_path, "team_id,indicator_id,period,numerator\nT01,AMTSL,2024-01,40\n")
    before = _dump(empty_db)
    french = run("import", path, "--db", empty_db)
    english = run("import", path, "--db", empty_db, lang=None)
    assert french.exit_code == english.exit_code == 1
    assert ("colonne denominator : la colonne 'denominator' manque ; l'en-tête doit être "
            "team_id, indicator_id, period, numerator, denominator (comment est facultatif)."
            ) in french.output
    assert ("column denominator: column 'denominator' is missing; the header must be team_id, "
            "indicator_id, period, numerator, denominator (comment is optional).") in (
        english.output)
    assert _dump(empty_db) == before


def test_a_file_that_is_not_utf8_is_told_in_french(empty_db: str, tmp_path: Path) -> None:
    path = tmp_path / "october.csv"
    path.write_text("team_id,indicator_id,period,numerator,denominator\n", encoding="utf-16")
    done = run("import", path, "--db", empty_db)
    assert done.exit_code == 1
    assert ("le fichier est du texte UTF-16, pas UTF-8 ; enregistrez-le en 'CSV UTF-8' (Excel) "
            "ou en UTF-8 et importez à nouveau") in done.output


def _definition(tmp_path: Path, *, language: str | None, start: str = "2024-01") -> Path:
    text = TEMPLATE.read_text(encoding="utf-8").replace(
        '  start_period: "2024-01"', f'  start_period: "{start}"', 1)
    assert f'start_period: "{start}"' in text
    if language:
        text += f"  language: {language}\n"  # the last block of the template is `settings:`
    path = tmp_path / "collaborative.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_init_speaks_the_language_of_its_definition(tmp_path: Path) -> None:
    bad = _definition(tmp_path, language="fr", start="2024-13")
    db = tmp_path / "collab.db"
    refused = run("init", "--db", db, "--config", bad, lang=None)
    assert refused.exit_code == 1
    assert refused.output == (
        "Erreur : collaborative.yaml, ligne 9, collaborative.start_period : '2024-13' n'est "
        "pas un mois ; écrivez-le au format AAAA-MM (année 1900 ou après), p. ex. 2025-06\n"
        .replace("collaborative.yaml", str(bad), 1))
    assert not db.exists()
    # the command line's language still wins over the file's
    english = run("--lang", "en", "init", "--db", db, "--config", bad, lang=None)
    assert english.output.startswith(f"Error: {bad}, line 9, collaborative.start_period: "
                                     "'2024-13' is not a month; write it as YYYY-MM")
    good = _definition(tmp_path, language="fr")
    created = run("init", "--db", db, "--config", good, lang=None)
    assert created.exit_code == 0, created.output
    assert " : 2 équipes, 3 indicateurs, 2 vagues." in created.output


def test_a_definition_too_broken_for_yaml_still_names_its_language(tmp_path: Path) -> None:
    path = _definition(tmp_path, language="fr")
    text = path.read_text(encoding="utf-8").replace("    indicators: [AMTSL]",
                                                     "    indicators: [AMTSL", 1)
    path.write_text(text, encoding="utf-8")
    refused = run("init", "--db", tmp_path / "collab.db", "--config", path, lang=None)
    assert refused.exit_code == 1
    assert refused.output.startswith(f"Erreur : {path}, ligne ")
    assert ": YAML invalide (" in refused.output
    assert refused.output.endswith(". Vérifiez l'indentation et les guillemets à cet endroit.\n")


@pytest.mark.parametrize(("edit", "french"), [
    (("    target: 0.95 ", "    target: 95 "),
     "indicators[0].target : la cible d'une proportion est entre 0 et 1 (0.9 pour 90 %), pas 95"),
    (("  - code: AMTSL\n", "  - code: AMTSL\n    target: 90\n"),
     "indicators[0].target : la clé apparaît deux fois ; gardez-en une."),
    (("settings:  ", "settings:\n  colour: blue\n "),
     "settings.colour : réglage inconnu ; réglages connus : "),
    (("  - code: T02\n", "  - code: T01\n"),
     "teams[1].code : le code d'équipe 'T01' est utilisé deux fois"),
])
def test_yaml_definition_mistakes_in_french(tmp_path: Path, edit: tuple[str, str],
                                            french: str) -> None:
    path = _definition(tmp_path, language=None)
    text = path.read_text(encoding="utf-8")
    assert edit[0] in text
    path.write_text(text.replace(edit[0], edit[1], 1), encoding="utf-8")
    db = tmp_path / "collab.db"
    refused = run("init", "--db", db, "--config", path)  # WORKBENCH_LANG=fr
    assert refused.exit_code == 1
    assert refused.output.startswith(f"Erreur : {path}, ligne "), refused.output
    assert french in refused.output
    assert len(refused.output.splitlines()) == 1
    assert not db.exists()


def test_a_permission_refusal_in_french_changes_nothing(empty_db: str, tmp_path: Path) -> None:
    run("users", "add", "root", "--role", "admin", "--db", empty_db)
    run("users", "add", "amina", "--role", "coach", "--teams", "T01", "--db", empty_db,
        "--user", "root")
    path = _csv(tmp_path, "team_id,indicator_id,period,numerator,denominator\n"
                          "T01,AMTSL,2024-01,40,50\n")
    before = _dump(empty_db)
    refused = run("import", path, "--db", empty_db, "--user", "amina")
    assert refused.exit_code == 1
    assert refused.output.splitlines()[-1] == (
        "Erreur : amina est un coach pour T01 ; importer des données demande un analyste ou un "
        "administrateur")
    stranger = run("users", "add", "bob", "--role", "admin", "--db", empty_db, "--user", "zed")
    assert stranger.output == (
        "Erreur : zed n'est pas un utilisateur de ce collaboratif ; gérer les utilisateurs "
        "demande un administrateur. Un administrateur ajoute les utilisateurs : workbench "
        "users add zed --role RÔLE --teams T01\n")
    assert _dump(empty_db) == before


@pytest.fixture
def release_db(tmp_path: Path) -> Path:
    """A copy of the 0.1.0 release database (schema r1: `workbench upgrade` has work to do)."""
    path = tmp_path / "collab.db"
    with gzip.open(RELEASE) as packed, path.open("wb") as out:
        shutil.copyfileobj(packed, out)
    return path


def test_an_upgrade_refusal_in_french_changes_nothing(release_db: Path) -> None:
    backup = backup_path(release_db, "r1")
    backup.write_text("an earlier backup")
    before = _dump(release_db)
    refused = run("upgrade", "--db", release_db)
    assert refused.exit_code == 1
    assert refused.output == (
        f"Erreur : le fichier de sauvegarde {backup} existe déjà (celui d'une mise à niveau "
        "précédente ?) ; déplacez-le, puis relancez workbench upgrade. Rien n'a été modifié.\n")
    assert backup.read_text() == "an earlier backup"
    assert _dump(release_db) == before


def test_the_real_command_tells_a_refusal_in_french(empty_db: str, tmp_path: Path) -> None:
    """The installed entry point, as a shell runs it (the language chosen before click)."""
    env = {**os.environ, "WORKBENCH_LANG": "fr"}
    path = tmp_path / "october.csv"
    path.write_text("team_id,indicator_id,period\n", encoding="utf-8")
    before = _dump(empty_db)
    done = subprocess.run([*WORKBENCH, "import", str(path), "--db", empty_db],
                          capture_output=True, text=True, env=env, timeout=120, check=False)
    assert done.returncode == 1
    assert done.stderr.startswith("Erreur : october.csv : ")
    assert "la colonne 'numerator' manque" in done.stderr
    assert len(done.stderr.splitlines()) == 1
    assert _dump(empty_db) == before


def test_a_mistyped_option_is_suggested_in_french() -> None:
    # click's own words (`ngettext` for the suggestion) go through the catalogue too
    one = run("summary", "--perod", "2026-10")
    assert one.exit_code == 2
    assert one.output.splitlines()[-1] == (
        "Erreur : Option inconnue '--perod'. Vouliez-vous dire '--period' ?")
    english = run("summary", "--perod", "2026-10", lang=None)
    assert english.output.splitlines()[-1] == (
        "Error: No such option '--perod'. Did you mean '--period'?")

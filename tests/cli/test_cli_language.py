"""The `workbench` command speaks the user's language (issue 16): `WORKBENCH_LANG=fr` or
`--lang fr` gives French `--help` (click's own words, each command's text, its options),
French `Error:` lines and French messages; machine-readable output (`--json`) stays as it is.

The real entry point runs in a subprocess (the language is chosen before click parses the
command line, as a user's shell does it); CliRunner checks that one process can speak both."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from workbench.cli import main
from workbench.i18n import current_language

WORKBENCH = [str(Path(sys.executable).with_name("workbench"))]  # the installed entry point


def _run(*args: str, lang: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "WORKBENCH_LANG"}
    if lang:
        env["WORKBENCH_LANG"] = lang
    return subprocess.run([*WORKBENCH, *args], capture_output=True, text=True, env=env,
                          timeout=120, check=False)


def test_workbench_help_in_french_with_workbench_lang() -> None:
    done = _run("--help", lang="fr")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.startswith("Utilisation : workbench [OPTIONS] COMMAND [ARGS]...")
    assert "Workbench de coaching pour les collaboratifs d'amélioration" in out
    assert "Afficher ce message et quitter." in out
    assert "Commandes" in out
    # the commands' short help, from their translated docstrings
    assert "Servir les applications du workbench (Voilà)" in out
    for english in ("Usage:", "Show this message and exit.", "Coaching workbench for",
                    "Serve the workbench apps"):
        assert english not in out, english


def test_a_command_help_in_french_with_lang() -> None:
    done = _run("report", "--help", "--lang", "fr")
    assert done.returncode == 0, done.stderr
    out = " ".join(done.stdout.split())  # click wraps the lines
    assert "Exécuter un notebook de rapport pour chaque équipe en HTML" in out
    assert "Mois de rapport, par exemple 2025-06." in out  # --period's help
    assert "Exemple : workbench report --db workbench.db --period 2026-10" in out
    assert "Reporting month" not in out


def test_help_stays_english_by_default() -> None:
    done = _run("--help")
    assert done.stdout.startswith("Usage: workbench [OPTIONS] COMMAND [ARGS]...")
    assert "Coaching workbench for health-care improvement collaboratives." in done.stdout


def test_error_lines_in_french() -> None:
    done = _run("report", "--db", "none.db", lang="fr")  # no --period
    assert done.returncode == 2
    assert ("Erreur : Option « --period » manquante (le mois de rapport, par exemple "
            "2026-10).") in done.stderr
    done = _run("flags", "--bogus", lang="fr")
    assert "Erreur : Option inconnue '--bogus'." in done.stderr
    assert "Essayez « workbench flags --help » pour l'aide." in done.stderr


def test_messages_french_and_json_untouched(demo_db: str) -> None:
    runner = CliRunner()
    validated = runner.invoke(main, ["validate", "--db", demo_db], env={"WORKBENCH_LANG": "fr"})
    assert validated.exit_code == 0, validated.output
    assert validated.output.startswith("Validé jusqu'à ")
    french = runner.invoke(main, ["flags", "--db", demo_db], env={"WORKBENCH_LANG": "fr"})
    assert french.exit_code == 0, french.output
    english = runner.invoke(main, ["flags", "--db", demo_db], env={"WORKBENCH_LANG": ""})
    assert english.exit_code == 0, english.output
    assert " ouverte " in french.output and " open " in english.output
    # the flag messages rendered in French; the same flags in English
    assert "le numérateur " in french.output and " est supérieur au dénominateur " in \
        french.output
    assert "numerator " in english.output and "is more than denominator" in english.output
    assert "is more than denominator" not in french.output
    as_json = runner.invoke(main, ["flags", "--db", demo_db, "--json"],
                            env={"WORKBENCH_LANG": "fr"})
    rows = json.loads(as_json.output)
    assert rows and all(r["status"] in ("open", "confirmed", "corrected", "dismissed", "cleared")
                        for r in rows)
    assert not any("numérateur" in r["message"] for r in rows)  # stored English
    assert current_language() == "en"  # the command's language did not leak into the process


def test_an_unknown_workbench_lang_leaves_help_english() -> None:
    done = _run("--help", lang="xx")
    assert done.returncode == 0 and done.stdout.startswith("Usage:")


def test_the_cli_help_texts_are_in_the_catalogue() -> None:
    """Every command's docstring and option help is extracted for translation (the catalogue
    check then asks for its French)."""
    from workbench.i18n.extract import cli_help_texts

    texts = {text for path in Path("workbench/cli").glob("*.py")
             for _line, text in cli_help_texts(path.read_text(encoding="utf-8"))}
    assert any(t.startswith("Run a report notebook for every team") for t in texts)
    assert "Reporting month, e.g. 2025-06." in texts


def test_the_group_takes_lang_too() -> None:
    done = _run("--lang", "fr", "--help")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Utilisation : workbench")
    assert "Langue de l'aide et des messages" in done.stdout
    refused = _run("--lang", "xx", "status")
    assert refused.returncode == 2
    assert "unknown language 'xx'; available: en, fr" in refused.stderr

"""Which language a command speaks (issue 16): one function decides it,
`workbench.i18n.resolve_language`, in this order — `--lang` (the command's, else the group's)
> `$WORKBENCH_LANG` > the collaborative's `settings.language` > English — and every command
uses it (not only `report`): a collaborative whose YAML says `language: fr` gets French from
`validate`, `flags`, `import` … without any option, and an English reader still gets English
by asking. Real SQLite files, the real click group."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from workbench import i18n
from workbench.cli import main
from workbench.i18n import current_language, resolve_language
from workbench.ingest.collaborative import init_collaborative

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = (ROOT / "templates" / "collaborative.yaml").read_text(encoding="utf-8")


@pytest.fixture(autouse=True)
def _no_language_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(i18n.LANGUAGE_ENV, raising=False)


@pytest.fixture
def french_db(tmp_path: Path) -> str:
    """templates/collaborative.yaml with `settings: {language: fr}`."""
    config = tmp_path / "collaborative.yaml"
    head = "\nsettings:                       # validation thresholds (these are the defaults)\n"
    assert head in TEMPLATE
    config.write_text(TEMPLATE.replace(head, head + "  language: fr\n"), encoding="utf-8")
    db = str(tmp_path / "french.db")
    init_collaborative(db, config)
    return db


@pytest.mark.parametrize(("requested", "env", "default", "expected"), [
    ("fr", "en", "en", "fr"),      # --lang first
    (None, "fr", "en", "fr"),      # then $WORKBENCH_LANG
    ("", "", "fr", "fr"),          # then the collaborative's default
    (None, None, None, "en"),      # then English
    (None, "  ", "", "en"),        # blanks count as not given
    ("fr-FR", None, None, "fr"),   # written as a locale
])
def test_the_language_is_lang_then_environment_then_collaborative_then_english(
        requested: str | None, env: str | None, default: str | None, expected: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    if env is not None:
        monkeypatch.setenv(i18n.LANGUAGE_ENV, env)
    assert resolve_language(requested, default) == expected


def test_the_collaborative_default_is_read_only_when_nothing_else_decides(
        monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[int] = []

    def default() -> str:
        asked.append(1)
        return "fr"

    assert resolve_language("en", default) == "en"
    monkeypatch.setenv(i18n.LANGUAGE_ENV, "en")
    assert resolve_language(None, default) == "en"
    assert asked == []
    monkeypatch.delenv(i18n.LANGUAGE_ENV)
    assert resolve_language(None, default) == "fr"
    assert asked == [1]


def test_every_command_speaks_the_collaboratives_language_by_default(french_db: str) -> None:
    runner = CliRunner()
    validated = runner.invoke(main, ["validate", "--db", french_db])
    assert validated.exit_code == 0, validated.output
    assert validated.output.startswith("Validé jusqu'à 2024-01")
    flags = runner.invoke(main, ["flags", "--db", french_db])
    assert flags.exit_code == 0, flags.output
    assert " ouverte " in flags.output and " open " not in flags.output
    assert current_language() == "en"  # the command's language stays in the command


@pytest.mark.parametrize("how", ["group --lang", "WORKBENCH_LANG"])
def test_an_english_reader_of_a_french_collaborative_asks_for_english(
        french_db: str, how: str) -> None:
    runner = CliRunner()
    if how == "group --lang":
        done = runner.invoke(main, ["--lang", "en", "validate", "--db", french_db])
    else:
        done = runner.invoke(main, ["validate", "--db", french_db],
                             env={i18n.LANGUAGE_ENV: "en"})
    assert done.exit_code == 0, done.output
    assert done.output.startswith("Validated up to 2024-01")


def test_a_commands_own_lang_comes_before_the_groups(french_db: str) -> None:
    from workbench.cli.help_language import command_language
    from workbench.store import open_engine

    engine = open_engine(french_db)
    assert command_language({"lang": "en"}, "fr", engine) == "en"
    assert command_language({"lang": None}, "en", engine) == "en"
    assert command_language({"lang": None}, None, engine) == "fr"
    assert command_language({}) == "en"  # before (or without) a database


def _bad_csv(tmp_path: Path) -> Path:
    path = tmp_path / "october.csv"
    path.write_text("team_id,indicator_id,period,numerator,denominator\n"
                    "T01,AMTSL,2025-06,12,20\n"
                    "T01,AMTSL,2025-07,abc,20\n", encoding="utf-8")
    return path


def test_a_bad_import_says_file_row_and_column_in_french(empty_db: str, tmp_path: Path) -> None:
    done = CliRunner().invoke(main, ["--lang", "fr", "import", "--db", empty_db,
                                     str(_bad_csv(tmp_path))])
    assert done.exit_code == 1
    error = done.output.strip().splitlines()[-1]
    assert error == ("Erreur : october.csv : 1 problème dans 1 ligne ; rien n'a été importé. "
                     "Premier : ligne 3, colonne numerator : 'abc' n'est pas un nombre ; "
                     "saisissez un nombre entier comme 12. Corrigez chaque problème listé et "
                     "importez à nouveau.")
    assert re.search(r"^ +ligne +colonne +raison +valeur +message$", done.output, re.M)


def test_the_same_bad_import_in_english(empty_db: str, tmp_path: Path) -> None:
    done = CliRunner().invoke(main, ["import", "--db", empty_db, str(_bad_csv(tmp_path))])
    assert done.exit_code == 1
    assert done.output.strip().splitlines()[-1] == (
        "Error: october.csv: 1 problem in 1 row; nothing was imported. First: row 3, column "
        "numerator: 'abc' is not a number; enter a whole count such as 12. Fix every listed "
        "problem and import again.")


def test_a_store_error_reads_in_the_commands_language(tmp_path: Path) -> None:
    missing = tmp_path / "none.db"
    done = CliRunner().invoke(main, ["status", "--db", str(missing)],
                              env={i18n.LANGUAGE_ENV: "fr"})
    assert done.exit_code == 1
    assert done.output.strip() == (
        f"Erreur : aucune base workbench à {missing}. Créez-en une avec `workbench init --db "
        "PATH --config collaborative.yaml` ou `workbench demo`.")

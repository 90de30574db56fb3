"""The catalogue check (`make test`): every message marked in the code, the forms and the
notebooks (`_`, `N_`, `ngettext`, `pgettext`, extracted with Babel's own extractor and the
mapping in pyproject.toml's `[tool.babel]`) is translated in every shipped catalogue, with
the same placeholders, and the compiled `.mo` says what the `.po` says.

When it fails: run `make messages`, translate the new entries in
workbench/i18n/locale/<lang>/LC_MESSAGES/workbench.po, and run `make messages` again."""

from __future__ import annotations

import gettext
import re
import tomllib
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from workbench.i18n import available_languages, locale_dir

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None, "pgettext": ((1, "c"), 2)}
LANGUAGES = [lang for lang in available_languages() if lang != "en"]
PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*(?:![rsa])?(?::[^{}]*)?\}")


Key = tuple[str | None, str | tuple[str, ...]]  # (context, msgid or (singular, plural))


def _extracted() -> dict[Key, str]:
    """Every marked message of the project → where it is (`file:line`)."""
    babel = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["babel"]
    extractors = babel.get("extractors", {})
    method_map = [(m["pattern"], extractors.get(m["method"], m["method"]))
                  for m in babel["mappings"]]
    found: dict[Key, str] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
            str(ROOT), method_map, keywords=KEYWORDS):
        msgid = tuple(message) if isinstance(message, list | tuple) else message
        found.setdefault((context, msgid), f"{filename}:{lineno}")
    return found


@pytest.fixture(scope="module")
def extracted() -> dict[Key, str]:
    return _extracted()


def _catalogue(language: str):  # type: ignore[no-untyped-def]
    with (locale_dir() / language / "LC_MESSAGES" / "workbench.po").open("rb") as f:
        return read_po(f, locale=language)


def test_the_extraction_finds_the_library_the_forms_and_the_notebooks(
        extracted: dict[Key, str]) -> None:
    places = {where.split("/")[0] for where in extracted.values()}
    assert {"workbench", "notebooks"} <= places
    assert (None, "Headline: each indicator this month") in extracted  # a notebook heading
    assert (None, "Indicator") in extracted  # an N_-marked table header


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_marked_message_is_translated(extracted: dict[Key, str], language: str) -> None:
    catalogue = _catalogue(language)
    missing = []
    for (context, msgid), where in sorted(extracted.items(), key=lambda kv: kv[1]):
        message = catalogue.get(msgid, context=context)
        strings = message.string if message is not None else ""
        strings = strings if isinstance(strings, tuple) else (strings,)
        if message is None or not all(strings) or message.fuzzy:
            missing.append(f"{where}: {msgid!r}")
    assert missing == [], (f"{len(missing)} message(s) missing or untranslated in "
                           f"{language}/LC_MESSAGES/workbench.po (run `make messages`):\n"
                           + "\n".join(missing[:40]))


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_every_placeholder(language: str) -> None:
    wrong = []
    for message in _catalogue(language):
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for n, text in enumerate(strings):  # form 0 is the singular's, the others the plural's
            wanted = set(PLACEHOLDER.findall(ids[min(n, len(ids) - 1)]))
            if set(PLACEHOLDER.findall(text)) != wanted:
                wrong.append(f"{ids[0]!r} → {text!r}")
    assert wrong == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalogue_matches_its_source(language: str) -> None:
    compiled = gettext.translation("workbench", localedir=str(locale_dir()),
                                   languages=[language])
    stale = []
    for message in _catalogue(language):
        if not message.id or not message.string:
            continue
        if isinstance(message.id, tuple):
            got = (compiled.ngettext(message.id[0], message.id[1], 1),
                   compiled.ngettext(message.id[0], message.id[1], 2))
            if got != tuple(message.string[:2]):
                stale.append(message.id[0])
        elif message.context is not None:
            if compiled.pgettext(message.context, message.id) != message.string:
                stale.append(message.id)
        elif compiled.gettext(message.id) != message.string:
            stale.append(message.id)
    assert stale == [], f"the .mo is older than the .po: run `make messages` ({stale[:5]})"


def test_no_message_is_marked_inside_an_f_string() -> None:
    """Babel does not look inside f-strings (one token before Python 3.12): a `_()` there
    never reaches the catalogue, so its text would stay English."""
    import io
    import tokenize

    hidden = []
    for folder in ("workbench", "widgets"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            tokens = tokenize.generate_tokens(io.StringIO(path.read_text("utf-8")).readline)
            for token in tokens:
                prefix = token.string[:2].lower()
                if token.type == tokenize.STRING and "f" in prefix and re.search(
                        r"\b(_|N_|ngettext|pgettext)\(", token.string):
                    hidden.append(f"{path.relative_to(ROOT)}:{token.start[0]}")
    assert hidden == []

"""The catalogue check, from the source side (issue 16): the text of every error a user can
meet — a `WorkbenchError` (`Error: …` on the command line, a report's failure in the batch
index), click's `ClickException` / `BadParameter` / `UsageError`, and the problems an import
lists (`"message": …` of a failures frame, `_one(…)` of the readers) — goes through the
catalogue: a template marked `N_("…")` with its values apart, or `_("…").format(…)`.

`test_catalogue.py` checks that what is marked is translated; this checks that what a user
reads is marked. It reads the source (Python's own parser), so it fails on any new error
written as plain English text (`raise StoreError(f"cannot open {path}")`), not only on the
ones fixed so far.

What counts as "plain English": a string literal or f-string holding words (two letters or
more and a space) that is the message argument itself, or a part of it (`"a" + f"b"`, a
conditional), not inside a marked call. A name, an attribute or another call (a template
constant, a helper that builds a `Message`) is trusted: the helper's own text is checked
where it is written, when it is written into one of these places.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: Calls whose first argument is a message a user reads (with every subclass of the errors,
#: found in the source: `_error_classes`).
MESSAGE_CALLS = {
    "WorkbenchError", "ClickException", "UsageError", "BadParameter", "Message",
    "BatchInterrupted",  # workbench.reports.batch: Ctrl-C's `Error: …` and the index
}
#: Helpers that carry a user's message in another argument: name -> its position.
MESSAGE_ARGUMENTS = {
    "_one": -1,  # workbench.ingest.formats: a failure of an unreadable file
    "fail": 1,  # workbench.ingest.collaborative: a definition's problem at a key
    "_fail_rows": 2,  # workbench.spc.subgroups: a refused value of a chart's column
    "DemoTarget": 2,  # workbench.demo.build: what a --db holds, in words
}
#: A call's `message=` is a user's message in these calls too (a stored flag's `message` is the
#: English record; it is shown through `workbench.validate.messages`).
#: Functions whose answer is a user's message (`period_problem`, `user_name_problem`,
#: `refusal` …): what they return is checked.
MESSAGE_FUNCTIONS = ("_problem", "refusal", "describe")
#: Keys of a failures frame / problem dict whose value a user reads.
MESSAGE_KEYS = {"message"}
#: Marking calls: their argument is in the catalogue.
MARKED = {"_", "N_", "gettext", "ngettext", "pgettext"}
WORDS = re.compile(r"[A-Za-z]{2,}[:;,.)]?\s+\S")


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _is_marked(node: ast.expr) -> bool:
    """`_("…")`, `N_("…")`, or `_("…").format(…)`."""
    if isinstance(node, ast.Call):
        name = _name(node.func)
        if name in MARKED:
            return True
        if (isinstance(node.func, ast.Attribute) and node.func.attr == "format"
                and _is_marked(node.func.value)):
            return True
    return False


def _plain_text(node: ast.expr) -> Iterator[ast.expr]:
    """The unmarked literal English text that makes up the expression `node`."""
    if _is_marked(node):
        return
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        if WORDS.search(node.value):
            yield node
    elif isinstance(node, ast.JoinedStr):
        text = "".join(v.value for v in node.values
                       if isinstance(v, ast.Constant) and isinstance(v.value, str))
        if WORDS.search(text):
            yield node
    elif isinstance(node, ast.BinOp):
        yield from _plain_text(node.left)
        yield from _plain_text(node.right)
    elif isinstance(node, ast.IfExp):
        yield from _plain_text(node.body)
        yield from _plain_text(node.orelse)
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and (
            node.func.attr in ("format", "join")):
        yield from _plain_text(node.func.value)  # "…".format(…) / "; ".join(…)
    elif isinstance(node, ast.ListComp):
        yield from _plain_text(node.elt)
    elif isinstance(node, ast.List | ast.Tuple):
        for item in node.elts:
            yield from _plain_text(item)


def _error_classes(trees: list[ast.Module]) -> set[str]:
    """`MESSAGE_CALLS` and every class of the source deriving from one of them."""
    found = set(MESSAGE_CALLS)
    classes = [node for tree in trees for node in ast.walk(tree)
               if isinstance(node, ast.ClassDef)]
    grown = True
    while grown:
        grown = False
        for cls in classes:
            if cls.name not in found and any(_name(b) in found for b in cls.bases):
                found.add(cls.name)
                grown = True
    return found


def plain_messages(path: Path, calls: set[str] = MESSAGE_CALLS) -> list[str]:
    """`file:line: text` of every unmarked user message in one Python file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        messages: list[ast.expr] = []
        if isinstance(node, ast.Call) and node.args:
            name = _name(node.func)
            if name in calls:
                messages.append(node.args[0])
            elif name in MESSAGE_ARGUMENTS and len(node.args) > abs(MESSAGE_ARGUMENTS[name]):
                messages.append(node.args[MESSAGE_ARGUMENTS[name]])
        if isinstance(node, ast.Call) and _name(node.func) in {*calls, "StageResult"}:
            messages += [k.value for k in node.keywords if k.arg == "message"]
        elif isinstance(node, ast.FunctionDef) and node.name.endswith(MESSAGE_FUNCTIONS):
            messages += [r.value for r in ast.walk(node)
                         if isinstance(r, ast.Return) and r.value is not None]
        elif isinstance(node, ast.Dict):
            messages += [v for k, v in zip(node.keys, node.values, strict=True)
                         if isinstance(k, ast.Constant) and k.value in MESSAGE_KEYS]
        for message in messages:
            for text in _plain_text(message):
                where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
                found.append(f"{where}:{text.lineno}: {ast.unparse(text)[:90]}")
    return found


def test_the_check_finds_plain_english_and_trusts_marked_text(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "raise StoreError(f'cannot open {path}; check it')\n"
        "raise StoreError(N_('cannot open {path}'), params={'path': path})\n"
        "raise ValidationFailed('a ' + f'{x} is wrong here')\n"
        "raise click.BadParameter(_('{v} is wrong here').format(v=v))\n"
        "rows.append({'row': 1, 'message': f'row {i} is empty'})\n"
        "rows.append({'row': 1, 'message': _('row {i} is empty').format(i=i)})\n"
        "raise _one(1, '', 'bad', None, 'the file is empty; export it again')\n"
        "raise StoreError(TEMPLATE, params={'path': path})\n"
        "raise doc.fail('settings', 'must be a mapping of setting: value')\n"
        "def name_problem(name):\n    return 'a name is 1 to 80 letters'\n",
        encoding="utf-8")
    found = plain_messages(sample, MESSAGE_CALLS | {"StoreError", "ValidationFailed"})
    lines = sorted(int(line.split(":")[1]) for line in found)
    assert lines == [1, 3, 5, 7, 9, 11]


def test_every_error_a_user_reads_goes_through_the_catalogue() -> None:
    paths = sorted((ROOT / "workbench").rglob("*.py"))
    calls = _error_classes([ast.parse(p.read_text(encoding="utf-8")) for p in paths])
    assert {"StoreError", "PermissionDenied", "ReplaceNotConfirmed"} <= calls
    found = []
    for path in paths:
        found += plain_messages(path, calls)
    assert found == [], (f"{len(found)} user message(s) written as plain English, so they stay "
                         "English in every language: write them as N_('… {value} …') with "
                         "params={…} (or _('…').format(…)), then `make messages` and "
                         "translate:\n" + "\n".join(found))


#: Command output still written in English, by file. Nothing may be added here: translate.
KNOWN_ENGLISH_OUTPUT: dict[str, int] = {}


def test_every_line_a_command_prints_goes_through_the_catalogue() -> None:
    """`click.echo` / `echo` of words (a command's own report of what it did) is marked too."""
    found: dict[str, list[str]] = {}
    for path in sorted((ROOT / "workbench").rglob("*.py")):
        for line in plain_messages(path, {"echo", "secho"}):
            found.setdefault(line.split(":")[0], []).append(line)
    counts = {file: len(lines) for file, lines in found.items()}
    assert counts == KNOWN_ENGLISH_OUTPUT, "\n".join(
        line for file, lines in found.items() if file not in KNOWN_ENGLISH_OUTPUT
        for line in lines)

"""Babel extraction beyond `_()` in Python files (`pyproject.toml`'s `[tool.babel.extractors]`):

- notebooks: every code cell is read as Python, so `_("…")` in a report notebook or an app is
  in the catalogue like `_("…")` in the library. Markdown cells hold no user text: the report
  notebooks write their headings with `render.heading(_("…"))`;
- the `workbench` CLI modules: their `_()` messages and the click help texts (command
  docstrings, `help=` of options), translated when `--help` is shown
  (`workbench.cli.help_language`).
"""

from __future__ import annotations

import ast
import inspect
import io
import json
from collections.abc import Collection, Iterator, Mapping
from typing import IO, Any, cast

from babel.messages.extract import extract_python

__all__ = ["cli_help_key", "cli_help_texts", "extract_cli", "extract_notebook"]


def extract_notebook(fileobj: IO[bytes], keywords: Mapping[str, Any],
                     comment_tags: Collection[str], options: dict[str, Any]
                     ) -> Iterator[tuple[int, str, Any, list[str]]]:
    """Babel's extractor protocol for an `.ipynb` file: (line, funcname, message, comments),
    the line counted through the code cells in order."""
    notebook = json.loads(fileobj.read().decode("utf-8"))
    offset = 0
    for cell in notebook.get("cells", []):
        source = cell.get("source", "")
        text = "".join(source) if isinstance(source, list) else str(source)
        if cell.get("cell_type") == "code":
            lines = "\n".join(line for line in text.splitlines()
                              if not line.lstrip().startswith(("%", "!")))
            found = extract_python(io.BytesIO(lines.encode("utf-8")), keywords, comment_tags,
                                   cast(Any, {**options, "encoding": "utf-8"}))
            for result in found:
                lineno, funcname, message, comments = cast(
                    "tuple[int, str, Any, list[str]]", result)
                yield offset + lineno, funcname, message, comments
        offset += text.count("\n") + 1


def _is_command_decorator(node: ast.expr) -> bool:
    """`@click.command(…)`, `@click.group(…)`, `@flags.command("resolve")`, …"""
    target = node.func if isinstance(node, ast.Call) else node
    name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
    return name in ("command", "group")


def cli_help_texts(source: str) -> Iterator[tuple[int, str]]:
    """The help texts of a click module: each command's docstring (as click shows it:
    `inspect.cleandoc`, up to a `\\f`) and every constant `help=` / `short_help=` / `epilog=`
    keyword, with their lines. `workbench.cli.help_language` looks them up by the same text."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and any(
                _is_command_decorator(d) for d in node.decorator_list):
            doc = ast.get_docstring(node, clean=False)
            if doc:
                yield node.lineno, cli_help_key(doc)
        elif isinstance(node, ast.keyword) and node.arg in ("help", "short_help", "epilog"):
            if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                yield node.value.lineno, cli_help_key(node.value.value)


def cli_help_key(text: str) -> str:
    """The catalogue's msgid of a click help text."""
    return inspect.cleandoc(text).partition("\f")[0].rstrip()


def extract_cli(fileobj: IO[bytes], keywords: Mapping[str, Any],
                comment_tags: Collection[str], options: dict[str, Any]
                ) -> Iterator[tuple[int, str, Any, list[str]]]:
    """Babel's extractor protocol for the `workbench` CLI modules: the `_()`-marked messages
    (Babel's Python extractor) and the commands' help texts (`cli_help_texts`)."""
    data = fileobj.read()
    yield from cast("Iterator[tuple[int, str, Any, list[str]]]", extract_python(
        io.BytesIO(data), keywords, comment_tags, cast(Any, {**options, "encoding": "utf-8"})))
    for lineno, text in cli_help_texts(data.decode("utf-8")):
        if text:
            yield lineno, "_", text, ["click help"]

"""Babel extraction of the messages in notebooks: every code cell is read as Python
(`pyproject.toml`'s `[tool.babel.extractors]`), so `_("…")` in a report notebook or an app is
in the catalogue like `_("…")` in the library. Markdown cells hold no user text: the report
notebooks write their headings with `render.heading(_("…"))`.
"""

from __future__ import annotations

import io
import json
from collections.abc import Collection, Iterator, Mapping
from typing import IO, Any, cast

from babel.messages.extract import extract_python

__all__ = ["extract_notebook"]


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

"""Readable tables: text left, numbers right (each header as its column), whole numbers as
counts, names not codes where the brief gives names (issue 12, "readable tables")."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from workbench.notebook.render import table


def _cells(html: str, tag: str) -> list[tuple[str, str]]:
    return re.findall(rf'<{tag} style="text-align:(\w+)">(.*?)</{tag}>', html)


def test_text_columns_are_left_aligned_and_numbers_right_aligned_with_their_headers() -> None:
    frame = pd.DataFrame({"team": ["T01 Kabale", "T02 <Rugarama>"],
                          "births": np.array([41, 1234], dtype=np.int64),
                          "recounted": [40.0, np.nan], "factor": [0.98, 1.5],
                          "code": ["1", "x"]})
    html = table(frame, {"team": "Team", "births": "Births", "recounted": "Recounted",
                         "factor": "Factor", "code": "Code"})
    assert _cells(html, "th") == [("left", "Team"), ("right", "Births"), ("right", "Recounted"),
                                  ("right", "Factor"), ("left", "Code")]
    assert _cells(html, "td") == [
        ("left", "T01 Kabale"), ("right", "41"), ("right", "40"), ("right", "0.98"),
        ("left", "1"),
        ("left", "T02 &lt;Rugarama&gt;"), ("right", "1234"), ("right", "–"), ("right", "1.5"),
        ("left", "x")]


def test_a_column_of_nothing_but_gaps_is_text() -> None:
    html = table(pd.DataFrame({"note": [None, np.nan]}))
    assert _cells(html, "td") == [("left", "–"), ("left", "–")]

"""`cli.json_records` writes the very text `echo_json` writes for the records of frames
(`workbench summary --json`, issue 14 item 7): compared on frames of every kind of column the
roll-ups give, and of kinds they do not (so a new column can never change the text)."""

from __future__ import annotations

import decimal
import math

import numpy as np
import pandas as pd
import pytest

from workbench.briefs.summary import rollup_records
from workbench.cli.json_records import payload_json, records_json
from workbench.cli.options import echo_json


def reference(capsys: pytest.CaptureFixture[str], values: dict[str, object],
              frames: dict[str, pd.DataFrame]) -> str:
    capsys.readouterr()
    echo_json({**values, **{k: rollup_records(f) for k, f in frames.items()}})
    return capsys.readouterr().out[:-1]  # click.echo's newline


def every_kind() -> pd.DataFrame:
    return pd.DataFrame({
        "float": [0.1, math.nan, math.inf, -math.inf, 1e-7, 3.0, 1e16],
        "int": np.array([0, -1, 2**40, 3, 4, 5, 6], dtype=np.int64),
        "uint": np.array([0, 1, 2, 3, 4, 5, 6], dtype=np.uint8),
        "bool": [True, False, True, True, False, False, True],
        "Int64": pd.array([1, None, 3, 4, None, 6, 7], dtype="Int64"),
        "boolean": pd.array([True, None, False, True, True, None, False], dtype="boolean"),
        "Float64": pd.array([0.5, None, 2.25, 1.0, None, 0.1, 3.0], dtype="Float64"),
        "period": pd.PeriodIndex(["2026-10", None, "2025-01", "2026-10", "2024-12", None,
                                  "2026-01"], freq="M"),
        "stamp": pd.to_datetime(["2026-10-01", None, "2025-01-02 12:30", "2026-10-01",
                                 "2024-12-31", None, "2026-01-01"], format="ISO8601"),
        "text": ["a", "é ü — 中", 'quote " back \\ slash', "100 %s %%", "line\nbreak\ttab",
                 "", "\x00ctrl"],
        "text_missing": ["x", None, math.nan, pd.NA, "y", "x", None],
        "str_dtype": pd.array(["a", None, "b", "a", "c", None, "é"], dtype="str"),
        "mixed": [1, 1.0, True, "1", None, np.int64(2), np.float64(math.nan)],
        "objects": [pd.Period("2026-10", "M"), pd.Timestamp("2026-01-01"), np.bool_(False),
                    decimal.Decimal("1.5"), [1, [2, {"a": None}]], {"k": [1.5, math.nan]},
                    ()],
        "category": pd.Categorical(["a", "b", None, "a", "b", "a", "a"]),
        "all_missing": [None] * 7,
    })


def test_every_kind_of_column_is_written_as_echo_json_writes_it(capsys) -> None:
    frames = {"rows": every_kind(), "empty": every_kind().iloc[:0],
              "no_columns": pd.DataFrame(index=range(3)), "one": every_kind().iloc[[1]]}
    values = {"collaborative": "Réseau 50 %", "period": None, "n": np.int64(3),
              "x": math.nan, "nested": {"a": [1, 2]}}
    assert payload_json(values, frames) == reference(capsys, values, frames)


def test_a_frame_with_a_repeated_column_name_keeps_the_last_as_a_dict_does(capsys) -> None:
    frame = pd.DataFrame([[1, 2, "a"], [3, 4, "b"]], columns=["n", "n", "t"])
    assert payload_json({}, {"f": frame}) == reference(capsys, {}, {"f": frame})


def test_text_of_other_kinds_than_text_is_not_merged_by_equality() -> None:
    # 1, 1.0 and True are equal as Python values: each keeps its own literal
    frame = pd.DataFrame({"v": pd.Series([1, 1.0, True, "1"], dtype=object)})
    assert records_json(frame, 0) == (
        '[\n  {\n    "v": 1\n  },\n  {\n    "v": 1.0\n  },\n  {\n    "v": true\n  },\n'
        '  {\n    "v": "1"\n  }\n]')


def test_an_empty_payload_is_an_empty_object(capsys) -> None:
    assert payload_json({}, {}) == reference(capsys, {}, {})


def test_float_columns_of_many_rows_are_written_as_echo_json_writes_them(capsys) -> None:
    # 64 rows or more: each distinct float written once; a column with -0.0 (equal to 0.0,
    # written "-0.0") value by value
    repeated = [0.1, math.nan, math.inf, -math.inf, 1e-7, 3.0, 1e16, 0.0, 2 / 3]
    frame = pd.DataFrame({"repeated": repeated * 10,
                          "negative_zero": [0.0, -0.0, 1.5, math.nan, 0.25, -0.0] * 15,
                          "n": range(90)})
    text = payload_json({}, {"f": frame})
    assert text == reference(capsys, {}, {"f": frame})
    assert text.count('"repeated": 0.6666666666666666') == 10
    assert text.count('"repeated": null') == 10
    assert text.count('"repeated": -Infinity') == 10
    assert text.count('"negative_zero": -0.0') == 30
    assert text.count('"negative_zero": 0.0') == 15
    assert text.endswith('    {\n      "repeated": 0.6666666666666666,\n'
                         '      "negative_zero": -0.0,\n      "n": 89\n    }\n  ]\n}')

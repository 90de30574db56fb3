"""Rows that come sorted by integer series keys and x (`rollup.series.spc_frame` calls
`qic()` so) are numbered where the key changes and kept in their order
(`subgroups._series_codes`, `subgroups._in_order`); any other rows are factorised and
sorted. Both give the same chart, written out literally."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.spc import qic
from workbench.spc.subgroups import _in_order, _series_codes


def test_sorted_integer_keys_are_numbered_where_they_change() -> None:
    codes, labels = _series_codes(pd.DataFrame({"s": [3, 3, 7, 7, 9]}), "s")
    assert codes.tolist() == [0, 0, 1, 1, 2]
    assert labels.tolist() == [3, 7, 9] and type(labels[0]) is int
    codes, labels = _series_codes(pd.DataFrame({"s": [7, 3, 9, 3, 7]}), "s")  # not sorted
    assert codes.tolist() == [1, 0, 2, 0, 1]
    assert labels.tolist() == [3, 7, 9]
    codes, labels = _series_codes(pd.DataFrame({"s": pd.array([3, None, 3], dtype="Int64")}),
                                  "s")  # nullable: factorised (missing: -1)
    assert codes.tolist() == [0, -1, 0]


def test_rows_in_order_stay_and_others_are_sorted_by_series_then_x() -> None:
    assert _in_order(np.array([0, 0, 1, 1]), np.array([0, 2, 1, 1])).tolist() == [0, 1, 2, 3]
    assert _in_order(np.array([0, 0, 1, 1]), np.array([2, 0, 1, 0])).tolist() == [1, 0, 3, 2]
    assert _in_order(np.array([1, 0]), np.array([0, 5])).tolist() == [1, 0]


def test_sorted_shuffled_and_text_series_give_one_chart() -> None:
    rows = pd.DataFrame({"key": [3] * 4 + [7] * 4, "x": [1, 2, 3, 4] * 2,
                         "y": [5.0, 7.0, 6.0, 9.0, 1.0, 2.0, 8.0, 4.0]})
    sorted_ = qic(rows, "run", x="x", y="y", series="key", lean=True)
    shuffled = qic(rows.iloc[[5, 0, 7, 2, 1, 4, 6, 3]], "run", x="x", y="y", series="key",
                   lean=True)
    text = qic(rows.assign(key=rows["key"].map({3: "a", 7: "b"})), "run", x="x", y="y",
               series="key", lean=True)
    for result in (sorted_, shuffled, text):
        assert result.points["cl"].tolist() == [6.5] * 4 + [3.0] * 4
        assert result.points["x"].tolist() == [1, 2, 3, 4] * 2
    assert sorted_.points["series"].tolist() == [3] * 4 + [7] * 4
    assert shuffled.points["series"].tolist() == [3] * 4 + [7] * 4
    assert text.points["series"].tolist() == ["a"] * 4 + ["b"] * 4

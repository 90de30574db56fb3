"""The order of a tidy frame's rows by team, indicator and month (`rollup.series.
_series_order`): rows the store reads already in that order are kept as they are
(`_in_order`); others are sorted (stable, months missing last). Written out literally."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.rollup.series import _in_order, _series_order


def _frame(rows: list[tuple[str, str, str | None]]) -> pd.DataFrame:
    return pd.DataFrame({"team_id": [r[0] for r in rows], "indicator_id": [r[1] for r in rows],
                         "period": pd.PeriodIndex([r[2] for r in rows], freq="M")})


def test_rows_in_order_are_kept_and_others_sorted() -> None:
    ordered = _frame([("T1", "A", "2024-01"), ("T1", "A", "2024-02"), ("T1", "B", "2024-01"),
                      ("T2", "A", "2024-01")])
    assert _series_order(ordered).tolist() == [0, 1, 2, 3]
    mixed = _frame([("T2", "A", "2024-01"), ("T1", "B", "2024-01"), ("T1", "A", None),
                    ("T1", "A", "2024-02"), ("T1", "A", "2024-01")])
    assert _series_order(mixed).tolist() == [4, 3, 2, 1, 0]


def test_in_order_compares_the_rows_combined_codes() -> None:
    assert _in_order([np.array([0, 0, 1]), np.array([2, 3, 0])])
    assert not _in_order([np.array([0, 0, 1]), np.array([3, 2, 0])])
    assert _in_order([np.array([0, 0]), np.array([1, 1])])  # ties stay in order
    wide = np.array([0, 2**40])  # combinations beyond an int64: not claimed in order
    assert not _in_order([wide, wide])

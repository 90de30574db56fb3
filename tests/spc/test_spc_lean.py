"""`qic(lean=True)` (what `rollup.series.spc_frame` asks for at 2,000 teams): the same
lines, signals and runs analysis as the full result, only fewer columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.spc import qic
from workbench.spc.qic import LEAN_POINT_COLUMNS, LEAN_SUMMARY_COLUMNS


def many_series(seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(12):
        n = rng.integers(20, 80, size=30)
        p = 0.3 + 0.2 * (np.arange(30) >= 18) * (s % 2)  # half of them shift
        y = rng.binomial(n, p)
        for i in range(30):
            rows.append((f"T{s:02d}", pd.Timestamp(2024, 1, 1) + pd.DateOffset(months=i),
                         int(y[i]), int(n[i])))
    data = pd.DataFrame(rows, columns=["series", "x", "y", "n"])
    data.loc[5, ["y", "n"]] = 0  # a gap
    data["value"] = data["y"] / data["n"].where(data["n"] > 0)
    return data


@pytest.mark.parametrize("chart", ["run", "i", "mr", "c", "u", "p", "pp", "up", "g", "t"])
@pytest.mark.parametrize("options", [{}, {"part": [12]}, {"exclude": [3, 20]},
                                     {"freeze": 15}, {"multiply": 100, "y_neg": False}])
def test_lean_is_the_full_result_with_fewer_columns(chart: str, options: dict) -> None:
    data = many_series()
    if chart in ("u", "p", "pp", "up"):
        kwargs = {"y": "y", "n": "n"}
    elif chart == "c":
        kwargs = {"y": "y"}
    else:
        kwargs = {"y": "value" if chart != "g" else "y"}
    full = qic(data, chart, x="x", series="series", **kwargs, **options)
    lean = qic(data, chart, x="x", series="series", lean=True, **kwargs, **options)
    assert list(lean.points.columns) == LEAN_POINT_COLUMNS
    assert list(lean.summary.columns) == LEAN_SUMMARY_COLUMNS
    pd.testing.assert_frame_equal(lean.points, full.points[LEAN_POINT_COLUMNS])
    pd.testing.assert_frame_equal(lean.summary, full.summary[LEAN_SUMMARY_COLUMNS])
    assert (lean.chart, lean.rules) == (full.chart, full.rules)
    assert lean.points["cl"].notna().any()  # lines and signals to compare, not only gaps


def test_the_series_compared_have_signals_of_both_kinds() -> None:
    lean = qic(many_series(), "p", x="x", y="y", n="n", series="series", lean=True)
    assert lean.points["sigma_signal"].any() and lean.points["runs_signal"].any()


def test_lean_is_refused_with_another_rule_set() -> None:
    with pytest.raises(ValueError, match="Anhøj rules only"):
        qic(many_series(), "p", x="x", y="y", n="n", series="series", rules="ihi", lean=True)

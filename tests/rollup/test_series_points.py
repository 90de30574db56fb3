"""The lines of `rollup.series.spc_frame` reach every row: read off by position when each
row is one point (one row per team, indicator and month, as the store holds them), matched
by series and month otherwise (two rows of one month form one subgroup, both rows get its
lines). Written out literally."""

from __future__ import annotations

import pandas as pd

from workbench.rollup.series import spc_frame

INDICATORS = pd.DataFrame({"indicator_id": ["A"], "chart": ["p"], "direction": ["increase"]})
MONTHS = pd.period_range("2024-01", periods=6, freq="M")


def _tidy(periods: list[pd.Period], numerators: list[float], denominators: list[float]
          ) -> pd.DataFrame:
    frame = pd.DataFrame({"team_id": "T1", "indicator_id": "A", "period": periods,
                          "numerator": numerators, "denominator": denominators})
    frame["value"] = frame["numerator"] / frame["denominator"]
    return frame


def test_one_row_a_month_takes_its_own_point() -> None:
    out = spc_frame(_tidy(list(MONTHS), [3.0, 4, 5, 6, 5, 4], [10.0] * 6), INDICATORS)
    assert out["cl"].tolist() == [0.45] * 6
    assert out["ucl"].round(6).tolist() == [0.921964] * 6
    assert out["n_useful"].tolist() == [6] * 6


def test_two_rows_of_one_month_share_its_subgroup_s_lines() -> None:
    out = spc_frame(_tidy([*MONTHS, MONTHS[2]], [3.0, 4, 5, 6, 5, 4, 9], [10.0] * 6 + [20.0]),
                    INDICATORS)
    assert [str(p) for p in out["period"]] == [
        "2024-01", "2024-02", "2024-03", "2024-03", "2024-04", "2024-05", "2024-06"]
    assert out["cl"].tolist() == [0.45] * 7
    assert out["ucl"].round(6).tolist() == [0.921964, 0.921964, 0.722489, 0.722489, 0.921964,
                                            0.921964, 0.921964]  # March: 14 of 30
    assert out["n_useful"].tolist() == [6] * 7 and out["longest_run"].tolist() == [3] * 7


def test_each_indicator_is_drawn_as_its_chart_and_an_unknown_one_as_a_run_chart() -> None:
    indicators = pd.DataFrame({"indicator_id": ["A", "B"], "chart": ["p", "c"],
                               "direction": ["increase", None]})
    rows = [("T1", indicator, month, n, 10.0, n / 10.0 if indicator == "A" else n)
            for indicator, numerators in (("C", [2.0, 8, 4, 7]), ("B", [3.0, 5, 4, 8]),
                                          ("A", [3.0, 4, 5, 6]))
            for month, n in zip(MONTHS[:4], numerators, strict=True)]
    out = spc_frame(pd.DataFrame(rows, columns=["team_id", "indicator_id", "period",
                                                "numerator", "denominator", "value"]),
                    indicators)
    assert out["chart"].tolist() == ["p"] * 4 + ["c"] * 4 + ["run"] * 4
    # p: 18/40; c: the mean; run: the median
    assert out["cl"].tolist() == [0.45] * 4 + [5.0] * 4 + [5.5] * 4

"""The roll-ups group the frames they share by one set of integer codes (issue 14 item 7):
`pool` by codes gives what pandas' groupby on the texts gives, and inside
`shared_preparation` a frame's codes are computed once."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.rollup.base import (
    _pool,
    _pooled,
    compact_codes,
    distinct_numbers,
    frame_codes,
    group_numbers,
    per_distinct,
    prepare,
    shared_preparation,
    sort_codes,
    stable_order,
)
from workbench.rollup.cohorts import wave_cohorts
from workbench.rollup.metrics import _entity_series


def tidy() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    rows = []
    for month in pd.period_range("2025-01", "2025-08", freq="M"):
        for team in ("T3", "T1", "T10", "T2"):
            for ind in ("B", "A", "C"):
                den = float(rng.integers(5, 30))
                rows.append((team, ind, month, float(rng.integers(0, int(den) + 1)), den))
    frame = pd.DataFrame(rows, columns=["team_id", "indicator_id", "period", "numerator",
                                        "denominator"])
    return frame.assign(value=frame["numerator"] / frame["denominator"])


INDICATORS = pd.DataFrame({"indicator_id": ["A", "B", "C"], "target": [0.5, 0.3, np.nan],
                           "direction": ["increase", "decrease", "increase"]})
TEAMS = pd.DataFrame({"team_id": ["T1", "T2", "T3", "T10"], "wave_id": ["W2", "W1", "W1", None],
                      "joined_period": ["2025-01", "2025-03", None, "2025-02"]})


@pytest.mark.parametrize("keys", [["indicator_id", "month"], ["indicator_id", "wave_id", "month"],
                                  ["indicator_id"], ["team_id", "indicator_id"]])
def test_pool_by_codes_is_pandas_groupby_on_the_keys(keys: list[str]) -> None:
    m, _ = prepare(tidy(), INDICATORS, TEAMS)
    m = m[m["wave_id"].notna()] if "wave_id" in keys else m
    by_pandas = _pooled(m.assign(_known=m["at_target"].notna().astype(float)).groupby(
        keys, dropna=False, sort=True)).reset_index()
    pd.testing.assert_frame_equal(_pool(m, keys), by_pandas, check_exact=True)


def test_a_key_with_missing_values_is_left_to_pandas() -> None:
    m, _ = prepare(tidy(), INDICATORS, TEAMS)
    assert m["wave_id"].isna().any()  # T10 has no wave
    assert group_numbers(m, ["indicator_id", "wave_id"]) is None
    by_pandas = _pooled(m.assign(_known=m["at_target"].notna().astype(float)).groupby(
        ["indicator_id", "wave_id"], dropna=False, sort=True)).reset_index()
    pd.testing.assert_frame_equal(_pool(m, ["indicator_id", "wave_id"]), by_pandas)


def test_group_numbers_follow_the_sorted_keys_and_name_each_groups_first_row() -> None:
    frame = pd.DataFrame({"a": ["y", "x", "y", "x", "z"], "b": [2.0, 1.0, 2.0, 3.0, 1.0]})
    numbered = group_numbers(frame, ["a", "b"])
    assert numbered is not None
    number, first = numbered
    assert number.tolist() == frame.groupby(["a", "b"], sort=True).ngroup().tolist()
    assert first.tolist() == [1, 3, 0, 4]


def test_a_frames_codes_are_computed_once_inside_the_block_only() -> None:
    frame = tidy()
    with shared_preparation():
        first = frame_codes(frame, "team_id")
        assert frame_codes(frame, "team_id") is first
        with shared_preparation():  # a block inside shares the outer one's
            assert frame_codes(frame, "team_id") is first
    assert frame_codes(frame, "team_id") is not frame_codes(frame, "team_id")
    codes, teams = first
    assert list(teams) == ["T1", "T10", "T2", "T3"]
    assert teams[codes].tolist() == frame["team_id"].tolist()


def test_entity_numbers_are_the_groups_of_indicator_level_team_and_wave_by_month() -> None:
    m, _ = prepare(tidy(), INDICATORS, TEAMS)
    series = _entity_series(m)
    keys = ["indicator_id", "level", "team_id", "wave_id"]
    expected = series.groupby(keys, dropna=False, sort=True).ngroup()
    assert series["_entity"].tolist() == expected.tolist()
    assert series["_entity"].is_monotonic_increasing
    assert (series.groupby("_entity")["month"].diff().dropna() > 0).all()
    assert set(series["level"]) == {"team", "wave", "collaborative"}
    assert series.loc[series["level"] == "collaborative", "team_id"].isna().all()


def test_the_prepared_frames_codes_come_from_prepare_and_equal_sort_codes() -> None:
    data = tidy()
    data.loc[3, "value"] = np.nan  # a row prepare drops: its team stays in other rows
    data = pd.concat([data, pd.DataFrame({  # a team prepare drops whole (no value at all)
        "team_id": ["T9"], "indicator_id": ["A"], "period": [pd.Period("2025-01", "M")],
        "numerator": [1.0], "denominator": [0.0], "value": [np.nan]})], ignore_index=True)
    teams = pd.concat([TEAMS, pd.DataFrame({"team_id": ["T9"], "wave_id": ["W0"],
                                            "joined_period": ["2025-01"]})], ignore_index=True)
    with shared_preparation():
        m, _ = prepare(data, INDICATORS, teams)
        for column in ("team_id", "indicator_id", "month", "wave_id"):
            codes, distinct = frame_codes(m, column)
            expected_codes, expected = sort_codes(m[column])
            np.testing.assert_array_equal(codes, expected_codes, err_msg=column)
            pd.testing.assert_index_equal(distinct, expected)
    assert "T9" not in set(frame_codes(m, "team_id")[1])
    assert list(sort_codes(m["wave_id"])[1]) == ["W1", "W2"]  # W0 (team T9) is not kept


@pytest.mark.parametrize(("codes", "distinct", "expected_codes", "expected"), [
    ([2, 0, 3, 2], ["a", "b", "c"], [1, 0, 2, 1], ["a", "c"]),  # b unused, 3 = missing
    ([0, 1, 1], ["a", "b"], [0, 1, 1], ["a", "b"]),  # all used: unchanged
    ([1, 1], ["a", "b"], [0, 0], ["b"]),
])
def test_compact_codes_drops_the_values_no_row_holds(codes: list[int], distinct: list[str],
                                                     expected_codes: list[int],
                                                     expected: list[str]) -> None:
    out, kept = compact_codes(np.array(codes), pd.Index(distinct, dtype=object))
    assert out.tolist() == expected_codes
    assert list(kept) == expected


def test_per_distinct_builds_each_combination_once_in_row_order() -> None:
    calls: list[tuple[object, ...]] = []

    def build(*values: object) -> str:
        calls.append(values)
        return "-".join(map(str, values))

    letters = np.array(["a", "b", "a", None, "b", None], dtype=object)
    numbers = np.array([1, 2, 1, 3, 2, 3])
    out = per_distinct([letters, numbers], build)
    assert out.tolist() == ["a-1", "b-2", "a-1", "None-3", "b-2", "None-3"]
    assert calls == [("a", 1), ("b", 2), (None, 3)]
    number, first = distinct_numbers([letters, numbers])
    assert number.tolist() == [0, 1, 0, 2, 1, 2] and first.tolist() == [0, 1, 3]


def test_distinct_numbers_treat_none_and_nan_as_one_value_and_number_by_first_row() -> None:
    # a missing value is one value (None and NaN alike), tuples are values, and the
    # combinations are numbered in the order their first rows come
    links = np.empty(7, dtype=object)
    links[:] = [("A", "B"), None, ("A", "B"), np.nan, (), ("A", "B"), None]
    flags = np.array([True, False, True, False, False, False, False])
    number, first = distinct_numbers([links, flags])
    assert number.tolist() == [0, 1, 0, 1, 2, 3, 1]
    assert first.tolist() == [0, 1, 4, 5]
    number, first = distinct_numbers([np.array([3.0, np.nan, 3.0, 1.0, np.nan])])
    assert number.tolist() == [0, 1, 0, 2, 1] and first.tolist() == [0, 1, 3]
    number, first = distinct_numbers([np.zeros(0, dtype=object)])
    assert number.tolist() == [] and first.tolist() == []


def test_wave_cohorts_by_shared_codes_are_those_computed_alone() -> None:
    data = tidy()
    alone = wave_cohorts(data, INDICATORS, TEAMS)  # outside the block: codes by hashing
    assert alone["wave_id"].isna().any()  # T10 has no wave: its group sorts last
    with shared_preparation():
        together = wave_cohorts(data, INDICATORS, TEAMS)
    pd.testing.assert_frame_equal(together, alone, check_exact=True)


@pytest.mark.parametrize("widths", [[3, 4, 5], [2**30, 2**30, 2**30]])  # one key; lexsort
def test_stable_order_sorts_by_the_first_key_then_the_next_and_keeps_ties(
        widths: list[int]) -> None:
    first = np.array([2, 0, 2, 0, 1, 2, 0])
    second = np.array([1, 3, 0, 3, 0, 1, 2])
    third = np.array([4, 1, 0, 1, 3, 2, 0])
    order = stable_order([first, second, third], widths)
    assert order.tolist() == [6, 1, 3, 4, 2, 5, 0]
    assert order.tolist() == np.lexsort((third, second, first)).tolist()
    assert stable_order([], []).tolist() == []

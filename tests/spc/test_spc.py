"""workbench.spc against qicharts2 0.8.1 semantics.

"Reference" is /work/shared/reference/spc-rules.md; expected values are worked by hand from
its formulas (the arithmetic is shown next to each literal).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench.errors import SPCInputError
from workbench.spc.qic import anhoej_critical_values, qic

# A copy of shared/reference/critical_values_anhoej.csv (qbinom and Schilling values, n = 1..1000)
CRITICAL_CSV = Path(__file__).resolve().parents[1] / "data" / "critical_values_anhoej.csv"
approx = pytest.approx


def frame(y, x=None, n=None, **extra) -> pd.DataFrame:
    data = {"x": list(range(1, len(y) + 1)) if x is None else x, "y": y}
    if n is not None:
        data["n"] = n
    data.update(extra)
    return pd.DataFrame(data)


def nan_list(values) -> list:
    return [None if (v is None or (isinstance(v, float) and math.isnan(v))) else v
            for v in values]


# --- Anhøj critical values (reference §2.4.4) ---------------------------------------------


@pytest.mark.skipif(not CRITICAL_CSV.exists(), reason="reference table not available")
def test_critical_values_reproduce_the_reference_table_for_n_1_to_1000():
    expected = pd.read_csv(CRITICAL_CSV)
    got = anhoej_critical_values(expected["n.useful"])
    assert got["longest_run_max"].tolist() == expected["longest.run.max"].tolist()
    assert got["n_crossings_min"].tolist() == expected["n.crossings.min"].tolist()


@pytest.mark.parametrize(("n", "longest", "crossings"), [
    (8, 6, 1), (10, 6, 2), (12, 7, 3), (14, 7, 4), (16, 7, 4), (18, 7, 5), (20, 7, 6),
    (22, 7, 7), (23, 8, 7), (24, 8, 8), (26, 8, 8), (28, 8, 9), (30, 8, 10), (34, 8, 12),
    (36, 8, 13), (40, 8, 14), (46, 9, 17), (50, 9, 19), (100, 10, 41),
])
def test_critical_values_match_the_selected_values_printed_in_reference_2_4(n, longest,
                                                                            crossings):
    row = anhoej_critical_values(n).iloc[0]
    assert (row["longest_run_max"], row["n_crossings_min"]) == (longest, crossings)


def test_critical_values_are_missing_when_there_are_no_useful_observations():
    row = anhoej_critical_values(0).iloc[0]
    assert row["longest_run_max"] is pd.NA and row["n_crossings_min"] is pd.NA


# --- P chart (reference §2.5 p, §2.6, §2.7) ----------------------------------------------


def test_p_chart_centre_line_is_weighted_and_limits_vary_and_clamp_to_0_and_1():
    # CL = (2+4+3+6+1) / (10+20+10+20+2) = 16/62; sigma_i = sqrt(CL(1-CL)/n_i)
    result = qic(frame([2, 4, 3, 6, 1], n=[10, 20, 10, 20, 2]), "p", n="n")
    p = result.points
    assert p["y"].tolist() == approx([0.2, 0.2, 0.3, 0.3, 0.5])
    assert p["cl"].tolist() == approx([16 / 62] * 5)
    assert p["ucl"].tolist() == approx([0.6731795597973009, 0.5515951784794149,
                                        0.6731795597973009, 0.5515951784794149, 1.0])
    assert p["lcl"].tolist() == [0.0] * 5  # CL - 3 sigma < 0 -> 0
    assert p["lcl_95"].tolist() == approx([0.0, 0.062377407895443854, 0.0,
                                           0.062377407895443854, 0.0])
    assert p["ucl_95"].tolist() == approx([0.5348078785745447, 0.4537516243626206,
                                           0.5348078785745447, 0.4537516243626206,
                                           0.8768814868790605])
    s = result.summary.iloc[0]
    # aUCL = mean of the per-point limits (reference §2.7)
    assert s["ucl"] == approx((2 * 0.6731795597973009 + 2 * 0.5515951784794149 + 1) / 5)
    assert s["sigma_signals"] == 0
    assert (s["n_useful"], s["longest_run"], s["n_crossings"]) == (5, 3, 1)


def test_multiply_scales_y_and_every_line_after_the_computation():
    plain = qic(frame([2, 4, 3, 6, 1], n=[10, 20, 10, 20, 2]), "p", n="n").points
    pct = qic(frame([2, 4, 3, 6, 1], n=[10, 20, 10, 20, 2]), "p", n="n", multiply=100).points
    for column in ("y", "cl", "lcl", "ucl", "lcl_95", "ucl_95"):
        assert pct[column].tolist() == approx((plain[column] * 100).tolist())
    assert pct["ucl"].iloc[4] == approx(100.0)  # clamped at 1 before multiplying


# --- I chart (reference §2.5 i, §0.5) ---------------------------------------------------


def test_i_chart_drops_mrs_next_to_a_missing_value_and_bridges_an_excluded_point():
    # Base = included points 10, 12, NA, 11, 13, 12 (point 5 = 30 excluded).
    # CL = 58/5 = 11.6; MRs: |12-10| = 2, NA, NA, |13-11| = 2 (bridged), |12-13| = 1
    # AMR = 5/3; sigma = AMR / 1.128; UCL = 11.6 + 3 sigma = 16.0326...
    data = frame([10, 12, np.nan, 11, 30, 13, 12])
    result = qic(data, "i", exclude=[5])
    p = result.points
    assert p["cl"].iloc[0] == approx(11.6)
    assert p["ucl"].iloc[0] == approx(16.03262411347518)
    assert p["lcl"].iloc[0] == approx(7.167375886524821)
    assert p["ucl_95"].iloc[0] == approx(14.555082742316785)
    assert p["include"].tolist() == [True, True, True, True, False, True, True]
    # the excluded point is still tested against the limits (reference §2.3)
    assert p["sigma_signal"].tolist() == [False, False, False, False, True, False, False]
    s = result.summary.iloc[0]
    # runs: 10-, 12+, 11-, 13+, 12+ -> 4 runs; n.obs counts the missing included point
    assert (s["n_obs"], s["n_useful"], s["longest_run"], s["n_crossings"]) == (6, 5, 2, 3)


def test_screened_moving_ranges_drop_mrs_of_3_267_amr_or_more_and_can_be_switched_off():
    # MRs: eight of 1 and one of 50; AMR = 58/9; 50 >= 3.267 * 58/9 -> dropped, AMR = 1
    data = frame([10, 11, 10, 11, 10, 11, 10, 11, 10, 60])
    screened = qic(data, "i").points.iloc[0]
    assert (screened["lcl"], screened["ucl"]) == approx((12.740425531914894, 18.059574468085106))
    unscreened = qic(data, "i", screen_mr=False).points.iloc[0]
    assert (unscreened["lcl"], unscreened["ucl"]) == approx((-1.7394799054373546,
                                                             32.539479905437354))


def test_i_chart_with_identical_values_has_no_limits_when_screening_removes_every_mr():
    p = qic(frame([5.0] * 6), "i").points  # reference §2.5 i, edge case
    assert p["ucl"].isna().all() and p["lcl"].isna().all()
    assert p["cl"].tolist() == [5.0] * 6


# --- C chart and strict sigma signals (reference §2.5 c, §2.6) --------------------------


def test_c_chart_limits_are_cl_plus_minus_3_sqrt_cl_with_lcl_clamped_at_zero():
    # CL = 30/6 = 5; UCL = 5 + 3*sqrt(5); LCL = 5 - 6.7 < 0 -> 0; LCL.95 = 5 - 2*sqrt(5)
    result = qic(frame([2, 4, 6, 4, 14, 0]), "c")
    p = result.points.iloc[0]
    assert (p["cl"], p["ucl"], p["lcl"]) == approx((5.0, 11.70820393249937, 0.0))
    assert (p["ucl_95"], p["lcl_95"]) == approx((9.47213595499958, 0.5278640450004204))
    # 14 > UCL is a signal; 0 is exactly on LCL = 0, which is not (strict inequality)
    assert result.points["sigma_signal"].tolist() == [False, False, False, False, True, False]
    assert result.summary["sigma_signals"].tolist() == [1]


# --- Run chart, freeze, part, points on the centre line (reference §2.3, §2.4) ----------


def test_freeze_takes_the_median_from_the_baseline_and_tests_every_point_against_it():
    result = qic(frame(list(range(1, 11))), "run", freeze=4)
    p, s = result.points, result.summary.iloc[0]
    assert p["cl"].tolist() == [2.5] * 10  # median(1, 2, 3, 4)
    assert p["baseline"].tolist() == [True] * 4 + [False] * 6
    # 2 below, 8 above: longest run 8 > round(log2 10) + 3 = 6; 1 crossing < 2
    assert (s["n_useful"], s["longest_run"], s["longest_run_max"]) == (10, 8, 6)
    assert (s["n_crossings"], s["n_crossings_min"]) == (1, 2)
    assert bool(s["runs_signal"]) is True
    assert p["runs_signal"].all()


def test_freeze_is_ignored_when_part_is_given():
    result = qic(frame(list(range(1, 11))), "run", freeze=3, part=[5])
    p = result.points
    assert p["baseline"].all()
    assert p["part"].tolist() == [1] * 5 + [2] * 5
    assert p["cl"].tolist() == [3.0] * 5 + [8.0] * 5
    assert result.summary["part"].tolist() == [1, 2]
    assert result.summary["n_obs"].tolist() == [5, 5]


def test_each_part_has_its_own_centre_line_limits_and_moving_ranges():
    # part 1: 1, 3, 1, 3 -> CL 2, MRs 2, 2, 2; part 2: 10, 12, 10, 12 -> CL 11, MRs 2, 2, 2.
    # The jump 3 -> 10 is not a moving range of either part (the sequence restarts).
    p = qic(frame([1, 3, 1, 3, 10, 12, 10, 12]), "i", part=[4]).points
    sigma = 2 / 1.128
    assert p["cl"].tolist() == approx([2.0] * 4 + [11.0] * 4)
    assert p["ucl"].tolist() == approx([2 + 3 * sigma] * 4 + [11 + 3 * sigma] * 4)


def test_part_labels_break_where_the_label_of_each_first_x_changes():
    data = frame(list(range(1, 9)), phase=["before"] * 3 + ["after"] * 5)
    result = qic(data, "run", part_column="phase")
    assert result.points["part"].tolist() == [1, 1, 1, 2, 2, 2, 2, 2]
    assert result.points["cl"].tolist() == [2.0] * 3 + [6.0] * 5


def test_points_on_the_centre_line_neither_extend_a_run_nor_count_as_a_crossing():
    # median 3; signs: -, on, -, on, -, on, + -> useful -,-,-,+ (reference §0.6)
    s = qic(frame([1, 3, 2, 3, 2, 3, 5]), "run").summary.iloc[0]
    assert (s["n_obs"], s["n_useful"], s["longest_run"], s["n_crossings"]) == (7, 4, 3, 1)


def test_a_decimal_point_equal_to_the_mean_is_on_the_centre_line_as_in_r():
    # R's mean(c(0.1, 0.2, 0.3)) is exactly 0.2 (long-double sum); float64 gives 0.2000...04
    result = qic(frame([0.1, 0.2, 0.3]), "i")
    assert result.points["cl"].iloc[0] == 0.2
    assert result.summary["n_useful"].tolist() == [2]


def test_no_useful_observations_gives_missing_numbers_and_no_runs_signal():
    s = qic(frame([4, 4, 4, 4, 4]), "run").summary.iloc[0]
    assert s["n_useful"] == 0
    assert all(s[k] is pd.NA for k in ("longest_run", "longest_run_max", "n_crossings",
                                       "n_crossings_min"))
    assert bool(s["runs_signal"]) is False


# --- Subgroups, sorting, positions (reference §2.1, §0.3) --------------------------------


def test_rows_sharing_x_form_one_subgroup_and_a_missing_subgroup_still_counts_as_a_position():
    data = pd.DataFrame({"x": [3, 1, 1, 2, 4], "y": [5, 1, 2, np.nan, 6],
                         "n": [10, 10, 10, 5, 12]})
    p = qic(data, "p", n="n").points
    assert p["x"].tolist() == [1, 2, 3, 4]  # sorted by x, one point per x
    assert p["xx"].tolist() == [1, 2, 3, 4]
    assert p["n"].tolist() == [20.0, 0.0, 10.0, 12.0]  # the gap gets n = 0
    assert nan_list(p["y"].tolist()) == [0.15, None, 0.5, 0.5]
    # CL = (1+2+5+6) / (20+0+10+12); the gap's limits are infinite -> missing
    assert p["cl"].iloc[0] == approx(14 / 42)
    assert pd.isna(p["ucl"].iloc[1]) and pd.isna(p["lcl"].iloc[1])


def test_without_n_a_subgroup_is_the_mean_of_its_rows_and_n_is_missing():
    data = pd.DataFrame({"x": [1, 1, 2, 3], "y": [2.0, 4.0, 5.0, 1.0]})
    p = qic(data, "run").points
    assert p["y"].tolist() == [3.0, 5.0, 1.0]
    assert p["n"].isna().all()


def test_many_series_in_one_call_equal_one_call_per_series():
    rng = np.random.default_rng(7)
    data = pd.DataFrame({"team": np.repeat(["A", "B", "C"], 20), "x": np.tile(range(20), 3),
                         "y": rng.poisson(8, 60).astype(float), "n": rng.integers(50, 80, 60)})
    together = qic(data, "u", n="n", series="team", freeze=12)
    for team in "ABC":
        alone = qic(data[data.team == team], "u", n="n", freeze=12)
        mine = together.points[together.points.series == team].reset_index(drop=True)
        for column in ("y", "cl", "lcl", "ucl", "sigma_signal", "runs_signal"):
            assert mine[column].tolist() == alone.points[column].tolist()
        summary = together.summary[together.summary.series == team]
        assert summary["n_crossings"].tolist() == alone.summary["n_crossings"].tolist()


def test_positions_count_each_series_own_points():
    # series B has no row for x = 2, so its 3rd point is x = 4 (reference §2.2)
    data = pd.DataFrame({"s": ["A"] * 4 + ["B"] * 3, "x": [1, 2, 3, 4, 1, 3, 4],
                         "y": [1.0, 2, 3, 4, 1, 2, 3]})
    p = qic(data, "run", series="s", exclude=[3]).points
    assert p.loc[~p.include, ["series", "x"]].values.tolist() == [["A", 3], ["B", 4]]


# --- Chart-specific rules ----------------------------------------------------------------


def test_mr_chart_reports_runs_numbers_but_never_a_runs_signal():
    p = qic(frame([1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 20]), "mr")
    # MRs: NA, 1 x 10, 19; CL = 29/11; UCL = 3.267 CL
    assert nan_list(p.points["y"].tolist())[:3] == [None, 1.0, 1.0]
    assert p.points["cl"].iloc[0] == approx(29 / 11)
    assert p.points["ucl"].iloc[0] == approx(3.267 * 29 / 11)
    assert p.summary["n_useful"].iloc[0] == 11
    assert not p.summary["runs_signal"].iloc[0]


def test_categorical_x_switches_the_runs_signal_off():
    data = frame(list(range(1, 11)), x=list("abcdefghij"))
    result = qic(data, "run")
    assert result.summary["longest_run"].iloc[0] == 5
    assert bool(result.summary["runs_signal"].iloc[0]) is False
    # the same values with numeric x: 1 crossing < 2 is a signal
    numeric = qic(frame(list(range(1, 11))), "run")
    assert bool(numeric.summary["runs_signal"].iloc[0]) is True


def test_monthly_periods_are_time_ordered_not_categorical():
    months = pd.period_range("2024-01", periods=10, freq="M")[::-1]  # given newest first
    result = qic(frame(list(range(10, 0, -1)), x=months), "run")
    assert result.points["y"].tolist() == list(range(1, 11))  # sorted by month
    assert bool(result.summary["runs_signal"].iloc[0]) is True  # 1 crossing < 2


def test_g_chart_limits_come_from_the_mean_but_the_centre_line_is_the_median():
    p = qic(frame([5, 10, 15, 30]), "g").points.iloc[0]
    # mean 15, sigma = sqrt(15 * 16); CL = median = 12.5
    assert (p["cl"], p["ucl"], p["ucl_95"], p["lcl"]) == approx((12.5, 61.47580015448901,
                                                                 45.983866769659336, 0.0))


def test_xbar_and_s_charts_use_c4_constants_for_equal_subgroup_sizes():
    data = pd.DataFrame({"x": np.repeat([1, 2, 3], 3), "y": [1, 2, 3, 2, 3, 4, 3, 4, 5.0]})
    # means 2, 3, 4; s = 1 each; c4(3) = 0.886227; A3 = 3 / (c4 sqrt 3) = 1.954410
    xbar = qic(data, "xbar").points.iloc[0]
    assert (xbar["cl"], xbar["ucl"], xbar["lcl"]) == approx((3.0, 4.954410047611679,
                                                             1.0455899523883203))
    s = qic(data, "s").points.iloc[0]
    # B4 = 1 + 3 c5 / c4 = 2.568170; B3 = max(0, 1 - 1.568) = 0
    assert (s["cl"], s["ucl"], s["lcl"]) == approx((1.0, 2.5681696026311895, 0.0))


def test_t_chart_back_transforms_an_i_chart_of_y_to_the_power_1_over_3_6():
    y = [2.0 ** 3.6, 3.0 ** 3.6, 2.0 ** 3.6, 3.0 ** 3.6]  # transformed: 2, 3, 2, 3
    p = qic(frame(y), "t").points.iloc[0]
    sigma = 1 / 1.128
    assert p["cl"] == approx(2.5 ** 3.6)
    assert p["ucl"] == approx((2.5 + 3 * sigma) ** 3.6)
    assert p["ucl_95"] == approx((2.5 + 2 * sigma) ** 3.6)
    assert p["lcl_95"] == approx((2.5 - 2 * sigma) ** 3.6)
    assert p["lcl"] == 0.0  # 2.5 - 3 sigma < 0: the back-transform is NaN, and LCL becomes 0


def test_pp_chart_widens_p_limits_by_sigma_z_from_moving_ranges_of_z():
    n = [1000, 1000, 1000, 1000]
    result = qic(frame([100, 200, 100, 200], n=n), "pp", n="n")
    # CL = 0.15; sigma_i = sqrt(.15 * .85 / 1000); z = -+ 0.05 / sigma_i; MR(z) constant
    sigma_i = math.sqrt(0.15 * 0.85 / 1000)
    sigma_z = (0.1 / sigma_i) / 1.128
    assert result.points["ucl"].iloc[0] == approx(0.15 + 3 * sigma_i * sigma_z)


# --- Input errors ------------------------------------------------------------------------


@pytest.mark.parametrize(("data", "kwargs", "message"), [
    (pd.DataFrame({"x": [1], "value": [2]}), {"chart": "run"},
     "column 'y' (y) is missing; the data has x, value."),
    (frame([1, 2]), {"chart": "p"},
     "a p chart needs a denominator: add an 'n' column with the number of cases "
     "(opportunities) of each row."),
    (frame([1, 12], n=[10, 10]), {"chart": "p", "n": "n"},
     "row 3, column 'y': 12 is larger than its denominator n; a proportion needs y <= n."),
    (frame(["1", "two"]), {"chart": "i"},
     "row 3, column 'y': 'two' is not a number. Write a number, or leave the cell empty for "
     "a missing value."),
    (frame([1, 2, 3]), {"chart": "i", "freeze": 4},
     "freeze position 4 is out of range: positions count the points of a series from 1, "
     "and the longest series here has 3 points."),
])
def test_bad_input_raises_spc_input_error_naming_row_and_column(data, kwargs, message):
    with pytest.raises(SPCInputError) as caught:
        qic(data, **kwargs)
    assert str(caught.value) == message

"""IHI run-chart rules and NHS Making Data Count rules (workbench.spc.rules).

IHI: Perla, Provost & Murray 2011, BMJ Qual Saf 20:46-51 (qi-tools-and-user-needs.md §B2).
NHS: NHSRplotthedots 0.2.2 as described in spc-rules.md §3.
"""

from __future__ import annotations

import pandas as pd
import pytest

from workbench.spc.ihi_runs import TABLE_DIFFERS_AT, exact_runs_limits
from workbench.spc.qic import qic
from workbench.spc.rules import IHI_RUNS_TABLE


def frame(y, **extra) -> pd.DataFrame:
    return pd.DataFrame({"x": list(range(1, len(y) + 1)), "y": y, **extra})


# --- IHI ---------------------------------------------------------------------------------


def test_ihi_rules_are_named_and_versioned_in_the_output():
    result = qic(frame([1.0, 2, 3]), "run", rules="ihi")
    assert result.rules == "ihi-2011"
    assert result.summary["rules"].tolist() == ["ihi-2011"]


def test_when_six_points_are_above_the_median_then_shift_and_a_point_on_it_does_not_break_it():
    # baseline median of 1, 9, 1, 9 is 5; then five below (no shift) and six above with a
    # point exactly on the median in between (skipped, Perla 2011 rule 1)
    y = [1, 9, 1, 9, 1, 1, 1, 1, 1, 9, 9, 9, 5, 9, 9, 9]
    p = qic(frame(y), "run", freeze=4, rules="ihi").points
    assert p["ihi_shift"].tolist() == [False] * 9 + [True] * 3 + [False] + [True] * 3
    assert not p["ihi_trend"].any()


def test_when_five_points_rise_with_a_tie_counted_once_then_trend():
    # 1, 2, 2, 3, 4, 5: the tie neither adds to nor breaks the trend (Perla 2011 rule 2)
    p = qic(frame([5, 1, 2, 2, 3, 4, 5, 3]), "run", rules="ihi").points
    assert p["ihi_trend"].tolist() == [False, True, True, True, True, True, True, False]


def test_when_only_four_distinct_values_rise_then_no_trend():
    p = qic(frame([5, 1, 2, 2, 3, 4, 3]), "run", rules="ihi").points
    assert not p["ihi_trend"].any()


def test_runs_table_is_perla_table_1_for_10_to_60_useful_observations():
    assert sorted(IHI_RUNS_TABLE) == list(range(10, 61))
    assert IHI_RUNS_TABLE[10] == (3, 9)
    assert IHI_RUNS_TABLE[16] == (5, 13)
    assert IHI_RUNS_TABLE[20] == (6, 16)
    assert all(lo < hi for lo, hi in IHI_RUNS_TABLE.values())


def test_when_16_points_form_4_runs_then_too_few_runs():
    # The Quality Digest example (Balestracci 2008): runs of 7, 7, 1 and 1 around the median
    y = [9] * 7 + [1] * 7 + [9, 1]
    result = qic(frame(y), "run", rules="ihi")
    s = result.summary.iloc[0]
    assert (s["ihi_n_runs"], s["ihi_runs_lower"], s["ihi_runs_upper"]) == (4, 5, 13)
    assert bool(s["ihi_too_few_runs"]) and not s["ihi_too_many_runs"]
    assert result.points["ihi_runs"].all()


def test_when_20_points_alternate_then_too_many_runs():
    s = qic(frame([1, 9] * 10), "run", rules="ihi").summary.iloc[0]
    assert (s["ihi_n_runs"], s["ihi_runs_upper"]) == (20, 16)
    assert bool(s["ihi_too_many_runs"])


def test_runs_rule_is_not_applied_below_10_useful_observations():
    s = qic(frame([1, 9] * 4), "run", rules="ihi").summary.iloc[0]
    assert s["ihi_runs_lower"] is pd.NA and not s["ihi_too_many_runs"]


def test_astronomical_point_on_a_run_chart_is_outside_the_i_chart_3_sigma_limits():
    # I chart: CL = 130/11 = 11.82; MRs 2 x 9 and 8, AMR 2.6 (8 < 3.267 * 2.6, kept);
    # UCL = 11.82 + 3 * 2.6/1.128 = 18.73 < 20; LCL = 4.90
    y = [10, 12] * 5 + [20]
    p = qic(frame(y), "run", rules="ihi").points
    assert p["ihi_astronomical"].tolist() == [False] * 10 + [True]
    assert p["sigma_signal"].sum() == 0  # a run chart itself has no sigma signals


def test_astronomical_point_on_a_run_chart_with_n_uses_p_chart_limits():
    # p = 0.1 x 9, then 0.9 with n = 100: far outside the p chart limits
    y, n = [10] * 9 + [90], [100] * 10
    p = qic(frame(y, n=n), "run", n="n", rules="ihi").points
    assert p["ihi_astronomical"].tolist() == [False] * 9 + [True]


def test_exact_runs_limits_reproduce_swed_eisenhart_for_10_above_and_10_below():
    # Swed & Eisenhart 1943, Table II (n1 = n2 = 10, 2.5 % each tail): 6 runs or fewer and
    # 16 or more are significant, so fewer than 7 or more than 15 is a signal
    assert exact_runs_limits(20) == (7, 15)


@pytest.mark.parametrize(("n", "table", "exact"), [
    (10, (3, 9), (3, 9)), (11, (3, 10), (4, 9)), (20, (6, 16), (7, 15)),
    (30, (11, 21), (11, 21)), (41, (16, 27), (15, 28)), (59, (24, 38), (23, 38)),
])
def test_published_and_exact_runs_limits(n, table, exact):
    assert IHI_RUNS_TABLE[n] == table
    assert exact_runs_limits(n) == exact


def test_published_table_differs_from_the_exact_limits_at_16_values_of_n():
    differ = [n for n in range(10, 61) if exact_runs_limits(n) != IHI_RUNS_TABLE[n]]
    assert differ == list(TABLE_DIFFERS_AT) == [11, 12, 17, 20, 22, 23, 25, 29, 32, 37, 41,
                                                43, 53, 55, 57, 59]


# 20 useful points, 10 above and 10 below the median 5, in 16 runs (4 of 2, 12 of 1)
SIXTEEN_RUNS = [9, 9, 1, 1, 9, 9, 1, 1] + [9, 1] * 6


@pytest.mark.parametrize(("rules", "version", "upper", "too_many"), [
    ("ihi", "ihi-2011", 16, False), ("ihi-exact", "ihi-2011-exact-runs", 15, True),
])
def test_the_two_ihi_rule_sets_disagree_on_16_runs_among_20_points(rules, version, upper,
                                                                   too_many):
    result = qic(frame(SIXTEEN_RUNS), "run", rules=rules)
    s = result.summary.iloc[0]
    assert (result.rules, s["ihi_n_runs"], s["ihi_runs_upper"]) == (version, 16, upper)
    assert bool(s["ihi_too_many_runs"]) is too_many
    assert result.points["ihi_runs"].tolist() == [too_many] * 20


def test_exact_runs_rule_applies_beyond_60_useful_points_where_the_table_stops():
    alternating = frame([1, 9] * 36)  # 72 runs among 72 points
    table = qic(alternating, "run", rules="ihi").summary.iloc[0]
    exact = qic(alternating, "run", rules="ihi-exact").summary.iloc[0]
    assert table["ihi_runs_upper"] is pd.NA and not table["ihi_too_many_runs"]
    assert (exact["ihi_runs_lower"], exact["ihi_runs_upper"]) == (29, 45)
    assert bool(exact["ihi_too_many_runs"])


# --- NHS Making Data Count (spc-rules.md §3) ----------------------------------------------

BASE = [10, 12] * 6  # mean 11, every MR 2: limits 11 -+ 2.66*2 = 5.68 / 16.32


def nhs(after, **kwargs):
    return qic(frame(BASE + after), "i", freeze=12, rules="nhs", **kwargs)


def test_nhs_limits_are_mean_plus_minus_2_66_amr():
    s = nhs([11]).summary.iloc[0]
    assert (s["nhs_mean"], s["nhs_lpl"], s["nhs_upl"]) == pytest.approx((11, 5.68, 16.32))
    assert s["rules"] == "nhs-mdc-ptd-0.2.2"


def test_nhs_point_beyond_the_process_limit_is_above_ucl():
    p = nhs([17]).points.iloc[-1]
    assert p["nhs_special_cause"] == "Above UCL"
    assert p["nhs_point_type"] == "special_cause_improvement"


def test_nhs_two_of_three_beyond_two_sigma_flags_only_the_close_points():
    # 2-sigma line: 11 + (2/3)*5.32 = 14.547; 15 is close, 11.5 is above the mean only
    p = nhs([15, 11.5, 15]).points.tail(3)
    assert p["nhs_two_in_three"].tolist() == [True, False, True]
    assert p["nhs_special_cause"].tolist() == ["2 in 3 Above CL", "Common Cause",
                                               "2 in 3 Above CL"]


def test_nhs_seven_points_on_one_side_of_the_mean_are_all_flagged():
    # the last baseline point (12) is above the mean too: a run of 8 above
    p = nhs([11.5] * 7).points.tail(9)
    assert p["nhs_seven_one_side"].tolist() == [False] + [True] * 8
    assert p["nhs_special_cause"].iloc[-1] == "7 Points Above CL"


def test_nhs_seven_point_trend_needs_six_strictly_rising_steps():
    rising = nhs([11, 11.2, 11.4, 11.6, 11.8, 12.0, 12.2]).points.tail(7)
    assert rising["nhs_trend"].all()
    assert set(rising["nhs_special_cause"]) == {"7 Point Trend (Increasing)"}
    tied = nhs([11, 11.2, 11.4, 11.4, 11.8, 12.0, 12.2]).points.tail(7)
    assert not tied["nhs_trend"].any()


def test_nhs_outside_limits_takes_precedence_over_a_trend():
    p = nhs([11, 11.5, 12, 13, 14, 15, 17]).points.tail(7)
    assert p["nhs_trend"].all() and p["nhs_outside_limits"].iloc[-1]
    assert p["nhs_special_cause"].iloc[-1] == "Above UCL"
    assert p["nhs_special_cause"].iloc[-2] == "7 Point Trend (Increasing)"


@pytest.mark.parametrize(("direction", "variation"), [
    ("increase", "improvement_high"), ("decrease", "concern_high"), ("neutral", "neutral_high"),
])
def test_nhs_variation_icon_comes_from_the_last_point_and_the_direction(direction, variation):
    s = nhs([17], direction=direction).summary.iloc[0]
    assert s["nhs_variation"] == variation


@pytest.mark.parametrize(("target", "direction", "assurance"), [
    (4, "increase", "consistent_pass"), (4, "decrease", "consistent_fail"),
    (20, "increase", "consistent_fail"), (11, "increase", "inconsistent"),
])
def test_nhs_assurance_icon_compares_the_target_with_the_last_limits(target, direction,
                                                                     assurance):
    s = nhs([11], target=target, direction=direction).summary.iloc[0]
    assert s["nhs_assurance"] == assurance


def test_nhs_group_shorter_than_13_points_is_marked():
    s = qic(frame(BASE), "i", rules="nhs").summary.iloc[0]
    assert bool(s["nhs_short_group"])


# A rise of 7 points ends at 12.2; the next point is also 12.2 and starts a fall of 7.
RISE_TIE_FALL = [11, 11.2, 11.4, 11.6, 11.8, 12.0, 12.2, 12.2, 12.0, 11.8, 11.6, 11.4, 11.2, 11.0]


@pytest.mark.parametrize(("direction", "point_type"), [
    ("decrease", "special_cause_improvement"), ("increase", "special_cause_concern"),
    ("neutral", "special_cause_neutral_low"),
])
def test_nhs_trend_tie_takes_the_step_to_the_right_and_counts_a_tie_as_decreasing(direction,
                                                                                   point_type):
    # NHSRplotthedots 0.2.2 (spc-rules.md §3.4.2): the direction of a point inside a trend is
    # the step to its right when the next point is in a trend too; a tie (0) is decreasing
    p = nhs(RISE_TIE_FALL, direction=direction).points.iloc[12:]
    tie = p.iloc[6]  # the first 12.2: ends the rise, its next point starts the fall
    assert tie["nhs_trend"]
    assert tie["nhs_special_cause"] == "7 Point Trend (Decreasing)"
    assert tie["nhs_point_type"] == point_type
    assert p["nhs_special_cause"].tolist() == (["7 Point Trend (Increasing)"] * 6
                                               + ["7 Point Trend (Decreasing)"] * 8)


def test_nhs_variation_icon_of_a_series_ending_in_the_fall_after_a_tie_is_low():
    s = nhs(RISE_TIE_FALL, direction="decrease").summary.iloc[0]
    assert (s["nhs_variation"], s["nhs_special_cause_improvement"]) == ("improvement_low", 8)

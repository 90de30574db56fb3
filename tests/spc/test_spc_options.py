"""The qicharts2 and NHSRplotthedots options users of the peers rely on (issue 15 item 2).

qicharts2 0.8.1 `qic()`: `cl`, `target`, `y.neg`, `agg.fun`, `x.period` (spc-rules.md §2.1,
§2.3, §2.5, §2.6 and the package's help page); NHSRplotthedots 0.2.2 `ptd_spc()`: per-facet
targets, `rebase` dates (`ptd_rebase`), `fix_after_n_points` within each rebase group, and
the trajectory column (spc-rules.md §3). Expected values are worked by hand next to them.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from workbench.errors import SPCInputError
from workbench.spc.qic import qic

approx = pytest.approx


def frame(y, **extra) -> pd.DataFrame:
    return pd.DataFrame({"x": list(range(1, len(y) + 1)), "y": y, **extra})


def months(n: int, start: str = "2024-01") -> list[pd.Timestamp]:
    return list(pd.period_range(start, periods=n, freq="M").to_timestamp())


# --- cl: a fixed centre line (qicharts2 `cl`; §2.3, §2.5) ---------------------------------


def test_given_centre_line_replaces_the_mean_and_the_limits_are_built_around_it():
    # y - cl differences give MRs 4, 3, 2, 1, 0: AMR 2 (none >= 3.267 * 2), sigma 2 / 1.128
    result = qic(frame([8, 12, 9, 11, 10, 10]), "i", cl=9)
    p = result.points
    assert p["cl"].tolist() == [9.0] * 6
    assert p["ucl"].tolist() == approx([9 + 3 * 2 / 1.128] * 6)
    assert p["lcl"].tolist() == approx([9 - 3 * 2 / 1.128] * 6)
    # runs against 9, not the mean 10: -, +, (on the line), +, +, + -> 5 useful, runs 1 and 4
    s = result.summary.iloc[0]
    assert (s["n_useful"], s["longest_run"], s["n_crossings"]) == (5, 4, 1)


def test_given_centre_line_of_a_p_chart_sets_sigma_and_is_in_units_before_multiply():
    # sigma_i = sqrt(0.25 * 0.75 / n_i); n = 10 -> 0.1369306, n = 20 -> 0.0968246
    p = qic(frame([2, 4, 3, 6, 1], n=[10, 20, 10, 20, 2]), "p", n="n", cl=0.25,
            multiply=100).points
    assert p["cl"].tolist() == approx([25.0] * 5)
    assert p["ucl"].tolist() == approx([66.07919, 54.04738, 66.07919, 54.04738, 100.0],
                                       rel=1e-6)


def test_given_centre_line_of_a_g_chart_gives_the_limits_and_shows_its_median():
    # m = 10: sigma = sqrt(10 * 11); UCL = 10 + 3 sigma; the line shown is 0.693 * 10
    p = qic(frame([3.0, 10, 5, 8, 20]), "g", cl=10).points
    assert p["cl"].tolist() == approx([6.93] * 5)
    assert p["ucl"].tolist() == approx([10 + 3 * math.sqrt(110)] * 5)
    assert p["lcl"].tolist() == [0.0] * 5


def test_centre_line_column_with_a_gap_in_a_part_leaves_that_part_computed():
    # qicharts2 computes the line of a part whose cl has any NA (`anyNA(x$cl)`)
    data = frame([1.0, 2, 3, 4, 5, 6], line=[None, 9, 9, 4, 4, 4])
    p = qic(data, "run", part=[3], cl="line").points
    assert p["cl"].tolist() == [2.0, 2.0, 2.0, 4.0, 4.0, 4.0]


# --- target, trajectory ------------------------------------------------------------------


def test_target_is_carried_to_every_point_in_plotted_units():
    p = qic(frame([0.5, 0.6, 0.7]), "i", multiply=100, target=80).points
    assert p["target"].tolist() == [80.0] * 3


def test_target_per_series_and_trajectory_column_reach_their_points():
    data = pd.DataFrame({"series": ["A"] * 3 + ["B"] * 3, "x": [1, 2, 3] * 2,
                         "y": [1.0, 2, 3, 4, 5, 6], "plan": [1.0, 1.5, 2, 4, 4.5, 5]})
    p = qic(data, "i", series="series", target={"A": 2.5}, trajectory="plan").points
    assert p["target"].tolist()[:3] == [2.5] * 3 and p["target"].isna().tolist()[3:] == [True] * 3
    assert p["trajectory"].tolist() == [1.0, 1.5, 2, 4, 4.5, 5]


def test_target_for_an_unknown_series_is_an_error():
    data = pd.DataFrame({"series": ["A", "A"], "x": [1, 2], "y": [1.0, 2]})
    with pytest.raises(SPCInputError, match="target names series 'C', which is not in the data"):
        qic(data, "i", series="series", target={"C": 1.0})


# --- y.neg = FALSE (§2.6) ----------------------------------------------------------------


def test_without_negative_values_negative_lower_limits_are_cut_at_zero():
    # mean 3, every MR 4: LCL = 3 - 3 * 4/1.128 = -7.64, LCL95 = 3 - 2 * 4/1.128 = -4.09
    data = frame([1.0, 5, 1, 5, 1, 5])
    kept = qic(data, "i").points
    cut = qic(data, "i", y_neg=False)
    assert kept["lcl"].iloc[0] == approx(3 - 3 * 4 / 1.128)
    assert cut.points["lcl"].tolist() == [0.0] * 6
    assert cut.points["lcl_95"].tolist() == [0.0] * 6
    assert cut.summary["lcl"].tolist() == [0.0]
    assert cut.points["ucl"].tolist() == kept["ucl"].tolist()


def test_with_a_negative_value_the_lower_limits_stay_negative():
    p = qic(frame([-1.0, 5, 1, 5, 1, 5]), "i", y_neg=False).points
    assert (p["lcl"] < 0).all()


# --- agg.fun (§2.1) ----------------------------------------------------------------------

THREE_PER_X = pd.DataFrame({"x": [1, 1, 1, 2, 2, 2, 3, 3, 3],
                            "y": [1.0, 2, 9, 3, 4, 5, 7, 7, 7]})


@pytest.mark.parametrize(("agg_fun", "expected"), [
    ("mean", [4.0, 4.0, 7.0]), ("median", [2.0, 4.0, 7.0]), ("sum", [12.0, 12.0, 21.0]),
    ("sd", [math.sqrt(19), 1.0, 0.0]),  # sd(1, 2, 9): deviations -3, -2, 5 -> 38 / 2
])
def test_agg_fun_summarises_the_rows_of_a_subgroup(agg_fun, expected):
    p = qic(THREE_PER_X, "run", agg_fun=agg_fun).points
    assert p["y"].tolist() == approx(expected)


def test_agg_fun_is_ignored_when_a_denominator_is_given():
    data = THREE_PER_X.assign(n=10.0)
    p = qic(data, "run", n="n", agg_fun="median").points
    assert p["y"].tolist() == approx([12 / 30, 12 / 30, 21 / 30])


def test_a_subgroup_without_values_stays_a_gap_when_summed():
    data = pd.DataFrame({"x": [1, 1, 2, 2, 3], "y": [1.0, 2, None, None, 4]})
    assert qic(data, "run", agg_fun="sum").points["y"].isna().tolist() == [False, True, False]


def test_unknown_agg_fun_names_the_choices():
    with pytest.raises(SPCInputError, match="unknown agg_fun 'max'; choose one of mean, median, "
                                            "sum, sd."):
        qic(THREE_PER_X, "run", agg_fun="max")


# --- x.period (§2.1; R's cut() of dates) -------------------------------------------------


def test_x_period_week_groups_days_from_monday():
    # 2024-01-01 is a Monday: days 1-7 form one week (mean of 1..7 = 4), days 8-10 the next
    days = pd.date_range("2024-01-01", periods=10, freq="D")
    p = qic(pd.DataFrame({"x": days, "y": range(1, 11)}), "run", x_period="week").points
    assert p["x"].tolist() == [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-08")]
    assert p["y"].tolist() == [4.0, 9.0]


def test_x_period_month_sums_numerators_and_denominators_of_the_month():
    data = pd.DataFrame({"x": pd.to_datetime(["2024-01-30", "2024-01-31", "2024-02-01"]),
                         "y": [1, 2, 3], "n": [10, 10, 10]})
    p = qic(data, "p", n="n", x_period="month").points
    assert p["x"].tolist() == [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-02-01")]
    assert p["y"].tolist() == approx([3 / 20, 3 / 10])
    assert p["n"].tolist() == [20.0, 10.0]


def test_x_period_needs_dates():
    with pytest.raises(SPCInputError, match="x_period needs dates in column 'x'"):
        qic(frame([1.0, 2]), "run", x_period="month")


# --- NHS: per-facet targets, rebase dates, fix_after_n_points with rebase, §3 -------------

BASE = [10, 12] * 6  # mean 11, every MR 2: process limits 5.68 and 16.32


def two_teams(after_a, after_b) -> pd.DataFrame:
    a, b = BASE + after_a, BASE + after_b
    return pd.DataFrame({"series": ["A"] * len(a) + ["B"] * len(b),
                         "x": months(len(a)) + months(len(b)), "y": a + b})


def test_nhs_targets_per_series_give_each_series_its_assurance():
    result = qic(two_teams([11], [11]), "i", series="series", freeze=12, rules="nhs",
                 target={"A": 4, "B": 20})
    assert result.summary["nhs_assurance"].tolist() == ["consistent_pass", "consistent_fail"]


def test_rebase_dates_start_a_new_part_at_that_point_per_series():
    data = two_teams([11] * 6, [11] * 6)  # 18 months each, 2024-01 .. 2025-06
    result = qic(data, "i", series="series", rebase={"A": ["2024-07-01"]})
    p = result.points
    assert p.loc[p["series"] == "A", "part"].tolist() == [1] * 6 + [2] * 12
    assert p.loc[p["series"] == "B", "part"].tolist() == [1] * 18
    both = qic(data, "i", series="series", rebase=[pd.Timestamp("2025-01-01")]).summary
    assert both["part"].tolist() == [1, 2, 1, 2]


def test_a_rebase_date_that_is_no_point_of_its_series_is_an_error():
    with pytest.raises(SPCInputError, match="rebase date 2024-07-15 is not an x of series 'A'"):
        qic(two_teams([11], [11]), "i", series="series", rebase={"A": ["2024-07-15"]})


def test_parts_given_two_ways_are_an_error():
    with pytest.raises(SPCInputError, match="give parts one way: part and rebase"):
        qic(two_teams([11], [11]), "i", series="series", part=[6], rebase=["2024-07-01"])


def test_nhs_fix_after_n_points_counts_within_each_rebase_group():
    # part 2 = 15 points: the NHS mean comes from its first 12 (20, 22 six times -> 21), while
    # qicharts2's own columns ignore freeze when parts are given (all 15: 372 / 15 = 24.8)
    data = pd.DataFrame({"x": months(27), "y": BASE + [20, 22] * 6 + [40, 40, 40]})
    s = qic(data, "i", rules="nhs", freeze=12, rebase=["2025-01-01"]).summary
    assert s["nhs_mean"].tolist() == approx([11.0, 21.0])
    assert s["cl"].tolist() == approx([11.0, 24.8])


def test_nhs_fix_after_n_points_below_12_is_refused_as_the_peer_does():
    with pytest.raises(SPCInputError, match="freeze \\(fix_after_n_points\\) must be at least "
                                            "12, not 6"):
        qic(frame(BASE), "i", rules="nhs", freeze=6)

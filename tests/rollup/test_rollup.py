"""Collaborative roll-ups on hand-built tidy frames, with the expected numbers worked by hand.

Metric definitions: Franco et al., BMJ Qual Saf 2011;20:658-665 (HCI collaboratives) as
summarised in shared/reference/qi-tools-and-user-needs.md §B6; conventions in
workbench/rollup_base.py.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from workbench.errors import ValidationFailed
from workbench.rollup import metrics as rollup

INDICATORS = pd.DataFrame({
    "indicator_id": ["AMTSL", "PPH"],
    "target": [0.9, 0.05],
    "direction": ["increase", "decrease"],
    "kind": ["proportion", "proportion"],
    "chart": ["p", "p"],
    "multiplier": [100.0, 100.0],
})


def tidy(rows: list[tuple]) -> pd.DataFrame:
    """(team, indicator, 'YYYY-MM', numerator, denominator) -> the store's tidy frame."""
    frame = pd.DataFrame(rows, columns=["team_id", "indicator_id", "period", "numerator",
                                        "denominator"])
    frame["period"] = pd.PeriodIndex(frame["period"], freq="M")
    frame["numerator"] = frame["numerator"].astype(float)
    frame["denominator"] = frame["denominator"].astype(float)
    frame["value"] = frame["numerator"] / frame["denominator"].where(frame["denominator"] > 0)
    return frame


def teams(*rows: tuple[str, str | None, str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["team_id", "wave_id", "joined_period"])


def row(frame: pd.DataFrame, **equals: object) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for column, value in equals.items():
        mask &= frame[column].isna() if value is None else frame[column] == value
    assert mask.sum() == 1, f"{mask.sum()} rows match {equals}"
    return frame[mask].iloc[0]


# ------------------------------------------------------------------------------------------
# indicator_summary


def test_month_summary_counts_a_value_equal_to_the_target_as_at_target():
    data = tidy([("T01", "AMTSL", "2024-01", 9, 10),    # 0.9 = target: at target
                 ("T02", "AMTSL", "2024-01", 8, 10),    # 0.8
                 ("T03", "AMTSL", "2024-01", 10, 20)])  # 0.5
    out = rollup.indicator_summary(data, INDICATORS)
    r = row(out, indicator_id="AMTSL")
    assert r["teams_reporting"] == 3
    assert r["teams_at_target"] == 1
    assert r["pct_at_target"] == pytest.approx(100 / 3)
    assert (r["pooled_numerator"], r["pooled_denominator"]) == (27.0, 40.0)
    assert r["pooled_value"] == pytest.approx(0.675)
    assert r["pooled_at_target"] == 0.0
    assert r["median"] == pytest.approx(0.8)
    assert r["q1"] == pytest.approx(0.65)  # 0.5 + 0.5 * (0.8 - 0.5), linear interpolation
    assert r["q3"] == pytest.approx(0.85)
    assert r["iqr"] == pytest.approx(0.2)


def test_for_a_decrease_indicator_at_target_means_at_or_below_it():
    data = tidy([("T01", "PPH", "2024-01", 1, 20),   # 0.05 = target
                 ("T02", "PPH", "2024-01", 2, 20),   # 0.10 above: not at target
                 ("T03", "PPH", "2024-01", 0, 20)])  # 0.00
    r = row(rollup.indicator_summary(data, INDICATORS), indicator_id="PPH")
    assert r["teams_at_target"] == 2
    assert r["pct_at_target"] == pytest.approx(200 / 3)
    assert r["pooled_value"] == pytest.approx(0.05)
    assert r["pooled_at_target"] == 1.0


def test_missing_months_and_zero_denominators_are_not_reports():
    data = tidy([("T01", "AMTSL", "2024-01", 5, 10), ("T02", "AMTSL", "2024-01", 7, 10),
                 ("T01", "AMTSL", "2024-02", 6, 10), ("T02", "AMTSL", "2024-02", 0, 0)])
    out = rollup.indicator_summary(data, INDICATORS)
    assert out["period"].astype(str).tolist() == ["2024-01", "2024-02"]
    assert out["teams_reporting"].tolist() == [2, 1]
    assert out["pooled_denominator"].tolist() == [20.0, 10.0]


def test_teams_joined_counts_teams_that_had_joined_by_each_month():
    data = tidy([("T01", "AMTSL", "2024-01", 5, 10), ("T01", "AMTSL", "2024-03", 5, 10),
                 ("T02", "AMTSL", "2024-03", 5, 10)])
    out = rollup.indicator_summary(data, INDICATORS,
                                   teams(("T01", "W1", "2024-01"), ("T02", "W2", "2024-03")))
    assert out["teams_joined"].tolist() == [1.0, 2.0]


def test_data_after_the_reporting_period_are_ignored():
    data = tidy([("T01", "AMTSL", "2024-01", 5, 10), ("T01", "AMTSL", "2024-02", 9, 10)])
    out = rollup.latest_indicator_summary(data, INDICATORS, period="2024-01")
    r = row(out, indicator_id="AMTSL")
    assert str(r["period"]) == "2024-01"
    assert r["pooled_value"] == pytest.approx(0.5)
    assert row(out, indicator_id="PPH")["teams_reporting"] == 0


def test_the_latest_summary_is_the_reporting_months_rows_of_the_full_summary():
    # the latest summary pools the reporting month's rows alone: the same numbers and types
    # as that month's rows of `indicator_summary` over every month
    data = tidy([("T01", "AMTSL", "2024-01", 5, 10), ("T02", "AMTSL", "2024-01", 8, 10),
                 ("T01", "AMTSL", "2024-02", 9, 10), ("T02", "AMTSL", "2024-02", 3, 10),
                 ("T03", "AMTSL", "2024-02", 7, 20), ("T01", "PPH", "2024-01", 1, 20),
                 ("T02", "PPH", "2024-03", 2, 20)])
    joined = teams(("T01", "W1", "2024-01"), ("T02", "W1", "2024-01"), ("T03", "W2", "2024-02"))
    latest = rollup.latest_indicator_summary(data, INDICATORS, joined, period="2024-02")
    assert latest["teams_reporting"].tolist() == [3, 0]  # PPH: nobody that month
    assert latest["pooled_numerator"].tolist()[0] == 19.0
    assert latest["pooled_denominator"].tolist()[0] == 40.0
    assert latest["median"].tolist()[0] == pytest.approx(0.35)
    assert latest["teams_joined"].tolist() == [3, 3]
    full = rollup.indicator_summary(data, INDICATORS, joined, period="2024-02")
    month = full[full["period"] == pd.Period("2024-02", freq="M")].reset_index(drop=True)
    pd.testing.assert_frame_equal(latest.iloc[:1].drop(columns=["teams_joined"]),
                                  month.drop(columns=["teams_joined"]))
    march = rollup.latest_indicator_summary(data, INDICATORS, joined, period="2024-03")
    assert march["teams_reporting"].tolist() == [0, 1]
    assert march["pooled_value"].tolist()[1] == pytest.approx(0.1)
    assert math.isnan(march["pooled_value"].tolist()[0])


def test_a_period_that_is_not_a_month_is_refused_with_the_fix():
    with pytest.raises(ValidationFailed, match=r"period '2024-13' is not a month; write it as "
                                               r"YYYY-MM \(year 1900 or later\), e\.g\. 2025-06\."):
        rollup.indicator_summary(tidy([]), INDICATORS, period="2024-13")


# ------------------------------------------------------------------------------------------
# time_to_threshold

AMTSL_SERIES = [
    # T01 joined 2024-01: 0.50 0.70 0.85 0.75 0.92 0.95
    ("T01", "AMTSL", "2024-01", 10, 20), ("T01", "AMTSL", "2024-02", 14, 20),
    ("T01", "AMTSL", "2024-03", 17, 20), ("T01", "AMTSL", "2024-04", 15, 20),
    ("T01", "AMTSL", "2024-05", 23, 25), ("T01", "AMTSL", "2024-06", 19, 20),
    # T02 joined late (2024-03), skipped 2024-04: 0.60, -, 0.80 (tie at 80 %), 0.70
    ("T02", "AMTSL", "2024-03", 12, 20), ("T02", "AMTSL", "2024-05", 16, 20),
    ("T02", "AMTSL", "2024-06", 14, 20),
]
TEAMS = teams(("T01", "W1", "2024-01"), ("T02", "W2", "2024-03"))


def test_months_to_reach_count_from_joining_and_sustained_share_counts_reported_months():
    out = rollup.time_to_threshold(tidy(AMTSL_SERIES), INDICATORS, TEAMS)
    t80 = row(out, level="team", team_id="T01", threshold="80%")
    assert str(t80["first_period"]) == "2024-03"
    assert t80["months_to_reach"] == 2
    # after 2024-03 (inclusive): 0.85 0.75 0.92 0.95 -> 3 of 4 months at or above 80 %
    assert (t80["months_observed_after"], t80["months_sustained"]) == (4, 3)
    assert t80["sustained_share"] == pytest.approx(0.75)
    t90 = row(out, level="team", team_id="T01", threshold="90%")
    assert (t90["months_to_reach"], t90["months_sustained"], t90["sustained_share"]) == (4, 2, 1.0)
    target = row(out, level="team", team_id="T01", threshold="target")
    assert target["threshold_value"] == 0.9 and target["months_to_reach"] == 4


def test_a_late_joiner_counts_from_its_own_join_month_and_gaps_are_not_observed():
    out = rollup.time_to_threshold(tidy(AMTSL_SERIES), INDICATORS, TEAMS)
    t80 = row(out, level="team", team_id="T02", threshold="80%")
    assert str(t80["start_period"]) == "2024-03"
    assert str(t80["first_period"]) == "2024-05"   # 0.80 equals the threshold
    assert t80["months_to_reach"] == 2
    assert (t80["months_observed_after"], t80["months_sustained"]) == (2, 1)  # May, June
    assert t80["sustained_share"] == pytest.approx(0.5)
    never = row(out, level="team", team_id="T02", threshold="90%")
    assert pd.isna(never["first_period"]) and math.isnan(never["months_to_reach"])
    assert math.isnan(never["sustained_share"])


def test_pooled_time_to_threshold_uses_the_pooled_series_from_the_earliest_join():
    out = rollup.time_to_threshold(tidy(AMTSL_SERIES), INDICATORS, TEAMS)
    pooled = row(out, level="collaborative", threshold="80%")
    # pooled: Jan 10/20 .5, Feb 14/20 .7, Mar 29/40 .725, Apr 15/20 .75, May 39/45 .867,
    # Jun 33/40 .825
    assert pooled["team_id"] is None and str(pooled["start_period"]) == "2024-01"
    assert str(pooled["first_period"]) == "2024-05" and pooled["months_to_reach"] == 4
    assert (pooled["months_observed_after"], pooled["months_sustained"]) == (2, 2)
    assert math.isnan(row(out, level="collaborative", threshold="90%")["months_to_reach"])
    wave2 = row(out, level="wave", wave_id="W2", threshold="80%")
    assert str(wave2["start_period"]) == "2024-03" and wave2["months_to_reach"] == 2


def test_decrease_indicators_have_only_the_target_threshold():
    data = tidy([("T01", "PPH", "2024-01", 4, 20), ("T01", "PPH", "2024-02", 2, 20),
                 ("T01", "PPH", "2024-03", 1, 20), ("T01", "PPH", "2024-04", 2, 20)])
    out = rollup.time_to_threshold(data, INDICATORS, teams(("T01", "W1", "2024-01")),
                                   levels=("team",))
    assert out["threshold"].tolist() == ["target"]
    r = out.iloc[0]
    assert str(r["first_period"]) == "2024-03" and r["months_to_reach"] == 2   # 0.05 <= 0.05
    assert (r["months_observed_after"], r["months_sustained"]) == (2, 1)


# ------------------------------------------------------------------------------------------
# gain_from_baseline and most_improved


def test_baseline_pools_the_first_three_reported_months_and_gain_is_in_percentage_points():
    data = tidy([("T01", "AMTSL", "2024-01", 2, 10), ("T01", "AMTSL", "2024-02", 6, 10),
                 ("T01", "AMTSL", "2024-03", 10, 20), ("T01", "AMTSL", "2024-04", 12, 20),
                 ("T01", "AMTSL", "2024-05", 15, 20)])
    r = row(rollup.gain_from_baseline(data, INDICATORS, levels=("team",)), team_id="T01")
    assert r["baseline"] == pytest.approx(18 / 40)   # not the mean of 0.2, 0.6, 0.5
    assert r["baseline_months"] == 3
    assert (str(r["baseline_start"]), str(r["baseline_end"])) == ("2024-01", "2024-03")
    assert str(r["latest_period"]) == "2024-05" and r["latest_value"] == 0.75
    assert r["gain_pp"] == pytest.approx(30.0)
    assert r["improvement_pp"] == pytest.approx(30.0)


def test_baseline_skips_missing_months_and_needs_a_month_after_it():
    data = tidy([("T02", "AMTSL", "2024-03", 5, 10), ("T02", "AMTSL", "2024-05", 6, 10),
                 ("T02", "AMTSL", "2024-06", 7, 10), ("T02", "AMTSL", "2024-07", 9, 10),
                 ("T03", "AMTSL", "2024-01", 5, 10), ("T03", "AMTSL", "2024-02", 5, 10),
                 ("T03", "AMTSL", "2024-03", 5, 10)])
    out = rollup.gain_from_baseline(data, INDICATORS, levels=("team",))
    t02 = row(out, team_id="T02")
    assert str(t02["baseline_end"]) == "2024-06" and t02["baseline"] == pytest.approx(0.6)
    assert t02["gain_pp"] == pytest.approx(30.0)
    t03 = row(out, team_id="T03")
    assert t03["baseline"] == 0.5 and math.isnan(t03["gain_pp"])


def test_for_a_decrease_indicator_a_fall_is_a_positive_improvement():
    data = tidy([("T01", "PPH", p, n, 20) for p, n in
                 (("2024-01", 4), ("2024-02", 4), ("2024-03", 4), ("2024-04", 1))])
    r = row(rollup.gain_from_baseline(data, INDICATORS, levels=("team",)), team_id="T01")
    assert r["gain_pp"] == pytest.approx(-15.0)
    assert r["improvement_pp"] == pytest.approx(15.0)


def test_the_team_level_alone_gives_the_team_rows_of_every_level():
    """Asked for the teams only, the pooled waves and collaborative are not computed; the team
    rows are those of every level, in the same order (a team missing a wave, a team not in
    the teams frame, a decrease indicator, a reporting month cutting the data)."""
    data = tidy([("T01", "AMTSL", "2024-01", 2, 10), ("T01", "AMTSL", "2024-02", 6, 10),
                 ("T01", "AMTSL", "2024-03", 10, 20), ("T01", "AMTSL", "2024-04", 12, 20),
                 ("T02", "AMTSL", "2024-02", 5, 10), ("T02", "AMTSL", "2024-03", 6, 10),
                 ("T02", "AMTSL", "2024-04", 6, 10), ("T02", "AMTSL", "2024-05", 9, 10),
                 ("T03", "PPH", "2024-01", 4, 20), ("T03", "PPH", "2024-02", 4, 20),
                 ("T03", "PPH", "2024-03", 4, 20), ("T03", "PPH", "2024-04", 1, 20),
                 ("T09", "AMTSL", "2024-01", 9, 10), ("T09", "AMTSL", "2024-02", 9, 10),
                 ("T09", "AMTSL", "2024-03", 9, 10), ("T09", "AMTSL", "2024-04", 5, 10)])
    frame = teams(("T01", "W1", "2024-01"), ("T02", None, "2024-02"), ("T03", "W2", None))
    for period in (None, "2024-04"):
        for metric in (rollup.gain_from_baseline, rollup.time_to_threshold):
            every = metric(data, INDICATORS, frame, period=period)
            alone = metric(data, INDICATORS, frame, period=period, levels=("team",))
            pd.testing.assert_frame_equal(
                alone, every[every["level"] == "team"].reset_index(drop=True))
    gains = rollup.gain_from_baseline(data, INDICATORS, frame, period="2024-04",
                                      levels=("team",))
    assert gains["team_id"].tolist() == ["T02", "T09", "T01", "T03"]  # by indicator, wave
    assert gains["wave_id"].tolist() == [None, None, "W1", "W2"]
    assert math.isnan(gains["gain_pp"].tolist()[0])  # T02: three months to 2024-04
    # T09 0.5 - 27/30, T01 0.6 - 18/40, T03 (PPH: a fall improves) 0.05 - 12/60
    assert gains["gain_pp"].round(6).tolist()[1:] == [-40.0, 15.0, -15.0]
    assert gains["improvement_pp"].round(6).tolist()[1:] == [-40.0, 15.0, 15.0]


def test_most_improved_ranks_by_direction_aware_improvement_and_ties_share_a_rank():
    rows = []
    for team, last in (("T01", 8), ("T02", 10), ("T03", 10), ("T04", 6)):
        rows += [(team, "AMTSL", f"2024-0{m}", 5, 10) for m in (1, 2, 3)]
        rows.append((team, "AMTSL", "2024-04", last, 10))
    for team, last in (("T01", 0), ("T02", 3)):
        rows += [(team, "PPH", f"2024-0{m}", 4, 20) for m in (1, 2, 3)]
        rows.append((team, "PPH", "2024-04", last, 20))
    gains = rollup.gain_from_baseline(tidy(rows), INDICATORS)
    best = rollup.most_improved(gains, n=3)
    amtsl = best[best["indicator_id"] == "AMTSL"]
    assert amtsl["team_id"].tolist() == ["T02", "T03", "T01"]
    assert amtsl["rank"].tolist() == [1, 1, 3]
    assert amtsl["improvement_pp"].tolist() == pytest.approx([50.0, 50.0, 30.0])
    pph = best[best["indicator_id"] == "PPH"]
    assert pph["team_id"].tolist() == ["T01", "T02"]     # 20 % -> 0 % beats 20 % -> 15 %
    assert pph["improvement_pp"].tolist() == pytest.approx([20.0, 5.0])
    assert rollup.most_improved(gains, n=1, indicator_ids=["PPH"])["team_id"].tolist() == ["T01"]


# ------------------------------------------------------------------------------------------
# wave_cohorts


def test_wave_cohorts_align_each_team_on_its_own_join_month():
    data = tidy([("T01", "AMTSL", "2024-01", 2, 10), ("T01", "AMTSL", "2024-02", 4, 10),
                 ("T02", "AMTSL", "2024-03", 3, 10), ("T02", "AMTSL", "2024-04", 5, 10),
                 ("T03", "AMTSL", "2024-03", 7, 20), ("T03", "AMTSL", "2024-04", 19, 20)])
    out = rollup.wave_cohorts(data, INDICATORS, teams(("T01", "W1", "2024-01"),
                                                      ("T02", "W2", "2024-03"),
                                                      ("T03", "W2", "2024-03")))
    w1 = out[out["wave_id"] == "W1"]
    assert w1["months_since_joining"].tolist() == [0, 1]
    assert w1["pooled_value"].tolist() == pytest.approx([0.2, 0.4])
    w2 = out[out["wave_id"] == "W2"]
    assert w2["months_since_joining"].tolist() == [0, 1]
    assert w2["teams"].tolist() == [2, 2]
    assert w2["pooled_value"].tolist() == pytest.approx([10 / 30, 24 / 30])
    assert w2["median"].tolist() == pytest.approx([0.325, 0.725])
    assert w2["teams_at_target"].tolist() == [0, 1]   # 0.95 >= 0.9


# ------------------------------------------------------------------------------------------
# assessments

ASSESSMENTS = pd.DataFrame(
    [("T01", "2024-03", 3.5, "faculty"), ("T01", "2024-03", 4.0, "self"),
     ("T02", "2024-03", 4.0, "faculty"), ("T02", "2024-03", 4.5, "self"),
     ("T03", "2024-03", 2.0, "faculty"), ("T03", "2024-03", 3.0, "faculty"),  # re-scored
     ("T01", "2024-04", 4.5, "faculty")],
    columns=["team_id", "period", "score", "assessor_type"])


def test_assessment_distribution_keeps_the_last_score_and_counts_ties_at_four():
    out = rollup.assessment_distribution(ASSESSMENTS, target=4.0)
    fac = row(out, period=pd.Period("2024-03", "M"), assessor_type="faculty")
    assert fac["n"] == 3                       # T03's re-score replaces its first score
    assert fac["mean"] == pytest.approx(3.5)   # 3.5, 4.0, 3.0
    assert (fac["median"], fac["q1"], fac["q3"]) == (3.5, 3.25, 3.75)
    assert fac["n_at_target"] == 1 and fac["pct_at_target"] == pytest.approx(100 / 3)


def test_assessment_summary_sets_self_against_faculty_for_teams_scored_by_both():
    out = rollup.assessment_summary(ASSESSMENTS)
    march = row(out, period=pd.Period("2024-03", "M"))
    assert (march["faculty_n"], march["self_n"], march["paired_n"]) == (3, 2, 2)
    assert march["mean_difference"] == pytest.approx(0.5)   # (4.0-3.5 + 4.5-4.0) / 2
    assert march["self_pct_at_target"] == 100.0
    april = row(out, period=pd.Period("2024-04", "M"))
    assert april["self_n"] == 0 and april["paired_n"] == 0
    assert math.isnan(april["mean_difference"])
    assert len(rollup.assessment_summary(ASSESSMENTS, period="2024-03")) == 1


# ------------------------------------------------------------------------------------------
# the signal status (chart_signals, signal_status) and status_matrix


def _monthly(team: str, indicator: str, numerators: list[int], n: int = 100) -> list[tuple]:
    months = pd.period_range("2024-01", periods=len(numerators), freq="M").astype(str)
    return [(team, indicator, m, y, n) for m, y in zip(months, numerators, strict=True)]


SHIFT_UP = [2] * 6 + [8] * 6        # p chart, n = 10: one crossing < 3 expected -> runs signal
FLAT = [4, 6] * 6                    # 11 crossings, inside the limits -> no signal
SPIKE_UP = [45, 55] * 5 + [50, 90]   # last point above the UCL


@pytest.mark.parametrize(("indicator", "numerators", "n", "expected"), [
    ("AMTSL", SHIFT_UP, 10, "improvement"),
    ("PPH", SHIFT_UP, 10, "concern"),        # higher is worse for a decrease indicator
    ("AMTSL", FLAT, 10, "no signal"),
    ("AMTSL", SPIKE_UP, 100, "improvement"),
    ("PPH", SPIKE_UP, 100, "concern"),
])
def test_chart_signal_is_classified_by_the_improvement_direction(indicator, numerators, n,
                                                                  expected):
    out = rollup.chart_signals(tidy(_monthly("T01", indicator, numerators, n)), INDICATORS)
    assert out["signal"].tolist() == [expected]


def test_when_the_values_cross_the_centre_line_too_rarely_then_the_rule_is_crossings():
    # runs of 6 and 6 (no run longer than 7 in 12 months), one crossing where 3 are expected
    r = rollup.chart_signals(tidy(_monthly("T01", "AMTSL", SHIFT_UP, 10)), INDICATORS).iloc[0]
    assert (r["rule"], r["side"], r["signal"]) == ("crossings", 1, "improvement")
    assert r["words"] == ("improvement (crossings): the months cross the centre line 1 time in "
                          "12 (fewer than 3 is unlikely by chance); the later months of the "
                          "phase are higher than the earlier ones")


def test_when_the_latest_month_is_beyond_the_limits_it_outranks_a_shift_the_other_way():
    # 8 months at 0.30 below the centre line (0.308; 8 in a row > 7: shift; 2 crossings < 3;
    # the later half higher: improvement), but the latest month, 0.10, is below the LCL
    # (0.170): concern
    numerators = [30] * 8 + [40, 40, 40, 10]
    r = rollup.chart_signals(tidy(_monthly("T01", "AMTSL", numerators)), INDICATORS).iloc[0]
    assert (r["signal"], r["rule"]) == ("concern", "astronomical point, shift, crossings")
    assert r["words"].startswith("concern (astronomical point, shift, crossings): Dec 2024 is "
                                 "below the lower control limit; 8 months in a row")


def test_a_month_beyond_the_limits_before_the_latest_month_is_not_this_months_signal():
    # 0.10 is below the LCL two months ago; this month (0.40) is inside: the shift decides
    numerators = [30] * 8 + [40, 40, 10, 40]
    r = rollup.chart_signals(tidy(_monthly("T01", "AMTSL", numerators)), INDICATORS).iloc[0]
    assert (r["signal"], r["rule"], r["side"]) == ("improvement", "shift", 1)


def test_when_the_current_phase_has_fewer_than_eight_months_then_not_enough_data():
    numerators = [45, 55, 45, 55, 50, 90, 95]  # 95 % would be far above the limits
    r = rollup.chart_signals(tidy(_monthly("T01", "AMTSL", numerators)), INDICATORS).iloc[0]
    assert (r["signal"], r["rule"], r["n_points"]) == ("not enough data", "", 7)
    assert r["words"] == "not enough data: 7 month(s) in the current phase, 8 needed"


def _adopted(month_end: str) -> pd.DataFrame:
    return pd.DataFrame([{"cycle_id": 1, "team_id": "T01", "change_id": "C01",
                          "cycle_number": 1, "title": "Checklist", "linked_indicators": ["AMTSL"],
                          "start_date": "2024-09-01", "end_date": month_end,
                          "act_decision": "adopt"}])


def test_the_signal_is_read_from_the_phase_after_an_adopted_change():
    # 10 months at 0.30, then 10 at 0.60 give a shift over the whole series; the change
    # adopted in Oct 2024 starts a new phase in Nov, which varies at random: no signal
    numerators = [30, 31] * 5 + [60, 58, 61, 59, 62, 57, 60, 63, 58, 61]
    data = tidy(_monthly("T01", "AMTSL", numerators))
    whole = rollup.chart_signals(data, INDICATORS).iloc[0]
    assert (whole["signal"], whole["phase"]) == ("improvement", 1)
    phased = rollup.chart_signals(data, INDICATORS, cycles=_adopted("2024-10-20")).iloc[0]
    assert (phased["signal"], phased["phase"], phased["n_points"]) == ("no signal", 2, 10)


def test_a_change_decided_after_the_reporting_month_does_not_start_a_phase_yet():
    numerators = [30, 31] * 5 + [60, 58, 61, 59, 62, 57, 60, 63, 58, 61]
    data = tidy(_monthly("T01", "AMTSL", numerators))
    out = rollup.chart_signals(data, INDICATORS, cycles=_adopted("2025-10-20"),
                               period="2024-12")
    assert out["phase"].tolist() == [1]


def test_all_series_are_charted_in_one_call_and_bad_rows_are_left_out():
    data = tidy(_monthly("T01", "AMTSL", SHIFT_UP, 10) + _monthly("T02", "AMTSL", FLAT, 10)
                + [("T02", "AMTSL", "2025-01", 12, 10)])   # numerator above denominator
    out = rollup.chart_signals(data, INDICATORS)
    assert out[["team_id", "signal"]].values.tolist() == [["T01", "improvement"],
                                                          ["T02", "no signal"]]
    assert out["n_points"].tolist() == [12, 12]


def test_status_matrix_shows_latest_value_target_and_months_since_last_report():
    data = tidy(_monthly("T01", "AMTSL", SHIFT_UP, 10)                  # 2024-01 .. 2024-12
                + [("T02", "AMTSL", "2024-10", 9, 10), ("T02", "PPH", "2024-10", 2, 20)]
                + [("T01", "PPH", "2025-02", 1, 20)])               # after the period
    out = rollup.status_matrix(data, INDICATORS,
                               teams(("T01", "W1", "2024-01"), ("T02", "W1", "2024-01"),
                                     ("T09", "W2", "2025-01")),     # joins after the period
                               period="2024-12")
    assert out[["team_id", "indicator_id"]].values.tolist() == [
        ["T01", "AMTSL"], ["T01", "PPH"], ["T02", "AMTSL"], ["T02", "PPH"]]
    t01 = row(out, team_id="T01", indicator_id="AMTSL")
    assert (str(t01["latest_period"]), t01["latest_value"]) == ("2024-12", 0.8)
    assert (t01["target_met"], t01["signal"], t01["signal_rule"],
            t01["months_since_report"]) == (0.0, "improvement", "crossings", 0)
    t02 = row(out, team_id="T02", indicator_id="AMTSL")
    assert (t02["target_met"], t02["months_since_report"]) == (1.0, 2)   # 0.9 = target
    assert t02["signal"] == "not enough data"                            # one month
    assert row(out, team_id="T02", indicator_id="PPH")["target_met"] == 0.0   # 0.10 > 0.05
    never = row(out, team_id="T01", indicator_id="PPH")
    assert math.isnan(never["latest_value"]) and math.isnan(never["months_since_report"])
    assert never["signal"] == "not enough data" and math.isnan(never["target_met"])

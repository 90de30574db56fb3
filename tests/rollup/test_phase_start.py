"""Where a new phase starts after an adopted change (`rollup.series.adoption_phases`).

The rule (IHI shift rule, Perla, Provost & Murray 2011: 6 points in a row on one side of the
centre line; placed only after a logged, adopted change, as
/work/shared/reference/qi-tools-and-user-needs.md (d) 4 advises): the first of the 3 months
from the month after adoption that begins 6 points in a row on the better side of the old
phase's centre line, else the month after adoption. Hand-made p-chart series (n = 100 a
month from Jan 2024), a change adopted on 20 Oct 2024 (so the month after is Nov 2024), and
the phase starts written out literally.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.rollup.series import adoption_phases, pdsa_events, team_charts

INDICATORS = pd.DataFrame({
    "indicator_id": ["AMTSL", "PPH", "NOTE"],
    "target": [0.9, 0.05, None],
    "direction": ["increase", "decrease", None],
    "chart": ["p", "p", "p"],
    "multiplier": [100.0, 100.0, 100.0],
})
IDEAS = pd.DataFrame({"change_id": ["C03"], "name": ["Oxytocin ready in every delivery kit"],
                      "indicator_ids": [["AMTSL"]]})
BASELINE = [30, 32] * 5  # Jan–Oct 2024: centre line 31 %


def _tidy(indicator: str, numerators: list[int], team: str = "T01") -> pd.DataFrame:
    months = pd.period_range("2024-01", periods=len(numerators), freq="M")
    frame = pd.DataFrame({"team_id": team, "indicator_id": indicator, "period": months,
                          "numerator": [float(x) for x in numerators], "denominator": 100.0})
    frame["value"] = frame["numerator"] / frame["denominator"]
    return frame


def _cycles(indicator: str, end: str = "2024-10-20", team: str = "T01") -> pd.DataFrame:
    return pd.DataFrame([{"cycle_id": 7, "team_id": team, "change_id": "C03",
                          "cycle_number": 2, "title": "Oxytocin in the delivery kit",
                          "linked_indicators": [indicator], "start_date": "2024-09-01",
                          "end_date": end, "act_decision": "adopt"}])


def _phases(indicator: str, numerators: list[int]) -> list[tuple[str, str, str]]:
    events = pdsa_events(_cycles(indicator))
    out = adoption_phases(events, _tidy(indicator, numerators), INDICATORS)
    return [(str(p), rule, str(a)) for p, rule, a in zip(out["period"], out["rule"],
                                                        out["adopted"], strict=True)]


@pytest.mark.parametrize(("indicator", "after", "expected"), [
    # the effect shows two months after the decision: the phase starts in Jan 2025
    ("AMTSL", [29, 30] + [60, 62, 61, 59, 63, 60, 62, 61], ("2025-01", "shift")),
    # at once: the month after adoption, found in the data
    ("AMTSL", [60, 62, 61, 59, 63, 60, 62, 61], ("2024-11", "shift")),
    # four months late: outside the 3-month window, so the month after adoption
    ("AMTSL", [30, 29, 31, 30] + [60, 62, 61, 59, 63, 60, 62, 61], ("2024-11", "adoption")),
    # lower is better (PPH): the run is below the old centre line
    ("PPH", [33] + [10, 12, 11, 9, 13, 10, 12, 11], ("2024-12", "shift")),
    # a point on the old centre line (31 %) neither breaks nor extends the run
    ("AMTSL", [60, 31, 62, 61, 59, 63, 60, 62], ("2024-11", "shift")),
    # one month back below the old line inside the run: no run of 6 starts in the window
    ("AMTSL", [60, 62, 20, 61, 59, 63, 60, 62], ("2024-11", "adoption")),
    # an indicator without a direction: higher is better, the collaborative's default
    ("NOTE", [29, 30] + [60, 62, 61, 59, 63, 60, 62, 61], ("2025-01", "shift")),
])
def test_the_phase_starts_where_the_data_show_the_shift_else_the_month_after_adoption(
        indicator: str, after: list[int], expected: tuple[str, str]) -> None:
    assert _phases(indicator, BASELINE + after) == [(*expected, "2024-10")]


def test_without_the_indicators_there_is_no_better_side_and_the_month_after_adoption_is_kept(
        ) -> None:
    data = _tidy("AMTSL", BASELINE + [29, 30] + [60, 62, 61, 59, 63, 60, 62, 61])
    out = adoption_phases(pdsa_events(_cycles("AMTSL")), data)
    assert out[["rule", "change_id"]].values.tolist() == [["adoption", "C03"]]
    assert out["period"].astype(str).tolist() == ["2024-11"]


def test_a_shift_that_would_leave_the_new_phase_under_eight_months_waits_for_the_data() -> None:
    late = BASELINE + [29, 30] + [60, 62, 61, 59, 63, 60, 62]  # 7 months from Jan 2025
    assert _phases("AMTSL", late) == [("2024-11", "adoption", "2024-10")]
    assert _phases("AMTSL", late + [61]) == [("2025-01", "shift", "2024-10")]


def test_the_months_before_the_effect_stay_in_the_old_phase_instead_of_being_unusual() -> None:
    data = _tidy("AMTSL", BASELINE + [29, 30] + [60, 62, 61, 59, 63, 60, 62, 61])
    spc = team_charts(data, INDICATORS, _cycles("AMTSL")).spc
    by_month = spc.set_index(spc["period"].astype(str))
    assert by_month.loc["2024-12", "part"] == 1 and by_month.loc["2025-01", "part"] == 2
    # Nov and Dec 2024 (29 %, 30 %) sit inside the old phase's limits (centre 30.75 %)
    assert by_month.loc["2024-11", "cl"] == pytest.approx(369 / 1200)
    assert not by_month.loc[["2024-11", "2024-12"], "sigma_signal"].any()
    assert not spc["sigma_signal"].any()
    # the phase says why it starts, on each of its rows
    phase2 = spc[spc["part"] == 2]
    assert set(zip(phase2["phase_rule"], phase2["phase_adopted"], phase2["phase_change"],
                   strict=True)) == {("shift", "2024-10", "C03")}  # no names given: the code
    assert set(spc.loc[spc["part"] == 1, "phase_rule"]) == {""}


def test_split_at_the_month_after_adoption_the_two_months_before_the_effect_were_unusual() -> None:
    """What the rule fixes: the same series cut at Nov 2024 marks Nov and Dec below the new
    phase's lower limit."""
    from workbench.rollup.series import spc_frame

    data = _tidy("AMTSL", BASELINE + [29, 30] + [60, 62, 61, 59, 63, 60, 62, 61])
    old_rule = pd.DataFrame({"team_id": ["T01"], "indicator_id": ["AMTSL"],
                             "period": [pd.Period("2024-11", "M")]})
    spc = spc_frame(data, INDICATORS, old_rule)
    unusual = spc.loc[spc["sigma_signal"], "period"].astype(str).tolist()
    assert unusual == ["2024-11", "2024-12"]


def test_a_month_left_out_of_the_limits_does_not_start_or_break_the_run() -> None:
    # Jan 2025 (60 %) is under an open error flag: the run of 6 counts Dec, Feb, Mar …
    data = _tidy("AMTSL", BASELINE + [29, 60, 60, 62, 61, 59, 63, 60, 62])
    excluded = pd.DataFrame({"team_id": ["T01"], "indicator_id": ["AMTSL"],
                             "period": [pd.Period("2025-01", "M")], "rule_codes": ["x"]})
    out = adoption_phases(pdsa_events(_cycles("AMTSL")), data, INDICATORS, excluded=excluded)
    assert out["period"].astype(str).tolist() == ["2024-12"]
    data.loc[data["period"] == pd.Period("2025-01", "M"), "numerator"] = 20.0
    data["value"] = data["numerator"] / data["denominator"]
    out = adoption_phases(pdsa_events(_cycles("AMTSL")), data, INDICATORS, excluded=excluded)
    assert out["period"].astype(str).tolist() == ["2024-12"]  # 20 % left out: no break


def test_the_chart_says_in_one_legend_line_where_and_why_the_phase_starts() -> None:
    from bokeh.models import ColumnDataSource, Legend

    from workbench.charts.series import control_chart

    indicator = {**INDICATORS.iloc[0].to_dict(), "name": "AMTSL"}
    for after, line in (
            ([29, 30] + [60, 62, 61, 59, 63, 60, 62, 61],
             "New phase from Jan 2025: “Oxytocin ready in every delivery kit” adopted in "
             "Oct 2024, and Jan 2025 starts 6 months in a row better than the old centre "
             "line"),
            ([30, 29, 31, 30] + [60, 62, 61, 59, 63, 60, 62, 61],
             "New phase from Nov 2024: the month after “Oxytocin ready in every delivery "
             "kit” was adopted (Oct 2024)")):
        charts = team_charts(_tidy("AMTSL", BASELINE + after), INDICATORS, _cycles("AMTSL"),
                             IDEAS)
        fig = control_chart(charts.spc, indicator, events=charts.events)
        labels = [item.label.value for legend in fig.select({"type": Legend})
                  for item in legend.items]
        assert [text for text in labels if text.startswith("New phase")] == [line]
        (phases,) = fig.select({"type": ColumnDataSource, "name": "phases"})
        start = pd.Timestamp(line.split("from ")[1][:8])
        assert len(phases.data["x"]) == 1
        assert pd.Timestamp(phases.data["x"][0]) < start  # the dash-dotted line before it


def _adopted(cycle_id: int, end: str, team: str = "T01",
             linked: list[str] | None = None) -> dict[str, object]:
    return {"cycle_id": cycle_id, "team_id": team, "change_id": "C03",
            "cycle_number": cycle_id, "title": f"cycle {cycle_id}",
            "linked_indicators": ["AMTSL"] if linked is None else linked,
            "start_date": "2024-01-01", "end_date": end, "act_decision": "adopt"}


def test_a_second_adoption_breaks_again_only_with_eight_months_on_each_side_of_it() -> None:
    # 10 months at 31 %, 10 at 61 % from Nov 2024, 10 at 81 % from Sep 2025 (36 months)
    data = _tidy("AMTSL", BASELINE + [60, 62] * 5 + [80, 82] * 5 + [81] * 6)
    cycles = pd.DataFrame([_adopted(1, "2024-10-20"),
                           _adopted(2, "2025-02-10"),  # 4 months from the first break: no
                           _adopted(3, "2025-08-15"),  # 10 months after it: a break, a shift
                           _adopted(4, "2026-06-01")])  # 6 months of data after it: no
    out = adoption_phases(pdsa_events(cycles, IDEAS), data, INDICATORS)
    assert [(str(p), r, str(a), c) for p, r, a, c in zip(
        out["period"], out["rule"], out["adopted"], out["cycle_id"], strict=True)] == [
        ("2024-11", "shift", "2024-10", 1), ("2025-09", "shift", "2025-08", 3)]


def test_each_series_breaks_on_its_own_decisions_and_a_cycle_without_links_uses_its_ideas(
        ) -> None:
    data = pd.concat([_tidy("AMTSL", BASELINE + [60, 62] * 5),
                      _tidy("PPH", [30] * 10 + [10] * 10),
                      _tidy("AMTSL", BASELINE + [29, 31] * 5, team="T02"),
                      _tidy("AMTSL", BASELINE + [60, 62] * 5, team="T03")],
                     ignore_index=True)
    ideas = pd.DataFrame({"change_id": ["C03"], "name": ["Oxytocin ready"],
                          "indicator_ids": [["AMTSL", "PPH"]]})
    cycles = pd.DataFrame([_adopted(1, "2024-10-20", linked=[]),  # C03's AMTSL and PPH
                           _adopted(2, "2024-10-20", team="T02"),  # no effect: adoption
                           _adopted(3, "2024-10-20", team="T09")])  # a team without data
    out = adoption_phases(pdsa_events(cycles, ideas), data, INDICATORS)
    assert [(t, i, str(p), r, n) for t, i, p, r, n in zip(
        out["team_id"], out["indicator_id"], out["period"], out["rule"], out["change_name"],
        strict=True)] == [("T01", "AMTSL", "2024-11", "shift", "Oxytocin ready"),
                          ("T01", "PPH", "2024-11", "shift", "Oxytocin ready"),
                          ("T02", "AMTSL", "2024-11", "adoption", "Oxytocin ready")]


def test_events_computed_once_draw_the_same_charts_as_the_cycles_they_come_from() -> None:
    """An app keeps `pdsa_events` across month changes and hands it to `team_charts`; the
    charts, events and phases are the ones the cycles give, and a later month's events are
    still cut at the reporting month."""
    data = _tidy("AMTSL", BASELINE + [29, 30] + [60, 62, 61, 59, 63, 60, 62, 61])
    cycles = _cycles("AMTSL")
    for period in (None, "2024-08", "2024-09", "2025-02"):
        fresh = team_charts(data, INDICATORS, cycles, IDEAS, period=period)
        kept = team_charts(data, INDICATORS, period=period, events=pdsa_events(cycles, IDEAS))
        pd.testing.assert_frame_equal(kept.spc, fresh.spc)
        pd.testing.assert_frame_equal(kept.events, fresh.events)
        pd.testing.assert_frame_equal(kept.phases, fresh.phases)
    counts = [len(team_charts(data, INDICATORS, period=p,
                              events=pdsa_events(cycles, IDEAS)).events)
              for p in ("2024-08", "2024-09", "2025-02")]
    assert counts == [0, 1, 2]  # the cycle starts on 1 Sep and is adopted on 20 Oct 2024


@pytest.mark.parametrize(("months", "better", "first", "expected"), [
    ([5, 6, 7, 8, 9, 10], [1, 1, 1, 1, 1, 1], 5, 5.0),        # the run starts at once
    ([5, 6, 7, 8, 9, 10, 11], [-1, 1, 1, 1, 1, 1, 1], 5, 6.0),  # a month later
    ([5, 6, 7, 8, 9, 10, 11, 12], [-1, -1, -1, 1, 1, 1, 1, 1], 5, None),  # past the window
    ([5, 6, 7, 8, 9, 10, 11], [1, 0, 1, 1, 1, 1, 1], 5, 5.0),  # on the line: skipped
    ([5, 6, 7, 8, 9], [1, 1, 1, 1, 1], 5, None),               # five points are no run
    ([3, 4, 5, 6, 7, 8, 9, 10], [1, 1, -1, -1, 1, 1, 1, 1], 5, None),  # before the window
    ([7, 8, 9, 10, 11, 12], [1, 1, 1, 1, 1, 1], 5, 7.0),       # a gap: the first month kept
])
def test_the_shift_run_starts_at_the_first_window_month_that_begins_six_better_points(
        months: list[int], better: list[int], first: int, expected: float | None) -> None:
    from workbench.rollup.series import SHIFT_RUN, SHIFT_WINDOW, _run_starts

    found = float(_run_starts(np.array([months], dtype=float), np.array([better], dtype=float),
                              np.array([first], dtype=float), SHIFT_WINDOW, SHIFT_RUN)[0])
    assert (None if np.isnan(found) else found) == expected

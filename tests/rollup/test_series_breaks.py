"""The kept phase breaks of `rollup.series.adoption_phases`, decided for every series at once
(`_kept_breaks`: the k-th candidates of all series together, after the (k - 1)-th), the
centre lines of many phases at once (`_centres`) and the shift runs of many phases at once
(`_run_starts`). Hand-made p-chart series (n = 100 a month from Jan 2024); expected values
written out literally."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from workbench.rollup.series import _centres, _run_starts, adoption_phases, pdsa_events

INDICATORS = pd.DataFrame({"indicator_id": ["AMTSL", "PPH"],
                           "direction": ["increase", "decrease"], "chart": ["p", "p"]})


def _tidy(indicator: str, numerators: list[int], team: str) -> pd.DataFrame:
    months = pd.period_range("2024-01", periods=len(numerators), freq="M")
    frame = pd.DataFrame({"team_id": team, "indicator_id": indicator, "period": months,
                          "numerator": [float(x) for x in numerators], "denominator": 100.0})
    frame["value"] = frame["numerator"] / frame["denominator"]
    return frame


def _cycle(cycle_id: int, team: str, indicator: str, end: str) -> dict[str, object]:
    return {"cycle_id": cycle_id, "team_id": team, "change_id": "C03",
            "cycle_number": cycle_id, "title": "Kit", "linked_indicators": [indicator],
            "start_date": "2024-09-01", "end_date": end, "act_decision": "adopt"}


def test_each_break_counts_its_phase_before_from_the_previous_kept_break_of_its_series() -> None:
    # T01: baseline 31 % Jan–Oct 2024, 29/30 in Nov/Dec, ~61 % Jan–Aug 2025, ~91 % from
    # Oct 2025 (Jan 2024 – Jun 2026). T02 (lower is better): 21 % then ~10 % from Jan 2025.
    amtsl = [30, 32] * 5 + [29, 30] + [60, 62, 61, 59, 63, 60, 62, 61] + [
        61, 90, 91, 92, 90, 93, 91, 92, 90, 91]
    pph = [20, 22] * 5 + [21, 20] + [10, 9, 11, 10, 9, 10, 11, 10] + [10] * 8
    data = pd.concat([_tidy("AMTSL", amtsl, "T01"), _tidy("PPH", pph, "T02")],
                     ignore_index=True)
    cycles = pd.DataFrame([
        _cycle(1, "T01", "AMTSL", "2024-10-20"),  # shift in Jan 2025
        # 7 months from the shift (Jan 2025) to the month after: dropped (9 from Nov 2024)
        _cycle(2, "T01", "AMTSL", "2025-07-20"),
        # 10 months from Jan 2025 (the dropped break moves nothing), 8 from Nov 2025 on
        _cycle(3, "T01", "AMTSL", "2025-10-05"),
        _cycle(4, "T02", "PPH", "2024-10-20"),
        _cycle(5, "T02", "PPH", "2025-07-10"),
        _cycle(6, "T02", "PPH", "2025-09-10"),  # too few months on either side
    ])
    out = adoption_phases(pdsa_events(cycles), data, INDICATORS)
    assert [(t, i, str(p), c, r, str(a)) for t, i, p, c, r, a in zip(
        out["team_id"], out["indicator_id"], out["period"], out["cycle_id"], out["rule"],
        out["adopted"], strict=True)] == [
        ("T01", "AMTSL", "2025-01", 1, "shift", "2024-10"),
        ("T01", "AMTSL", "2025-11", 3, "shift", "2025-10"),
        ("T02", "PPH", "2024-12", 4, "shift", "2024-10"),
        ("T02", "PPH", "2025-08", 5, "shift", "2025-07")]


def test_centres_of_many_phases_follow_each_phase_s_chart() -> None:
    num = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    den = np.array([10.0, 10.0, 20.0, 0.0, 0.0, 40.0])
    value = np.array([0.5, 0.25, 4.0, 1.0, 7.0, 2.0])
    kind = np.array(["p", "run", "i", "u", "g", "c", "p"])
    start = np.array([0, 0, 2, 3, 1, 5, 2])
    stop = np.array([3, 4, 5, 5, 4, 5, 2])
    found = _centres(kind, start, stop, num, den, value).tolist()
    # p: 6/40; run: median of 0.5, 0.25, 4, 1; i: mean of 4, 1, 7; u: 9/0 has no line;
    # g: median of 0.25, 4, 1; c: no point; p: no point
    assert found[:3] == [0.15, 0.75, 4.0]
    assert math.isnan(found[3])
    assert found[4] == 1.0
    assert math.isnan(found[5]) and math.isnan(found[6])


def test_run_starts_of_many_phases_at_once() -> None:
    months = np.array([[5, 6, 7, 8, 9, 10, 11, 12],
                       [5, 6, 7, 8, 9, 10, 11, np.nan],
                       [5, 6, 7, 8, 9, 10, 11, 12],
                       [5, 6, 7, 8, 9, np.nan, np.nan, np.nan]], dtype=float)
    better = np.array([[-1, 1, 1, 1, 1, 1, 1, 1],   # a month later
                       [1, 0, 1, 1, 1, 1, 1, 0],    # on the line: skipped; padding
                       [-1, -1, -1, 1, 1, 1, 1, 1],  # past the window
                       [1, 1, 1, 1, 1, 0, 0, 0]], dtype=float)  # five points are no run
    found = _run_starts(months, better, np.array([5.0, 5.0, 5.0, 5.0]), 3, 6).tolist()
    assert found[:2] == [6.0, 5.0]
    assert math.isnan(found[2]) and math.isnan(found[3])

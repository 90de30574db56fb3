"""A live app's small-multiple panels: the lean data of the same charts, made in one pass."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from chart_samples import INDICATOR, measurements

from workbench.charts import data as cd
from workbench.charts import series as charts
from workbench.charts.payload import lean_columns, small_multiples_panels


def _adopted_cycle() -> pd.DataFrame:
    return pd.DataFrame([{"cycle_id": 7, "team_id": "T02", "change_id": "C03",
                          "cycle_number": 2, "title": "Wall chart",
                          "linked_indicators": ["AMTSL"], "start_date": "2025-07-01",
                          "end_date": "2025-08-20", "act_decision": "adopt"}])


def _collaborative() -> tuple[pd.DataFrame, pd.DataFrame]:
    """T01 plain; T02 with an unusual month and an adopted PDSA (events, a new phase)."""
    m = pd.concat([measurements("T01"), measurements("T02", jump_at=3)],
                  ignore_index=True)
    events = cd.pdsa_events(_adopted_cycle())
    spc = cd.spc_frame(m, pd.DataFrame([INDICATOR]), cd.adoption_phases(events, m))
    return spc, events


def _assert_same(expected: Any, got: Any, where: str = "") -> None:
    """Equal values of the same types (arrays: same dtype, NaN where NaN), keys in order."""
    assert type(got) is type(expected), where
    if isinstance(expected, dict):
        assert list(got) == list(expected), where
        for key in expected:
            _assert_same(expected[key], got[key], f"{where}/{key}")
    elif isinstance(expected, np.ndarray):
        assert got.dtype == expected.dtype, where
        np.testing.assert_array_equal(got, expected, err_msg=where)
    else:
        assert got == expected, where


def test_a_live_panel_gets_the_lean_columns_of_its_small_multiple_charts_sources():
    spc, events = _collaborative()
    expected = {team: {key: data if key == "range" else lean_columns(data)
                       for key, data in sources.items()}
                for team, sources in charts.small_multiples_sources(spc, INDICATOR,
                                                                    events).items()}
    panels = small_multiples_panels(spc, INDICATOR, events)
    assert list(panels) == ["T01", "T02"]
    _assert_same(expected, panels)


def test_a_panels_numbers_are_float_arrays_and_its_dates_milliseconds():
    spc, events = _collaborative()
    t02 = small_multiples_panels(spc, INDICATOR, events)["T02"]
    points, lines = t02["points"], t02["lines"]
    assert list(points) == ["x", "y", "y_signal", "y_excluded"]  # no hover text
    assert points["x"][:2].tolist() == [1730419200000.0, 1733011200000.0]  # Nov, Dec 2024
    assert points["y"].dtype == np.float64 and len(points["y"]) == 24
    assert np.flatnonzero(np.isfinite(points["y_signal"])).tolist() == [3]  # the jump
    assert len(lines["x"]) == 25  # a gap row before the new phase (Sep 2025)
    assert np.flatnonzero(np.isnan(lines["ucl"])).tolist() == [10]
    assert t02["events"]["kind"] == ["start", "adopt"]
    assert t02["events"]["marker"] == ["circle", "triangle"]
    assert t02["phases"]["y0"].tolist() == [0.0]
    assert t02["flagged"] == {"x": [], "y": [], "y_signal": [], "y_excluded": []}


def test_a_panel_of_another_indicator_or_no_rows_is_left_out():
    spc, events = _collaborative()
    assert small_multiples_panels(spc, {**INDICATOR, "indicator_id": "PPH"}, events) == {}
    assert small_multiples_panels(spc.iloc[:0], INDICATOR) == {}


def test_events_on_the_same_day_keep_the_order_of_the_charts_sources():
    spc, _events = _collaborative()
    days = pd.to_datetime(["2025-01-10", "2025-03-10", "2025-05-10", "2025-07-10"] * 6)
    kinds = ["adapt", "adopt", "abandon", "start"] * 6
    events = pd.DataFrame({"team_id": "T01", "indicator_id": "AMTSL", "date": days,
                           "kind": kinds, "label": "a change", "detail": "why",
                           "change_id": "C0" + pd.Series(range(24)).astype(str).str[-1],
                           "cycle_number": range(24)})
    expected = lean_columns(charts.small_multiples_sources(spc, INDICATOR,
                                                           events)["T01"]["events"])
    got = small_multiples_panels(spc, INDICATOR, events)["T01"]["events"]
    _assert_same(expected, got)
    assert len(got["kind"]) == 24 and got["x"][0] == 1736467200000.0  # 10 January 2025

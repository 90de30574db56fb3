"""Months under an open data-error flag are drawn but left out of the limits (qicharts2
`exclude`), in the one chart assembly every surface reads (`rollup.series.team_charts`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.rollup.series import excluded_months, team_charts

INDICATORS = pd.DataFrame([{"indicator_id": "PARTO", "chart": "p"},
                           {"indicator_id": "OTHER", "chart": "p"}])


def _months(team: str, indicator: str, pairs: list[tuple[int, int]]) -> pd.DataFrame:
    periods = pd.period_range("2025-01", periods=len(pairs), freq="M")
    return pd.DataFrame({"team_id": team, "indicator_id": indicator, "period": periods,
                         "numerator": [float(n) for n, _d in pairs],
                         "denominator": [float(d) for _n, d in pairs],
                         "value": [n / d for n, d in pairs]})


def _flag(rule: str, severity: str, status: str = "open", period: str = "2025-05",
          indicator: str = "PARTO") -> dict:
    return {"flag_id": 1, "rule_code": rule, "severity": severity, "status": status,
            "team_id": "T01", "indicator_id": indicator, "period": period}


#: ten months of 4 / 10, but May typed 3 / 150 (an extra zero)
DATA = pd.concat([_months("T01", "PARTO", [(4, 10)] * 4 + [(3, 150)] + [(4, 10)] * 5),
                  _months("T01", "OTHER", [(4, 10)] * 4 + [(3, 150)] + [(4, 10)] * 5)],
                 ignore_index=True)


def _chart(flags: list[dict], indicator: str = "PARTO") -> pd.DataFrame:
    spc = team_charts(DATA, INDICATORS, flags=pd.DataFrame(flags)).spc
    return spc[spc["indicator_id"] == indicator].reset_index(drop=True)


def test_without_a_flag_the_typo_drags_the_centre_line_to_39_of_240() -> None:
    chart = _chart([])
    np.testing.assert_allclose(chart["cl"], 39 / 240)  # (9·4 + 3) / (9·10 + 150)
    assert not chart["excluded"].any()


@pytest.mark.parametrize("rule,severity", [("numerator-exceeds-denominator", "error"),
                                           ("outlier-denominator", "warning")])
def test_under_an_open_error_flag_the_month_is_drawn_but_left_out_of_the_limits(
        rule: str, severity: str) -> None:
    chart = _chart([_flag(rule, severity)])
    np.testing.assert_allclose(chart["cl"], 0.4)  # 36 / 90: the nine other months
    may = chart.iloc[4]
    assert bool(may["excluded"]) and may["y"] == pytest.approx(0.02)  # still drawn
    # p chart limits of the other months: 0.4 ± 3·sqrt(0.4·0.6/10)
    np.testing.assert_allclose(chart["ucl"].drop(4), 0.4 + 3 * np.sqrt(0.024))
    assert bool(may["sigma_signal"])  # tested against its own limits, as qicharts2 does
    assert list(chart["excluded"]) == [False] * 4 + [True] + [False] * 5
    other = _chart([_flag(rule, severity)], "OTHER")  # another indicator keeps its point
    np.testing.assert_allclose(other["cl"], 39 / 240)


@pytest.mark.parametrize("flag", [_flag("sudden-jump", "warning"),
                                  _flag("outlier-numerator", "warning"),
                                  _flag("numerator-exceeds-denominator", "error", "dismissed"),
                                  _flag("numerator-exceeds-denominator", "error", "corrected"),
                                  _flag("numerator-exceeds-denominator", "error", "confirmed")],
                         ids=["warning", "outlier-numerator", "dismissed", "corrected",
                              "confirmed"])
def test_a_warning_or_a_reviewed_flag_leaves_the_month_in(flag: dict) -> None:
    chart = _chart([flag])
    np.testing.assert_allclose(chart["cl"], 39 / 240)
    assert not chart["excluded"].any()


def test_excluded_months_lists_each_month_once_with_its_rules() -> None:
    flags = pd.DataFrame([_flag("zero-denominator", "error"),
                          _flag("outlier-denominator", "warning"),
                          {**_flag("sudden-jump", "warning")},
                          {**_flag("conflicting-duplicate", "error"), "team_id": None}])
    out = excluded_months(flags)
    assert out.to_dict("records") == [
        {"team_id": "T01", "indicator_id": "PARTO", "period": pd.Period("2025-05", "M"),
         "rule_codes": "outlier-denominator, zero-denominator"}]
    assert excluded_months(None).empty and excluded_months(flags.iloc[0:0]).empty

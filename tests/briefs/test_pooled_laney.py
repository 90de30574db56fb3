"""The collaborative's pooled chart is Laney's p′ chart, and says so (issue 12: with
denominators in the thousands a p chart over-signals)."""

from __future__ import annotations

import pandas as pd
from bokeh.models import Title

from workbench import briefs
from workbench.briefs.tables import _valid
from workbench.rollup.series import pooled_chart_type, spc_frame
from workbench.store import open_engine, read_indicators


def _pooled(summary, indicator_id: str) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    m = _valid(summary.measurements[summary.measurements["indicator_id"] == indicator_id])
    pooled = m.groupby("period", as_index=False).agg(numerator=("numerator", "sum"),
                                                     denominator=("denominator", "sum"))
    return pooled.assign(team_id="ALL", indicator_id=indicator_id,
                         value=pooled["numerator"] / pooled["denominator"])


def test_pooled_chart_type_turns_p_into_laneys_p_prime_and_keeps_the_others() -> None:
    indicators = pd.DataFrame({"indicator_id": ["A", "B", "C", "D", "E"],
                               "chart": ["p", "u", "c", "i", None]})
    assert list(pooled_chart_type(indicators)["chart"]) == ["pp", "up", "c", "i", "run"]
    assert list(indicators["chart"].iloc[:4]) == ["p", "u", "c", "i"]  # not changed in place


def test_the_pooled_chart_is_a_p_prime_chart_with_fewer_unusual_months(demo_db: str) -> None:
    engine = open_engine(demo_db)
    summary = briefs.collaborative_summary_data(engine, "2026-10")
    indicators = read_indicators(engine)
    for indicator_id in ("AMTSL", "PARTOGRAPH", "NEWBORN_CARE"):
        pooled = _pooled(summary, indicator_id)
        as_p = spc_frame(pooled, indicators)
        as_pp = spc_frame(pooled, pooled_chart_type(indicators))
        assert set(as_p["chart"]) == {"p"} and set(as_pp["chart"]) == {"pp"}
        assert (as_pp["ucl"] - as_pp["lcl"] > as_p["ucl"] - as_p["lcl"]).all(), indicator_id
        assert as_pp["sigma_signal"].sum() < as_p["sigma_signal"].sum(), indicator_id
    fig = summary.pooled_figure("AMTSL")
    subtitles = [t.text for t in fig.select(type=Title)]
    assert any("p′ chart (Laney): limits adjusted for large denominators" in t
               for t in subtitles), subtitles

"""The team × indicator status matrix of a learning session: latest value, target, signal.

Pure pandas, no I/O; re-exported by `workbench.rollup`. The chart signal comes from
`workbench.spc.qic`, called once per chart type over all team × indicator series.

**Signal rule** (`chart_signals`), on each series' chart with the indicator's default chart
(p for proportions, u for rates, c for counts, i otherwise; Anhøj rules, no freeze, so the
centre line is that of all data up to the reporting month), looking at the last part:

1. *Recent sigma signal*: if any of the last `recent` (default 3) points lies outside the
   control limits, the side of the latest such point decides: above the centre line is
   `improvement` for an `increase` indicator and `concern` for a `decrease` one; below, the
   other way round.
2. Otherwise, *runs signal* (longest run too long or too few crossings): the side of the last
   useful point (the latest point not on the centre line) decides, in the same way: the
   series has moved, and the latest data say to which side.
3. Otherwise `none`; also `none` when the series has no useful point.

Recent sigma signals take precedence because they are the newest evidence: a point beyond
the limits in the concern direction this month outweighs an old shift the other way.
Rows a chart cannot take are left out of it (never raised): p/pp/u/up charts skip months
without a positive denominator, p/pp charts months with a numerator above the denominator
(the data-quality flags report those).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.rollup.base import (
    at_target,
    from_ordinals,
    indicator_attributes,
    prepare,
    team_attributes,
)

__all__ = ["SIGNALS", "chart_signals", "status_matrix"]

SIGNALS = ("improvement", "concern", "none")

SIGNAL_COLUMNS = ["team_id", "indicator_id", "chart", "n_points", "runs_signal",
                  "recent_sigma_signal", "side", "signal"]

_NEEDS_N = {"p", "pp", "u", "up"}
_NUMERATOR_CHARTS = {"c", "g", "t"}


def _chart_input(m: pd.DataFrame) -> pd.DataFrame:
    """x, y, n and series columns for qic from prepared rows (one chart type)."""
    chart = m["chart"]
    needs_n = chart.isin(_NEEDS_N)
    den_ok = m["denominator"] > 0
    proportion = chart.isin({"p", "pp"})
    valid = ~needs_n | (den_ok & (~proportion | (m["numerator"] <= m["denominator"])))
    valid &= ~(proportion & (m["numerator"] < 0))
    m = m[valid]
    numerator_y = m["chart"].isin(_NEEDS_N | _NUMERATOR_CHARTS)
    return pd.DataFrame({
        "series": m["team_id"].astype(str) + "|" + m["indicator_id"].astype(str),
        "team_id": m["team_id"], "indicator_id": m["indicator_id"], "chart": m["chart"],
        "direction": m["direction"],
        "x": m["period"].dt.to_timestamp(),
        "y": np.where(numerator_y, m["numerator"], m["value"]),
        "n": np.where(m["chart"].isin(_NEEDS_N), m["denominator"], np.nan),
    })


def chart_signals(measurements: pd.DataFrame, indicators: pd.DataFrame, *,
                  period: object = None, recent: int = 3) -> pd.DataFrame:
    """The signal on each team's chart of each indicator (rule in the module docstring).

    Columns: team_id, indicator_id, chart, n_points, runs_signal (of the last part),
    recent_sigma_signal (a point beyond the limits among the last `recent`), side (+1 the
    deciding point is above the centre line, −1 below, 0 no signal), signal (improvement,
    concern, none).
    """
    from workbench.spc.qic import qic

    m, _ = prepare(measurements, indicators, None, period)
    data = _chart_input(m) if len(m) else pd.DataFrame()
    if data.empty:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in SIGNAL_COLUMNS})
    keys = data.drop_duplicates("series")[["series", "team_id", "indicator_id", "chart",
                                           "direction"]]
    frames = []
    for chart, block in data.groupby("chart", sort=True):
        result = qic(block[["series", "x", "y", "n"]], str(chart), x="x", y="y",
                     n="n" if chart in _NEEDS_N else None, series="series")
        frames.append(result.points[["series", "xx", "y", "cl", "part", "include",
                                     "sigma_signal", "runs_signal"]])
    points = pd.concat(frames, ignore_index=True)
    last_part = points.groupby("series")["part"].transform("max")
    points = points[points["part"] == last_part].sort_values(["series", "xx"], kind="stable")
    with np.errstate(invalid="ignore"):
        side = np.sign(points["y"].to_numpy(float) - points["cl"].to_numpy(float))
    points = points.assign(_side=np.nan_to_num(side, nan=0.0))
    points["_from_end"] = points.groupby("series").cumcount(ascending=False)
    recent_sigma = points[(points["_from_end"] < recent) & points["sigma_signal"].astype(bool)]
    sigma_side = recent_sigma.groupby("series")["_side"].last()
    useful = points[points["include"].astype(bool) & (points["_side"] != 0)]
    run_side = useful.groupby("series")["_side"].last()
    g = points.groupby("series")
    out = pd.DataFrame({"n_points": g["y"].count(),
                        "runs_signal": g["runs_signal"].last().astype(bool)})
    out["recent_sigma_signal"] = out.index.isin(sigma_side.index)
    runs_side = run_side.reindex(out.index).fillna(0.0).where(out["runs_signal"], 0.0)
    out["side"] = sigma_side.reindex(out.index).fillna(runs_side).astype(int)
    out = keys.merge(out.reset_index(), on="series", how="left")
    sign = np.where(out["direction"] == "decrease", -1, 1)
    effect = out["side"].fillna(0).to_numpy() * sign
    out["signal"] = np.select([effect > 0, effect < 0], ["improvement", "concern"], "none")
    out["n_points"] = out["n_points"].fillna(0).astype(int)
    return out[SIGNAL_COLUMNS].sort_values(["indicator_id", "team_id"]).reset_index(drop=True)


MATRIX_COLUMNS = ["team_id", "wave_id", "indicator_id", "latest_period", "latest_value",
                  "target", "direction", "target_met", "signal", "months_since_report"]


def status_matrix(measurements: pd.DataFrame, indicators: pd.DataFrame,
                  teams: pd.DataFrame | None = None, *, period: object = None,
                  signals: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per team × indicator: where each team stands in the reporting month.

    Teams: those in `teams` that joined on or before the reporting month (plus any team with
    data missing from `teams`); indicators: all of `indicators`. Columns: team_id, wave_id,
    indicator_id, latest_period and latest_value (latest reported month up to the reporting
    month; NaN if never), target, direction, target_met (1/0 for the latest value,
    direction-aware; NaN without value or target), signal (`chart_signals`; "none" without
    data; pass `signals` to reuse a computed frame), months_since_report (reporting month −
    latest_period; 0 = reported this month; NaN if never reported).
    """
    m, rp = prepare(measurements, indicators, teams, period)
    attrs = indicator_attributes(indicators)
    team_frame = team_attributes(teams)
    if rp is not None:
        team_frame = team_frame[team_frame["join_month"].isna()
                                | (team_frame["join_month"] <= rp.ordinal)]
    extra = m.loc[~m["team_id"].isin(team_frame["team_id"]), ["team_id", "wave_id"]]
    team_frame = pd.concat([team_frame[["team_id", "wave_id"]], extra.drop_duplicates("team_id")],
                           ignore_index=True)
    grid = team_frame.merge(attrs[["indicator_id", "target", "direction"]], how="cross")
    latest = m.groupby(["team_id", "indicator_id"], sort=False).agg(
        latest_month=("month", "last"), latest_value=("value", "last")).reset_index()
    out = grid.merge(latest, on=["team_id", "indicator_id"], how="left")
    out["latest_period"] = from_ordinals(out["latest_month"]).to_numpy()
    out["target_met"] = at_target(out["latest_value"], out["target"], out["direction"])
    if rp is not None:
        out["months_since_report"] = rp.ordinal - out["latest_month"]
    else:
        out["months_since_report"] = np.nan
    if signals is None:
        signals = chart_signals(measurements, indicators, period=rp)
    out = out.merge(signals[["team_id", "indicator_id", "signal"]],
                    on=["team_id", "indicator_id"], how="left")
    out["signal"] = out["signal"].fillna("none")
    order = {k: i for i, k in enumerate(attrs["indicator_id"])}
    out = out.assign(_i=out["indicator_id"].map(order)).sort_values(["team_id", "_i"])
    return out[MATRIX_COLUMNS].reset_index(drop=True)

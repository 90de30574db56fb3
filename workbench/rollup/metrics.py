"""Collaborative roll-ups: how the whole collaborative is doing, in the HCI/ASSIST style.

Pure functions on pandas frames (no I/O), vectorised across all teams and indicators:

- `indicator_summary`  — per indicator × month: teams reporting, teams at target, % at target,
  pooled numerator/denominator/value, median and IQR of team values;
- `time_to_threshold`  — per team (and pooled per wave and collaborative) × indicator ×
  threshold (80 %, 90 %, target): months since joining to first reach it, months sustained
  after, as a share of months observed;
- `gain_from_baseline` — per team (and pooled) × indicator: baseline of the first three reported
  months, latest value, gain in percentage points, direction-aware improvement;
- `most_improved`      — the teams with the largest (positive) improvement, per indicator;
- `changes_before_gain` — the changes each of those teams adopted or adapted for that
  indicator before its latest month, once each;
- `wave_cohorts`, `assessment_summary` (in `workbench.rollup.cohorts`) and `chart_signals`,
  `signal_status`, `status_matrix` (in `workbench.rollup.status`) are re-exported here.

Inputs: the tidy frame (team_id, indicator_id, period, numerator, denominator, value — read it
"as of" a time with `workbench.store.read_measurements(as_of=…)`), the indicators frame
(indicator_id, target, direction, kind, multiplier) and the teams frame (team_id, wave_id,
joined_period). Every function takes `period`, the reporting month: data after it are
ignored. The shared conventions (what counts as reported, at target, pooled) are in
`workbench.rollup.base`. The metrics follow Franco et al., BMJ Qual Saf 2011;20:658-665.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

from workbench.rollup.base import (
    at_target,
    at_target_where,
    frame_codes,
    from_ordinals,
    group_numbers,
    indicator_attributes,
    pool,
    prepare,
    reporting_period,
    shared,
    sort_codes,
    to_periods,
)
from workbench.rollup.cohorts import assessment_distribution, assessment_summary, wave_cohorts
from workbench.rollup.status import chart_signals, signal_status, status_matrix

__all__ = [
    "THRESHOLDS",
    "BASELINE_MONTHS",
    "indicator_summary",
    "latest_indicator_summary",
    "time_to_threshold",
    "gain_from_baseline",
    "most_improved",
    "changes_before_gain",
    "ADOPTED",
    "wave_cohorts",
    "assessment_distribution",
    "assessment_summary",
    "chart_signals",
    "signal_status",
    "status_matrix",
    "reporting_period",
]

#: Fixed performance levels of the HCI analysis (Franco et al. 2011), on the value scale.
#: They apply to `increase` proportions only; see `time_to_threshold`.
THRESHOLDS = {"80%": 0.80, "90%": 0.90}

#: The baseline pools this many first reported months.
BASELINE_MONTHS = 3

SUMMARY_COLUMNS = ["indicator_id", "period", "target", "direction", "teams_joined",
                   "teams_reporting", "teams_at_target", "pct_at_target", "pooled_numerator",
                   "pooled_denominator", "pooled_value", "pooled_at_target", "median", "q1",
                   "q3", "iqr"]


def indicator_summary(measurements: pd.DataFrame, indicators: pd.DataFrame,
                      teams: pd.DataFrame | None = None, *, period: object = None
                      ) -> pd.DataFrame:
    """Per indicator and month (up to `period`): how many teams reported and reached target.

    Columns: indicator_id, period, target, direction, teams_joined (teams in `teams` whose
    joined_period is on or before the month; NA without a teams frame), teams_reporting,
    teams_at_target, pct_at_target (0-100, of teams reporting; NaN without a target),
    pooled_numerator, pooled_denominator, pooled_value, pooled_at_target (1/0/NaN), median,
    q1, q3, iqr (of team values, value scale). Only months with at least one report appear.
    """
    m, _ = prepare(measurements, indicators, teams, period)
    return _summary_of(m, indicators, teams)


def _summary_of(m: pd.DataFrame, indicators: pd.DataFrame, teams: pd.DataFrame | None
                ) -> pd.DataFrame:
    """`indicator_summary` of the prepared rows `m` (of every month, or of some months
    only: each row of the result is of its indicator and month's rows alone)."""
    if m.empty:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in SUMMARY_COLUMNS})
    out = pool(m, ["indicator_id", "month"]).rename(columns={"teams": "teams_reporting"})
    attrs = indicator_attributes(indicators)
    out = out.merge(attrs[["indicator_id", "target", "direction"]], on="indicator_id",
                    how="left")
    out["direction"] = out["direction"].fillna("increase")
    out["period"] = from_ordinals(out["month"]).array
    out["pooled_at_target"] = at_target(out["pooled_value"], out["target"], out["direction"])
    out["teams_joined"] = _teams_joined(teams, out["month"].to_numpy())
    return out[SUMMARY_COLUMNS]


def _teams_joined(teams: pd.DataFrame | None, months: np.ndarray
                  ) -> pd.api.extensions.ExtensionArray:
    from workbench.rollup.base import team_attributes

    if teams is None or len(teams) == 0:
        return pd.array([pd.NA] * len(months), dtype="Int64")
    joined = np.sort(team_attributes(teams)["join_month"].dropna().to_numpy())
    return pd.array(np.searchsorted(joined, months, side="right"), dtype="Int64")


def latest_indicator_summary(measurements: pd.DataFrame, indicators: pd.DataFrame,
                             teams: pd.DataFrame | None = None, *, period: object = None
                             ) -> pd.DataFrame:
    """`indicator_summary` of the reporting month only, one row per indicator in `indicators`
    (in their order); an indicator nobody reported that month has teams_reporting 0."""
    rp = reporting_period(measurements, period)
    if rp is None:
        return indicator_summary(measurements, indicators, teams, period=rp)
    m, _ = prepare(measurements, indicators, teams, rp)
    month = m["month"].to_numpy() == rp.ordinal  # the month's rows only: its summary rows
    summary = _summary_of(m[month] if month.any() else m, indicators, teams)  # are theirs
    ids = indicator_attributes(indicators)[["indicator_id", "target", "direction"]]
    this = summary[summary["period"] == rp].drop(columns=["target", "direction"])
    out = ids.merge(this, on="indicator_id", how="left")
    out["period"] = pd.Series([rp] * len(out), dtype="period[M]")
    out["teams_reporting"] = out["teams_reporting"].fillna(0).astype(int)
    if teams is not None and len(teams):
        out["teams_joined"] = _teams_joined(teams, np.full(len(out), float(rp.ordinal)))
    return out[SUMMARY_COLUMNS]


# --------------------------------------------------------------------------------------------
# Per-entity series: each team, each wave pooled, the collaborative pooled

_ENTITY_KEYS = ["indicator_id", "level", "team_id", "wave_id"]


def _series_of(m: pd.DataFrame, levels: tuple[str, ...]) -> pd.DataFrame:
    """`_entity_series` of the prepared frame `m` at `levels`, computed once per frame inside
    `shared_preparation`: the team rows alone when only teams are asked for (the pooled
    waves and collaborative are then not computed; the team rows and their order are the
    same), else every level, then those asked for (`_levels`)."""
    if set(levels) <= {"team"}:
        teams: pd.DataFrame = shared("team series", m,
                                     compute=lambda: _entity_series(m, pooled_levels=False))
        return teams if "team" in levels else teams.iloc[:0]
    return _levels(shared("entity_series", m, compute=lambda: _entity_series(m)), levels)


def _entity_series(m: pd.DataFrame, pooled_levels: bool = True) -> pd.DataFrame:
    """One row per entity × indicator × reported month: level (team, wave, collaborative),
    team_id, wave_id, month, value, numerator, denominator, start_month, target, direction,
    kind, multiplier; `_entity` numbers the entities (by indicator, level, team, wave).
    Without `pooled_levels`, the team rows only (numbered and ordered as among every level's).

    The team rows are the prepared frame's: they are numbered and sorted by its integer
    codes (`frame_codes`), shared with the other roll-ups, not by their texts."""
    attrs = ["indicator_id", "target", "direction", "kind", "multiplier"]
    team = m[["indicator_id", "team_id", "wave_id", "month", "value", "numerator",
              "denominator", "join_month"] + attrs[1:]]
    team = team.rename(columns={"join_month": "start_month"})
    team.insert(1, "level", "team")
    # prepare filled direction and kind and gave wave_id None where missing; team_id is
    # missing only where its codes say so
    team_codes, team_ids = frame_codes(m, "team_id")
    complete = ["direction", "kind", "wave_id"]
    if not len(team_codes) or int(team_codes.max()) < len(team_ids):
        complete.append("team_id")
    parts = [_none_for_missing(team, complete)]
    ind = m[attrs].drop_duplicates("indicator_id")
    for level, keys in (("wave", ["indicator_id", "wave_id"]), ("collaborative", ["indicator_id"])):
        if not pooled_levels:
            break
        src = m
        if level == "wave":
            wave, waves = frame_codes(m, "wave_id")
            if len(wave) and int(wave.max()) == len(waves):  # a team without a wave
                src = m[m["wave_id"].notna()]
        if src.empty:
            continue
        pooled = pool(src, keys + ["month"])
        pooled = pooled.merge(_earliest_join(src, keys), on=keys, how="left")
        pooled = pooled.rename(columns={"pooled_value": "value", "pooled_numerator": "numerator",
                                        "pooled_denominator": "denominator"})
        pooled["level"] = level
        pooled["team_id"] = None
        if level == "collaborative":
            pooled["wave_id"] = None
        pooled = pooled.merge(ind, on="indicator_id", how="left")
        pooled = pooled[pooled["value"].notna()]
        parts.append(_none_for_missing(pooled[team.columns]))
    series = pd.concat(parts, ignore_index=True)
    combined = np.zeros(len(series), dtype=np.int64)
    for key in _ENTITY_KEYS:
        codes, width = _union_codes([_part_codes(m, part, key, i == 0)
                                     for i, part in enumerate(parts)])
        combined = combined * width + codes
    order = _entity_order(combined, series["month"].to_numpy(dtype=float))
    series = series.take(order).reset_index(drop=True)
    ordered = combined[order]
    series["_entity"] = np.cumsum(np.r_[True, ordered[1:] != ordered[:-1]]) - 1 if len(
        ordered) else np.zeros(0, dtype=np.int64)
    return series


def _earliest_join(src: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per group of `keys` (missing keys a group): the earliest `join_month` of its rows, as
    `start_month` (NaN when none is known); grouped by the keys' shared codes."""
    numbered = group_numbers(src, keys)
    if numbered is None:
        start = src.groupby(keys, dropna=False)["join_month"].min().rename("start_month")
        return start.reset_index()
    number, first = numbered
    earliest = np.full(len(first), np.nan)
    np.fmin.at(earliest, number, src["join_month"].to_numpy(dtype=float))
    out = pd.DataFrame({key: src[key].to_numpy()[first] for key in keys})
    out["start_month"] = earliest
    return out


def _entity_order(entity: np.ndarray, month: np.ndarray) -> np.ndarray:
    """The rows' order by entity, then month: `np.lexsort((month, entity))`, as one integer
    key sorted stably (the team rows come sorted already, which a stable sort finds)."""
    if not len(month) or np.isnan(month).any():
        order: np.ndarray = np.lexsort((month, entity))
        return order
    low = int(month.min())
    span = int(month.max()) - low + 1
    if int(entity.max()) >= np.iinfo(np.int64).max // span:
        return np.lexsort((month, entity))
    key = entity * span + (month.astype(np.int64) - low)
    return np.argsort(key, kind="stable")


def _part_codes(m: pd.DataFrame, part: pd.DataFrame, key: str, teams: bool
                ) -> tuple[np.ndarray, pd.Index]:
    """`sort_codes` of a part's `key`: the team rows' from the prepared frame `m` (shared),
    a level (one per part) at once."""
    if key == "level":
        return np.zeros(len(part), dtype=np.int64), pd.Index(part[key].iloc[:1], dtype=object)
    return frame_codes(m, key) if teams else sort_codes(part[key])


def _none_for_missing(frame: pd.DataFrame, complete: Collection[str] = ()) -> pd.DataFrame:
    """`frame` with its texts of `_NONE_COLUMNS` as objects, None where missing (plain
    objects compare fast); columns already so are kept as they are, and so are the object
    columns of `complete` (known to be so: not looked at)."""
    out = frame
    for c in _NONE_COLUMNS:
        column = out[c]
        if c in complete and column.dtype == object:
            continue
        if column.dtype == object:
            values = column.to_numpy()
            gone = pd.isna(values)
            if not gone.any() or all(v is None for v in values[gone].tolist()):
                continue
        out = out.assign(**{c: column.astype(object).where(column.notna(), None)})
    return out


_NONE_COLUMNS = ("team_id", "wave_id", "direction", "kind")


def _union_codes(parts: list[tuple[np.ndarray, pd.Index]]) -> tuple[np.ndarray, int]:
    """The codes of the parts' rows, concatenated, in the sort order of all their distinct
    values (missing last, `sort_codes` of the whole column), and the codes' width."""
    every = np.concatenate([np.asarray(distinct, dtype=object) for _, distinct in parts])
    union_codes, union = sort_codes(pd.Series(every, dtype=object))
    out, offset = [], 0
    for codes, distinct in parts:
        mapping = np.append(union_codes[offset:offset + len(distinct)], len(union))
        out.append(mapping[codes])
        offset += len(distinct)
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int64), len(union) + 1


def _run_starts(keys: np.ndarray) -> np.ndarray:
    """The first position of each run of equal `keys` (rows of a group lie together)."""
    return np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]]) if len(keys) else np.zeros(
        0, dtype=np.int64)


def _levels(series: pd.DataFrame, levels: tuple[str, ...]) -> pd.DataFrame:
    if {"team", "wave", "collaborative"}.issubset(levels):  # every level: the frame itself
        return series
    return series[series["level"].isin(levels)]


TIME_COLUMNS = ["indicator_id", "level", "team_id", "wave_id", "threshold", "threshold_value",
                "direction", "start_period", "first_period", "months_to_reach",
                "months_observed_after", "months_sustained", "sustained_share"]


def time_to_threshold(measurements: pd.DataFrame, indicators: pd.DataFrame,
                      teams: pd.DataFrame | None = None, *, period: object = None,
                      levels: tuple[str, ...] = ("team", "wave", "collaborative")
                      ) -> pd.DataFrame:
    """Months to first reach 80 %, 90 % and the target, and how well it was sustained.

    One row per entity × indicator × threshold. Entities (`level`): each team; each wave
    pooled (`team_id` None); the collaborative pooled (`team_id` and `wave_id` None).

    - Thresholds: "80%" (0.80) and "90%" (0.90) apply to indicators of kind `proportion` with
      direction `increase` (the HCI performance levels). For `decrease` indicators (an outcome
      such as a haemorrhage rate) and other kinds only "target" applies: the complements
      (rate <= 20 %) would be met from the first month and say nothing.
      Reaching means at or beyond the threshold, direction-aware, ties count
      (`workbench.rollup.base`).
    - start_period: the team's joined_period (a team without one: its first reported month);
      pooled entities start at the earliest join month of their teams.
    - months_to_reach = first_period − start_period in months (0 = reached in the joining
      month; reaching before joining also gives 0). NaN if never reached.
    - months_observed_after: reported months from first_period (inclusive) to the reporting
      month; months_sustained: those at or beyond the threshold (first_period included);
      sustained_share = months_sustained / months_observed_after. Missing months are not
      observed: they count neither way. NaN if never reached.
    """
    m, _ = prepare(measurements, indicators, teams, period)
    if m.empty:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in TIME_COLUMNS})
    series = _series_of(m, levels)
    # one block of the series' rows per threshold (80 %, 90 % where they apply, the target
    # where there is one), as positions: the text columns are taken once per result row
    decrease = _is(series["direction"], "decrease")
    inc_prop = ~decrease & _is(series["kind"], "proportion")
    target = series["target"].to_numpy(dtype=float)
    blocks = [np.flatnonzero(inc_prop)] * len(THRESHOLDS) + [np.flatnonzero(~np.isnan(target))]
    rows = np.concatenate(blocks)
    if not len(rows):
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in TIME_COLUMNS})
    th = np.repeat(np.arange(len(blocks)), [len(block) for block in blocks])
    threshold_value = np.concatenate([np.full(len(block), value) for block, value in zip(
        blocks, THRESHOLDS.values(), strict=False)] + [target[blocks[-1]]])
    met = at_target_where(series["value"].to_numpy(dtype=float)[rows], threshold_value,
                          decrease[rows]) == 1.0
    # each entity × threshold is one run of rows, in month order: reduce the runs
    starts = _run_starts(series["_entity"].to_numpy(dtype=np.int64)[rows]
                         * (len(THRESHOLDS) + 1) + th)
    month = series["month"].to_numpy(dtype=float)[rows]
    first = np.minimum.reduceat(np.where(met, month, np.inf), starts)
    first[np.isinf(first)] = np.nan
    after = month >= np.repeat(first, np.diff(np.append(starts, len(rows))))  # False: never
    columns = series.columns.get_indexer(pd.Index(  # the rows and columns taken at once
        ["indicator_id", "level", "team_id", "wave_id", "direction", "start_month"]))
    out = pd.DataFrame(series.iloc[rows[starts], columns]).reset_index(drop=True)
    names = np.array([*THRESHOLDS, "target"], dtype=object)
    out.insert(4, "threshold", pd.array(names[th[starts]], dtype="str"))
    out.insert(5, "threshold_value", threshold_value[starts])
    out["first_month"] = first
    out["months_observed_after"] = np.add.reduceat(after.astype(float), starts)
    out["months_sustained"] = np.add.reduceat((after & met).astype(float), starts)
    reached = out["first_month"].notna()
    out["months_to_reach"] = (out["first_month"] - out["start_month"]).clip(lower=0)
    out["months_observed_after"] = out["months_observed_after"].where(reached)
    out["months_sustained"] = out["months_sustained"].where(reached)
    out["sustained_share"] = out["months_sustained"] / out["months_observed_after"]
    out["start_period"] = from_ordinals(out["start_month"]).array
    out["first_period"] = from_ordinals(out["first_month"]).array
    out = _order(out, indicators)
    return out[TIME_COLUMNS]


def _is(values: pd.Series, text: str) -> np.ndarray:
    """`values == text` as booleans (a missing value is not `text`): the entity series'
    texts are strings or None (`_none_for_missing`), compared as objects, no hashing."""
    out: np.ndarray = values.to_numpy(dtype=object) == text
    return out


def _order(frame: pd.DataFrame, indicators: pd.DataFrame) -> pd.DataFrame:
    """Indicators in their display order; collaborative, then waves, then teams.

    The rows sorted (stably) by the display rank of the indicator (unknown last), the
    indicator, the level, the wave and the team (missing first) and the threshold: each key
    as its `sort_codes` (what `sort_values` sorts by), the rows taken once."""
    ids = indicator_attributes(indicators)["indicator_id"]
    indicator, distinct = sort_codes(frame["indicator_id"])
    rank = pd.Index(ids).get_indexer(pd.Index(distinct, dtype=object))  # -1: not listed
    rank = np.append(np.where(rank < 0, len(ids), rank), len(ids))  # a missing id: last
    keys = [rank[indicator], indicator,
            sort_codes(frame["level"].map({"collaborative": 0, "wave": 1, "team": 2}))[0],
            sort_codes(frame["wave_id"].fillna(""))[0],
            sort_codes(frame["team_id"].fillna(""))[0]]
    if "threshold" in frame:
        keys.append(sort_codes(frame["threshold"].map({"80%": 0, "90%": 1, "target": 2}))[0])
    return frame.take(np.lexsort(keys[::-1])).reset_index(drop=True)


GAIN_COLUMNS = ["indicator_id", "level", "team_id", "wave_id", "direction", "baseline_start",
                "baseline_end", "baseline_months", "baseline", "latest_period", "latest_value",
                "months_reported", "gain_pp", "improvement_pp"]


def gain_from_baseline(measurements: pd.DataFrame, indicators: pd.DataFrame,
                       teams: pd.DataFrame | None = None, *, period: object = None,
                       levels: tuple[str, ...] = ("team", "wave", "collaborative")
                       ) -> pd.DataFrame:
    """Gain from baseline per entity (team, wave pooled, collaborative pooled) × indicator.

    - baseline: the first three *reported* months of the entity (missing months are skipped,
      so a team that joined late or skipped a month still gets three months of data):
      Σnumerator ÷ Σdenominator over those months (the mean value for indicators without
      denominators). baseline_start / baseline_end are the first and last of those months.
    - latest_value: the value of the latest reported month up to the reporting period.
    - gain_pp = (latest_value − baseline) × the indicator's multiplier: percentage points for
      proportions (multiplier 100), display units otherwise. NaN unless at least one month was
      reported after the baseline months.
    - improvement_pp = gain_pp for `increase` indicators, −gain_pp for `decrease` ones, so a
      larger improvement is always better.
    """
    m, _ = prepare(measurements, indicators, teams, period)
    if m.empty:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in GAIN_COLUMNS})
    s = _series_of(m, levels)
    starts = _run_starts(s["_entity"].to_numpy())  # an entity's rows lie together, by month
    counts = np.diff(np.append(starts, len(s)))
    rank = np.arange(len(s)) - np.repeat(starts, counts)  # 0 = the entity's first month
    base = s.loc[rank < BASELINE_MONTHS,
                 ["_entity", "numerator", "denominator", "value", "month"]]
    bg = base.groupby("_entity", sort=False)
    b = bg.agg(num=("numerator", "sum"), den=("denominator", "sum"),
               dens=("denominator", "count"),
               mean=("value", "mean"), baseline_months=("value", "size"),
               baseline_start=("month", "min"), baseline_end=("month", "max"))
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = b["num"] / b["den"].where(b["den"] > 0)
    b["baseline"] = np.where(b["dens"] > 0, ratio, b["mean"])
    ends = np.append(starts[1:], len(s)) - 1
    out = s.iloc[starts][["_entity", "indicator_id", "level", "team_id", "wave_id",
                          "direction", "multiplier"]].set_index("_entity")
    out["latest_month"] = s["month"].to_numpy()[ends]
    out["latest_value"] = s["value"].to_numpy()[ends]
    out["months_reported"] = ends - starts + 1
    out = out.join(b[["baseline", "baseline_months", "baseline_start", "baseline_end"]])
    enough = out["months_reported"] > BASELINE_MONTHS
    out["gain_pp"] = ((out["latest_value"] - out["baseline"]) * out["multiplier"]).where(enough)
    sign = np.where(out["direction"] == "decrease", -1.0, 1.0)
    out["improvement_pp"] = out["gain_pp"] * sign
    out["baseline_start"] = from_ordinals(out["baseline_start"]).array
    out["baseline_end"] = from_ordinals(out["baseline_end"]).array
    out["latest_period"] = from_ordinals(out["latest_month"]).array
    out = _order(out.reset_index(drop=True), indicators)
    return out[GAIN_COLUMNS]


RANK_COLUMNS = ["indicator_id", "rank", "team_id", "wave_id", "baseline", "latest_value",
                "latest_period", "gain_pp", "improvement_pp"]


def most_improved(gains: pd.DataFrame, *, n: int = 5,
                  indicator_ids: list[str] | None = None) -> pd.DataFrame:
    """The `n` teams with the largest improvement from baseline, per indicator.

    `gains` is the frame of `gain_from_baseline` (only its team rows are ranked). The order is
    improvement_pp descending (direction-aware: for a `decrease` indicator the largest fall
    ranks first), ties broken by team_id; teams without a gain (too few months) and teams that
    did not improve (improvement_pp of 0 or less: no change, or worse) are left out.
    `rank` is 1..n within each indicator, and tied teams share the better rank ("min"), so
    two teams with the same gain are both rank 1. Indicators keep their order in `gains`.
    """
    if n < 1:
        raise ValueError("n must be at least 1")
    teams = gains[(gains["level"] == "team") & (gains["improvement_pp"] > 0)]
    if indicator_ids is not None:
        teams = teams[teams["indicator_id"].isin(indicator_ids)]
    if teams.empty:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in RANK_COLUMNS})
    order = {k: i for i, k in enumerate(pd.unique(gains["indicator_id"]))}
    ranked = teams.assign(_ind=teams["indicator_id"].map(order)).sort_values(
        ["_ind", "improvement_pp", "team_id"], ascending=[True, False, True], kind="stable")
    ranked = ranked.groupby("indicator_id", sort=False).head(n).copy()
    ranked["rank"] = ranked.groupby("indicator_id")["improvement_pp"].rank(
        method="min", ascending=False).astype(int)
    return ranked[RANK_COLUMNS].reset_index(drop=True)


#: PDSA act decisions that put a change into practice
ADOPTED = ("adopt", "adapt")
CHANGE_COLUMNS = ["indicator_id", "team_id", "change_id", "decision", "decided_period"]


def changes_before_gain(ranked: pd.DataFrame, cycles: pd.DataFrame,
                        ideas: pd.DataFrame | None = None) -> pd.DataFrame:
    """The changes behind each ranked team's improvement (`most_improved` rows).

    A change counts for a team × indicator when one of the team's PDSA cycles of it ended
    with `adopt` or `adapt`, is linked to the indicator (the cycle's `linked_indicators`, or
    else the change idea's `indicator_ids` from `ideas`), and ended (`end_date`, else
    `start_date`) in or before the month of the team's latest value. Each change appears once,
    with its last decision and that cycle's month. Rows: indicator_id, team_id, change_id,
    decision, decided_period; in the order of `ranked`, then by decision month.
    """
    empty = pd.DataFrame({c: pd.Series([], dtype=object) for c in CHANGE_COLUMNS})
    if ranked.empty or cycles is None or len(cycles) == 0:
        return empty
    linked_to = {}
    if ideas is not None and len(ideas):
        linked_to = dict(zip(ideas["change_id"], ideas["indicator_ids"], strict=False))
    c = cycles[cycles["act_decision"].isin(ADOPTED)].copy()
    c["_ended"] = pd.to_datetime(c["end_date"].fillna(c["start_date"]), errors="coerce")
    c = c[c["_ended"].notna()]
    c["decided_period"] = c["_ended"].dt.to_period("M")
    c["_linked"] = [list(own) if isinstance(own, list | tuple) and len(own)
                    else list(linked_to.get(change) or [])
                    for own, change in zip(c["linked_indicators"], c["change_id"], strict=True)]
    c = c.explode("_linked").rename(columns={"_linked": "indicator_id"})
    want = ranked[["indicator_id", "team_id", "latest_period"]].reset_index(names="_order")
    rows = want.merge(c, on=["indicator_id", "team_id"], how="inner")
    rows = rows[rows["decided_period"] <= to_periods(rows["latest_period"])]
    if rows.empty:
        return empty
    rows = rows.sort_values(["_order", "_ended", "cycle_number"], kind="stable")
    rows = rows.drop_duplicates(["_order", "change_id"], keep="last").rename(
        columns={"act_decision": "decision"})
    return rows.sort_values(["_order", "decided_period"], kind="stable")[
        CHANGE_COLUMNS].reset_index(drop=True)

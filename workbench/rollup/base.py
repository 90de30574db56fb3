"""Shared building blocks of the collaborative roll-ups (`workbench.rollup`).

Pure pandas: the tidy frame, the indicators frame and the teams frame in; one prepared
frame out, with each row's indicator attributes, wave, month of joining and whether it is at
target. Months are handled as integer period ordinals (`pandas.Period.ordinal`), so "months
since joining" is a subtraction.

Conventions every roll-up shares (documented once, here):

- **Reporting period.** `period` (a `YYYY-MM` text, a `pandas.Period` or None) is the
  reporting month: data after it are ignored. None means the latest month in the data.
  The month a page or summary is *about* when nobody asked for one is `reporting_month`
  (`REPORTING_RULE`): the latest month in which most teams reported, so one team that
  reports early does not turn the collaborative's page into next month.
- **Reported.** A row counts as a report when its value is a number; a month whose
  denominator is 0 (value NaN) or that is absent is *not reported* (a gap, never a zero).
- **At target.** Direction-aware: `value >= target` for `increase`, `value <= target` for
  `decrease`; a value equal to the target is at target (compared within 1e-9, so 9/10 meets
  0.9). No target -> NaN (unknown), never False.
- **Pooled value.** Σnumerator ÷ Σdenominator over the teams (the collaborative as one big
  team); for indicators reported without denominators, the mean of the team values.
- **Quartiles.** Linear interpolation between order statistics (pandas default, R type 7).

**Prepared once.** Every roll-up starts from `prepare`. Inside `with shared_preparation():`
(what `workbench.briefs.summary.collaborative_rollup` does for its nine frames) the same input
frames and period are prepared once and the frame is shared (pandas copy-on-write keeps it
unchanged); `shared(name, *inputs, compute=…)` shares any other intermediate the same way
(the per-entity series of `time_to_threshold` and `gain_from_baseline`), and `frame_codes`
the integer codes of a frame's column, so the roll-ups that read one frame group and match it
by one set of codes instead of hashing its texts again (`pool`, the entity series, the
charts' phases and lines). The prepared frame is sorted on such codes and taken once, and
given the codes it was sorted by (`seed_codes`, `compact_codes`: its texts are not hashed
again); the charts' frame shares the measurements' codes when no month is cut off. Texts
made of a few distinct parts (signal words, PDSA event labels) are built once per distinct
combination (`per_distinct`). The inputs must not be changed inside the block. Outside it
nothing is kept.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from workbench.errors import ValidationFailed
from workbench.i18n import N_
from workbench.model import is_period, parse_period, period_problem

__all__ = [
    "MONTHLY",
    "TOLERANCE",
    "as_period",
    "REPORTING_RULE",
    "reporting_month",
    "reporting_period",
    "teams_reporting_by_month",
    "to_periods",
    "indicator_attributes",
    "team_attributes",
    "prepare",
    "distinct_numbers",
    "per_distinct",
    "pool",
    "at_target",
    "at_target_where",
    "frame_codes",
    "compact_codes",
    "seed_codes",
    "shared",
    "shared_preparation",
    "sort_codes",
    "stable_order",
]

_T = TypeVar("_T")
_SHARED: ContextVar[dict[tuple[Any, ...], tuple[Any, tuple[object, ...]]] | None] = ContextVar(
    "workbench_rollup_shared", default=None)


@contextmanager
def shared_preparation() -> Iterator[None]:
    """Within the block, `prepare` (and `shared`) compute once per set of inputs. A block
    inside another shares the outer block's results (`team_charts` opens one, so its parts
    share the codes of its frame whoever calls it)."""
    if _SHARED.get() is not None:
        yield
        return
    token = _SHARED.set({})
    try:
        yield
    finally:
        _SHARED.reset(token)


def shared(name: str, *inputs: object, compute: Callable[[], _T]) -> _T:
    """`compute()`, or inside `shared_preparation` the result of the first call with the same
    `name` and the same input objects (by identity; they are kept alive with the result)."""
    cache = _SHARED.get()
    if cache is None:
        return compute()
    key = (name, *(id(x) if not isinstance(x, str | int | float | pd.Period) and x is not None
                   else x for x in inputs))
    if key not in cache:
        cache[key] = (compute(), inputs)
    result: _T = cache[key][0]
    return result

#: Values within this distance of the target count as equal to it.
TOLERANCE = 1e-9

_CHART_OF_KIND = {"proportion": "p", "rate": "u", "count": "c"}


def as_period(value: object, what: str = "period") -> pd.Period | None:
    """A monthly `pandas.Period` from `YYYY-MM` text, a Period or a timestamp; None stays None.

    The month must pass `workbench.model.parse_period` (year 1900 or later)."""
    if value is None:
        return None
    if not is_period(value):  # the period rule of every door (`workbench.model`)
        raise ValidationFailed(f"{what} {period_problem(value)}.")
    return pd.Period(parse_period(value), freq="M")


#: the dtype of monthly Periods (a dtype's `freq` is an offset, MonthEnd, that compares
#: unequal to "M" on pandas 3: compare dtypes)
MONTHLY = pd.PeriodDtype("M")


def to_periods(values: pd.Series) -> pd.Series:
    """A Series of monthly Periods from Periods or `YYYY-MM` texts (index kept)."""
    if isinstance(values.dtype, pd.PeriodDtype):
        return values if values.dtype == MONTHLY else values.dt.asfreq("M")
    if len(values) == 0:
        return pd.Series([], dtype="period[M]", index=values.index)
    codes, months = pd.factorize(values.astype(str))  # each distinct month parsed once
    return pd.Series(pd.PeriodIndex(months, freq="M")[codes], index=values.index)


def ordinals(values: pd.Series) -> np.ndarray:
    """Integer month numbers of a Period[M] Series (NaT -> -1 is avoided: use float NaN)."""
    periods = pd.PeriodIndex(values)
    out = periods.asi8.astype(float)
    out[periods.isna()] = np.nan
    return out


def _period_index_from_ordinals(ordinals: np.ndarray, freq: str) -> pd.PeriodIndex:
    """`PeriodIndex.from_ordinals` (pandas has it; its stubs do not yet)."""
    index: pd.PeriodIndex = pd.PeriodIndex.from_ordinals(  # type: ignore[attr-defined]
        ordinals, freq=freq)
    return index


def from_ordinals(values: Sequence[float] | np.ndarray | pd.Series) -> pd.Series:
    """Monthly Periods (NaT where NaN) from month numbers."""
    arr = np.asarray(values, dtype=float)
    missing = np.isnan(arr)
    months = np.where(missing, 0.0, arr).astype(np.int64)
    months[missing] = np.iinfo(np.int64).min  # how pandas stores NaT
    return pd.Series(_period_index_from_ordinals(months, freq="M"), index=range(len(arr)))


#: The rule of `reporting_period`, in words for the pages that show the month.
REPORTING_RULE = N_("the latest month in which more than half of the teams reported (a team "
                    "that reports early does not move it)")  # shown translated: _(REPORTING_RULE)


def teams_reporting_by_month(measurements: pd.DataFrame) -> pd.Series:
    """Number of teams with at least one reported value (any indicator), per month (a
    Series indexed by monthly Period, oldest first); a row without a value is no report."""
    if measurements is None or len(measurements) == 0:
        return pd.Series([], dtype=int, index=pd.PeriodIndex([], freq="M"))
    return _teams_by_month(*_reports(measurements))


def _teams_by_month(months: np.ndarray, teams: np.ndarray, n_teams: int) -> pd.Series:
    """`teams_reporting_by_month` of the reports (`_reports`)."""
    present = np.unique(months)  # every month with a report, even of unnamed teams only
    named = teams >= 0
    pairs = np.searchsorted(present, months[named]) * n_teams + teams[named]  # month x team
    if len(present) * n_teams <= 8 * len(pairs) + 1024:  # dense: mark them
        seen = np.zeros(len(present) * n_teams, dtype=bool)
        seen[pairs] = True
        counts = seen.reshape(len(present), n_teams).sum(axis=1, dtype=np.int64)
    else:  # sparse: each pair once
        counts = np.bincount(np.unique(pairs) // n_teams, minlength=len(present))
    return pd.Series(counts.astype(np.int64), index=_period_index_from_ordinals(
        present, freq="M"), name="team_id").sort_index()  # NaT last, as pandas sorts it


def _reports(measurements: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, int]:
    """(month ordinal, team code: -1 where missing) of each row with a reported value, and
    the number of team codes: the codes shared with the roll-ups (`frame_codes`), no copy
    of the rows."""
    codes, distinct = frame_codes(measurements, "team_id")
    months = pd.PeriodIndex(to_periods(measurements["period"])).asi8
    teams = np.where(codes < len(distinct), codes, -1)
    if "value" in measurements:
        reported = pd.to_numeric(measurements["value"], errors="coerce").notna().to_numpy()
        return months[reported], teams[reported], len(distinct)
    return months, teams, len(distinct)


def reporting_period(measurements: pd.DataFrame, period: object = None) -> pd.Period | None:
    """The reporting period of an analysis: `period` if given, else the latest month in
    `measurements` (nothing is cut off). Pages choose their month with `reporting_month`."""
    if period is not None:
        return as_period(period)
    if measurements is None or len(measurements) == 0:
        return None
    latest: pd.Period = to_periods(measurements["period"]).max()
    return latest


def reporting_month(measurements: pd.DataFrame) -> pd.Period | None:
    """The month a collaborative page is about by default: `REPORTING_RULE`.

    Most teams = more than half of the teams that reported in any month. When no month has
    that many (a few teams reporting in turns), the latest of the months with the most teams
    reporting; with no report at all, the latest month in the data (None when empty).
    """
    if measurements is None or len(measurements) == 0:
        return None
    reports = _reports(measurements)  # read once: the counts and the teams named
    counts = _teams_by_month(*reports)
    if counts.empty:
        latest: pd.Period = to_periods(measurements["period"]).max()
        return latest
    teams, n_teams = reports[1:]
    named = np.zeros(n_teams + 1, dtype=bool)
    named[teams] = True  # -1: the last, left out
    most = counts[counts > int(named[:-1].sum()) / 2]
    if most.empty:
        most = counts[counts == counts.max()]
    month: pd.Period = most.index.max()
    return month


def indicator_attributes(indicators: pd.DataFrame | None) -> pd.DataFrame:
    """indicator_id, target, direction, kind, chart, multiplier with defaults filled.

    Defaults: direction `increase`; kind `proportion`; chart from kind (p, u, c, else i);
    multiplier 100 for proportions, else 1.
    """
    cols = ["indicator_id", "target", "direction", "kind", "chart", "multiplier"]
    if indicators is None or len(indicators) == 0:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in cols}).astype(
            {"target": float, "multiplier": float})
    ind = indicators.copy()
    out = pd.DataFrame({"indicator_id": ind["indicator_id"].astype(object)})
    out["target"] = (pd.to_numeric(ind["target"], errors="coerce") if "target" in ind
                     else np.nan)
    out["direction"] = (ind["direction"].fillna("increase").astype(object)
                        if "direction" in ind else "increase")
    out["kind"] = ind["kind"].fillna("proportion").astype(object) if "kind" in ind else "proportion"
    default_chart = out["kind"].map(_CHART_OF_KIND).fillna("i")
    out["chart"] = (ind["chart"].astype(object).where(ind["chart"].notna(), default_chart)
                    if "chart" in ind else default_chart)
    default_mult = np.where(out["kind"] == "proportion", 100.0, 1.0)
    out["multiplier"] = (pd.to_numeric(ind["multiplier"], errors="coerce").fillna(
        pd.Series(default_mult, index=ind.index)) if "multiplier" in ind else default_mult)
    return out.drop_duplicates("indicator_id").reset_index(drop=True)


def team_attributes(teams: pd.DataFrame | None) -> pd.DataFrame:
    """team_id, wave_id, join_month (month ordinal, NaN when unknown)."""
    if teams is None or len(teams) == 0:
        return pd.DataFrame({"team_id": pd.Series([], dtype=object),
                             "wave_id": pd.Series([], dtype=object),
                             "join_month": pd.Series([], dtype=float)})
    out = pd.DataFrame({"team_id": teams["team_id"].astype(object)})
    out["wave_id"] = teams["wave_id"].astype(object) if "wave_id" in teams else None
    out["wave_id"] = out["wave_id"].where(out["wave_id"].notna(), None)
    if "joined_period" in teams:
        joined = teams["joined_period"]
        present = joined.notna()
        months = np.full(len(teams), np.nan)
        if present.any():
            months[present.to_numpy()] = ordinals(to_periods(joined[present]))
        out["join_month"] = months
    else:
        out["join_month"] = np.nan
    return out.drop_duplicates("team_id").reset_index(drop=True)


def at_target(value: pd.Series | np.ndarray, target: pd.Series | np.ndarray,
              direction: pd.Series | np.ndarray) -> np.ndarray:
    """1.0 where at or beyond target (direction-aware), 0.0 where not, NaN where unknown."""
    return at_target_where(value, target, np.asarray(direction, dtype=object) == "decrease")


def at_target_where(value: pd.Series | np.ndarray, target: pd.Series | np.ndarray,
                    decrease: np.ndarray) -> np.ndarray:
    """`at_target` with the direction as a boolean array (True: `decrease`), for callers
    that test many thresholds on the same rows (the direction compared as text once)."""
    value = np.asarray(value, dtype=float)
    target = np.asarray(target, dtype=float)
    with np.errstate(invalid="ignore"):
        met = np.where(decrease, value <= target + TOLERANCE, value >= target - TOLERANCE)
    return np.where(np.isnan(value) | np.isnan(target), np.nan, met.astype(float))


def prepare(measurements: pd.DataFrame, indicators: pd.DataFrame | None = None,
            teams: pd.DataFrame | None = None, period: object = None
            ) -> tuple[pd.DataFrame, pd.Period | None]:
    """The reported rows up to the reporting period, with attributes; and that period.

    Columns: the tidy columns plus `month` (ordinal), target, direction, kind, chart,
    multiplier, wave_id, join_month (from the teams frame; a team missing there, or without a
    join month, joins in its first reported month of any indicator), `at_target` (1/0/NaN).
    Computed once per inputs inside `shared_preparation`.
    """
    return shared("prepare", measurements, indicators, teams, period,
                  compute=lambda: _prepare(measurements, indicators, teams, period))


def _prepare(measurements: pd.DataFrame, indicators: pd.DataFrame | None,
             teams: pd.DataFrame | None, period: object) -> tuple[pd.DataFrame, pd.Period | None]:
    rp = reporting_period(measurements, period)
    cols = ["team_id", "indicator_id", "period", "numerator", "denominator", "value"]
    missing = [c for c in cols if c not in measurements.columns]
    if missing:
        raise ValidationFailed(
            N_("the measurements frame lacks column(s) {missing}; pass the tidy frame from "
               "workbench.store.read_measurements()."), params={"missing": ", ".join(missing)})
    m = measurements.loc[:, cols]  # copy-on-write: the input is never changed
    m.columns = cols  # plain str labels (the store's may be SQLAlchemy quoted names)
    m["period"] = to_periods(m["period"])
    for c in ("numerator", "denominator", "value"):
        m[c] = pd.to_numeric(m[c], errors="coerce").astype(float)
    keep = m["value"].notna()
    if rp is not None:
        keep &= m["period"] <= rp
    # the kept rows sorted by indicator, team and month on integer codes, and taken once;
    # the texts' codes are the input frame's (shared with the charts, `frame_codes`)
    team, team_ids = frame_codes(measurements, "team_id")
    indicator, indicator_ids = frame_codes(measurements, "indicator_id")
    month, months = sort_codes(m["period"])
    rows = np.flatnonzero(keep.to_numpy(dtype=bool))
    order = rows[stable_order([indicator[rows], team[rows], month[rows]],
                              [len(indicator_ids) + 1, len(team_ids) + 1, len(months) + 1])]
    m = m.take(order).reset_index(drop=True)
    m["team_id"] = _texts_of(team[order], team_ids)
    m["indicator_id"] = _texts_of(indicator[order], indicator_ids)
    m["month"] = ordinals(m["period"]) if len(m) else np.zeros(0)
    ind_table = indicator_attributes(indicators)  # its defaults filled: no missing values
    ind_at = _look_up(m, "indicator_id", ind_table,  # a left merge, by codes
                      (indicator[order], indicator_ids))
    if not (ind_at >= 0)[indicator[order]].all():  # an indicator not in the table
        m["direction"] = m["direction"].fillna("increase")
        m["kind"] = m["kind"].fillna("proportion")
        m["chart"] = m["chart"].fillna("p")
        m["multiplier"] = m["multiplier"].fillna(100.0)
    team_table = team_attributes(teams)  # wave_id None where missing
    team_at = _look_up(m, "team_id", team_table, (team[order], team_ids))
    if not (team_at >= 0)[team[order]].all():  # a team not in the table
        m["wave_id"] = m["wave_id"].astype(object).where(m["wave_id"].notna(), None)
    wave_of_team = pd.Series(pd.api.extensions.take(
        team_table["wave_id"].to_numpy(dtype=object), team_at, allow_fill=True), dtype=object)
    _share_codes(m, team[order], team_ids, indicator[order], indicator_ids, month[order],
                 months, wave_of_team.where(wave_of_team.notna(), None))
    # a team without a join month joins in its first reported month (none without a team)
    earliest = np.full(len(team_ids) + 1, np.inf)
    np.fmin.at(earliest, team[order], m["month"].to_numpy(dtype=float))
    earliest[np.isinf(earliest) | (np.arange(len(earliest)) == len(team_ids))] = np.nan
    joined = m["join_month"].to_numpy(dtype=float)
    m["join_month"] = np.where(np.isnan(joined), earliest[team[order]], joined)
    decrease = np.append(ind_table["direction"].to_numpy(dtype=object) == "decrease", False)
    m["at_target"] = at_target_where(m["value"], m["target"],  # the direction per indicator
                                     decrease[ind_at][indicator[order]])
    return m, rp


def stable_order(keys: Sequence[np.ndarray], widths: Sequence[int]) -> np.ndarray:
    """The rows' order by the first of `keys`, then the next … , rows equal in all kept in
    their order: `np.lexsort(keys[::-1])`. `keys` are integer codes, each below its width;
    when the widths' product fits in 63 bits, one integer key sorted stably (a sort of one
    key instead of three: 0.014 s instead of 0.054 s for 660,000 rows)."""
    if not len(keys):
        return np.zeros(0, dtype=np.int64)
    span = 1
    for width in widths[1:]:
        span *= max(int(width), 1)
    if max(int(widths[0]), 1) * span >= 2**62:  # too wide for one key
        order: np.ndarray = np.lexsort(tuple(keys[::-1]))
        return order
    combined = np.asarray(keys[0], dtype=np.int64)
    for key, width in zip(keys[1:], widths[1:], strict=True):
        combined = combined * max(int(width), 1) + key
    stable: np.ndarray = np.argsort(combined, kind="stable")
    return stable


def _share_codes(m: pd.DataFrame, team: np.ndarray, team_ids: pd.Index, indicator: np.ndarray,
                 indicator_ids: pd.Index, month: np.ndarray, months: pd.Index,
                 wave_of_team: pd.Series) -> None:
    """Give the prepared frame `m` its `frame_codes` (team_id, indicator_id, month, wave_id)
    from the codes `_prepare` sorted it by, instead of hashing its 800,000 texts again: the
    same codes and distinct values `sort_codes` of each column gives."""
    for column, codes, distinct in (("team_id", team, team_ids),
                                    ("indicator_id", indicator, indicator_ids)):
        texts = pd.Index(np.asarray(distinct, dtype=object), dtype=object)  # `m`'s are objects
        seed_codes(m, column, *compact_codes(codes, texts))
    month_values = pd.Index(pd.PeriodIndex(months, freq="M").asi8.astype(float)
                            if len(months) else np.zeros(0))
    seed_codes(m, "month", *compact_codes(month, month_values))
    wave, waves = sort_codes(wave_of_team)  # a wave per distinct team (and missing team)
    seed_codes(m, "wave_id", *compact_codes(wave[team], waves))


def compact_codes(codes: np.ndarray, distinct: pd.Index) -> tuple[np.ndarray, pd.Index]:
    """`sort_codes` of the values `distinct[codes]` (`len(distinct)`: missing), from codes of
    a frame the values were taken from: the distinct values no row holds are dropped and
    the codes renumbered (integer work, no hashing)."""
    present = np.zeros(len(distinct) + 1, dtype=bool)
    present[codes] = True
    if present[:-1].all():
        return codes, distinct
    rank = np.cumsum(present) - 1
    rank[-1] = int(present[:-1].sum())  # missing stays last
    kept: pd.Index = distinct[present[:-1]]
    return rank[codes], kept


def seed_codes(frame: pd.DataFrame, column: str, codes: np.ndarray, distinct: pd.Index) -> None:
    """Inside `shared_preparation`, make `(codes, distinct)` what `frame_codes(frame,
    column)` returns (they must equal `sort_codes(frame[column])`); outside, nothing."""
    cache = _SHARED.get()
    if cache is not None:
        cache[("codes", id(frame), column)] = ((codes, distinct), (frame, column))


def distinct_numbers(keys: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the number of its combination of the values of `keys` (arrays of one
    length; missing values a value), numbered in order of first appearance, and the first
    row of each combination."""
    number = np.zeros(len(keys[0]) if len(keys) else 0, dtype=np.int64)
    for key in keys:  # each key's codes (a missing value one code), then the combination's
        codes, distinct = pd.factorize(key, use_na_sentinel=False)
        number = pd.factorize(number * (len(distinct) + 1) + codes)[0].astype(np.int64)
    _, first = np.unique(number, return_index=True)
    return number, first


def per_distinct(keys: Sequence[np.ndarray], build: Callable[..., _T]) -> np.ndarray:
    """`build(*values)` of each row's values of `keys` (arrays of one length), as an object
    array, called once per distinct combination: texts made of a few distinct parts (the
    signals' words, the PDSA events' labels) are built once, not once per row."""
    if not len(keys) or not len(keys[0]):
        return np.empty(0, dtype=object)
    number, first = distinct_numbers(keys)
    built = np.empty(len(first), dtype=object)
    for at, i in enumerate(first.tolist()):  # one by one: a value may be a list
        built[at] = build(*(key[i] for key in keys))
    out: np.ndarray = built[number]
    return out


def _texts_of(codes: np.ndarray, distinct: pd.Index) -> pd.Series:
    """Objects by `sort_codes` codes: one object per distinct text (the roll-ups group and
    match the prepared frame by these columns many times, and equal texts that are one
    object hash once and compare by identity); NaN where missing."""
    values = np.append(np.asarray(distinct, dtype=object), np.nan)
    return pd.Series(values[codes], dtype=object)


def sort_codes(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer codes of `values` in their sort order (missing last, as pandas sorts them),
    and the distinct values: rows sorted and matched by integers instead of by text (at
    2,000 teams the text keys cost more than the arithmetic)."""
    codes, uniques = pd.factorize(values, sort=True)
    codes = codes.astype(np.int64)
    codes[codes < 0] = len(uniques)
    return codes, pd.Index(uniques)


def frame_codes(frame: pd.DataFrame, column: str) -> tuple[np.ndarray, pd.Index]:
    """`sort_codes(frame[column])`, computed once per frame and column inside
    `shared_preparation`: the roll-ups that read the same frame (the charts' measurements,
    the prepared frame) group and match it by one set of integer codes."""
    return shared("codes", frame, column, compute=lambda: sort_codes(frame[column]))


def _look_up(frame: pd.DataFrame, key: str, table: pd.DataFrame,
             codes: tuple[np.ndarray, pd.Index]) -> np.ndarray:
    """Add `table`'s other columns to `frame` by `key` (unique in `table`), in place: what
    `frame.merge(table, on=key, how="left")` gives, matching each distinct key once
    (`codes`: `sort_codes` of the frame's keys). Returns the row of `table` of each distinct
    key (the missing key last; -1: not in `table`)."""
    rows, distinct = codes
    keys = pd.Index(np.append(np.asarray(distinct, dtype=object), np.nan), dtype=object)
    per_key: np.ndarray = pd.Index(table[key]).get_indexer(keys)
    at = per_key[rows]
    for column in table.columns:
        if column != key:
            values = pd.api.extensions.take(table[column].to_numpy(), at, allow_fill=True)
            frame[column] = pd.Series(values, index=frame.index, dtype=object) if (
                table[column].dtype == object) else values
    return per_key


def pool(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per group of `keys`: teams, pooled numerator/denominator/value, median, q1, q3, iqr,
    teams_at_target and pct_at_target (of teams whose target is known; NaN without target).
    Computed once per frame and keys inside `shared_preparation` (the result is shared: do
    not change it).
    """
    return shared("pool", frame, ",".join(keys), compute=lambda: _pool(frame, keys))


def group_numbers(frame: pd.DataFrame, keys: list[str]) -> tuple[np.ndarray, np.ndarray] | None:
    """Per row of `frame`, its group's number in the order of `frame.groupby(keys,
    sort=True)`, and the first row of each group; from the integer codes of the keys
    (`frame_codes`), not the texts. None when a key has missing values."""
    combined = np.zeros(len(frame), dtype=np.int64)
    for key in keys:
        codes, distinct = frame_codes(frame, key)
        if len(codes) and int(codes.max()) == len(distinct):
            return None
        combined = combined * (len(distinct) + 1) + codes
    if not len(combined):
        return combined, combined
    span = int(combined.max()) + 1
    if span > 8 * len(combined) + 1024:  # sparse keys: sort them
        _, first, number = np.unique(combined, return_index=True, return_inverse=True)
        return number.astype(np.int64).reshape(-1), first
    present = np.zeros(span, dtype=bool)  # dense keys: rank them by counting
    present[combined] = True
    rank = np.cumsum(present) - 1
    first_at = np.empty(span, dtype=np.int64)
    first_at[combined[::-1]] = np.arange(len(combined) - 1, -1, -1)  # the first row wins
    return rank[combined].astype(np.int64), first_at[present]


def _pool(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    f = frame.assign(_known=frame["at_target"].notna().astype(float))
    numbered = group_numbers(frame, keys)
    if numbered is None:
        return _pooled(f.groupby(keys, dropna=False, sort=True)).reset_index()
    number, first = numbered
    out = _pooled(f.groupby(number, sort=True)).reset_index(drop=True)
    for at, key in enumerate(keys):  # each group's keys, from its first row, typed as
        out.insert(at, key, pd.Index(frame[key].to_numpy()[first]))  # groupby types them
    return out


def _pooled(g: Any) -> pd.DataFrame:
    """The columns of `pool` of each group of `g` (a DataFrameGroupBy), indexed by group."""
    out = g.agg(
        teams=("value", "size"),
        pooled_numerator=("numerator", "sum"),
        pooled_denominator=("denominator", "sum"),
        denominators=("denominator", "count"),
        mean_value=("value", "mean"),
        median=("value", "median"),
        teams_at_target=("at_target", "sum"),
        known=("_known", "sum"),
    )
    out["pooled_denominator"] = out["pooled_denominator"].where(out["denominators"] > 0)
    q = g["value"].quantile(np.array([0.25, 0.75])).unstack()
    out["q1"] = q[0.25]
    out["q3"] = q[0.75]
    out["iqr"] = out["q3"] - out["q1"]
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = out["pooled_numerator"] / out["pooled_denominator"].where(
            out["pooled_denominator"] > 0)
    out["pooled_value"] = np.where(out["pooled_denominator"].notna(), ratio, out["mean_value"])
    out["teams_at_target"] = out["teams_at_target"].where(out["known"] > 0)
    out["pct_at_target"] = 100.0 * out["teams_at_target"] / out["known"].where(out["known"] > 0)
    out["teams_at_target"] = out["teams_at_target"].round().astype("Int64")  # NA: no target
    pooled: pd.DataFrame = out.drop(columns=["mean_value", "known", "denominators"])
    return pooled

"""The validation rules and their registry `RULES`, vectorised over every team, indicator
and month at once.

Each rule is a function of the `Context` returning candidate flags (one row per finding) with
`rule_code, severity, team_id, indicator_id, period, component, statistic, lower, upper,
message, details, data_revision_id, extra`. Rule codes are stable (kebab-case, like
frictionless error types; severity mirrors DHIS2 importance), and every rule cites the
data-quality reference (/work/shared/reference/data-quality.md, "the reference"):

| code | severity | reference |
|---|---|---|
| numerator-exceeds-denominator | error | §1b DHIS2 `less_than_or_equal_to`, §6 |
| negative-count, non-integer-count | error | §6 "Type/format" |
| zero-denominator | error | §1b "denominator greater_than 0", §6 |
| incomplete-pair | error | §1b `compulsory_pair` |
| value-out-of-range | error | issue 4; setting `allowed_ranges` {indicator: [low, high]} |
| missing-report | warning | §2 1a/1c completeness, §7.5 "missing cells are first-class flags" |
| late-entry | warning | §2 1b timeliness; setting `late_entry_days` |
| outlier-numerator, outlier-denominator | warning | §1c/§2 2a-iii modified z (Iglewicz-Hoaglin) |
| sudden-jump | warning | §2 2b consistency over time; `jump_threshold_pp`, `jump_window` |
| consistency-pair | error | §2 2c related indicators; setting `consistency_pairs` |
| verification-out-of-band | warning | §3 verification factor band |
| conflicting-duplicate | error | §7.4 "flag conflicts when two sources disagree" |

`workbench.validate` builds the `Context` (`load_context`), runs the rules (`find_flags`) and
stores the flags (`run_validation`).

One problem, one flag. The statistical rules (`SYMPTOM_RULES`: outliers and sudden jumps)
judge a value against the team's own history, so:

- their baselines leave out values that an error rule already flags (`suspect_keys`): one
  impossible value (a denominator of -118) no longer drags the median or the 3-month mean of
  the normal months around it into flags of their own; sudden jumps also leave out values
  flagged as outliers;
- a month after an adopted change (`Context.adoptions`: the month after each `adopt`
  decision of a PDSA cycle linked to the indicator) is judged against its new phase only:
  the improvement that the change brought is not a "sudden jump";
- where an error rule and a statistical rule fire on the same team × indicator × month, or
  several statistical rules do, one flag is kept (`attach_symptoms`) and the others' findings
  are attached to it (`details["also"]`, and named at the end of its message).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd

from workbench.validate.data import month_number as _month
from workbench.validate.messages import flag_text
from workbench.validate.verification import verification_table

__all__ = [
    "FLAG_COLUMNS",
    "KEY",
    "RULES",
    "SYMPTOM_RULES",
    "Context",
    "attach_symptoms",
    "suspect_keys",
    "consistency_pair",
    "conflicting_duplicate",
    "incomplete_pair",
    "late_entry",
    "missing_report",
    "negative_count",
    "non_integer_count",
    "numerator_exceeds_denominator",
    "outlier_denominator",
    "outlier_numerator",
    "sudden_jump",
    "value_out_of_range",
    "verification_out_of_band",
    "zero_denominator",
]

KEY = ["team_id", "indicator_id", "period"]
FLAG_COLUMNS = ["rule_code", "severity", "team_id", "indicator_id", "period", "component",
                "statistic", "lower", "upper", "message", "details", "data_revision_id",
                "extra"]


@dataclass
class Context:
    """Everything the rules look at (frames are plain pandas; no I/O in the rules)."""

    revisions: pd.DataFrame  # every revision up to `period`, oldest first
    current: pd.DataFrame  # latest revision per key, with `kind` and `first_*` columns
    teams: pd.DataFrame
    indicators: pd.DataFrame
    recounts: pd.DataFrame
    settings: dict[str, Any]
    period: str  # the reporting month validated (inclusive upper bound)
    start_period: str
    #: (team_id, indicator_id, period): the first month of a phase after an adopted change
    adoptions: pd.DataFrame = dataclasses.field(
        default_factory=lambda: pd.DataFrame(columns=["team_id", "indicator_id", "period"]))
    #: `_key`s of current values already judged wrong (set by `find_flags` between passes)
    suspect: frozenset[int] = frozenset()


def _flags(frame: pd.DataFrame, args: list[dict[str, Any]] | None = None,
           **columns: Any) -> pd.DataFrame:
    """The findings of one rule on `frame`'s rows; with `args` (each row's message
    parameters) the message is the rule's template in English (`workbench.validate.messages`)
    and the parameters are kept in `details["args"]`, to show it in the reader's language."""
    if args is not None:
        code = columns["rule_code"]
        details = columns.get("details") or [{} for _ in args]
        columns["message"] = [flag_text(code, a, "en") for a in args]
        columns["details"] = [{**d, "args": a} for d, a in zip(details, args, strict=True)]
    out = pd.DataFrame(index=frame.index)
    for name in FLAG_COLUMNS:
        value = columns.get(name, frame[name] if name in frame else None)
        out[name] = value
    return out.reset_index(drop=True)


# ---------------------------------------------------------------- rules

def numerator_exceeds_denominator(ctx: Context) -> pd.DataFrame:
    """Proportions: numerator > denominator (reference §1b, DHIS2 less_than_or_equal_to)."""
    c = ctx.current
    hit = c[(c["kind"] == "proportion") & (c["numerator"] > c["denominator"])
            & (c["denominator"] != 0)]  # 0 is zero-denominator's
    return _flags(hit, rule_code="numerator-exceeds-denominator", severity="error",
                  component="ratio", statistic=hit["numerator"] / hit["denominator"],
                  lower=0.0, upper=1.0, data_revision_id=hit["revision_id"], extra="",
                  args=[{"numerator": float(n), "denominator": float(d)} for n, d in
                        zip(hit["numerator"], hit["denominator"], strict=True)],
                  details=[{"numerator": n, "denominator": d} for n, d in
                           zip(hit["numerator"], hit["denominator"], strict=True)])


def _per_component(ctx: Context, test: Callable[[pd.Series, pd.Series], pd.Series], code: str,
                   upper: float | None = None) -> pd.DataFrame:
    parts = []
    for component in ("numerator", "denominator"):
        c = ctx.current
        hit = c[test(c[component], c["kind"]) & c[component].notna()]
        parts.append(_flags(hit, rule_code=code, severity="error", component=component,
                            statistic=hit[component], lower=0.0, upper=upper,
                            data_revision_id=hit["revision_id"], extra=component,
                            args=[{"part": component, "value": float(v)}
                                  for v in hit[component]],
                            details=[{component: v} for v in hit[component]]))
    return pd.concat(parts, ignore_index=True)


def negative_count(ctx: Context) -> pd.DataFrame:
    """A count below 0 (reference §6 "Type/format": numeric integer >= 0)."""
    return _per_component(ctx, lambda v, k: v < 0, "negative-count")


def non_integer_count(ctx: Context) -> pd.DataFrame:
    """A fractional count for proportions and counts (reference §6 "Type/format")."""
    return _per_component(ctx, lambda v, k: k.isin(["proportion", "count"]) & (v % 1 != 0),
                          "non-integer-count")


def zero_denominator(ctx: Context) -> pd.DataFrame:
    """Denominator 0 with a non-zero numerator (reference §1b: denominator greater_than 0)."""
    c = ctx.current
    hit = c[(c["denominator"] == 0) & c["numerator"].notna() & (c["numerator"] != 0)]
    return _flags(hit, rule_code="zero-denominator", severity="error", component="denominator",
                  statistic=hit["numerator"], lower=None, upper=None, extra="",
                  data_revision_id=hit["revision_id"],
                  args=[{"numerator": float(n)} for n in hit["numerator"]],
                  details=[{"numerator": n, "denominator": 0.0} for n in hit["numerator"]])


def incomplete_pair(ctx: Context) -> pd.DataFrame:
    """Numerator without denominator or the reverse (reference §1b compulsory_pair)."""
    c = ctx.current
    hit = c[c["kind"].isin(["proportion", "rate", "mean"])
            & (c["numerator"].isna() != c["denominator"].isna())]
    missing = np.where(hit["numerator"].isna(), "numerator", "denominator")
    return _flags(hit, rule_code="incomplete-pair", severity="error", component=missing,
                  statistic=None, lower=None, upper=None, extra="",
                  data_revision_id=hit["revision_id"],
                  args=[{"part": str(m)} for m in missing],
                  details=[{} for _ in missing])


def value_out_of_range(ctx: Context) -> pd.DataFrame:
    """Value outside the indicator's allowed range (setting `allowed_ranges`)."""
    ranges = ctx.settings.get("allowed_ranges") or {}
    parts = []
    for indicator, (low, high) in ranges.items():
        c = ctx.current
        c = c[c["indicator_id"] == indicator]
        hit = c[(c["value"] < float(low)) | (c["value"] > float(high))]
        parts.append(_flags(hit, rule_code="value-out-of-range", severity="error",
                            component="ratio", statistic=hit["value"], lower=float(low),
                            upper=float(high), data_revision_id=hit["revision_id"], extra="",
                            args=[{"value": float(v), "low": str(low), "high": str(high)}
                                  for v in hit["value"]],
                            details=[{} for _ in range(len(hit))]))
    return pd.concat(parts, ignore_index=True) if parts else _flags(ctx.current.iloc[:0])


def missing_report(ctx: Context) -> pd.DataFrame:
    """An expected team × indicator × month with no report, from the team's join month to the
    period validated (reference §2 1a/1c completeness; §7.5)."""
    start = _month(ctx.start_period)
    periods = np.array([str(p) for p in pd.period_range(ctx.start_period, ctx.period, freq="M")],
                       dtype=object)
    team_ids = ctx.teams["team_id"].astype(str).to_numpy(dtype=object)
    ind_ids = ctx.indicators["indicator_id"].astype(str).to_numpy(dtype=object)
    have = np.zeros((len(team_ids), len(periods), len(ind_ids)), dtype=bool)
    c = ctx.current
    ti = pd.Index(team_ids).get_indexer(c["team_id"].astype(object))
    ii = pd.Index(ind_ids).get_indexer(c["indicator_id"].astype(object))
    pi = c["_month"].to_numpy() - start
    ok = (ti >= 0) & (ii >= 0) & (pi >= 0) & (pi < len(periods))
    have[ti[ok], pi[ok], ii[ok]] = True
    joined = np.array([_month(str(p)) for p in ctx.teams["joined_period"]], dtype=np.int64)
    want = (np.arange(len(periods))[None, :] + start) >= joined[:, None]
    t, p, i = np.nonzero(want[:, :, None] & ~have)  # team, month, indicator order
    hit = pd.DataFrame({"team_id": team_ids[t], "indicator_id": ind_ids[i],
                        "period": periods[p]})
    return _flags(hit, rule_code="missing-report", severity="warning", component="",
                  statistic=None, lower=None, upper=None, data_revision_id=None, extra="",
                  args=[{} for _ in range(len(hit))], details=[{} for _ in range(len(hit))])


def late_entry(ctx: Context) -> pd.DataFrame:
    """First revision more than `late_entry_days` after the month ended (reference §2 1b).

    A batch that brings `late_entry_backfill_months` or more months at once is a backfill of
    history, not a late monthly report, and is not judged.
    """
    days = int(ctx.settings["late_entry_days"])
    backfill = int(ctx.settings["late_entry_backfill_months"])
    rev = ctx.revisions[ctx.revisions["batch_id"].notna()]
    months = pd.DataFrame({"b": rev["batch_id"].to_numpy(), "m": rev["_month"].to_numpy()})
    batches = months.drop_duplicates().value_counts("b")
    big = batches[batches >= backfill].index.to_numpy()
    first = ctx.current[~ctx.current["first_batch_id"].isin(big)]
    periods = first["period"].unique()
    ends = {p: pd.Period(p, "M").end_time.normalize() + pd.Timedelta(days=1) for p in periods}
    deadline = {p: (e + pd.Timedelta(days=days)).strftime("%Y-%m-%d %H:%M:%S.%f")
                for p, e in ends.items()}
    late = first["first_created_at"] > first["period"].map(deadline)
    hit = first[late]
    created = pd.to_datetime(hit["first_created_at"], format="ISO8601")
    end = hit["period"].map(ends)
    created_at: np.ndarray = np.asarray(created.values)
    ended_at: np.ndarray = np.asarray(pd.to_datetime(end).values)
    lag = (created_at - ended_at) / np.timedelta64(1, "D")
    return _flags(hit, rule_code="late-entry", severity="warning", component="",
                  statistic=np.round(lag.astype(float), 1), lower=None, upper=float(days),
                  data_revision_id=hit["first_revision_id"], extra="",
                  args=[{"days": float(d), "limit": str(days)} for d in lag],
                  details=[{"entered_at": str(t)} for t in hit["first_created_at"]])


def _local_median(x: np.ndarray, series: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Median of the 7 values centred on each of `rows` within its series (at least 3, like
    `rolling(7, center=True, min_periods=3).median()`), NaN otherwise; rows are sorted by
    series then month."""
    offsets = np.arange(-3, 4)
    j = rows[:, None] + offsets[None, :]
    inside = (j >= 0) & (j < len(x))
    jj = np.where(inside, j, 0)
    same = inside & (series[jj] == series[rows][:, None])
    window = np.where(same, x[jj], np.nan)
    enough = same.sum(axis=1) >= 3
    out = np.full(len(rows), np.nan)
    if enough.any():
        out[enough] = np.nanmedian(window[enough], axis=1)
    return out


def _outliers(ctx: Context, component: str) -> pd.DataFrame:
    """Modified z-score on the team's own count series (reference §2 2a-iii, §1c).

    Guards against false alarms (reference §6, §7.10): fewer than `outlier_min_points` values
    is "insufficient history" (no flag); the scale is never below Poisson noise √median (small,
    zero-inflated counts); and the value must also be that far from the median of its seven
    neighbouring months, so a sustained level shift (an improvement) is not an outlier.
    """
    bound = float(ctx.settings["outlier_modified_z"])
    min_points = int(ctx.settings["outlier_min_points"])
    c = ctx.current[ctx.current[component].notna()]
    x = c[component].astype(float)
    base = x.where(~_is_suspect(ctx, c))  # the baseline leaves out values flagged as errors
    series = c["_series"].to_numpy()
    groups = base.groupby(series, sort=False)
    n = groups.transform("count")
    med = groups.transform("median")
    dev = (base - med).abs()
    dgroups = dev.groupby(series, sort=False)
    mad = dgroups.transform("median")
    mean_ad = dgroups.transform("mean")
    # MAD = 0 fallback: 0.7978846·(x − median)/MeanAD (reference §2 2a-iii), with the scale no
    # smaller than Poisson noise √median so near-constant counts (days in a month) stay quiet.
    poisson = np.sqrt(np.maximum(med, 1.0))
    scale = pd.Series(np.maximum(np.where(mad > 0, mad / 0.6745, mean_ad / 0.7978846), poisson),
                      index=x.index)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (x - med) / scale
    hit_mask = ((n >= min_points) & (np.abs(z) > bound)).to_numpy().copy()
    if hit_mask.any():
        rows = np.flatnonzero(hit_mask)
        xv = x.to_numpy()
        local = _local_median(base.to_numpy(), series, rows)
        with np.errstate(divide="ignore", invalid="ignore"):
            far = np.abs((xv[rows] - local) / scale.to_numpy()[rows]) > bound
        hit_mask[rows[~far]] = False
    hit = c[hit_mask]
    zz = z[hit_mask]
    lo = med[hit_mask] - bound * scale[hit_mask]
    hi = med[hit_mask] + bound * scale[hit_mask]
    return _flags(hit, rule_code=f"outlier-{component}", severity="warning", component=component,
                  statistic=zz.round(2), lower=lo.round(2), upper=hi.round(2), extra=component,
                  data_revision_id=hit["revision_id"],
                  args=[{"part": component, "value": float(v), "median": float(m),
                         "z": float(q), "bound": str(bound)} for v, m, q in
                        zip(hit[component], med[hit_mask], zz, strict=True)],
                  details=[{"median": m, "n": int(k), "method": "modified-z"} for m, k in
                           zip(med[hit_mask], n[hit_mask], strict=True)])


def outlier_numerator(ctx: Context) -> pd.DataFrame:
    """Numerator counts: |modified z| > `outlier_modified_z` (reference §2 2a-iii)."""
    return _outliers(ctx, "numerator")


def outlier_denominator(ctx: Context) -> pd.DataFrame:
    """Denominator counts: |modified z| > `outlier_modified_z` (reference §2 2a-iii)."""
    return _outliers(ctx, "denominator")


def _phase(ctx: Context, frame: pd.DataFrame) -> np.ndarray:
    """Each row's phase within its series: how many adopted changes started before or in its
    month (0 before the first)."""
    phase = np.zeros(len(frame), dtype=np.int64)
    a = ctx.adoptions
    if a is None or a.empty or frame.empty:
        return phase
    starts = a.assign(_start=[_month(str(p)) for p in a["period"]])[
        ["team_id", "indicator_id", "_start"]].astype({"team_id": object, "indicator_id": object})
    rows = pd.DataFrame({"team_id": frame["team_id"].astype(object).to_numpy(),
                         "indicator_id": frame["indicator_id"].astype(object).to_numpy(),
                         "_month": frame["_month"].to_numpy(), "_row": np.arange(len(frame))})
    m = rows.merge(starts, on=["team_id", "indicator_id"])
    m = m[m["_month"] >= m["_start"]]
    counts = m.groupby("_row").size()
    phase[counts.index.to_numpy()] = counts.to_numpy()
    return phase


def _is_suspect(ctx: Context, frame: pd.DataFrame) -> np.ndarray:
    if not ctx.suspect:
        return np.zeros(len(frame), dtype=bool)
    return frame["_key"].isin(list(ctx.suspect)).to_numpy()


def _prior_mean(v: pd.Series, clean: np.ndarray, by: list[np.ndarray],
                window: int) -> pd.Series:
    """For each row (sorted by group then month), the mean of the last `window` clean values
    before it in its group; NaN with fewer. Rows that are not clean are judged against it
    but never enter it."""
    sub = v[clean]
    sub_by = [k[clean] for k in by]
    groups = sub.groupby(sub_by, sort=False)
    ending_here = cast("pd.Series[float]", sum(groups.shift(k) for k in range(window)) / window)
    after = pd.Series(np.nan, index=v.index)
    after[sub.index] = ending_here.fillna(np.inf)  # inf: clean, but too little history yet
    prior = after.groupby(by, sort=False).shift(1)
    prior = prior.groupby(by, sort=False).ffill()
    return prior.replace(np.inf, np.nan)


def sudden_jump(ctx: Context) -> pd.DataFrame:
    """Proportion moves more than `jump_threshold_pp` points from the mean of the team's
    previous `jump_window` reported months of the same phase (reference §2 2b consistency
    over time). Values already flagged (errors, outliers) are judged but never part of a
    baseline; a month in a new phase after an adopted change is judged against that phase."""
    window = int(ctx.settings["jump_window"])
    threshold = float(ctx.settings["jump_threshold_pp"])
    c = ctx.current[(ctx.current["kind"] == "proportion") & ctx.current["value"].notna()]
    v = c["value"].astype(float)
    prior = _prior_mean(v, ~_is_suspect(ctx, c), [c["_series"].to_numpy(), _phase(ctx, c)],
                        window)
    delta = (v - prior) * 100
    # guard: the move must also exceed 3 binomial standard errors at this month's denominator
    noise = 300 * np.sqrt((prior * (1 - prior)).clip(lower=0) / c["denominator"].astype(float))
    hit_mask = (delta.abs() > threshold) & (delta.abs() > noise)
    hit = c[hit_mask]
    return _flags(hit, rule_code="sudden-jump", severity="warning", component="ratio",
                  statistic=delta[hit_mask].round(1), lower=prior[hit_mask] - threshold / 100,
                  upper=prior[hit_mask] + threshold / 100, extra="",
                  data_revision_id=hit["revision_id"],
                  args=[{"value": float(x), "delta": abs(float(d)), "window": str(window),
                         "prior": float(p)} for x, d, p in
                        zip(hit["value"], delta[hit_mask], prior[hit_mask], strict=True)],
                  details=[{"prior_mean": p} for p in prior[hit_mask]])


def consistency_pair(ctx: Context) -> pd.DataFrame:
    """One indicator's numerator may not exceed another's denominator (reference §2 2c;
    setting `consistency_pairs`: [{numerator_of: A, not_above_denominator_of: B}])."""
    parts = []
    for pair in ctx.settings.get("consistency_pairs") or []:
        a, b = pair["numerator_of"], pair["not_above_denominator_of"]
        c = ctx.current
        left = c[c["indicator_id"] == a][["team_id", "period", "numerator", "revision_id",
                                          "indicator_id"]]
        right = c[c["indicator_id"] == b][["team_id", "period", "denominator"]]
        m = left.merge(right, on=["team_id", "period"])
        hit = m[m["numerator"] > m["denominator"]]
        parts.append(_flags(hit, rule_code="consistency-pair", severity="error",
                            component="numerator", statistic=hit["numerator"], lower=None,
                            upper=hit["denominator"], data_revision_id=hit["revision_id"],
                            extra=b,
                            args=[{"indicator": str(a), "numerator": float(n), "other": str(b),
                                   "denominator": float(d)} for n, d in
                                  zip(hit["numerator"], hit["denominator"], strict=True)],
                            details=[{"other_indicator": b} for _ in range(len(hit))]))
    return pd.concat(parts, ignore_index=True) if parts else _flags(ctx.current.iloc[:0])


def verification_out_of_band(ctx: Context) -> pd.DataFrame:
    """Recount ÷ reported outside `verification_band` (reference §3)."""
    band = ctx.settings["verification_band"]
    r = ctx.recounts
    if r.empty:
        return _flags(ctx.current.iloc[:0])
    r = r[r["period"].astype(str) <= ctx.period]
    reported = _reported(ctx)
    table = verification_table(r, reported[KEY + ["numerator", "denominator"]], band)
    hit = table[~table["in_band"]].merge(reported[KEY + ["revision_id"]], on=KEY, how="left")
    return _flags(hit, rule_code="verification-out-of-band", severity="warning",
                  component="ratio", statistic=hit["vf"], lower=float(band[0]),
                  upper=float(band[1]), extra=hit["recount_id"].astype(str),
                  data_revision_id=hit["revision_id"],
                  args=[{"recount": [_num(rn), _num(rd)], "reported": [_num(pn), _num(pd_)],
                         "factor": _num(vf), "low": str(band[0]), "high": str(band[1])}
                        for rn, rd, pn, pd_, vf in
                           zip(hit["recounted_numerator"], hit["recounted_denominator"],
                               hit["reported_numerator"], hit["reported_denominator"],
                               hit["vf"], strict=True)],
                  details=[{"recount_id": int(i), "vf_numerator": _num(a),
                            "vf_denominator": _num(b)} for i, a, b in
                           zip(hit["recount_id"], hit["vf_numerator"], hit["vf_denominator"],
                               strict=True)])


def _reported(ctx: Context) -> pd.DataFrame:
    """The current rows of the keys that have recounts (what the recounts are checked against)."""
    r, c = ctx.recounts, ctx.current
    keep = (c["team_id"].isin(r["team_id"]) & c["indicator_id"].isin(r["indicator_id"])
            & c["period"].isin(r["period"].astype(str))) if len(r) else np.zeros(len(c), bool)
    return c.loc[keep, KEY + ["numerator", "denominator", "revision_id"]].astype(
        {"team_id": object, "indicator_id": object})


def conflicting_duplicate(ctx: Context) -> pd.DataFrame:
    """The current value has a sibling revision from the same import batch (or, outside
    batches, the same source on the same day) with different values (reference §7.4)."""
    rev = ctx.revisions
    multi = rev[rev["_key"].duplicated(keep=False)
                & ~rev["source"].isin(["correction", "form"])]
    if multi.empty:
        return _flags(ctx.current.iloc[:0])
    cur = ctx.current[["_key", "revision_id", "numerator", "denominator"]]
    cur = cur[cur["_key"].isin(multi["_key"])]
    m = multi.merge(cur, on="_key", suffixes=("", "_cur"))
    cur_rows = multi[multi["revision_id"].isin(cur["revision_id"])][
        ["revision_id", "batch_id", "source", "created_at"]].rename(
        columns=lambda x: f"{x}_c" if x != "revision_id" else "revision_id_cur")
    m = m.merge(cur_rows, on="revision_id_cur")
    same_batch = m["batch_id"].notna() & (m["batch_id"] == m["batch_id_c"])
    same_day = (m["batch_id"].isna() & m["batch_id_c"].isna() & (m["source"] == m["source_c"])
                & (m["created_at"].str[:10] == m["created_at_c"].str[:10]))

    def differs(a: pd.Series, b: pd.Series) -> pd.Series:
        return ~((a == b) | (a.isna() & b.isna()))

    other = (m["revision_id"] != m["revision_id_cur"]) & (same_batch | same_day) & (
        differs(m["numerator"], m["numerator_cur"])
        | differs(m["denominator"], m["denominator_cur"]))
    hit = m[other].drop_duplicates(KEY, keep="last")
    return _flags(hit, rule_code="conflicting-duplicate", severity="error", component="",
                  statistic=None, lower=None, upper=None, extra="",
                  data_revision_id=hit["revision_id_cur"],
                  args=[{"first": [_num(a), _num(b)], "second": [_num(c), _num(d)]}
                        for a, b, c, d in
                           zip(hit["numerator"].fillna(np.nan), hit["denominator"],
                               hit["numerator_cur"], hit["denominator_cur"], strict=True)],
                  details=[{"other_revision_id": int(r)} for r in hit["revision_id"]])


def _num(v: Any) -> float | None:
    return None if v is None or (isinstance(v, float) and np.isnan(v)) else float(v)


RULES: dict[str, Callable[[Context], pd.DataFrame]] = {
    "numerator-exceeds-denominator": numerator_exceeds_denominator,
    "negative-count": negative_count,
    "non-integer-count": non_integer_count,
    "zero-denominator": zero_denominator,
    "incomplete-pair": incomplete_pair,
    "value-out-of-range": value_out_of_range,
    "missing-report": missing_report,
    "late-entry": late_entry,
    "outlier-numerator": outlier_numerator,
    "outlier-denominator": outlier_denominator,
    "sudden-jump": sudden_jump,
    "consistency-pair": consistency_pair,
    "verification-out-of-band": verification_out_of_band,
    "conflicting-duplicate": conflicting_duplicate,
}


#: Rules that judge a value against the team's own history (a symptom, not a cause): they
#: run after the others, on baselines without suspect values, and attach to another flag
#: of the same team × indicator × month instead of standing alone. In priority order.
SYMPTOM_RULES: tuple[str, ...] = ("outlier-denominator", "outlier-numerator", "sudden-jump")


def suspect_keys(ctx: Context, flags: pd.DataFrame) -> frozenset[int]:
    """The `_key`s of the current values that `flags` (findings on values) point at."""
    if flags.empty:
        return frozenset()
    keys = ctx.current[KEY + ["_key"]].astype({"team_id": object, "indicator_id": object})
    hit = flags[KEY].dropna().astype({"team_id": object, "indicator_id": object,
                                      "period": object})
    return frozenset(int(k) for k in hit.merge(keys, on=KEY)["_key"])


def attach_symptoms(found: pd.DataFrame) -> pd.DataFrame:
    """One flag per problem: a symptom finding (`SYMPTOM_RULES`) on a team × indicator × month
    that has another flag is attached to that flag (`details["also"]` and its message), not
    kept as a flag of its own. The flag kept is the first non-symptom flag of the key, else
    the first symptom in `SYMPTOM_RULES` order."""
    if found.empty:
        return found
    found = found.reset_index(drop=True)
    order = {code: i for i, code in enumerate(SYMPTOM_RULES)}
    rank = found["rule_code"].map(lambda c: order.get(c, -1)).to_numpy()
    has_key = found["period"].notna().to_numpy()
    keys = found["team_id"].astype(str) + "|" + found["indicator_id"].astype(str) + "|" + \
        found["period"].astype(str)
    frame = pd.DataFrame({"key": keys, "rank": rank, "row": np.arange(len(found))})[has_key]
    frame = frame.sort_values(["key", "rank", "row"], kind="stable")
    primary = frame.groupby("key", sort=False)["row"].transform("first").to_numpy()
    rows = frame["row"].to_numpy()
    attach = (frame["rank"].to_numpy() >= 0) & (rows != primary)
    if not attach.any():
        return found
    details: list[Any] = [dict(d or {}) for d in found["details"]]
    found["details"] = details
    found["message"] = found["message"].astype(object)
    for row, into in zip(rows[attach], primary[attach], strict=True):
        also = cast("dict[str, Any]", found.at[into, "details"]).setdefault("also", [])
        attached = cast("dict[str, Any]", found.at[row, "details"])
        also.append({"rule_code": found.at[row, "rule_code"], "message": found.at[row, "message"],
                     **({"args": attached["args"]} if "args" in attached else {})})
    for into in np.unique(primary[attach]):
        also = cast("dict[str, Any]", found.at[into, "details"])["also"]
        message = cast(str, found.at[into, "message"])
        found.at[into, "message"] = (f"{message}; also: "
                                     + "; ".join(f"{a['rule_code']} ({a['message']})"
                                                 for a in also))
    kept: pd.DataFrame = found.drop(index=rows[attach]).reset_index(drop=True)
    return kept

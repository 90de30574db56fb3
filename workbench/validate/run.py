"""Validation rules -> flags, vectorised over every team, indicator and month at once.

The rules and their registry `RULES` (codes, severities, references) are in
`workbench.validate.rules`, each a function of the `Context` returning candidate flags; the
revisions are read in bulk by `workbench.validate.data`. This module loads the `Context`
(`load_context`), runs the rules (`find_flags`) and stores the flags.

`run_validation(engine, period=None)` runs every rule on the data up to `period` (default:
the latest month with data) and stores the flags in one transaction, idempotently: a flag's
`fingerprint` (rule, team, indicator, period, component, extra) is stable, so a re-run finds
the same flag; `data_revision_id` is the revision the finding is about. A resolved flag
(confirmed, corrected, dismissed) stays resolved unless that revision changes, then it
reopens with a `reopened` flag event. An open flag whose rule no longer fires becomes
`cleared` (event `cleared`); it reopens if the rule fires again. `period` is bounded by the
collaborative's calendar (`workbench.model.calendar_problem`), and an open flag whose month is
outside it is cleared on the next run (its event says so).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, bindparam, func, select

from workbench.model import Calendar, merged_settings, require_in_calendar
from workbench.store import (
    authorize,
    current_user,
    read_calendar,
    read_change_ideas,
    read_collaborative,
    read_indicators,
    read_pdsa_cycles,
    read_recounts,
    read_teams,
    record_write,
    utcnow,
)
from workbench.store import schema as s
from workbench.validate.data import adoption_starts
from workbench.validate.data import revisions_frame as _revisions
from workbench.validate.rules import (
    FLAG_COLUMNS,
    RULES,
    SYMPTOM_RULES,
    Context,
    _reported,
    attach_symptoms,
    suspect_keys,
)
from workbench.validate.verification import verification_rates, verification_table

__all__ = ["RULES", "Context", "load_context", "find_flags", "run_validation", "fingerprint"]

RESOLVED = ("confirmed", "corrected", "dismissed")


# ---------------------------------------------------------------- loading

def load_context(bind: Engine | Connection, period: str | None = None) -> Context:
    """Read what the rules need, in a few bulk queries."""
    if isinstance(bind, Engine):
        with bind.connect() as conn:
            return load_context(conn, period)
    conn = bind
    collab = read_collaborative(conn)
    settings = merged_settings(collab.get("settings"))
    rev = _revisions(conn, period)
    if period is None:
        period = str(rev["period"].max()) if len(rev) else collab["start_period"]
    indicators = read_indicators(conn)
    teams = read_teams(conn)
    key = rev["_key"]
    first = rev[~key.duplicated(keep="first")].sort_values("_key")
    current = rev[~key.duplicated(keep="last")].sort_values("_key")  # = team, indicator, period
    current = current.assign(first_revision_id=first["revision_id"].to_numpy(),
                             first_created_at=first["created_at"].to_numpy(),
                             first_batch_id=first["batch_id"].to_numpy())
    current = current[current["numerator"].notna() | current["denominator"].notna()]
    kinds = dict(zip(indicators["indicator_id"], indicators["kind"], strict=True))
    current["kind"] = current["indicator_id"].map(kinds)
    current = current.reset_index(drop=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        den = current["denominator"]
        current["value"] = np.where(den.notna(), current["numerator"] / den.where(den != 0),
                                    current["numerator"])
    return Context(revisions=rev, current=current, teams=teams, indicators=indicators,
                   recounts=read_recounts(conn), settings=settings, period=period,
                   start_period=collab["start_period"],
                   adoptions=adoption_starts(read_pdsa_cycles(conn), read_change_ideas(conn)))


def fingerprint(frame: pd.DataFrame) -> pd.Series:
    """The stable identity of a finding: rule|team|indicator|period|extra."""
    parts = [frame[c].fillna("").astype(str) for c in
             ("rule_code", "team_id", "indicator_id", "period", "extra")]
    out = parts[0]
    for p in parts[1:]:
        out = out + "|" + p
    return out


def find_flags(ctx: Context, rules: list[str] | None = None) -> pd.DataFrame:
    """Run the rules (all by default) and return the candidate flags with fingerprints.

    Three passes, so that one problem gives one flag (see `workbench.validate.rules`): the
    rules on the values themselves, then the outlier rules on baselines without the values
    those flag as errors, then the sudden-jump rule without the outliers either; last,
    symptom findings on a flagged team × indicator × month are attached to its flag.
    """
    wanted = list(rules or RULES)
    passes = [[c for c in wanted if c not in SYMPTOM_RULES],
              [c for c in wanted if c in SYMPTOM_RULES and c != "sudden-jump"],
              [c for c in wanted if c == "sudden-jump"]]
    frames: list[pd.DataFrame] = []
    for codes in passes:
        found = [f for f in (RULES[code](ctx) for code in codes) if len(f)]
        frames += found
        judged = [f for f in found if (f["severity"] == "error").any() or
                  f["rule_code"].iloc[0] in SYMPTOM_RULES]
        if judged:
            values = pd.concat(judged, ignore_index=True)
            values = values[(values["severity"] == "error")
                            | values["rule_code"].isin(SYMPTOM_RULES)]
            ctx.suspect = ctx.suspect | suspect_keys(ctx, values)
    ctx.suspect = frozenset()
    if not frames:
        return pd.DataFrame(columns=FLAG_COLUMNS + ["fingerprint"])
    out = pd.concat(frames, ignore_index=True)
    out = out[out["period"].isna() | (out["period"].astype(str) <= ctx.period)]
    out = attach_symptoms(out)
    out["fingerprint"] = fingerprint(out)
    return out.drop_duplicates("fingerprint").reset_index(drop=True)


# ---------------------------------------------------------------- storing

def _clean(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, float | np.floating):
        return None if np.isnan(v) else float(v)
    if isinstance(v, np.integer):
        return int(v)
    return v


def _existing_flags(conn: Connection) -> pd.DataFrame:
    columns = ["flag_id", "fingerprint", "status", "rule_code", "period", "data_revision_id",
               "version", "message"]
    rows = conn.execute(select(*[s.flags.c[c] for c in columns])).all()
    return pd.DataFrame.from_records(rows, columns=columns)


def _rev_text(v: Any) -> str:
    v = _clean(v)
    return "none" if v is None else str(int(v))


@dataclass
class _Writes:
    """What a validation run writes: flag rows to insert and update, flag events, counts."""

    inserts: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def _flag_values(rec: Mapping[Any, Any]) -> dict[str, Any]:
    """The stored columns of a found flag."""
    return {
        "rule_code": rec["rule_code"], "severity": rec["severity"],
        "team_id": rec["team_id"], "indicator_id": rec["indicator_id"],
        "period": None if pd.isna(rec["period"]) else str(rec["period"]),
        "message": rec["message"], "statistic": _clean(rec["statistic"]),
        "lower": _clean(rec["lower"]), "upper": _clean(rec["upper"]),
        "details": {**{k: _clean(v) for k, v in (rec["details"] or {}).items()},
                    "component": rec["component"] or None},
        "data_revision_id": _clean(rec["data_revision_id"]),
    }


def _match_found(found: pd.DataFrame, existing: pd.DataFrame, user: str,
                 now: dt.datetime) -> _Writes:
    """New flags, reopened ones (resolved but the data changed, or cleared and firing again)
    and open ones whose finding changed, matched by fingerprint in one merge."""
    old = found[["fingerprint"]].merge(existing, on="fingerprint", how="left")
    status = old["status"].fillna("")
    new_rev = pd.to_numeric(found["data_revision_id"], errors="coerce").astype(float)
    old_rev = pd.to_numeric(old["data_revision_id"], errors="coerce").astype(float)
    same_rev = ((new_rev.isna() & old_rev.isna()) | (new_rev == old_rev)).to_numpy()
    is_new = (status == "").to_numpy()
    resolved = status.isin(RESOLVED).to_numpy()
    reopen = (resolved & ~same_rev) | (status == "cleared").to_numpy()
    refresh = ((status == "open").to_numpy()
               & (~same_rev | (old["message"] != found["message"]).to_numpy()))
    out = _Writes(counts={"new": int(is_new.sum()), "reopened": int(reopen.sum()),
                          "cleared": 0, "updated": int(refresh.sum())})
    write = is_new | reopen | refresh
    for k, rec in zip(np.flatnonzero(write), found[write].to_dict("records"), strict=True):
        values = _flag_values(rec)
        if is_new[k]:
            out.inserts.append({**values, "fingerprint": rec["fingerprint"], "status": "open",
                                "created_at": now, "updated_at": now, "version": 1})
            continue
        flag_id = int(cast(Any, old.at[k, "flag_id"]))
        version = int(cast(Any, old.at[k, "version"]))
        was = status.iat[cast(int, k)]  # k: a numpy integer from flatnonzero
        if reopen[k]:
            note = (f"data changed (revision {_rev_text(old.at[k, 'data_revision_id'])} -> "
                    f"{_rev_text(values['data_revision_id'])})" if was in RESOLVED
                    else "the rule fires again")
            out.updates.append({**values, "b_id": flag_id, "status": "open",
                                "version": version + 1, "updated_at": now})
            out.events.append({"flag_id": flag_id, "action": "reopened", "from_status": was,
                               "to_status": "open", "user": user, "note": note,
                               "created_at": now})
        else:
            out.updates.append({**values, "b_id": flag_id, "status": "open", "version": version,
                                "updated_at": now})
    return out


def _outside(periods: pd.Series, calendar: Calendar) -> pd.Series:
    """True where a flag's month is outside the calendar (False for flags without a month)."""
    month = periods.astype("string")
    return (month.notna() & ((month < calendar.first) | (month > calendar.last))
            ).fillna(False).astype(bool)


def _inside(found: pd.DataFrame, calendar: Calendar) -> pd.DataFrame:
    """Findings about months inside the calendar (data from before the calendar bounded every
    door is not judged)."""
    return found[~_outside(found["period"], calendar)].reset_index(drop=True)


def _no_longer_apply(existing: pd.DataFrame, found: pd.DataFrame, ran: set[str], period: str,
                     calendar: Calendar) -> tuple[pd.DataFrame, pd.Series]:
    """Open flags to clear, and why: a rule that ran no longer fires on data up to `period`,
    or the flag's month is outside the collaborative's calendar (a run with a far-future
    `--period` before the calendar bounded it, data since withdrawn)."""
    if existing.empty:
        return existing, pd.Series(dtype=object)
    month = existing["period"].astype("string")
    outside = _outside(existing["period"], calendar)
    is_open = existing["status"] == "open"
    in_scope = is_open & existing["rule_code"].isin(ran) & (
        existing["period"].isna() | (month <= period).fillna(False).astype(bool))
    gone = (in_scope & ~existing["fingerprint"].isin(found["fingerprint"])) | (is_open & outside)
    why = pd.Series(np.where(outside, f"the month is outside the collaborative's calendar "
                                      f"({calendar.first} to {calendar.last})",
                             "the data no longer triggers the rule"), index=existing.index)
    return existing[gone], why[gone]


def _store(conn: Connection, writes: _Writes, now: dt.datetime, user: str) -> None:
    """Insert the new flags, update the changed ones and append every flag event."""
    if writes.inserts:
        conn.execute(s.flags.insert(), writes.inserts)
        ids = dict(conn.execute(select(s.flags.c.fingerprint, s.flags.c.flag_id).where(
            s.flags.c.created_at == now)).all())
        writes.events += [{"flag_id": ids[i["fingerprint"]], "action": "opened",
                           "from_status": None, "to_status": "open", "user": user,
                           "note": i["message"], "created_at": now} for i in writes.inserts]
    if writes.updates:
        cols = ["rule_code", "severity", "team_id", "indicator_id", "period", "message",
                "statistic", "lower", "upper", "details", "data_revision_id", "status",
                "version", "updated_at"]
        conn.execute(s.flags.update().where(s.flags.c.flag_id == bindparam("b_id")).values(
            {c: bindparam(c) for c in cols}), writes.updates)
    if writes.events:
        conn.execute(s.flag_events.insert(), writes.events)


def _clear(conn: Connection, gone: pd.DataFrame, why: pd.Series, writes: _Writes,
           now: dt.datetime, user: str) -> None:
    """Open flags that no longer apply become `cleared` (never deleted), each with an event
    saying why."""
    if gone.empty:
        return
    conn.execute(s.flags.update().where(s.flags.c.flag_id == bindparam("b_id"))
                 .values(status="cleared", version=bindparam("b_version"), updated_at=now),
                 [{"b_id": int(f), "b_version": int(v) + 1}
                  for f, v in zip(gone["flag_id"], gone["version"], strict=True)])
    writes.events += [{"flag_id": int(f), "action": "cleared", "from_status": "open",
                       "to_status": "cleared", "user": user, "note": note, "created_at": now}
                      for f, note in zip(gone["flag_id"], why, strict=True)]
    writes.counts["cleared"] = len(gone)


def run_validation(engine: Engine, period: str | None = None, *,
                   rules: list[str] | None = None, user: str = "validator",
                   acting: str | None = None) -> dict[str, Any]:
    """Run the rules and store flags idempotently in one transaction; returns a summary.

    Summary keys: period, found (per rule), new, reopened, cleared, updated, open (total
    open flags after the run), verification (rates from `verification_rates`).

    `period` must be inside the collaborative's calendar (`workbench.model.calendar_problem`;
    `ValidationFailed` otherwise, nothing written). Existing flags are read once and matched
    by fingerprint in one merge; only new and changed flags are turned into records, and every
    write is one executemany. Open flags that no longer apply are cleared with an event saying
    why: the rule no longer fires, or the flag's month is outside the calendar.

    `user` is the name flag events are recorded under (the rules: "validator"); `acting` is
    who runs it (`store.current_user`): a validator, analyst or admin once users are defined
    (`PermissionDenied` otherwise, nothing written); the run is in the audit log.
    """
    now = utcnow()
    who = current_user(acting)
    with engine.connect() as conn:  # refused before anything is read
        authorize(conn, who, "validate")
    with engine.begin() as conn:
        calendar = read_calendar(conn)
        if period is not None:
            period = require_in_calendar(period, calendar)
        ctx = load_context(conn, period)
        found = _inside(find_flags(ctx, rules), calendar)
        existing = _existing_flags(conn)
        writes = _match_found(found, existing, user, now)
        gone, why = _no_longer_apply(existing, found, set(rules or RULES), ctx.period, calendar)
        _clear(conn, gone, why, writes, now, user)
        _store(conn, writes, now, user)
        open_total = conn.execute(select(func.count()).select_from(s.flags).where(
            s.flags.c.status == "open")).scalar_one()
        vt = verification_table(ctx.recounts, _reported(ctx), ctx.settings["verification_band"])
        record_write(conn, who, "validate", "flags", None,
                     {"period": str(ctx.period), **writes.counts, "open": int(open_total)})
    by_rule = found["rule_code"].value_counts().to_dict() if len(found) else {}
    return {"period": ctx.period, "found": {k: int(v) for k, v in sorted(by_rule.items())},
            **writes.counts, "open": int(open_total), "verification": verification_rates(vt)}

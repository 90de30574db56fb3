"""Monthly data entry: one team × one month, every indicator's numerator and denominator.

`load_month` gives what the form shows (definitions, the current values, the previous months
for context) and the revision id of each entry as read. `check_month` runs the inline checks
(whole numbers, both parts present, numerator <= denominator, a jump against the team's recent
months as a warning) and returns every problem at once. `save_month` writes one revision per
changed value in one transaction (with one audit row each), and refuses with `ConflictError`
— showing both values — when someone else saved an entry after the form loaded it. The check
and the write run under the database's write lock (`workbench.store.write_transaction`), so
of concurrent saves of the same loaded entry exactly one goes in. Nothing is overwritten: a
revision is appended.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import pandas as pd
from sqlalchemy import Engine, select

from workbench.errors import ConflictError, NotFoundError, ValidationFailed
from workbench.i18n import N_
from workbench.i18n import gettext as _
from workbench.model import (
    Failure,
    format_pair,
    is_period,
    period_problem,
    read_count,
    require_in_calendar,
)
from workbench.store import (
    add_revisions,
    authorize,
    current_revisions,
    current_user,
    get_team,
    latest_revision_id,
    read_calendar,
    read_collaborative,
    read_indicators,
    record_write,
    write_transaction,
)
from workbench.store import schema as s

__all__ = [
    "EntryCheck",
    "EntryRow",
    "MonthSheet",
    "SavedValue",
    "MonthSaveResult",
    "load_month",
    "parse_count",
    "check_month",
    "save_month",
    "format_pair",
]

_NEEDS_DENOMINATOR = ("proportion", "rate", "mean")


#: The typed field a form's problem names (translated when read).
_FIELDS = {"numerator": N_("numerator"), "denominator": N_("denominator")}


class EntryCheck(NamedTuple):
    """One inline-check result: `severity` is "error" (blocks saving) or "warning"."""

    indicator_id: str
    field: str  # numerator | denominator | value
    severity: str
    message: str


@dataclass
class EntryRow:
    """One indicator line of the month's grid, as loaded."""

    indicator_id: str
    name: str
    kind: str
    numerator_definition: str
    denominator_definition: str
    multiplier: float
    unit: str
    numerator: float | None
    denominator: float | None
    revision_id: int | None
    previous: pd.DataFrame  # period, numerator, denominator, value (oldest first)


@dataclass
class MonthSheet:
    """What `load_month` read: the rows and the revision ids the save will check against."""

    team_id: str
    period: str
    rows: list[EntryRow]
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def loaded_revision_ids(self) -> dict[str, int | None]:
        return {row.indicator_id: row.revision_id for row in self.rows}

    def row(self, indicator_id: str) -> EntryRow:
        for row in self.rows:
            if row.indicator_id == indicator_id:
                return row
        raise KeyError(indicator_id)


class SavedValue(NamedTuple):
    indicator_id: str
    old: tuple[float | None, float | None]
    new: tuple[float | None, float | None]
    revision_id: int


@dataclass
class MonthSaveResult:
    team_id: str
    period: str
    saved: list[SavedValue]
    unchanged: list[str]
    warnings: list[EntryCheck]
    revision_ids: dict[str, int | None]

    def summary(self) -> str:
        """What was saved, in words."""
        if not self.saved:
            return _("Nothing to save for {team} {period}: no value changed.").format(
                team=self.team_id, period=self.period)
        parts = [_("{indicator} {new} (was {old})").format(
                     indicator=v.indicator_id, new=format_pair(*v.new), old=format_pair(*v.old))
                 if v.old != (None, None) else f"{v.indicator_id} {format_pair(*v.new)}"
                 for v in self.saved]
        return _("Saved {count} value(s) for {team} {period}: {values}.").format(
            count=len(self.saved), team=self.team_id, period=self.period,
            values="; ".join(parts))


def _check_period(period: str) -> str:
    """The month as `YYYY-MM` by the period rule (`workbench.model`), else ValidationFailed."""
    if not is_period(period):
        raise ValidationFailed(N_("period {problem}."), params={"problem": period_problem(period)},
                               failure_cases=[Failure("period", period_problem(period))])
    return str(period).strip()


def load_month(engine: Engine, team_id: str, period: str, *, context_months: int = 6
               ) -> MonthSheet:
    """The month's grid for `team_id`: each indicator's definition, current value, the
    revision id read, and the previous `context_months` months' values."""
    period = _check_period(period)
    get_team(engine, team_id)
    indicators = read_indicators(engine)
    current = current_revisions(engine, team_ids=[team_id])
    first = str(pd.Period(period, freq="M") - context_months)
    rows = []
    for ind in indicators.to_dict(orient="records"):
        mine = current[current["indicator_id"] == ind["indicator_id"]]
        this = mine[mine["period"] == period]
        prev = mine[(mine["period"] < period) & (mine["period"] >= first)]
        prev = prev[prev["numerator"].notna() | prev["denominator"].notna()]
        prev = prev.loc[:, ["period", "numerator", "denominator"]].reset_index(drop=True)
        den = prev["denominator"].astype(float)
        prev = prev.assign(value=prev["numerator"].astype(float) / den.where(den != 0))
        rec = this.iloc[0] if len(this) else None
        rows.append(EntryRow(
            indicator_id=str(ind["indicator_id"]), name=str(ind["name"]),
            kind=str(ind["kind"]),
            numerator_definition=str(ind["numerator_definition"]),
            denominator_definition=str(ind["denominator_definition"]),
            multiplier=float(ind["multiplier"]), unit=str(ind["unit"]),
            numerator=_opt(rec["numerator"]) if rec is not None else None,
            denominator=_opt(rec["denominator"]) if rec is not None else None,
            revision_id=int(rec["revision_id"]) if rec is not None else None,
            previous=prev,
        ))
    settings = read_collaborative(engine).get("settings") or {}
    return MonthSheet(team_id=team_id, period=period, rows=rows, settings=dict(settings))


def _opt(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def parse_count(text: Any) -> tuple[float | None, str | None]:
    """A typed count → (value, None), or (None, message). Blank → (None, None).

    The count rule of `workbench.model.read_count`, with the problem as its message.
    """
    value, problem = read_count(text)
    return value, None if problem is None else problem.message


def check_month(sheet: MonthSheet, values: Mapping[str, tuple[Any, Any]]) -> list[EntryCheck]:
    """Every inline problem with the typed `values` ({indicator_id: (numerator, denominator)}).

    Runs `workbench.ingest.cells.check_entries` (the checks imports use too): errors for text that
    is not a whole count, a negative count, a missing half of the pair, a zero denominator
    with events, a numerator above the denominator; a warning when the proportion jumps more
    than `jump_threshold_pp` points from the mean of the team's last `jump_window` months.
    """
    from workbench.ingest.cells import check_entries

    if not values:
        return []
    order = list(values)
    frame = pd.DataFrame({
        "team_id": sheet.team_id, "indicator_id": order, "period": sheet.period,
        "numerator": pd.Series([values[i][0] for i in order], dtype=object),
        "denominator": pd.Series([values[i][1] for i in order], dtype=object),
    })
    indicators = pd.DataFrame({"indicator_id": [r.indicator_id for r in sheet.rows],
                               "kind": [r.kind for r in sheet.rows]})
    history = pd.concat(
        [r.previous.assign(team_id=sheet.team_id, indicator_id=r.indicator_id)
         for r in sheet.rows if len(r.previous)] or [pd.DataFrame(
            columns=["team_id", "indicator_id", "period", "value"])], ignore_index=True)
    failures = check_entries(frame, indicators, history=history, settings=sheet.settings)
    out = []
    for f in failures.to_dict(orient="records"):
        column = str(f["column"]) if f["column"] in ("numerator", "denominator") else "value"
        if f["reason"] == "sudden-jump":
            column = "value"
        message = str(f["message"])
        out.append(EntryCheck(order[int(f["row"])], column, str(f["severity"]),
                              _("{field}: {message}").format(field=_(_FIELDS[column]),
                                                             message=message)
                              if column != "value" else message))
    return out


def save_month(
    engine: Engine,
    team_id: str,
    period: str,
    values: Mapping[str, tuple[Any, Any]],
    loaded_revision_ids: Mapping[str, int | None],
    user: str | None = None,
    *,
    sheet: MonthSheet | None = None,
) -> MonthSaveResult:
    """Save the month's typed `values` ({indicator_id: (numerator, denominator)}).

    `user` acts (`workbench.store.current_user`); once the collaborative has users they must
    be allowed to save this team's monthly data (`workbench.store.authorize`), else
    `PermissionDenied` saying who may, and nothing is written.

    Checks first (`ValidationFailed` with every error, nothing written). Blank pairs are left
    alone. A value is written only if it differs from the current one; every write is a
    revision (source "form", author `user`) in ONE transaction. If an entry this save changes
    has a newer revision than `loaded_revision_ids` says the form read, the save is refused
    with `ConflictError` naming both values (`conflicts` field); nothing is written.
    """
    user = current_user(user)
    period = require_in_calendar(_check_period(period), read_calendar(engine))
    with engine.connect() as conn:  # refused before anything is read or checked
        authorize(conn, user, "monthly_data", team_id)
    sheet = sheet or load_month(engine, team_id, period)
    problems = check_month(sheet, values)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise ValidationFailed(
            N_("nothing was saved for {team} {period}: {problems}"),
            params={"team": team_id, "period": period,
                    "problems": "; ".join(f"{e.indicator_id} {e.message}" for e in errors)},
            failure_cases=errors)
    parsed = {ind: (parse_count(n)[0], parse_count(d)[0]) for ind, (n, d) in values.items()}
    mr = s.measurement_revisions
    saved: list[SavedValue] = []
    unchanged: list[str] = []
    with write_transaction(engine, mr) as conn:  # the check and the write under one lock
        authorize(conn, user, "monthly_data", team_id)
        rows: list[dict[str, Any]] = []
        conflicts: list[dict[str, Any]] = []
        for ind, new in parsed.items():
            if new == (None, None):
                unchanged.append(ind)
                continue
            latest = latest_revision_id(conn, team_id, ind, period)
            current = _pair(conn, latest)
            if current == new:
                unchanged.append(ind)
                continue
            loaded = loaded_revision_ids.get(ind)
            if latest != loaded:
                other = conn.execute(select(mr.c.author, mr.c.created_at).where(
                    mr.c.revision_id == latest)).one()  # latest != loaded: it exists
                loaded_pair = _pair(conn, loaded)
                conflicts.append({
                    "indicator_id": ind, "theirs": current, "yours": new,
                    "loaded": loaded_pair, "author": other.author,
                    "saved_at": f"{other.created_at:%Y-%m-%d %H:%M}",
                })
                continue
            rows.append({"team_id": team_id, "indicator_id": ind, "period": period,
                         "numerator": new[0], "denominator": new[1], "_old": current})
        if conflicts:
            raise ConflictError(
                N_("nothing was saved: {conflicts}. Reload the month to see their values, then "
                   "enter yours again if they are still right."),
                params={"conflicts": "; ".join(_(
                    "{indicator} {period} was saved as {theirs} by {author} at {saved_at} UTC "
                    "after you opened the form (you saw {loaded}); your value is {yours}").format(
                        indicator=c["indicator_id"], period=period,
                        theirs=format_pair(*c["theirs"]), author=c["author"],
                        saved_at=c["saved_at"], loaded=format_pair(*c["loaded"]),
                        yours=format_pair(*c["yours"])) for c in conflicts)},
                conflicts=conflicts, team_id=team_id, period=period)
        ids = add_revisions(conn, [{k: v for k, v in r.items() if k != "_old"} for r in rows],
                            source="form", author=user, reason="monthly data entry")
        for r, rid in zip(rows, ids, strict=True):
            saved.append(SavedValue(r["indicator_id"], r["_old"],
                                    (r["numerator"], r["denominator"]), int(rid)))
            record_write(conn, user, "monthly_data.save", "measurement_revisions", rid,
                         {"team_id": team_id, "indicator_id": r["indicator_id"],
                          "period": period, "old": list(r["_old"]),
                          "new": [r["numerator"], r["denominator"]]})
    revision_ids = dict(loaded_revision_ids)
    revision_ids.update({v.indicator_id: v.revision_id for v in saved})
    return MonthSaveResult(team_id, period, saved, unchanged,
                           [p for p in problems if p.severity == "warning"], revision_ids)


def _pair(conn: Any, revision_id: int | None) -> tuple[float | None, float | None]:
    if revision_id is None:
        return (None, None)
    mr = s.measurement_revisions
    row = conn.execute(select(mr.c.numerator, mr.c.denominator).where(
        mr.c.revision_id == revision_id)).first()
    if row is None:
        raise NotFoundError(N_("revision {revision} does not exist"),
                            params={"revision": revision_id})
    return (_opt(row.numerator), _opt(row.denominator))

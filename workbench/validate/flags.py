"""Reviewing flags: list them, resolve them (confirm, correct, dismiss), read their history.

`resolve_flag` is THE review function: the CLI (`workbench flags resolve`) and the validation
queue widget (issue 6) both call it. Contract::

    resolve_flag(engine, flag_id, action, note, user=None, numerator=None, denominator=None,
                 expected_version=None) -> dict

- `action`: confirm (the value is right), correct (write a new revision), dismiss (not a
  problem); `note` is required. `user` defaults to `current_user()`; once the collaborative
  has users, only a validator or an admin may review (`workbench.store.authorize`:
  `PermissionDenied`, nothing written). Every review has its audit row in its transaction.
- correct: needs `numerator` and/or `denominator` (the other part is kept); writes a new
  measurement revision with source="correction", flag_id and reason=note; the original stays
  readable in `read_revisions`. The values pass `check_entries` first (ValidationFailed).
- Every action writes a `flag_events` row (who, when, from/to status, note, revision_id).
- Optimistic concurrency: pass `expected_version` (the flag's `version` as the reviewer saw
  it). If the flag changed since — or, without expected_version, if it is no longer open —
  ConflictError is raised and nothing is written. The flag is read under the write lock
  (`workbench.store.write_transaction`), so of reviews at the same moment one is recorded and
  the others are told who reviewed it.
- Returns {flag_id, status, version, revision_id, user, at}.

`resolve_flags(engine, flag_ids, action, note, ...)` does the same for many flags (confirm or
dismiss only) in one transaction: all or none. `flag_history(engine, flag_id)` lists the
events oldest first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, select

from workbench.errors import ConflictError, Message, NotFoundError, ValidationFailed
from workbench.i18n import N_
from workbench.store import (
    add_revisions,
    authorize,
    current_revisions,
    current_user,
    get_team,
    read_flag_events,
    read_indicators,
    record_write,
    utcnow,
    write_transaction,
)
from workbench.store import schema as s

__all__ = ["ACTIONS", "STATUSES", "list_flags", "get_flag", "resolve_flag", "resolve_flags",
           "flag_history"]

ACTIONS = {"confirm": "confirmed", "correct": "corrected", "dismiss": "dismissed"}
STATUSES = ("open", "confirmed", "corrected", "dismissed", "cleared")


def list_flags(bind: Engine | Connection, *, status: str | None = None,
               team_id: str | None = None, rule_code: str | None = None,
               period: str | None = None) -> pd.DataFrame:
    """Flags ordered by severity (errors first), team, indicator, period. An unknown team
    is an error (NotFoundError), not an empty list."""
    if status is not None and status not in STATUSES:
        raise ValidationFailed(N_("unknown status {status!r}; use one of {STATUSES}."),
                               params={"status": status, "STATUSES": ', '.join(STATUSES)})
    if team_id is not None:
        get_team(bind, team_id)
    query = select(s.flags)
    for column, value in (("status", status), ("team_id", team_id), ("rule_code", rule_code),
                          ("period", period)):
        if value is not None:
            query = query.where(s.flags.c[column] == value)
    with _conn(bind) as conn:
        frame = pd.DataFrame(conn.execute(query).mappings().all(), columns=list(s.flags.c.keys()))
    order = frame["severity"].map({"error": 0, "warning": 1, "info": 2}).fillna(3)
    frame = frame.assign(_o=order).sort_values(
        ["_o", "team_id", "indicator_id", "period", "flag_id"], na_position="last")
    return frame.drop(columns="_o").reset_index(drop=True)


class _conn:
    def __init__(self, bind: Engine | Connection) -> None:
        self.bind = bind
        self.owned: Connection | None = None

    def __enter__(self) -> Connection:
        if isinstance(self.bind, Engine):
            self.owned = self.bind.connect()
            return self.owned
        return self.bind

    def __exit__(self, *exc: object) -> None:
        if self.owned is not None:
            self.owned.close()


def get_flag(bind: Engine | Connection, flag_id: int) -> dict[str, Any]:
    """One flag as a dict; NotFoundError if it does not exist."""
    with _conn(bind) as conn:
        row = conn.execute(select(s.flags).where(s.flags.c.flag_id == int(flag_id))
                           ).mappings().first()
    if row is None:
        raise NotFoundError(N_("flag {flag_id} does not exist. List flags with `workbench flags "
                               "--db URL`."),
                            params={"flag_id": flag_id}, flag_id=flag_id)
    return dict(row)


def _check_action(action: str, note: str | None) -> str:
    if action not in ACTIONS:
        raise ValidationFailed(N_("unknown action {action!r}; use confirm, correct or dismiss."),
                               params={"action": action})
    if note is None or not str(note).strip():
        raise ValidationFailed(N_("a note is required to {action} a flag: say why."),
                               params={"action": action})
    return ACTIONS[action]


def _transition(conn: Connection, flag: Mapping[str, Any], action: str, to_status: str,
                note: str, user: str, expected_version: int | None, now: Any,
                revision_id: int | None = None) -> dict[str, Any]:
    flag_id = int(flag["flag_id"])
    if expected_version is not None and int(flag["version"]) != int(expected_version):
        raise ConflictError(N_("flag {flag_id} was changed by {reviewer} (now {status}, version "
                               "{version}; you had version {expected_version}). Nothing was "
                               "written; reload the flag and review it again."),
                            params={"flag_id": flag_id,
                                    "reviewer": flag["reviewer"] or Message(N_("the validator")),
                                    "status": flag['status'], "version": flag['version'],
                                    "expected_version": expected_version},
                            flag_id=flag_id)
    if expected_version is None and flag["status"] != "open":
        raise ConflictError(N_("flag {flag_id} is already {status} by {reviewer}. Nothing was "
                               "written; to review it again pass its version ({version})."),
                            params={"flag_id": flag_id, "status": flag['status'],
                                    "reviewer": flag["reviewer"] or Message(N_("someone")),
                                    "version": flag['version']},
                            flag_id=flag_id)
    values: dict[str, Any] = {"status": to_status, "reviewer": user, "note": note,
                              "updated_at": now, "version": s.flags.c.version + 1}
    if revision_id is not None:
        values["data_revision_id"] = revision_id
    done = conn.execute(s.flags.update().where(
        (s.flags.c.flag_id == flag_id) & (s.flags.c.version == int(flag["version"]))
    ).values(**values))
    if done.rowcount != 1:
        raise ConflictError(N_("flag {flag_id} was changed by someone else just now. Nothing was "
                               "written; reload the flag and review it again."),
                            params={"flag_id": flag_id}, flag_id=flag_id)
    conn.execute(s.flag_events.insert().values(
        flag_id=flag_id, action=to_status, from_status=flag["status"], to_status=to_status,
        user=user, note=note, revision_id=revision_id, created_at=now))
    record_write(conn, user, f"flag.{to_status}", "flags", flag_id,
                 {"from_status": flag["status"], "note": note, "revision_id": revision_id,
                  "team_id": flag["team_id"], "indicator_id": flag["indicator_id"],
                  "period": flag["period"]}, now)
    return {"flag_id": flag_id, "status": to_status, "version": int(flag["version"]) + 1,
            "revision_id": revision_id, "user": user, "at": now}


def resolve_flag(engine: Engine, flag_id: int, action: str, note: str, user: str | None = None,
                 numerator: float | None = None, denominator: float | None = None,
                 expected_version: int | None = None) -> dict[str, Any]:
    """Confirm, correct or dismiss one flag (see the module docstring for the contract)."""
    to_status = _check_action(action, note)
    user = current_user(user)
    if action != "correct" and (numerator is not None or denominator is not None):
        raise ValidationFailed(N_("--numerator/--denominator only go with --action correct."))
    if action == "correct" and numerator is None and denominator is None:
        raise ValidationFailed(N_("a correction needs --numerator and/or --denominator: the "
                                  "right values."))
    now = utcnow()
    locked = (s.flags, s.measurement_revisions) if action == "correct" else (s.flags,)
    with write_transaction(engine, *locked) as conn:  # the version is checked under the lock
        authorize(conn, user, "flag_review")
        flag = get_flag(conn, flag_id)
        revision_id = None
        if action == "correct":
            if not (flag["team_id"] and flag["indicator_id"] and flag["period"]):
                raise ValidationFailed(N_("flag {flag_id} is not about one measurement; confirm "
                                          "or dismiss it instead."),
                                       params={"flag_id": flag_id})
            # a conflict raised by _transition below rolls this revision back too
            revision_id = _write_correction(conn, flag, numerator, denominator, note, user, now)
        return _transition(conn, flag, action, to_status, str(note).strip(), user,
                           expected_version, now, revision_id)


def _write_correction(conn: Connection, flag: Mapping[str, Any], numerator: float | None,
                      denominator: float | None, note: str, user: str, now: Any) -> int:
    from workbench.ingest.cells import check_entries

    cur = current_revisions(conn, team_ids=[flag["team_id"]],
                            indicator_ids=[flag["indicator_id"]])
    cur = cur[cur["period"] == flag["period"]]
    old_n = cur["numerator"].iloc[0] if len(cur) else None
    old_d = cur["denominator"].iloc[0] if len(cur) else None
    num = numerator if numerator is not None else old_n
    den = denominator if denominator is not None else old_d
    entry = pd.DataFrame([{"team_id": flag["team_id"], "indicator_id": flag["indicator_id"],
                           "period": flag["period"], "numerator": num, "denominator": den}])
    failures = check_entries(entry, read_indicators(conn))
    errors = failures[failures["severity"] == "error"]
    if len(errors):
        raise ValidationFailed(N_("the correction is not valid: {problems}. Nothing was "
                                  "written."), params={"problems": "; ".join(errors["message"])},
                               failure_cases=errors)
    return add_revisions(conn, [{"team_id": flag["team_id"], "indicator_id":
                                 flag["indicator_id"], "period": flag["period"],
                                 "numerator": num, "denominator": den,
                                 "flag_id": int(flag["flag_id"])}],
                         source="correction", author=user, reason=str(note).strip(),
                         created_at=now)[0]


def resolve_flags(engine: Engine, flag_ids: Sequence[int], action: str, note: str,
                  user: str | None = None,
                  expected_versions: Mapping[int, int] | None = None) -> list[dict[str, Any]]:
    """Confirm or dismiss many flags in one transaction: all or none (ConflictError)."""
    to_status = _check_action(action, note)
    if action == "correct":
        raise ValidationFailed(N_("bulk review can confirm or dismiss; correct flags one by one."))
    user = current_user(user)
    now = utcnow()
    versions = dict(expected_versions or {})
    with write_transaction(engine, s.flags) as conn:
        authorize(conn, user, "flag_review")
        return [_transition(conn, get_flag(conn, fid), action, to_status, str(note).strip(),
                            user, versions.get(int(fid)), now) for fid in flag_ids]


def flag_history(bind: Engine | Connection, flag_id: int) -> pd.DataFrame:
    """Every event of a flag (opened, confirmed, corrected, dismissed, reopened, cleared),
    oldest first. A missing text (the "opened" event's `from_status`, an empty note) is
    None, never NaN (which printed as "nan -> open")."""
    get_flag(bind, flag_id)
    events = read_flag_events(bind, flag_id=int(flag_id))
    text = [c for c in ("from_status", "to_status", "action", "user", "note") if c in events]
    events[text] = events[text].astype(object).where(events[text].notna(), None)
    return events

"""The audit log: one row per write, in the same transaction as the write it records.

`record_write(conn, user, action, table_name, row_id, details)` is called by every library
function that writes (monthly data, PDSA cycles, visits, assessments, flag reviews, users)
with the connection of its own `write_transaction`, so a write and its audit row commit or
roll back together. `read_audit(bind, user=…, since=…)` lists them, oldest first, for
`workbench audit`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, select

from workbench.errors import ValidationFailed
from workbench.i18n import N_
from workbench.store import schema as s
from workbench.store.engine import utcnow
from workbench.store.measurements import _conn

__all__ = ["AUDIT_COLUMNS", "record_write", "read_audit", "parse_since"]

AUDIT_COLUMNS = ["audit_id", "created_at", "user", "action", "table_name", "row_id", "details"]


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        return None if value != value else value  # NaN is not JSON
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


def record_write(conn: Connection, user: str, action: str, table_name: str,
                 row_id: Any = None, details: dict[str, Any] | None = None,
                 at: dt.datetime | None = None) -> None:
    """Add one audit row on `conn` (the writer's own transaction).

    `action` names what was done in the domain's words (`monthly_data.save`, `pdsa.save`,
    `visit.save`, `flag.corrected`, `user.add` …); `row_id` is the written row's key as text.
    """
    conn.execute(s.audit_log.insert().values(
        user=str(user), action=action, created_at=at or utcnow(), table_name=table_name,
        row_id=None if row_id is None else str(row_id), details=_jsonable(details or {})))


def parse_since(since: str | None) -> dt.datetime | None:
    """`YYYY-MM-DD` as the start of that day (UTC), else ValidationFailed."""
    if since is None or not str(since).strip():
        return None
    try:
        day = dt.date.fromisoformat(str(since).strip())
    except ValueError:
        raise ValidationFailed(N_("--since {since!r} is not a date; write YYYY-MM-DD, e.g. "
                                  "--since 2026-12-01."),
                               params={"since": since}) from None
    return dt.datetime.combine(day, dt.time())


def read_audit(bind: Engine | Connection, *, user: str | None = None,
               since: str | dt.datetime | None = None) -> pd.DataFrame:
    """Audit rows, oldest first; only `user`'s, and only from `since` (a day) on, if given."""
    log = s.audit_log
    query = select(*(log.c[c] for c in AUDIT_COLUMNS)).order_by(log.c.audit_id)
    if user:
        query = query.where(log.c.user == user)
    start = since if isinstance(since, dt.datetime) else parse_since(since)
    if start is not None:
        query = query.where(log.c.created_at >= start)
    with _conn(bind) as conn:
        return pd.DataFrame(conn.execute(query).mappings().all(), columns=AUDIT_COLUMNS)

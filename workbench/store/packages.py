"""Change package versions: v1 at launch, a new version after each synthesis meeting.

- `launch_package(conn)` records v1 from the change ideas of the collaborative's definition
  (`source` "package", their descriptions as guidance) and has every wave join with it;
  `workbench init` and the demo call it when they write the collaborative;
- `read_package_versions(bind)` lists the versions (number, label `v1`, meeting month, author,
  reason, changes in it, waves that joined with it);
- `read_package(bind, version)` gives one version's changes with guidance and provenance
  (the latest version when `version` is None); rows with `in_package` false are the changes
  that version dropped, kept for their reason;
- `save_package_version(engine, rows, author=, reason=, period=)` records the next version in
  one transaction (rows: change_id, action keep/add/drop, guidance, provenance);
- `join_wave(engine, wave_id, version)` records the version a wave joins with.

Both writes are the action `change_package` (facilitators, analysts, admins:
`workbench.store.users.authorize`) and leave a row in the audit log.

Versions are never edited: a correction is a new version with its reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, func, select

from workbench.errors import NotFoundError, ValidationFailed
from workbench.i18n import N_
from workbench.store import schema as s
from workbench.store.audit import record_write
from workbench.store.engine import current_user, utcnow, write_transaction
from workbench.store.measurements import _conn
from workbench.store.users import authorize

__all__ = ["ACTIONS", "PACKAGE_COLUMNS", "join_wave", "launch_package", "package_label",
           "read_package", "read_package_versions", "save_package_version"]

ACTIONS = ("launch", "keep", "add", "drop")
PACKAGE_COLUMNS = ["version", "change_id", "name", "in_package", "action", "guidance",
                   "provenance"]
VERSION_COLUMNS = ["version", "label", "period", "author", "reason", "created_at", "changes",
                   "waves"]


def package_label(version: int) -> str:
    """`v1`, `v2`, … — how people name a version."""
    return f"v{int(version)}"


def launch_package(conn: Connection, author: str | None = None) -> int | None:
    """Record v1 from the package's change ideas inside the caller's transaction; every wave
    without a version joins with it. None when there is no change idea or v1 exists."""
    if conn.execute(select(s.package_versions.c.version)).first() is not None:
        return None
    ideas = conn.execute(select(s.change_ideas.c.change_id, s.change_ideas.c.description)
                         .where(s.change_ideas.c.source == "package")
                         .order_by(s.change_ideas.c.change_id)).all()
    if not ideas:
        return None
    conn.execute(s.package_versions.insert().values(
        version=1, period=None, author=author or current_user(),
        reason="the launch package (the collaborative's definition)", created_at=utcnow()))
    conn.execute(s.package_changes.insert(), [
        {"version": 1, "change_id": change_id, "in_package": True, "action": "launch",
         "guidance": description or "",
         "provenance": {"teams": [], "reason": "in the launch package"}}
        for change_id, description in ideas])
    conn.execute(s.waves.update().where(s.waves.c.package_version.is_(None))
                 .values(package_version=1))
    return 1


def read_package_versions(bind: Engine | Connection) -> pd.DataFrame:
    """Every version, oldest first, with the number of changes in it and its waves."""
    with _conn(bind) as conn:
        versions = conn.execute(select(s.package_versions)
                                .order_by(s.package_versions.c.version)).mappings().all()
        counts = {int(v): int(n) for v, n in conn.execute(
            select(s.package_changes.c.version, func.count())
            .where(s.package_changes.c.in_package.is_(True))
            .group_by(s.package_changes.c.version))}
        waves = conn.execute(select(s.waves.c.wave_id, s.waves.c.package_version)
                             .order_by(s.waves.c.wave_id)).all()
    rows = [{**dict(v), "label": package_label(v["version"]),
             "changes": int(counts.get(v["version"], 0)),
             "waves": [w for w, pv in waves if pv == v["version"]]} for v in versions]
    frame = pd.DataFrame(rows, columns=VERSION_COLUMNS)
    frame["period"] = frame["period"].astype(object).where(frame["period"].notna(), None)
    return frame


def _version_number(conn: Connection, version: int | str | None) -> int:
    latest = conn.execute(select(func.max(s.package_versions.c.version))).scalar()
    if latest is None:
        raise NotFoundError(N_("this collaborative has no change package version yet: its "
                               "definition has no change_package."))
    if version is None:
        return int(latest)
    text = str(version).strip().lower().removeprefix("v")
    if not text.isdigit() or not 1 <= int(text) <= int(latest):
        raise NotFoundError(N_("Unknown package version {version!r}: use v1 to {latest}."),
                            params={"version": version, "latest": package_label(latest)},
                            version=str(version))
    return int(text)


def read_package(bind: Engine | Connection, version: int | str | None = None) -> pd.DataFrame:
    """One version's changes (`PACKAGE_COLUMNS`, change order); None = the latest version;
    `version` may be 2 or "v2"."""
    with _conn(bind) as conn:
        number = _version_number(conn, version)
        query = (select(s.package_changes.c.version, s.package_changes.c.change_id,
                        s.change_ideas.c.name, s.package_changes.c.in_package,
                        s.package_changes.c.action, s.package_changes.c.guidance,
                        s.package_changes.c.provenance)
                 .join(s.change_ideas,
                       s.change_ideas.c.change_id == s.package_changes.c.change_id)
                 .where(s.package_changes.c.version == number)
                 .order_by(s.package_changes.c.change_id))
        rows = conn.execute(query).mappings().all()
    frame = pd.DataFrame(rows, columns=PACKAGE_COLUMNS)
    frame["in_package"] = frame["in_package"].astype(bool)
    return frame


def _check_rows(conn: Connection, rows: list[Mapping[str, Any]]) -> None:
    known = set(conn.execute(select(s.change_ideas.c.change_id)).scalars())
    for i, row in enumerate(rows, start=1):
        change_id, action = row.get("change_id"), row.get("action")
        if change_id not in known:
            raise ValidationFailed(N_("row {i}: change {change_id!r} is not a change idea of "
                                      "this collaborative; add it first."),
                                   params={"i": i, "change_id": change_id}, row=i,
                                   column="change_id")
        if action not in ACTIONS[1:]:
            raise ValidationFailed(N_("row {i} ({change_id}): action must be keep, add or drop, "
                                      "not {action!r}."),
                                   params={"i": i, "change_id": change_id, "action": action},
                                   row=i, column="action")
    seen = [r["change_id"] for r in rows]
    if len(seen) != len(set(seen)):
        double = sorted({c for c in seen if seen.count(c) > 1})
        raise ValidationFailed(N_("change(s) {double} appear twice; keep one row each."),
                               params={"double": ', '.join(double)})


def save_package_version(engine: Engine, rows: Iterable[Mapping[str, Any]], *,
                         author: str | None = None, reason: str, period: str | None) -> int:
    """Record the next version (one transaction) and return its number. `rows`: change_id,
    action (keep, add, drop), guidance, provenance ({"teams": [...], "reason": str})."""
    rows = list(rows)
    if not reason.strip():
        raise ValidationFailed(N_("a package version needs a reason (e.g. 'synthesis meeting of "
                                  "2025-10'); nothing was saved."),
                               column="reason")
    user = author or current_user()
    with write_transaction(engine, s.package_versions, s.package_changes) as conn:
        authorize(conn, user, "change_package")
        _check_rows(conn, rows)
        number = _version_number(conn, None) + 1
        conn.execute(s.package_versions.insert().values(
            version=number, period=period or None, author=user,
            reason=reason.strip(), created_at=utcnow()))
        conn.execute(s.package_changes.insert(), [
            {"version": number, "change_id": r["change_id"], "in_package": r["action"] != "drop",
             "action": r["action"], "guidance": str(r.get("guidance") or ""),
             "provenance": dict(r.get("provenance") or {})} for r in rows])
        record_write(conn, user, "package.save", "package_versions", number,
                     {"reason": reason.strip(), "period": period or None,
                      "changes": {r["change_id"]: r["action"] for r in rows}})
    return number


def join_wave(engine: Engine, wave_id: str, version: int | str, *,
              user: str | None = None) -> int:
    """Record that wave `wave_id` joins with package `version`; returns the version number."""
    who = user or current_user()
    with write_transaction(engine, s.waves, s.package_versions) as conn:
        authorize(conn, who, "change_package")
        number = _version_number(conn, version)
        done = conn.execute(s.waves.update().where(s.waves.c.wave_id == wave_id)
                            .values(package_version=number))
        if done.rowcount == 0:
            known = ", ".join(conn.execute(select(s.waves.c.wave_id)
                                           .order_by(s.waves.c.wave_id)).scalars())
            raise NotFoundError(N_("Unknown wave {wave_id!r}: use one of {known}."),
                                params={"wave_id": wave_id, "known": known}, wave=wave_id)
        record_write(conn, who, "package.join", "waves", wave_id, {"version": number})
    return number

"""Users, their roles and teams, and THE check of who may write what.

Roles (DESIGN.md): a **team member** enters their own team's monthly data, self-assessment
and PDSA journal; a **coach** does the same for the teams assigned to them and records
their coaching visits; a **validator** reviews flags; a **facilitator** runs learning
sessions; an **analyst** imports data and writes reports; an **admin** manages the
definition and the users and may do everything. Team members and coaches act only inside
their scope (`teams` codes and/or whole `districts`); the other roles are collaborative-wide.

`authorize(conn, user, action, team_id)` is the one place a write is allowed or refused; every
write of the library calls it inside its own transaction. A database without users is in
single-user mode (everything allowed, as before users existed); once the first user (an
admin) is added, every write is checked. A refusal says who may do it::

    amina is a coach for T01, T02; saving T07's monthly data needs the team member of T07,
    its coach, or an admin

Removing a user deactivates them (the row, and everything they wrote, stays): the
`users` table has no column for it, so the deactivation is kept in the user's `scope` JSON
(`deactivated_at`, `deactivated_by`, `reason`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from babel.lists import format_list
from sqlalchemy import Connection, Engine, func, select

from workbench.errors import NotFoundError, PermissionDenied, ValidationFailed
from workbench.i18n import N_, locale_of
from workbench.i18n import gettext as _
from workbench.store import schema as s
from workbench.store.audit import record_write
from workbench.store.engine import current_user, utcnow, write_transaction
from workbench.store.measurements import _conn

__all__ = [
    "ROLES",
    "ROLE_NAMES",
    "TEAM_ROLES",
    "ACTIONS",
    "User",
    "users_defined",
    "get_user",
    "list_users",
    "add_user",
    "remove_user",
    "authorize",
    "refusal",
    "may",
]

ROLES = ("team_member", "coach", "validator", "facilitator", "analyst", "admin")
ROLE_NAMES = {"team_member": "team member", "coach": "coach", "validator": "validator",
              "facilitator": "facilitator", "analyst": "analyst", "admin": "admin"}
#: roles that act only on the teams in the user's scope
TEAM_ROLES = frozenset({"team_member", "coach"})

#: action -> (what it is, in words ({team} is filled in), the roles that may do it)
ACTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "monthly_data": (N_("saving {team}'s monthly data"), ("team_member", "coach", "admin")),
    "self_assessment": (N_("saving {team}'s self-assessment"),
                        ("team_member", "coach", "admin")),
    "pdsa": (N_("saving {team}'s PDSA journal"), ("team_member", "coach", "admin")),
    "visit": (N_("recording a coaching visit to {team}"), ("coach", "admin")),
    "flag_review": (N_("reviewing data flags"), ("validator", "admin")),
    "import": (N_("importing data"), ("analyst", "admin")),
    "validate": (N_("running data validation"), ("validator", "analyst", "admin")),
    "report": (N_("writing reports"), ("analyst", "admin")),
    "learning_session": (N_("running a learning session"), ("facilitator", "admin")),
    "change_package": (N_("saving a change package version"),
                       ("facilitator", "analyst", "admin")),
    "users": (N_("managing users"), ("admin",)),
}
#: a role with its article, as a refusal names it
_A_ROLE = {"team_member": N_("a team member"), "coach": N_("a coach"),
           "validator": N_("a validator"), "facilitator": N_("a facilitator"),
           "analyst": N_("an analyst"), "admin": N_("an admin")}


@dataclass(frozen=True)
class User:
    """A workbench user as stored; `active` is False once removed."""

    name: str
    roles: tuple[str, ...]
    teams: tuple[str, ...] = ()
    districts: tuple[str, ...] = ()
    active: bool = True
    created_at: Any = None
    deactivated: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        """`amina is a coach for T01, T02` — who they are, for a refusal (in the current
        language)."""
        if not self.active:
            return _("{name}'s account was removed on {date} by {admin}").format(
                name=self.name, date=str(self.deactivated.get("deactivated_at", ""))[:10],
                admin=self.deactivated.get("deactivated_by") or _("an admin"))
        if not self.roles:
            return _("{name} has no role").format(name=self.name)
        what = _list([_(_A_ROLE[r]) if r in _A_ROLE else r for r in self.roles])
        scope = ", ".join([*self.teams, *(_("district {district}").format(district=d)
                                          for d in self.districts)])
        if set(self.roles) & TEAM_ROLES:
            return _("{name} is {roles} for {scope}").format(
                name=self.name, roles=what, scope=scope or _("no team yet"))
        return _("{name} is {roles}").format(name=self.name, roles=what)


def _list(items: Sequence[str], style: str = "standard") -> str:
    """`a, b and c` (style "or": `a, b or c`) in the current language (Babel's list patterns)."""
    return format_list(list(items), style=style, locale=locale_of())  # type: ignore[arg-type]


def _user(row: Any) -> User:
    scope = dict(row.scope or {})
    deactivated = {k: scope[k] for k in ("deactivated_at", "deactivated_by", "reason")
                   if k in scope}
    return User(name=row.name, roles=tuple(row.roles or ()),
                teams=tuple(scope.get("teams") or ()), districts=tuple(scope.get("districts")
                                                                      or ()),
                active="deactivated_at" not in scope, created_at=row.created_at,
                deactivated=deactivated)


def users_defined(bind: Engine | Connection) -> bool:
    """True once any user exists (removed ones too): checks are enforced from then on."""
    with _conn(bind) as conn:
        return bool(conn.execute(select(func.count()).select_from(s.users)).scalar())


def get_user(bind: Engine | Connection, name: str) -> User | None:
    """The user called `name` (active or removed), or None."""
    with _conn(bind) as conn:
        row = conn.execute(select(s.users).where(s.users.c.name == name)).first()
    return None if row is None else _user(row)


def _active_users(conn: Connection) -> list[User]:
    users = [_user(r) for r in conn.execute(select(s.users)).all()]
    return [u for u in users if u.active]


def list_users(bind: Engine | Connection, *, include_removed: bool = False) -> pd.DataFrame:
    """One row per user: name, roles, teams, districts, active, created_at (by name)."""
    with _conn(bind) as conn:
        rows = conn.execute(select(s.users).order_by(s.users.c.name)).all()
    users = [_user(r) for r in rows]
    return pd.DataFrame(
        [{"name": u.name, "roles": list(u.roles), "teams": list(u.teams),
          "districts": list(u.districts), "active": u.active, "created_at": u.created_at}
         for u in users if u.active or include_removed],
        columns=["name", "roles", "teams", "districts", "active", "created_at"])


def _in_scope(conn: Connection, user: User, team_id: str | None) -> bool:
    if team_id is None:
        return False
    if team_id in user.teams:
        return True
    if not user.districts:
        return False
    district = conn.execute(select(s.teams.c.district).where(
        s.teams.c.team_id == team_id)).scalar()
    return district is not None and district in user.districts


def may(conn: Connection, user: User, action: str, team_id: str | None = None) -> bool:
    """Whether `user` may do `action` (on `team_id` for team-scoped roles)."""
    if not user.active:
        return False
    allowed = ACTIONS[action][1]
    for role in user.roles:
        if role not in allowed:
            continue
        if role not in TEAM_ROLES or _in_scope(conn, user, team_id):
            return True
    return False


def refusal(name: str, user: User | None, action: str, team_id: str | None = None) -> str:
    """The one-line refusal, in the current language: who the user is, and who may do the
    action."""
    what, allowed = ACTIONS[action]
    what = _(what).format(team=team_id or _("a team"))
    needs = []
    for role in allowed:
        if role == "team_member":
            needs.append(_("the team member of {team}").format(team=team_id) if team_id
                         else _("a team member"))
        elif role == "coach":
            needs.append(_("its coach") if team_id else _("a coach"))
        else:
            needs.append(_(_A_ROLE[role]))
    who_may = _list(needs, style="or")
    if user is None:
        return _("{name} is not a user of this collaborative; {action} needs {who}. An admin "
                 "adds users: workbench users add {name} --role ROLE --teams T01").format(
                     name=name, action=what, who=who_may)
    return _("{user}; {action} needs {who}").format(user=user.describe(), action=what,
                                                      who=who_may)


def authorize(conn: Connection, name: str, action: str, team_id: str | None = None) -> None:
    """Allow `name` to do `action` (on `team_id`), or raise PermissionDenied saying who may.

    In single-user mode (no users defined) everything is allowed.
    """
    if action not in ACTIONS:
        raise KeyError(action)
    if not users_defined(conn):
        return
    user = get_user(conn, name)
    if user is not None and may(conn, user, action, team_id):
        return
    raise PermissionDenied(refusal(name, user, action, team_id), user=name, action=action,
                           team_id=team_id)


def _check_new_user(conn: Connection, name: str, roles: Sequence[str],
                    teams: Sequence[str], districts: Sequence[str]) -> None:
    if not name or len(name) > 200 or any(c in name for c in "\r\n\t"):
        raise ValidationFailed(N_("a user name is 1 to 200 characters on one line, e.g. amina "
                                  "(the JupyterHub login name)."))
    unknown = [r for r in roles if r not in ROLES]
    if not roles or unknown:
        raise ValidationFailed(
            N_("unknown role(s) {roles}; use --role with one of {choices} (several: --role "
               "coach --role validator).") if unknown else
            N_("give a role; use --role with one of {choices} (several: --role coach --role "
               "validator)."), params={"roles": ", ".join(unknown), "choices": ", ".join(ROLES)})
    if set(roles) & TEAM_ROLES and not teams and not districts:
        raise ValidationFailed(N_("a {roles} acts for teams: give them with --teams T01,T02 or "
                                  "--districts NAME."),
                               params={"roles": " or ".join(sorted(set(roles) & TEAM_ROLES))})
    known = set(conn.execute(select(s.teams.c.team_id)).scalars())
    missing = [t for t in teams if t not in known]
    if missing:
        raise ValidationFailed(N_("unknown team(s) {missing}; list the codes with `workbench "
                                  "status --db URL --json`."),
                               params={"missing": ', '.join(missing)})
    districts_known = set(conn.execute(select(s.teams.c.district)).scalars())
    missing = [d for d in districts if d not in districts_known]
    if missing:
        raise ValidationFailed(N_("unknown district(s) {missing}; districts are those of the "
                                  "collaborative's teams."),
                               params={"missing": ', '.join(missing)})


def add_user(engine: Engine, name: str, roles: Iterable[str], *, teams: Iterable[str] = (),
             districts: Iterable[str] = (), acting: str | None = None) -> User:
    """Add a user (or give a removed one back their account with these roles).

    Needs an admin, except for the first user, who must be an admin (so that someone can add
    the others). One transaction with its audit row.
    """
    acting = current_user(acting)
    name = str(name).strip()
    roles, teams = list(dict.fromkeys(roles)), list(dict.fromkeys(teams))
    districts = list(dict.fromkeys(districts))
    with write_transaction(engine, s.users) as conn:
        first = not users_defined(conn)
        if first and "admin" not in roles:
            raise PermissionDenied(N_("the first user must be an admin, so that someone can add "
                                      "the others: workbench users add {acting} --role admin. "
                                      "Until then the database is in single-user mode (everyone "
                                      "may do everything)."),
                                   params={"acting": acting})
        if not first:
            authorize(conn, acting, "users")
        _check_new_user(conn, name, roles, teams, districts)
        existing = get_user(conn, name)
        if existing is not None and existing.active:
            raise ValidationFailed(N_("{user} already. To change the roles, remove the user "
                                      "(`workbench users remove {name}`) and add them again."),
                                   params={"user": existing.describe(), "name": name})
        scope: dict[str, Any] = {"teams": teams, "districts": districts}
        values = {"roles": roles, "scope": scope}
        if existing is None:
            conn.execute(s.users.insert().values(name=name, created_at=utcnow(), **values))
        else:
            conn.execute(s.users.update().where(s.users.c.name == name).values(**values))
        record_write(conn, acting, "user.add" if existing is None else "user.restore", "users",
                     name, {"roles": roles, "teams": teams, "districts": districts})
        added = get_user(conn, name)
    assert added is not None
    return added


def remove_user(engine: Engine, name: str, *, reason: str = "",
                acting: str | None = None) -> User:
    """Deactivate `name` (needs an admin): they can no longer write; their row and history
    stay. The last active admin cannot be removed."""
    acting = current_user(acting)
    with write_transaction(engine, s.users) as conn:
        authorize(conn, acting, "users")
        user = get_user(conn, name)
        if user is None:
            raise NotFoundError(N_("no user called {name!r}; list them with `workbench users "
                                   "list --db URL`."),
                                params={"name": name})
        if not user.active:
            raise ValidationFailed(N_("{user} already."), params={"user": user.describe()})
        admins = [u for u in _active_users(conn) if "admin" in u.roles]
        if "admin" in user.roles and len(admins) == 1:
            raise ValidationFailed(N_("{name} is the last admin; add another admin first "
                                      "(`workbench users add NAME --role admin`)."),
                                   params={"name": name})
        row = conn.execute(select(s.users.c.scope).where(s.users.c.name == name)).scalar()
        scope = dict(row or {})
        scope.update(deactivated_at=utcnow().isoformat(timespec="seconds"),
                     deactivated_by=acting, reason=str(reason).strip())
        conn.execute(s.users.update().where(s.users.c.name == name).values(scope=scope))
        record_write(conn, acting, "user.remove", "users", name, {"reason": str(reason)})
        removed = get_user(conn, name)
    assert removed is not None
    return removed

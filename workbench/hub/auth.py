"""What the JupyterHub process runs (named in the config `workbench hub init` writes).

`WorkbenchAuthenticator` is JupyterHub's FirstUseAuthenticator (a user chooses a password at
their first login) that lets in only the collaborative's active users — checked before a
password is ever stored — and returns their workbench roles as hub groups
(`workbench-coach`, …; `Authenticator.manage_groups`), so the hub's groups always follow
`workbench users`. Workbench admins are not made hub admins (a hub admin can open other
users' servers, i.e. act as them). `landing_hook` sends each user to the app of their first
role (a team member to their team's data entry, a coach to their first team's visit form).

The store is read through `workbench.store`; the URL is `WORKBENCH_DB` of the hub's process.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from firstuseauthenticator import FirstUseAuthenticator
from sqlalchemy import Engine
from traitlets import default

from workbench.store import User, get_user, open_engine

__all__ = ["GROUP_PREFIX", "WorkbenchAuthenticator", "hub_groups", "landing_url",
           "landing_hook", "workbench_user"]

GROUP_PREFIX = "workbench-"
#: the app a user lands on, by their first role
LANDING_APPS = {"team_member": "data_entry", "coach": "coach", "validator": "validation_queue",
                "facilitator": "learning_session", "analyst": "learning_session",
                "admin": "learning_session"}


@lru_cache(maxsize=4)
def _engine(url: str) -> Engine:
    return open_engine(url)


def workbench_user(name: str) -> User | None:
    """The active workbench user called `name` in the hub's store, or None."""
    user = get_user(_engine(os.environ["WORKBENCH_DB"]), name)
    return user if user is not None and user.active else None


def hub_groups(user: User) -> list[str]:
    """The hub groups of a workbench user: one per role."""
    return [GROUP_PREFIX + role for role in user.roles]


def landing_url(user: User | None) -> str:
    """Where the user's server opens: the app of their first role (with their first team)."""
    if user is None or not user.roles:
        return "/voila/render/learning_session.ipynb"
    role = user.roles[0]
    url = f"/voila/render/{LANDING_APPS.get(role, 'learning_session')}.ipynb"
    if role in ("team_member", "coach") and user.teams:
        url += "?team=" + quote(user.teams[0])
    return url


def landing_hook(spawner: Any) -> None:
    """`Spawner.pre_spawn_hook`: open the user's server on the app of their role."""
    spawner.default_url = landing_url(workbench_user(spawner.user.name))


class WorkbenchAuthenticator(FirstUseAuthenticator):  # type: ignore[misc]
    """First-use passwords for the collaborative's active users only; roles as groups."""

    @default("allow_all")
    def _allow_all_default(self) -> bool:
        return False

    @default("manage_groups")
    def _manage_groups_default(self) -> bool:
        return True

    def check_allowed(self, username: str, authentication: Any = None) -> bool:
        return workbench_user(username) is not None

    async def authenticate(self, handler: Any, data: dict[str, str]) -> dict[str, Any] | None:
        name = self.normalize_username(data.get("username", ""))
        user = workbench_user(name)
        if user is None:  # before FirstUse stores a password for an unknown name
            handler.custom_login_error = (
                f"{name} is not a user of this collaborative; ask its admin to add you "
                "(workbench users add NAME --role ROLE).")
            return None
        accepted = await super().authenticate(handler, data)
        if accepted is None:
            return None
        return {"name": name, "groups": hub_groups(user)}

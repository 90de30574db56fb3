"""`workbench hub init DIR`: a JupyterHub in front of the workbench's Voilà apps.

`write_hub_config(dir, db, …)` writes `DIR/jupyterhub_config.py`; `jupyterhub -f
DIR/jupyterhub_config.py` then runs:

- login with `workbench.hub.auth.WorkbenchAuthenticator` (JupyterHub's FirstUseAuthenticator:
  a user chooses a password at their first login) that lets in only the collaborative's
  active users (`workbench users list`) and sets each user's hub groups to their workbench
  roles (`workbench-coach`, `workbench-team_member`, …) at every login;
- one server per user (named servers off), `active_server_limit` servers in all, each the
  Voilà apps (`jupyterhub-singleuser` with the Voilà server extension, the `workbench`
  template, `voila_apps/` as its root, the landing app of the user's first role), run with
  `WORKBENCH_DB` in its environment and JupyterHub's own `JUPYTERHUB_USER`, which the
  workbench takes as the acting user (`workbench.store.current_user`);
- idle servers stopped by the `jupyterhub-idle-culler` service;
- configurable-http-proxy from the npm registry (`make hub-proxy` installs it in `.hub/`).

The store URL is written without its password: give the whole URL to the hub's process in
`WORKBENCH_HUB_DB` (it wins over the file's), or the password in `~/.pgpass`.
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from workbench.errors import ConfigError
from workbench.i18n import N_
from workbench.paths import voila_apps_dir
from workbench.store import open_engine, resolve_url, users_defined

__all__ = ["HubSettings", "proxy_command", "config_text", "write_hub_config"]


@dataclass(frozen=True)
class HubSettings:
    """What `config_text` writes; every value is shown in the config file."""

    db_url: str
    hub_dir: Path
    ip: str = "127.0.0.1"
    port: int = 8000
    hub_port: int = 8081
    proxy_api_port: int = 8001
    active_server_limit: int = 40
    concurrent_spawn_limit: int = 10
    idle_timeout: int = 1800
    proxy: str = ""


def _project_root() -> Path:
    return Path(__file__).resolve().parents[2]


def proxy_command() -> str:
    """configurable-http-proxy: the project's own install (`make hub-proxy` → `.hub/`), else
    one on PATH, else a ConfigError saying how to install it."""
    local = _project_root() / ".hub" / "node_modules" / ".bin" / "configurable-http-proxy"
    if local.is_file():
        return str(local)
    found = shutil.which("configurable-http-proxy")
    if found:
        return found
    raise ConfigError(N_("configurable-http-proxy is not installed; run `make hub-proxy` (npm "
                         "install --prefix .hub configurable-http-proxy) or give --proxy PATH."))


def _public_url(url: str) -> str:
    """The store URL without its password (the password goes in the hub's environment)."""
    parsed = make_url(url)
    if not parsed.password:
        return url
    # URL.set(password=None) keeps the password: replace the field itself
    return parsed._replace(password=None).render_as_string(hide_password=False)


def config_text(settings: HubSettings) -> str:
    """The text of `jupyterhub_config.py` for `settings`."""
    hub_dir = settings.hub_dir.resolve()
    bin_dir = Path(sys.executable).parent
    return f'''"""JupyterHub in front of the coaching workbench: written by `workbench hub init`.

Run: jupyterhub -f {hub_dir / "jupyterhub_config.py"}
Users are the collaborative's (`workbench users add NAME --role coach --teams T01,T02`); each
chooses a password at their first login. For OAuth (GitHub, Google, an institution's
OpenID Connect) see README.md, "JupyterHub".
"""

import os

from workbench.apps.server.serve import prepare_template
from workbench.hub.auth import landing_hook

c = get_config()  # noqa: F821 - provided by JupyterHub

# the collaborative's store, shared by every user's server; a password comes from the hub's
# environment (WORKBENCH_HUB_DB, the whole URL) or ~/.pgpass, never from this file
WORKBENCH_DB = os.environ.get("WORKBENCH_HUB_DB") or {_public_url(settings.db_url)!r}
os.environ["WORKBENCH_DB"] = WORKBENCH_DB

# where the hub listens and keeps its own state
c.JupyterHub.ip = {settings.ip!r}
c.JupyterHub.port = {settings.port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {settings.hub_port}
c.JupyterHub.db_url = {"sqlite:///" + str(hub_dir / "jupyterhub.sqlite")!r}
c.JupyterHub.cookie_secret_file = {str(hub_dir / "jupyterhub_cookie_secret")!r}
c.JupyterHub.pid_file = {str(hub_dir / "jupyterhub.pid")!r}
c.ConfigurableHTTPProxy.command = [{settings.proxy!r}]
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{settings.proxy_api_port}"
c.ConfigurableHTTPProxy.pid_file = {str(hub_dir / "jupyterhub-proxy.pid")!r}

# login: a password chosen at first use; only the collaborative's active users; hub groups
# follow their workbench roles (workbench-coach, workbench-team_member, ...)
c.JupyterHub.authenticator_class = "workbench.hub.auth.WorkbenchAuthenticator"
c.FirstUseAuthenticator.dbm_path = {str(hub_dir / "passwords.dbm")!r}
c.Authenticator.manage_groups = True

# each user's server: the workbench's Voila apps, acting as the hub's user
c.JupyterHub.spawner_class = "jupyterhub.spawner.SimpleLocalProcessSpawner"
c.SimpleLocalProcessSpawner.home_dir_template = {str(hub_dir / "users" / "{username}")!r}
c.Spawner.cmd = [{str(bin_dir / "jupyterhub-singleuser")!r}]
c.Spawner.notebook_dir = {str(voila_apps_dir())!r}
c.Spawner.default_url = "/voila/render/learning_session.ipynb"
c.Spawner.pre_spawn_hook = landing_hook
c.Spawner.args = ["--VoilaConfiguration.template=workbench",
                  "--VoilaConfiguration.strip_sources=True",
                  "--VoilaConfiguration.show_tracebacks=False",
                  "--ServerApp.terminals_enabled=False"]
if os.getuid() == 0:  # a hub run as root (a container, CI) runs the servers as root too
    c.Spawner.args.append("--allow-root")
# the `workbench` Voila template (BokehJS served locally, no CDN) on JUPYTER_PATH
c.Spawner.environment = {{"WORKBENCH_DB": WORKBENCH_DB,
                         "JUPYTER_PATH": str(prepare_template())}}
c.Spawner.http_timeout = 120
c.Spawner.start_timeout = 120

# caps: one server per user, {settings.active_server_limit} in all
c.JupyterHub.allow_named_servers = False
c.JupyterHub.active_server_limit = {settings.active_server_limit}
c.JupyterHub.concurrent_spawn_limit = {settings.concurrent_spawn_limit}

# idle servers are stopped after {settings.idle_timeout} s without activity
c.JupyterHub.services = [{{
    "name": "idle-culler",
    "command": [{sys.executable!r}, "-m", "jupyterhub_idle_culler",
                "--timeout={settings.idle_timeout}"],
}}]
c.JupyterHub.load_roles = [{{
    "name": "idle-culler",
    "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
    "services": ["idle-culler"],
}}]
'''


def write_hub_config(hub_dir: str | Path, db: str | None, *, port: int = 8000,
                     ip: str = "127.0.0.1", hub_port: int = 8081, proxy_api_port: int = 8001,
                     active_server_limit: int = 40, idle_timeout: int = 1800,
                     proxy: str | None = None, force: bool = False) -> Path:
    """Write `hub_dir/jupyterhub_config.py` for the collaborative at `db`; returns its path.

    The collaborative must have users (`workbench users add`): a hub lets in only them.
    An existing config is kept unless `force`.
    """
    url = resolve_url(db)
    engine = open_engine(db)
    if not users_defined(engine):
        raise ConfigError(N_("the collaborative has no users yet, so nobody could log in to the "
                             "hub. Add them first: workbench users add NAME --role admin --db "
                             "{value}"), params={"value": db or url})
    folder = Path(hub_dir)
    target = folder / "jupyterhub_config.py"
    if target.exists() and not force:
        raise ConfigError(N_("{target} exists; add --force to write it again."),
                          params={"target": target})
    if active_server_limit < 1 or idle_timeout < 60:
        raise ConfigError(N_("--max-servers is at least 1 and --idle-timeout at least 60 s."))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "users").mkdir(exist_ok=True)
    settings = HubSettings(db_url=url, hub_dir=folder, ip=ip, port=port, hub_port=hub_port,
                           proxy_api_port=proxy_api_port,
                           active_server_limit=active_server_limit, idle_timeout=idle_timeout,
                           proxy=proxy or proxy_command())
    target.write_text(config_text(settings), encoding="utf-8")
    return target

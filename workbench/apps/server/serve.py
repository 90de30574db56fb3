"""Serving the Voilà apps (`workbench serve`): one Voilà server over `voila_apps/`.

The apps get the database through the environment (`WORKBENCH_DB`, the full URL of the
Engine the command opened). The server is tuned for a fast first paint and for safety:

- preheated kernels (one per app): the app notebook has run before anyone asks for it, and
  reads the request's query string only after `voila.utils.wait_for_request()`;
- kernels capped: at most `max_kernels` viewers' kernels at once, `max_kernels_per_app` per
  app (each ~150-200 MB); beyond, a "busy" page (503, retries by itself). A request another
  site made (an app URL in an `<img>`) starts none (`workbench.apps.server.serve_guard`);
- kernels freed: when a page is left (Voilà's beacon, answered now: `voila_server`), and idle
  ones without a page culled after `cull_idle_timeout` seconds
  (`MappingKernelManager.cull_idle_timeout`);
- loopback only unless `allow_remote=True`; port retries off, so the printed URL is right;
- gzip: Voilà runs as `workbench.apps.server.voila_server.WorkbenchVoila`, which applies
  `Voila.tornado_settings` (`compress_response`) when the web application is created;
- fully offline: the `workbench` Voilà template (workbench/voila_template) serves BokehJS from
  its own static folder and drops the lab template's CDN stylesheets;
- production defaults (sources stripped, no tracebacks, a friendly error) in
  `voila_apps/voila.json`.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from workbench.apps.context import READY_MARK, user_name_problem
from workbench.apps.server.serve_guard import (
    CULL_IDLE_SECONDS,
    CULL_INTERVAL_SECONDS,
    DEFAULT_MAX_KERNELS,
    DEFAULT_MAX_KERNELS_PER_APP,
)
from workbench.errors import ConfigError
from workbench.i18n import LANGUAGE_ENV, N_
from workbench.ingest.collaborative import collaborative_language
from workbench.paths import voila_apps_dir
from workbench.store.engine import USER_ENV, as_engine, engine_url, known_user, masked_url

__all__ = [
    "APP_ORDER",
    "DEFAULT_PORT",
    "AppServer",
    "app_names",
    "app_urls",
    "check_caps",
    "check_host",
    "check_port",
    "pool_config",
    "prepare_template",
    "remote_advice",
    "serve",
    "start_server",
    "template_key",
    "voila_command",
]

DEFAULT_PORT = 8866
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
APP_ORDER = ("learning_session", "coach", "pdsa_journal", "data_entry", "validation_queue")
TEMPLATE_NAME = "workbench"
_TEMPLATE_SOURCE = Path(__file__).resolve().parent.parent / "voila_template" / TEMPLATE_NAME


def app_names(apps_dir: Path | None = None) -> list[str]:
    """The apps (notebook names without `.ipynb`) in `voila_apps/`, in the documented order."""
    folder = apps_dir or voila_apps_dir()
    found = {p.stem for p in folder.glob("*.ipynb") if not p.name.startswith(("_", "."))}
    ordered = [name for name in APP_ORDER if name in found]
    return ordered + sorted(found - set(ordered))


def app_urls(port: int, apps: Sequence[str], host: str = "127.0.0.1") -> list[str]:
    """One URL per app: `http://HOST:PORT/voila/render/<app>.ipynb`."""
    shown = "127.0.0.1" if host in ("", "0.0.0.0") else host
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return [f"http://{shown}:{port}/voila/render/{name}.ipynb" for name in apps]


def check_host(host: str, allow_remote: bool) -> None:
    """Refuse a non-loopback host unless remote access was asked for explicitly."""
    if host in LOOPBACK_HOSTS or allow_remote:
        return
    raise ConfigError(N_("refusing to serve on {host}: the apps would be reachable from other "
                         "machines without login. Add --allow-remote to do it anyway, or keep "
                         "the default --host 127.0.0.1 and put the apps behind JupyterHub for "
                         "real multi-user use."),
                      params={"host": host}, host=host)


def check_caps(max_kernels: int, max_kernels_per_app: int) -> None:
    """Refuse caps that would let no one in."""
    if max_kernels < 1 or max_kernels_per_app < 1:
        raise ConfigError(N_("--max-kernels ({max_kernels}) and --max-kernels-per-app "
                             "({max_kernels_per_app}) must be at least 1: each open app page "
                             "needs its own kernel."),
                          params={"max_kernels": max_kernels,
                                  "max_kernels_per_app": max_kernels_per_app})


def remote_advice(host: str, port: int) -> str:
    """What to print when serving beyond loopback: how to do it properly with JupyterHub."""
    return (
        f"Serving on {host}:{port} for other machines. Voilà has no login and starts one kernel "
        "per viewer. For real multi-user use put the apps behind JupyterHub: install "
        "jupyterhub and voila in the hub's user environment, set "
        "c.Spawner.default_url = '/voila/render/learning_session.ipynb' (or /voila/tree) and "
        "WORKBENCH_DB in c.Spawner.environment, and let each user's server run the apps "
        "(authors are then recorded from JUPYTERHUB_USER)."
    )


def check_port(host: str, port: int) -> None:
    """A clear error when the port is taken (Voilà would silently move to another one)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ConfigError(N_("cannot serve on {host}:{port}: {value}. Choose another port "
                                 "with --port, or stop the program using {port}."),
                              params={"host": host, "port": port, "value": exc.strerror or exc},
                              host=host, port=port) from exc


def prepare_template(root: Path | None = None, source: Path | None = None) -> Path:
    """Materialise the `workbench` Voilà template with BokehJS in its static folder.

    Returns a Jupyter data folder to put on `JUPYTER_PATH` (it holds
    `voila/templates/workbench/`). BokehJS is copied from the installed bokeh, so its version
    always matches the Python side. The folder is named after the bokeh version and a hash of
    the template's files (`template_key`), and made whole in a temporary folder renamed into
    place: two checkouts serving at once (another branch's template) never share or
    overwrite each other's folder, and a server never reads a half-copied one. `source`: the
    template folder (default: this checkout's).
    """
    import tempfile

    import bokeh
    from bokeh.util.paths import bokehjs_path

    base = root or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "workbench"
    source = source or _TEMPLATE_SOURCE
    data_dir = base / f"jupyter-bokeh-{bokeh.__version__}-{template_key(source)}"
    if data_dir.is_dir():
        return data_dir
    base.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".template-", dir=base))
    try:
        target = staging / "voila" / "templates" / TEMPLATE_NAME
        shutil.copytree(source, target)
        js_target = target / "static" / "bokehjs" / "bokeh.min.js"
        js_target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(bokehjs_path()) / "js" / "bokeh.min.js", js_target)
        staging.chmod(0o755)  # mkdtemp makes it private; the server may run as another user
        try:
            staging.rename(data_dir)
        except OSError:  # another process put the same template there first: use it
            if not data_dir.is_dir():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return data_dir


def template_key(source: Path | None = None) -> str:
    """A hash of the template's files (their paths and bytes): 12 hex digits."""
    import hashlib

    folder = source or _TEMPLATE_SOURCE
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def voila_command(
    apps_dir: Path,
    *,
    port: int,
    host: str,
    cull_idle_timeout: int = CULL_IDLE_SECONDS,
    cull_interval: int = CULL_INTERVAL_SECONDS,
    max_kernels: int = DEFAULT_MAX_KERNELS,
    max_kernels_per_app: int = DEFAULT_MAX_KERNELS_PER_APP,
) -> list[str]:
    """The Voilà command line: template, preheated kernels, culling, kernel caps, no port
    retries, gzip (`workbench.apps.server.voila_server`: Voilà with its tornado settings really
    applied and the workbench's app handler)."""
    argv = [
        sys.executable, "-m", "workbench.apps.server.voila_server", str(apps_dir),
        "--no-browser",
        f"--port={port}",
        f"--Voila.ip={host}",
        "--Voila.port_retries=0",
        f"--template={TEMPLATE_NAME}",
        "--preheat_kernel=True",
        "--pool_size=1",
        f"--MappingKernelManager.cull_idle_timeout={cull_idle_timeout}",
        f"--MappingKernelManager.cull_interval={cull_interval}",
        "--MappingKernelManager.cull_connected=False",
        f"--WorkbenchVoila.max_kernels={max_kernels}",
        f"--WorkbenchVoila.max_kernels_per_app={max_kernels_per_app}",
    ]
    return argv


#: seconds after a page takes a preheated kernel before the pool starts its replacement
#: (Voilà's default is 1 s: the replacement's start-up and build then compete for the CPU with
#: the page being served; a second viewer that soon gets a fresh kernel either way)
REFILL_DELAY_SECONDS = 6.0


def pool_config(apps: Sequence[str], pool_size: int = 1,
                refill_delay: float = REFILL_DELAY_SECONDS,
                language: str = "en") -> dict[str, Any]:
    """Voilà config giving each of `apps` a pool of preheated kernels and the others none,
    and the pages' `<html lang>` (`language`; a page's `?lang=` changes it in the browser).

    It goes in a generated `voila.json` on `JUPYTER_CONFIG_PATH`: on the command line the
    kernel manager's options stay unparsed strings (its class is made at run time).
    """
    pools = {"default": {"pool_size": 0}}
    pools.update({f"{name}.ipynb": {"pool_size": pool_size} for name in apps})
    return {"VoilaKernelManager": {"kernel_pools_config": pools, "fill_delay": refill_delay},
            "VoilaExporter": {"language_code": language}}


@dataclass
class AppServer:
    """A running Voilà server (a child process) and the URLs of its apps."""

    process: subprocess.Popen[bytes]
    host: str
    port: int
    apps: list[str]
    preheat: list[str]
    log_path: Path
    urls: list[str] = field(default_factory=list)
    #: the database the apps use, as shown to people (a password is masked)
    database: str = ""

    @property
    def base_url(self) -> str:
        return app_urls(self.port, [""], self.host)[0].split("/voila/")[0]

    def url(self, app: str, query: str = "") -> str:
        """The URL of one app, with an optional query string (`team=T01`)."""
        url = app_urls(self.port, [app], self.host)[0]
        return f"{url}?{query}" if query else url

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def wait_ready(self, timeout: float = 60.0, pools: bool = True) -> None:
        """Until the server answers HTTP and (with `pools`) every preheated pool is full."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ConfigError(
                    N_("the Voilà server stopped (exit {code}):\n{log}"),
                    params={"code": self.process.returncode, "log": self.log_text()[-3000:]}
                )
            if self._answers() and (not pools or self._pools_filled()):
                return
            time.sleep(0.2)
        raise ConfigError(N_("the Voilà server did not become ready within {timeout:.0f} "
                             "s:\n{log}"),
                          params={"timeout": timeout, "log": self.log_text()[-3000:]})

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(self.base_url + "/voila/static/voila.js", timeout=2):
                return True
        except (urllib.error.URLError, OSError):
            return False

    def _pools_filled(self) -> bool:
        """Every preheated app has run up to `wait_for_request()` (its kernel said so)."""
        return self.log_text().count(READY_MARK) >= len(self.preheat)

    def stop(self, timeout: float = 15.0) -> int:
        """Stop Voilà and its kernels (SIGINT, then SIGTERM, then SIGKILL to its group)."""
        if self.process.poll() is None:
            for sig, wait in ((signal.SIGINT, timeout), (signal.SIGTERM, 5.0)):
                try:
                    self.process.send_signal(sig)
                    self.process.wait(wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
            else:
                self.process.kill()
                self.process.wait(5)
        try:  # kernels started by this server are in its process group
            os.killpg(self.process.pid, signal.SIGTERM)
        except (ProcessLookupError, PermissionError):
            pass
        return self.process.returncode

    def __enter__(self) -> AppServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_server(
    db: Engine | str | None,
    *,
    port: int = DEFAULT_PORT,
    host: str = "127.0.0.1",
    app: str | None = None,
    allow_remote: bool = False,
    apps_dir: Path | None = None,
    log_path: Path | None = None,
    cull_idle_timeout: int = CULL_IDLE_SECONDS,
    cull_interval: int = CULL_INTERVAL_SECONDS,
    max_kernels: int = DEFAULT_MAX_KERNELS,
    max_kernels_per_app: int = DEFAULT_MAX_KERNELS_PER_APP,
    extra_env: dict[str, str] | None = None,
) -> AppServer:
    """Start Voilà over the apps in the background and return at once (see `wait_ready`).

    Checks first, and starts nothing when one fails: the host (loopback unless
    `allow_remote`), the database (it must open: `db` is the command's Engine, or a path/URL
    opened here), the app name, the port (free).
    """
    check_host(host, allow_remote)
    check_caps(max_kernels, max_kernels_per_app)
    engine = as_engine(db)
    url = engine_url(engine)
    shown = masked_url(engine)
    language = collaborative_language(engine, (extra_env or {}).get(LANGUAGE_ENV))
    if not isinstance(db, Engine):
        engine.dispose()
    folder = (apps_dir or voila_apps_dir()).resolve()
    apps = app_names(folder)
    if app is not None:
        name = app.removesuffix(".ipynb")
        if name not in apps:
            raise ConfigError(N_("unknown app {app!r}; choose one of: {apps}."),
                              params={"app": app, "apps": ', '.join(apps)}, app=app)
        apps = [name]
    check_port(host, port)
    env = dict(os.environ)
    env.update(extra_env or {})
    env["WORKBENCH_DB"] = url
    data_dir = prepare_template()
    config_dir = data_dir / f"config-{port}"
    config_dir.mkdir(exist_ok=True)
    (config_dir / "voila.json").write_text(json.dumps(pool_config(apps, language=language),
                                                        indent=1))
    for var, entry in (("JUPYTER_PATH", data_dir), ("JUPYTER_CONFIG_PATH", config_dir)):
        env[var] = os.pathsep.join([str(entry)] + ([env[var]] if env.get(var) else []))
    env.setdefault("PYTHONUNBUFFERED", "1")
    log_path = log_path or Path(os.environ.get("TMPDIR", "/tmp")) / f"workbench-voila-{port}.log"
    log = log_path.open("w", encoding="utf-8")
    argv = voila_command(folder, port=port, host=host,
                         cull_idle_timeout=cull_idle_timeout, cull_interval=cull_interval,
                         max_kernels=max_kernels, max_kernels_per_app=max_kernels_per_app)
    process = subprocess.Popen(argv, cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, start_new_session=True)
    log.close()
    return AppServer(process=process, host=host, port=port, apps=apps, preheat=list(apps),
                     log_path=log_path, urls=app_urls(port, apps, host), database=shown)


def _interrupt(signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _stop_on_termination() -> dict[int, Any]:
    """While serving, `kill` (SIGTERM) and a closed terminal (SIGHUP) stop the apps the way
    Ctrl-C does; without this Python would exit at once and leave Voilà (in a session of its
    own) and its kernels running, holding the port. Returns the handlers replaced."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        return {}
    wanted = [getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)]
    return {sig: signal.signal(sig, _interrupt) for sig in wanted}


def serve(
    db: Engine | str | None,
    *,
    port: int = DEFAULT_PORT,
    host: str = "127.0.0.1",
    app: str | None = None,
    allow_remote: bool = False,
    max_kernels: int = DEFAULT_MAX_KERNELS,
    max_kernels_per_app: int = DEFAULT_MAX_KERNELS_PER_APP,
    cull_idle_timeout: int = CULL_IDLE_SECONDS,
    echo: Callable[[str], None] = print,
    note: Callable[[str], None] | None = None,
    lang: str | None = None,
    user: str | None = None,
) -> int:
    """Serve the apps until Ctrl-C: prints one URL per app (one line each); returns Voilà's exit.

    `echo` gets the URLs, `note` (default: `echo`) the other messages. `lang` is the apps'
    language (their kernels get it as `WORKBENCH_LANG`; `?lang=` in an address overrides it).
    `user` is the name saves go under (the kernels get it as `WORKBENCH_USER`; see
    `store.known_user`); without it and without `WORKBENCH_USER`, the forms ask for a name.
    """
    note = note or echo
    if user is not None:
        problem = user_name_problem(user)
        if problem:
            raise ConfigError(N_("--user {user!r} is not usable: {problem}."),
                              params={"user": user, "problem": problem}, user=user)
    extra_env = {LANGUAGE_ENV: lang} if lang else {}
    if user:
        extra_env[USER_ENV] = user.strip()
    served_as = known_user(user)
    server = start_server(db, port=port, host=host, app=app, allow_remote=allow_remote,
                          max_kernels=max_kernels, max_kernels_per_app=max_kernels_per_app,
                          cull_idle_timeout=cull_idle_timeout,
                          cull_interval=min(CULL_INTERVAL_SECONDS, cull_idle_timeout),
                          extra_env=extra_env or None)
    interrupted = False
    previous = _stop_on_termination()
    try:
        server.wait_ready(timeout=120, pools=False)
        if host not in LOOPBACK_HOSTS:
            note(remote_advice(host, port))
        note(f"Serving the workbench apps on {server.database} (Ctrl-C to stop; at most "
             f"{max_kernels} viewers at once, {max_kernels_per_app} per app):")
        note(f"Saves go under {served_as} (a page's ?user=NAME names someone else)."
             if served_as else
             "No --user: each person types a name once before saving (kept until the "
             "browser is closed).")
        for url in server.urls:
            echo(url)
        server.process.wait()
    except KeyboardInterrupt:
        interrupted = True
        note("Stopping the apps…")
    finally:
        code = server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    # After Ctrl-C Voilà's own exit code says only how it was interrupted (1 while it was
    # still starting kernels); an error is Voilà stopping by itself.
    if not interrupted and code not in (0, None, -signal.SIGINT, -signal.SIGTERM):
        tail = server.log_text()[-2000:]
        raise ConfigError(N_("the Voilà server stopped with exit code {code}:\n{tail}"),
                          params={"code": code, "tail": tail})
    return 0

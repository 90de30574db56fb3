"""The Voilà server `workbench serve` runs: Voilà 0.5.13 with its tornado settings applied,
kernel caps, no kernel for another site's requests, and a page-leave beacon that works.

- gzip: Voilà creates its `tornado.web.Application` first and only then copies
  `Voila.tornado_settings` into `app.settings`. Tornado decides on gzip (its
  `GZipContentEncoding` transform) while the application is created, so
  `{"compress_response": true}` in `voila.json` silently does nothing. `WorkbenchVoila` puts the
  tornado settings into the settings the application is created with, and switches gzip on by
  default: Voilà's own scripts are ~6 MB uncompressed, ~1.5 MB gzipped.
- kernels: app pages are served by `WorkbenchVoilaHandler`, which asks
  `workbench.apps.serve_guard` first: a request another site made (an `<img>` on a web page)
  gets a 403 page, one beyond `--WorkbenchVoila.max_kernels` / `max_kernels_per_app` a 503
  "busy" page with `Retry-After`; neither starts a kernel.
- leaving a page frees its kernel: Voilà's page sends `POST /voila/api/shutdown/<kernel>` with
  the `_xsrf` cookie's value when it is left (voila #1458), but Voilà never sets that cookie,
  so the beacon was answered 403 and the kernel stayed until culled. The app handler sets it
  (tornado's `xsrf_token`), so the beacon passes the same XSRF check as any other POST.

- the name typed once: on an app page where nobody is known (no hub, no `--user`) the person
  types a name; the page also posts it (with the `_xsrf` token) to `POST /workbench/session-user`
  (`SessionUserHandler`), which keeps it in a signed, HttpOnly, SameSite=Strict session
  cookie (no Expires: gone when the browser closes; the signature's key is new at every server
  start). The app handler reads that cookie on every page and hands the name to the page's
  kernel as the request header `X-Workbench-Session-User`, which Voilà copies into the
  kernel's environment (`VoilaConfiguration.http_header_envs`); a header of that name sent by
  the browser itself is dropped first. The name is a label ("who said they saved"), never a
  login: `store.known_user` takes it last.

- shared snapshots: `/voila/snapshots/<file>` serves the learning-session snapshots ("Share
  this view", `workbench.apps.snapshot_files`) as plain files: opening one starts no kernel.

Run as `python -m workbench.apps.voila_server ARGS` (same arguments as `python -m voila`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import tornado.web
from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.utils import url_path_join
from traitlets import Int
from voila.app import Voila
from voila.tornado.handler import TornadoVoilaHandler

from workbench.apps.context import (
    SESSION_COOKIE,
    SESSION_HEADER,
    user_name_problem,
)
from workbench.apps.serve_guard import (
    DEFAULT_MAX_KERNELS,
    DEFAULT_MAX_KERNELS_PER_APP,
    RETRY_AFTER_SECONDS,
    Busy,
    KernelLedger,
    Ticket,
    app_of_path,
    busy_page,
    cross_site_reason,
    refused_page,
)

__all__ = ["SESSION_ROUTE", "SessionUserHandler", "WorkbenchVoila", "WorkbenchVoilaHandler",
           "main", "session_name"]

LEDGER_SETTING = "workbench_kernel_ledger"
#: where an app page posts the name typed once (relative to the server's base URL)
SESSION_ROUTE = "/workbench/session-user"
_LONGEST_TYPED = 200  # characters read from a post; the name rule allows 80


def session_name(handler: tornado.web.RequestHandler) -> str | None:
    """The name in the request's signed session cookie, None without a valid one."""
    try:
        value = handler.get_signed_cookie(SESSION_COOKIE)
    except (ValueError, KeyError):  # no cookie_secret configured: no session names at all
        return None
    if value is None:
        return None
    name = value.decode("utf-8", errors="replace").strip()
    return name if user_name_problem(name) is None else None


class SessionUserHandler(JupyterHandler):
    """`POST name=…&_xsrf=…`: keep the typed name for this browser session (empty: forget it).

    Authenticated and XSRF-checked as every Jupyter POST (`JupyterHandler.prepare`). Answers
    204, or 400 with one line saying why the name is not usable (the page says the same).
    """

    @tornado.web.authenticated
    def post(self) -> None:
        name = self.get_body_argument("name", "")[:_LONGEST_TYPED].strip()
        path = self.settings.get("base_url", "/")
        self.set_header("Cache-Control", "no-store")
        if not name:
            self.clear_cookie(SESSION_COOKIE, path=path)
            self.set_status(204)
            return
        problem = user_name_problem(name)
        if problem is not None:
            self.set_status(400)
            self.set_header("Content-Type", "text/plain; charset=utf-8")
            self.finish(f"Error: not a usable name: {problem}.\n")
            return
        self.set_signed_cookie(SESSION_COOKIE, name, expires_days=None, path=path,
                               httponly=True, samesite="Strict")
        self.set_status(204)


class _BindingKernelManager:
    """Voilà's kernel manager as seen by one page request: the kernel it gets is bound to the
    request's ticket (preheated: `get_rendered_notebook`; otherwise `start_kernel`)."""

    def __init__(self, manager: Any, ledger: KernelLedger, ticket: Ticket) -> None:
        self._manager, self._ledger, self._ticket = manager, ledger, ticket

    def __getattr__(self, name: str) -> Any:
        return getattr(self._manager, name)

    async def get_rendered_notebook(self, *args: Any, **kwargs: Any) -> Any:
        result = await self._manager.get_rendered_notebook(*args, **kwargs)
        self._ledger.bind(self._ticket, result[2])
        return result

    async def start_kernel(self, *args: Any, **kwargs: Any) -> str:
        kernel_id = self._manager.start_kernel(*args, **kwargs)
        if not isinstance(kernel_id, str):
            kernel_id = await kernel_id
        self._ledger.bind(self._ticket, kernel_id)
        return str(kernel_id)


class WorkbenchVoilaHandler(TornadoVoilaHandler):  # type: ignore[misc]  # voila ships no types
    """Voilà's app page, asking `serve_guard` before a kernel is started for it."""

    _ticket: Ticket | None = None

    @property
    def kernel_manager(self) -> Any:
        manager = self.settings["kernel_manager"]
        if self._ticket is None:
            return manager
        return _BindingKernelManager(manager, self.settings[LEDGER_SETTING], self._ticket)

    @tornado.web.authenticated
    async def get(self, path: str | None = None) -> None:
        reason = cross_site_reason(self.request.headers, self.request.host)
        if reason is not None:
            self.log.warning("No kernel for %s: %s", self.request.path, reason)
            self._say(403, refused_page(reason))
            return
        ledger: KernelLedger = self.settings[LEDGER_SETTING]
        alive = self.settings["kernel_manager"].list_kernel_ids()
        admitted = ledger.admit(app_of_path(path), alive)
        if isinstance(admitted, Busy):
            self.log.warning("Busy: no kernel for %s (%s %d of %d)", self.request.path,
                             admitted.scope, admitted.in_use, admitted.cap)
            self.set_header("Retry-After", str(RETRY_AFTER_SECONDS))
            self._say(503, busy_page(admitted))
            return
        self._ticket = admitted
        self._pass_session_name()
        self.xsrf_token  # noqa: B018 - sets the `_xsrf` cookie the page-leave beacon sends back
        try:
            await super().get(path)
        finally:
            ledger.release(admitted)

    def _pass_session_name(self) -> None:
        """The session cookie's name, as the header Voilà hands to the kernel (percent-encoded:
        a header is ASCII); never a header of that name the browser sent."""
        headers = self.request.headers
        if SESSION_HEADER in headers:
            del headers[SESSION_HEADER]
        name = session_name(self)
        if name is not None:
            headers[SESSION_HEADER] = quote(name, safe="")

    def _say(self, status: int, page: str) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(page)


class WorkbenchVoila(Voila):  # type: ignore[misc]  # voila ships no types
    """Voilà whose `tornado_settings` reach the application's constructor (gzip on), with the
    workbench's app handler and its kernel caps."""

    max_kernels = Int(DEFAULT_MAX_KERNELS, config=True,
                      help="Viewers' kernels at once, all apps together (503 beyond).")
    max_kernels_per_app = Int(DEFAULT_MAX_KERNELS_PER_APP, config=True,
                              help="Viewers' kernels of one app at once (503 beyond).")

    def init_settings(self) -> dict[str, Any]:
        settings: dict[str, Any] = super().init_settings()
        settings.setdefault("compress_response", True)
        settings.update(self.tornado_settings)
        settings[LEDGER_SETTING] = KernelLedger(self.max_kernels, self.max_kernels_per_app)
        return settings

    def init_handlers(self) -> list[Any]:
        handlers: list[Any] = super().init_handlers()
        handlers = [(spec[0], WorkbenchVoilaHandler, *spec[2:])
                    if spec[1] is TornadoVoilaHandler else spec for spec in handlers]
        passed = list(self.voila_configuration.http_header_envs)
        if SESSION_HEADER not in passed:  # the typed name reaches the page's kernel
            self.voila_configuration.http_header_envs = [*passed, SESSION_HEADER]
        return [_snapshots_route(self.server_url),
                (url_path_join(self.base_url, SESSION_ROUTE), SessionUserHandler), *handlers]


def _snapshots_route(server_url: str) -> tuple[str, type, dict[str, Any]]:
    """Shared learning-session snapshots as plain files (`workbench.apps.snapshot_files`)."""
    from workbench.apps.snapshot_files import SNAPSHOT_ROUTE, SnapshotHandler, snapshot_folder

    folder = snapshot_folder()
    folder.mkdir(parents=True, exist_ok=True)
    return (url_path_join(server_url, SNAPSHOT_ROUTE), SnapshotHandler, {"path": str(folder)})


main = WorkbenchVoila.launch_instance

if __name__ == "__main__":
    main()

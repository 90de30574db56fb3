"""Who may start an app kernel on `workbench serve`: page views of our own site, within the caps.

Every page view of a Voilà app starts a kernel (~150-200 MB). Without a hub nothing else limits
them: 30 requests started 44 kernels (6.8 GB), and any web site could start kernels by putting
an app URL in an `<img>`. Two decisions live here, pure and tested without a server:

- `cross_site_reason`: a request that another site made the browser send (an `<img>`, a
  `<script>`, an `<iframe>`, a `fetch`) gets no kernel. Browsers say where a request comes from
  in the `Sec-Fetch-*` headers: same origin, or typed in the address bar (`none`), is
  accepted; from another site (another port of 127.0.0.1 included) only a top-level navigation
  is (a person followed a link). Without those headers (old browsers, scripts), a foreign
  `Origin`, or a foreign `Referer` on a request that does not ask for a page, is refused.
- `KernelLedger`: the viewers' kernels per app and in total, with the caps of
  `workbench serve --max-kernels/--max-kernels-per-app`. A request is admitted (a pending
  ticket), gets its kernel (bound to it), and the kernel counts until the server no longer runs
  it (shut down when the page is left, or culled when idle). The preheated spare kernel of each
  app is not a viewer's and is not counted.

The pages said instead of a kernel (`busy_page`, `refused_page`) are escaped HTML with a retry
hint; the server sends them as 503 and 403.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import count
from urllib.parse import urlsplit

__all__ = [
    "CULL_IDLE_SECONDS",
    "CULL_INTERVAL_SECONDS",
    "DEFAULT_MAX_KERNELS",
    "DEFAULT_MAX_KERNELS_PER_APP",
    "RETRY_AFTER_SECONDS",
    "Busy",
    "KernelLedger",
    "Ticket",
    "app_of_path",
    "busy_page",
    "cross_site_reason",
    "refused_page",
]

#: viewers' kernels at once, all apps together: ~16 × 200 MB = 3.2 GB, and what 2 cores can
#: keep responsive (each page view runs its app's callbacks in its own kernel)
DEFAULT_MAX_KERNELS = 16
#: viewers' kernels of one app at once: a learning session cannot take every kernel from the
#: coaches and data-entry users
DEFAULT_MAX_KERNELS_PER_APP = 10
#: a kernel no page is connected to (a page left without its beacon, a script's request) is
#: shut down after this many idle seconds (checked every `CULL_INTERVAL_SECONDS`); a page still
#: open keeps its kernel however long it is idle. Not shorter: a page connects to its kernel
#: only once its scripts ran, and with 30 Chromium pages loading at once on 2 cores
#: (bench_apps --browser-viewers, no cap) kernels idle for 120 s were culled before their page
#: connected. A page left normally frees its kernel at once (its beacon).
CULL_IDLE_SECONDS = 300
CULL_INTERVAL_SECONDS = 30
#: what the busy page asks the browser (and the person) to wait before trying again
RETRY_AFTER_SECONDS = 30


def _netloc(url: str) -> str:
    try:
        return urlsplit(url).netloc.lower()
    except ValueError:
        return "?"


def cross_site_reason(headers: Mapping[str, str], host: str) -> str | None:
    """Why this request for an app page must not start a kernel, or None when it may.

    `headers` are the request's (any mapping with case-insensitive `get`, like tornado's),
    `host` its `Host` header.
    """
    site = headers.get("Sec-Fetch-Site")
    if site is not None:
        site = site.lower()
        mode = (headers.get("Sec-Fetch-Mode") or "").lower()
        dest = (headers.get("Sec-Fetch-Dest") or "").lower()
        if site in ("same-origin", "none"):
            return None
        if mode == "navigate" and dest == "document":
            return None  # a person followed a link from another page to this app
        return f"requested by another site ({site}) as {dest or mode or 'a resource'}"
    host = host.lower()
    origin = headers.get("Origin")
    if origin and origin != "null" and _netloc(origin) != host:
        return f"requested by another site ({origin})"
    referer = headers.get("Referer")
    accept = headers.get("Accept") or ""
    if referer and _netloc(referer) != host and "text/html" not in accept:
        return f"embedded by another site ({_netloc(referer)})"
    return None


def app_of_path(path: str | None) -> str:
    """The app a render path asks for: `coach.ipynb` -> `coach`."""
    return (path or "").strip("/").removesuffix(".ipynb") or "?"


@dataclass(frozen=True)
class Ticket:
    """One admitted page request of `app`, until its kernel is known (`KernelLedger.bind`)."""

    number: int
    app: str


@dataclass(frozen=True)
class Busy:
    """Why a page request was refused: which cap is full, at how many kernels."""

    app: str
    scope: str  # "app" or "total"
    in_use: int
    cap: int


@dataclass
class KernelLedger:
    """The viewers' kernels per app (kernel id -> app) and the requests still waiting for one."""

    max_kernels: int = DEFAULT_MAX_KERNELS
    max_kernels_per_app: int = DEFAULT_MAX_KERNELS_PER_APP
    _kernels: dict[str, str] = field(default_factory=dict)
    _pending: dict[int, Ticket] = field(default_factory=dict)
    _numbers: Iterator[int] = field(default_factory=lambda: count(1))

    def in_use(self, alive: Iterable[str] | None = None) -> Counter[str]:
        """Kernels and pending requests per app; kernels no longer in `alive` are forgotten."""
        if alive is not None:
            running = set(alive)
            for kernel_id in [k for k in self._kernels if k not in running]:
                del self._kernels[kernel_id]
        counts: Counter[str] = Counter(self._kernels.values())
        counts.update(ticket.app for ticket in self._pending.values())
        return counts

    def admit(self, app: str, alive: Iterable[str]) -> Ticket | Busy:
        """A ticket for one more viewer of `app`, or why not (`Busy`): nothing is reserved then.

        `alive`: the ids of the kernels the server runs now (pool kernels included: only those
        bound to a ticket count)."""
        counts = self.in_use(alive)
        total = sum(counts.values())
        if counts[app] >= self.max_kernels_per_app:
            return Busy(app, "app", counts[app], self.max_kernels_per_app)
        if total >= self.max_kernels:
            return Busy(app, "total", total, self.max_kernels)
        ticket = Ticket(next(self._numbers), app)
        self._pending[ticket.number] = ticket
        return ticket

    def bind(self, ticket: Ticket, kernel_id: str) -> None:
        """The admitted request got `kernel_id`: it counts until the kernel is gone."""
        if self._pending.pop(ticket.number, None) is not None:
            self._kernels[kernel_id] = ticket.app

    def release(self, ticket: Ticket) -> None:
        """The request ended; if it never got a kernel, its place is free again."""
        self._pending.pop(ticket.number, None)


def _page(title: str, message: str, hint: str, refresh: int | None = None) -> str:
    meta = f'<meta http-equiv="refresh" content="{refresh}">' if refresh else ""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(title)}</title>{meta}"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        "<style>body{font-family:system-ui,sans-serif;max-width:40em;margin:4em auto;"
        "padding:0 1em;color:#222;line-height:1.5}h1{font-size:1.6em}"
        ".wb-hint{color:#555}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><p class=\"wb-message\">{html.escape(message)}</p>"
        f"<p class=\"wb-hint\">{html.escape(hint)}</p></body></html>\n"
    )


def busy_page(busy: Busy, retry_after: int = RETRY_AFTER_SECONDS) -> str:
    """The page said instead of starting one kernel too many (sent with HTTP 503)."""
    tabs = f"{busy.in_use} browser tab{'' if busy.in_use == 1 else 's'}"
    if busy.scope == "app":
        message = (f"The {busy.app} app is open in {tabs} already, its limit on this "
                   f"computer ({busy.cap}).")
    else:
        message = (f"The workbench apps are open in {tabs} already, the limit on this "
                   f"computer ({busy.cap}).")
    hint = (f"This page tries again by itself in {retry_after} seconds. Closing app tabs you "
            "no longer use frees a place at once; at a learning session, show the app on the "
            "projector rather than on every screen. The person running "
            "workbench serve can raise --max-kernels and --max-kernels-per-app.")
    return _page("The workbench is busy", message, hint, refresh=retry_after)


def refused_page(reason: str) -> str:
    """The page said to a request another site made (sent with HTTP 403; no kernel started)."""
    return _page(
        "Not opened from another site",
        f"This app was {reason}, so it was not started.",
        "Open the app from its address (type or paste it in the address bar, or follow a "
        "link to it).",
    )

"""Where shared learning-session snapshots are kept, and how `workbench serve` serves them.

The "Share this view" button of the learning-session app (`workbench.apps.share`) writes a
static snapshot (`workbench.briefs.snapshot`) into `snapshot_folder()`; the Voilà server of
`workbench serve` serves that folder at `/voila/snapshots/<file>` (`SnapshotHandler`, added by
`workbench.apps.server.voila_server`) as plain files: a participant who opens a snapshot starts no
kernel. Both processes find the folder the same way, from `WORKBENCH_DB`:

- `$WORKBENCH_SNAPSHOTS` when set;
- else `snapshots/` beside a SQLite database file (like `reports/` beside it);
- else (PostgreSQL) `$XDG_CACHE_HOME/workbench/snapshots` (`~/.cache/…`).

Kept light (no pandas, bokeh or widgets): the server process imports it.
"""

from __future__ import annotations

import os
from pathlib import Path

import tornado.web

__all__ = ["SNAPSHOTS_ENV", "SNAPSHOT_ROUTE", "SnapshotHandler", "snapshot_folder",
           "snapshot_href"]

SNAPSHOTS_ENV = "WORKBENCH_SNAPSHOTS"
#: the server's route of the snapshots folder (after Voilà's base URL)
SNAPSHOT_ROUTE = r"/voila/snapshots/(.*)"


def snapshot_folder(db_url: str | None = None) -> Path:
    """The folder snapshots are written to and served from (module doc); `db_url` default:
    `WORKBENCH_DB`."""
    chosen = os.environ.get(SNAPSHOTS_ENV)
    if chosen:
        return Path(chosen).expanduser().resolve()
    url = db_url or os.environ.get("WORKBENCH_DB") or ""
    try:
        from sqlalchemy.engine import make_url

        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database \
                and parsed.database != ":memory:":
            return Path(parsed.database).expanduser().resolve().parent / "snapshots"
    except Exception:  # noqa: BLE001 - a plain path, or no URL: the cache folder below
        if url and not url.startswith(("postgresql", "postgres")):
            return Path(url).expanduser().resolve().parent / "snapshots"
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "workbench" / "snapshots"


def snapshot_href(name: str) -> str:
    """The address of a served snapshot relative to an app page
    (`/voila/render/learning_session.ipynb` → `/voila/snapshots/<name>`), so it holds under
    any base URL (JupyterHub's `/user/<name>/` included)."""
    from urllib.parse import quote

    return f"../snapshots/{quote(name)}"


class SnapshotHandler(tornado.web.StaticFileHandler):
    """The snapshots folder as static files: only `.html` files, never cached stale, the page
    allowed no network (its Content-Security-Policy lets it load nothing from anywhere)."""

    def validate_absolute_path(self, root: str, absolute_path: str) -> str | None:
        if not absolute_path.endswith(".html"):
            raise tornado.web.HTTPError(404)
        result: str | None = super().validate_absolute_path(root, absolute_path)
        return result

    def set_extra_headers(self, path: str) -> None:
        self.set_header("Cache-Control", "no-cache")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Content-Security-Policy",
                        "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; "
                        "style-src 'unsafe-inline'; img-src data: blob:; font-src data:")

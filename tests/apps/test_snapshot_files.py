"""Where shared snapshots live, and the server's route that serves them as plain files."""

from __future__ import annotations

from pathlib import Path

import pytest
import tornado.web
from tornado.testing import AsyncHTTPTestCase

from workbench.apps.server.snapshot_files import (
    SNAPSHOT_ROUTE,
    SNAPSHOTS_ENV,
    SnapshotHandler,
    snapshot_folder,
    snapshot_href,
)


def test_snapshots_are_kept_beside_a_sqlite_database(monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path) -> None:
    monkeypatch.delenv(SNAPSHOTS_ENV, raising=False)
    db = tmp_path / "demo.db"
    assert snapshot_folder(f"sqlite:///{db}") == tmp_path / "snapshots"
    assert snapshot_folder(str(db)) == tmp_path / "snapshots"  # a plain path, as --db takes
    monkeypatch.setenv("WORKBENCH_DB", f"sqlite:///{db}")
    assert snapshot_folder() == tmp_path / "snapshots"  # the server and the kernels agree


def test_a_postgresql_collaborative_keeps_them_in_the_cache_and_the_env_decides_first(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(SNAPSHOTS_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    url = "postgresql://wb@db-host/collab"
    assert snapshot_folder(url) == tmp_path / "cache" / "workbench" / "snapshots"
    monkeypatch.setenv(SNAPSHOTS_ENV, str(tmp_path / "shared"))
    assert snapshot_folder(url) == tmp_path / "shared"


def test_the_link_is_relative_to_the_app_page_and_quoted() -> None:
    assert snapshot_href("session-AMTSL.html") == "../snapshots/session-AMTSL.html"
    assert snapshot_href("a b.html") == "../snapshots/a%20b.html"


class TestSnapshotRoute(AsyncHTTPTestCase):
    """The route `workbench serve` adds: html files of the folder, nothing else."""

    def get_app(self) -> tornado.web.Application:
        import tempfile

        self.folder = Path(tempfile.mkdtemp())
        (self.folder / "view.html").write_text("<!DOCTYPE html><title>view</title>")
        (self.folder / "notes.txt").write_text("secret")
        return tornado.web.Application([(SNAPSHOT_ROUTE, SnapshotHandler,
                                         {"path": str(self.folder)})])

    def test_a_snapshot_is_served_with_a_policy_that_allows_no_network(self) -> None:
        response = self.fetch("/voila/snapshots/view.html")
        assert response.code == 200
        assert response.body.startswith(b"<!DOCTYPE html>")
        assert response.headers["Content-Type"].startswith("text/html")
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]
        assert "connect-src" not in response.headers["Content-Security-Policy"]

    def test_other_files_and_paths_outside_the_folder_are_not_served(self) -> None:
        assert self.fetch("/voila/snapshots/notes.txt").code == 404
        assert self.fetch("/voila/snapshots/../snapshots/view.html").code in (403, 404)
        assert self.fetch("/voila/snapshots/%2e%2e/etc/passwd").code in (403, 404)
        assert self.fetch("/voila/snapshots/missing.html").code == 404

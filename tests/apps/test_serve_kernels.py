"""`workbench serve` with real HTTP requests: kernel caps, no kernel for another site, no CDN.

One Voilà server (the coach app, preheated, at most 1 viewer's kernel of it, idle kernels
culled after `CULL_SECONDS`) on a copy of the demo collaborative. These requests open no
websocket, as a script's would not: their kernels stay until culled. Kernels started are read
from the server's log ("Kernel started"); the preheated pool starts its replacement
`REFILL_DELAY_SECONDS` after a page takes its kernel, so the tests wait longer than that
before counting.
"""

from __future__ import annotations

import re
import shutil
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from email.message import Message
from pathlib import Path

import pytest
from click.testing import CliRunner
from voila_fixtures import free_port

from workbench.apps.server.serve import REFILL_DELAY_SECONDS, AppServer, start_server
from workbench.cli import main

pytestmark = [pytest.mark.slow]

CULL_SECONDS = 20
NAVIGATION = {"Sec-Fetch-Site": "none", "Sec-Fetch-Mode": "navigate",
              "Sec-Fetch-Dest": "document", "Accept": "text/html"}
IMAGE_ON_ANOTHER_PORT = {"Sec-Fetch-Site": "same-site", "Sec-Fetch-Mode": "no-cors",
                         "Sec-Fetch-Dest": "image", "Referer": "http://127.0.0.1:9/",
                         "Accept": "image/avif,image/webp,image/apng,image/*,*/*;q=0.8"}
#: an absolute URL in a `src=`/`href=` attribute or a CSS `url(...)`, not on this machine
OUTSIDE_URL = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//(?!127\.0\.0\.1)[^"'\s>]+"""
                         r"""|url\(\s*["']?(?:https?:)?//(?!127\.0\.0\.1)[^)"']+""", re.I)


@pytest.fixture(scope="module")
def coach_server(demo_db_master: Path, tmp_path_factory: pytest.TempPathFactory
                 ) -> Iterator[AppServer]:
    folder = tmp_path_factory.mktemp("serve-kernels")
    db = folder / "demo.db"
    shutil.copy(demo_db_master, db)
    server = start_server(str(db), port=free_port(), app="coach", log_path=folder / "voila.log",
                          max_kernels=4, max_kernels_per_app=1,
                          cull_idle_timeout=CULL_SECONDS, cull_interval=2)
    try:
        server.wait_ready(timeout=300)
        yield server
    finally:
        server.stop()


def _get(url: str, headers: dict[str, str]) -> tuple[int, Message, str]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=180) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read().decode()


def _open_when_free(server: AppServer, query: str) -> tuple[Message, str]:
    """The coach page as a person opens it, once the one place is free (a previous viewer's
    kernel culled); its headers and body."""
    deadline = time.monotonic() + CULL_SECONDS * 4
    while True:
        status, headers, body = _get(server.url("coach", query), NAVIGATION)
        if status != 503 or time.monotonic() > deadline:
            assert status == 200, body[:500]
            return headers, body
        time.sleep(2)


def _kernels_started(server: AppServer) -> int:
    return server.log_text().count("Kernel started:")


def _settled(server: AppServer) -> int:
    """Kernels started once a pool refill, if one is due, has begun."""
    time.sleep(REFILL_DELAY_SECONDS + 3)
    return _kernels_started(server)


def test_an_img_on_another_site_gets_a_403_page_and_starts_no_kernel(
        coach_server: AppServer) -> None:
    before = _settled(coach_server)
    status, headers, body = _get(coach_server.url("coach", "team=T01"), IMAGE_ON_ANOTHER_PORT)
    assert status == 403
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert ("This app was requested by another site (same-site) as image, so it was not "
            "started.") in body
    assert _settled(coach_server) == before


def test_past_the_cap_a_busy_page_with_a_retry_hint_and_no_kernel(
        coach_server: AppServer) -> None:
    _, body = _open_when_free(coach_server, "team=T02")
    assert "Coaching visit" in body  # the one viewer allowed
    started = _settled(coach_server)  # the pool's replacement included

    status, headers, body = _get(coach_server.url("coach", "team=T03"), NAVIGATION)
    assert status == 503
    assert headers["Retry-After"] == "30"
    assert "The coach app is open in 1 browser tab already, its limit on this computer (1)." \
        in body
    assert _settled(coach_server) == started
    assert "Busy: no kernel for /voila/render/coach.ipynb (app 1 of 1)" in coach_server.log_text()


def test_an_app_without_a_preheated_kernel_is_capped_too(coach_server: AppServer) -> None:
    """Only the coach app is preheated here: the PDSA journal's kernel is started for the
    request (Voilà's other path), and it counts as well."""
    status, _, body = _get(coach_server.url("pdsa_journal", "team=T01"), NAVIGATION)
    assert status == 200 and "PDSA journal" in body
    status, _, body = _get(coach_server.url("pdsa_journal", "team=T02"), NAVIGATION)
    assert status == 503
    assert "The pdsa_journal app is open in 1 browser tab already" in body


def test_an_idle_viewers_kernel_is_culled_and_frees_its_place(coach_server: AppServer) -> None:
    _open_when_free(coach_server, "team=T05")  # takes the place
    assert _get(coach_server.url("coach", "team=T05"), NAVIGATION)[0] == 503
    _open_when_free(coach_server, "team=T06")  # within 4 × the idle timeout
    assert re.search(r"Culling '\w+' kernel '", coach_server.log_text())


def test_the_app_page_sets_the_xsrf_cookie_its_leave_beacon_sends_back(
        coach_server: AppServer) -> None:
    """Voilà's page posts `_xsrf` from `document.cookie` when it is left (voila #1458).
    The page itself links nothing outside the machine."""
    headers, body = _open_when_free(coach_server, "team=T04")
    cookies = headers.get_all("Set-Cookie") or []
    assert [c for c in cookies if re.match(r"_xsrf=2\|[0-9a-f]{8}\|", c)], cookies
    assert "Coaching visit" in body and OUTSIDE_URL.findall(body) == []


@pytest.mark.parametrize("path", ["/", "/voila/tree", "/voila/render/no_such_app.ipynb"],
                         ids=["front-page", "tree", "not-found-page"])
def test_the_front_page_and_error_pages_load_nothing_from_outside(
        coach_server: AppServer, path: str) -> None:
    status, _, body = _get(coach_server.base_url + path, NAVIGATION)
    assert status in (200, 404)
    assert "<html" in body.lower()
    assert OUTSIDE_URL.findall(body) == []
    assert "font-awesome" not in body and "fontawesome" not in body


def test_outside_url_pattern_finds_the_cdn_stylesheet_voila_used_to_load() -> None:
    """The pattern above can fail: it finds the Font Awesome link of Voilà's own page.html."""
    import voila

    share = Path(voila.__file__).resolve().parents[4] / "share/jupyter/voila/templates/base"
    assert OUTSIDE_URL.findall((share / "page.html").read_text()) == [
        'href="https://cdn.jsdelivr.net/npm/font-awesome@4.5.0/css/font-awesome.min.css']


@pytest.mark.parametrize("option", ["--max-kernels", "--max-kernels-per-app"])
def test_serve_refuses_a_cap_that_lets_no_one_in(empty_db: str, option: str) -> None:
    result = CliRunner().invoke(main, ["serve", "--db", empty_db, option, "0"])
    assert result.exit_code == 2
    assert f"Invalid value for '{option}': 0 is not in the range x>=1." in result.output

"""The name typed once, kept for the browser session: `POST /workbench/session-user` on the
real `workbench serve` server (`voila_server.SessionUserHandler`), with real HTTP requests.

The page posts the typed name with the `_xsrf` token its app page set; the server answers with
a signed, HttpOnly, SameSite=Strict session cookie (no Expires, no Max-Age). Without the token
nothing is kept; a name that is not a name is refused with one line; an empty name forgets it.
What the kernel then does with the cookie is the acting-user journey's
(tests/journeys/test_acting_user_journey.py).
"""

from __future__ import annotations

import re
import shutil
import urllib.error
import urllib.request
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from urllib.parse import urlencode

import pytest
from voila_fixtures import free_port

from workbench.apps.server.serve import AppServer, start_server
from workbench.apps.server.voila_server import SESSION_ROUTE

pytestmark = [pytest.mark.slow]

NAVIGATION = {"Sec-Fetch-Site": "none", "Sec-Fetch-Mode": "navigate",
              "Sec-Fetch-Dest": "document", "Accept": "text/html"}


@pytest.fixture(scope="module")
def server(demo_db_master: Path, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[AppServer]:
    folder = tmp_path_factory.mktemp("session-user")
    db = folder / "demo.db"
    shutil.copy(demo_db_master, db)
    served = start_server(str(db), port=free_port(), app="pdsa_journal",
                          log_path=folder / "voila.log", cull_idle_timeout=30, cull_interval=5)
    try:
        served.wait_ready(timeout=300, pools=False)
        yield served
    finally:
        served.stop()


def _request(url: str, data: dict[str, str] | None = None,
             headers: dict[str, str] | None = None) -> tuple[int, Message, str]:
    body = urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=180) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read().decode()


@pytest.fixture(scope="module")
def xsrf(server: AppServer) -> str:
    """The `_xsrf` cookie an app page sets (its value, as the page's script posts it)."""
    status, headers, _ = _request(server.url("pdsa_journal", "team=T01"), headers=NAVIGATION)
    assert status == 200
    found = [re.match(r"_xsrf=([^;]+)", c) for c in headers.get_all("Set-Cookie") or []]
    values = [m.group(1) for m in found if m]
    assert values, headers
    return values[0]


def _post(server: AppServer, xsrf: str | None, name: str) -> tuple[int, list[str], str]:
    data = {"name": name, **({"_xsrf": xsrf} if xsrf else {})}
    headers = {"Cookie": f"_xsrf={xsrf}", "Origin": server.base_url} if xsrf else {}
    status, response_headers, body = _request(server.base_url + SESSION_ROUTE, data, headers)
    return status, response_headers.get_all("Set-Cookie") or [], body


def test_a_typed_name_is_kept_in_a_signed_httponly_session_cookie(
        server: AppServer, xsrf: str) -> None:
    status, cookies, body = _post(server, xsrf, "Nurse Okello")
    assert (status, body) == (204, "")
    [cookie] = [c for c in cookies if c.startswith("workbench_user=")]
    value, *attributes = [part.strip() for part in cookie.split(";")]
    assert re.match(r'workbench_user="?2\|1:0\|10:\d+\|14:workbench_user\|', value), value
    assert sorted(a.lower() for a in attributes) == ["httponly", "path=/", "samesite=strict"]


def test_without_the_xsrf_token_nothing_is_kept(server: AppServer) -> None:
    status, cookies, _ = _post(server, None, "Mallory")
    assert status == 403
    assert not [c for c in cookies if c.startswith("workbench_user=")]


def test_a_name_that_is_not_a_name_is_refused_with_one_line(
        server: AppServer, xsrf: str) -> None:
    status, cookies, body = _post(server, xsrf, "<script>alert(1)</script>")
    assert (status, body) == (400, "Error: not a usable name: a name is 1 to 80 letters, "
                                   "digits, spaces or . @ ' -.\n")
    assert not [c for c in cookies if c.startswith("workbench_user=")]


def test_an_empty_name_forgets_the_session_s_name(server: AppServer, xsrf: str) -> None:
    status, cookies, _ = _post(server, xsrf, "")
    assert status == 204
    [cookie] = [c for c in cookies if c.startswith("workbench_user=")]
    assert cookie.startswith('workbench_user=""') and "expires=" in cookie.lower()

"""Who may start an app kernel: the cross-site rule and the kernel ledger, without a server.

The headers are the Fetch Metadata a browser sends for an address typed in the bar, a link
followed, an `<img>` on a page of another port of 127.0.0.1 (Chromium's, checked for real in
tests/browser/test_serve_browser.py), and those of clients without Fetch Metadata (urllib,
old browsers).
"""

from __future__ import annotations

import pytest

from workbench.apps.server.serve_guard import (
    Busy,
    KernelLedger,
    Ticket,
    app_of_path,
    busy_page,
    cross_site_reason,
    refused_page,
)

HOST = "127.0.0.1:8866"


def _fetch(site: str, mode: str, dest: str, **extra: str) -> dict[str, str]:
    return {"Sec-Fetch-Site": site, "Sec-Fetch-Mode": mode, "Sec-Fetch-Dest": dest, **extra}


@pytest.mark.parametrize("headers", [
    _fetch("none", "navigate", "document"),  # typed in the address bar, a bookmark
    _fetch("same-origin", "navigate", "document"),  # a link from the front page
    _fetch("same-origin", "navigate", "iframe"),  # our own page framing an app
    _fetch("cross-site", "navigate", "document", Referer="https://chat.example/"),  # a link
    _fetch("same-site", "navigate", "document", Referer="http://127.0.0.1:8888/"),
    {},  # urllib, curl: no browser, no ambient cookies to abuse
    {"Origin": "http://127.0.0.1:8866"},
    {"Referer": "http://old.example/", "Accept": "text/html,application/xhtml+xml"},
], ids=["address-bar", "same-origin-link", "same-origin-iframe", "link-from-another-site",
        "link-from-another-port", "script", "same-origin-without-fetch-metadata",
        "old-browser-following-a-link"])
def test_a_page_a_person_asked_for_may_start_a_kernel(headers: dict[str, str]) -> None:
    assert cross_site_reason(headers, HOST) is None


@pytest.mark.parametrize(("headers", "reason"), [
    (_fetch("same-site", "no-cors", "image", Referer="http://127.0.0.1:9999/"),
     "requested by another site (same-site) as image"),
    (_fetch("cross-site", "no-cors", "image"), "requested by another site (cross-site) as image"),
    (_fetch("cross-site", "no-cors", "script"),
     "requested by another site (cross-site) as script"),
    (_fetch("cross-site", "navigate", "iframe"),
     "requested by another site (cross-site) as iframe"),
    (_fetch("cross-site", "cors", "empty", Origin="https://evil.example"),
     "requested by another site (cross-site) as empty"),
    ({"Origin": "https://evil.example"}, "requested by another site (https://evil.example)"),
    ({"Referer": "http://evil.example/page", "Accept": "image/webp,*/*"},
     "embedded by another site (evil.example)"),
], ids=["img-on-another-port", "img-on-another-site", "script-tag", "cross-site-iframe",
        "cross-site-fetch", "old-browser-post", "old-browser-img"])
def test_a_request_another_site_made_starts_no_kernel(headers: dict[str, str],
                                                      reason: str) -> None:
    assert cross_site_reason(headers, HOST) == reason


def test_the_app_of_a_render_path_is_the_notebook_name() -> None:
    assert [app_of_path(p) for p in ("coach.ipynb", "/learning_session.ipynb", None)] == [
        "coach", "learning_session", "?"]


def test_the_ledger_admits_up_to_the_cap_of_an_app_then_says_busy() -> None:
    ledger = KernelLedger(max_kernels=5, max_kernels_per_app=2)
    first = ledger.admit("coach", alive=[])
    second = ledger.admit("coach", alive=[])
    assert isinstance(first, Ticket) and isinstance(second, Ticket)
    assert ledger.admit("coach", alive=[]) == Busy("coach", "app", 2, 2)
    assert isinstance(ledger.admit("data_entry", alive=[]), Ticket)  # another app: room left


def test_the_ledger_caps_all_apps_together() -> None:
    ledger = KernelLedger(max_kernels=3, max_kernels_per_app=3)
    for app in ("coach", "data_entry", "pdsa_journal"):
        assert isinstance(ledger.admit(app, alive=[]), Ticket)
    assert ledger.admit("learning_session", alive=[]) == Busy("learning_session", "total", 3, 3)


def test_a_kernel_counts_until_the_server_no_longer_runs_it() -> None:
    ledger = KernelLedger(max_kernels=5, max_kernels_per_app=1)
    ticket = ledger.admit("coach", alive=[])
    assert isinstance(ticket, Ticket)
    ledger.bind(ticket, "k1")
    ledger.release(ticket)  # the page was sent; its kernel lives on with the page
    assert ledger.admit("coach", alive=["k1", "pool"]) == Busy("coach", "app", 1, 1)
    assert isinstance(ledger.admit("coach", alive=["pool"]), Ticket)  # k1 shut down or culled


def test_a_request_that_got_no_kernel_frees_its_place() -> None:
    ledger = KernelLedger(max_kernels=1, max_kernels_per_app=1)
    ticket = ledger.admit("coach", alive=[])
    assert isinstance(ticket, Ticket)
    ledger.release(ticket)  # e.g. the render failed before a kernel was taken
    assert ledger.in_use(alive=[]) == {}
    assert isinstance(ledger.admit("coach", alive=[]), Ticket)


def test_the_busy_page_says_which_limit_and_retries_by_itself() -> None:
    page = busy_page(Busy("coach", "app", 10, 10), retry_after=30)
    assert '<meta http-equiv="refresh" content="30">' in page
    assert ("The coach app is open in 10 browser tabs already, its limit on this computer "
            "(10).") in page
    assert "tries again by itself in 30 seconds" in page
    assert "--max-kernels" in page


def test_the_pages_escape_what_came_from_the_request() -> None:
    page = busy_page(Busy("<script>alert(1)</script>", "app", 1, 1))
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    refused = refused_page("embedded by another site (<img src=x onerror=alert(1)>)")
    assert "<img" not in refused and "&lt;img src=x onerror=alert(1)&gt;" in refused


def test_the_busy_page_names_the_total_limit_when_all_apps_together_are_full() -> None:
    assert ("The workbench apps are open in 1 browser tab already, the limit on this computer "
            "(1).") in busy_page(Busy("coach", "total", 1, 1))

"""Voilà apps: first widget painted in headless Chromium against a trivial-notebook floor.

For each app (and for a trivial one-widget notebook served the same way, the floor), the time
from the request to the first widget painted, the page weight (bytes transferred, from the
browser's resource timing) and the requests that left the machine (must be 0). Then the
learning-session filter redraw for 100 teams (in-process, the kernel-side time) and whether
idle kernels are culled. Run: .venv/bin/python benchmarks/bench_apps.py
"""

from __future__ import annotations

import shutil
import socket
import statistics
import tempfile
import time
from pathlib import Path

import nbformat

from workbench.serve import app_names, start_server

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
QUERIES = {"coach": "team=T03", "pdsa_journal": "team=T01", "data_entry": "team=T02"}
REPEATS = 3


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _apps_folder(root: Path) -> Path:
    """The real apps plus `floor.ipynb`: one widget, displayed after the request like the apps."""
    folder = root / "apps"
    shutil.copytree(Path(__file__).resolve().parent.parent / "voila_apps", folder)
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("import ipywidgets as w\n"
                                          "from workbench.app_context import app_context"),
                nbformat.v4.new_code_cell("context = app_context()\n"
                                          "w.HTML('<div class=\"wb-title\">floor</div>')")]
    nbformat.write(nb, folder / "floor.ipynb")
    return folder


def _paint(browser, url: str) -> tuple[float, int, int]:  # type: ignore[no-untyped-def]
    context = browser.new_context()
    page = context.new_page()
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(
        ("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")) else None)
    start = time.perf_counter()
    page.goto(url, wait_until="commit")
    page.wait_for_selector(".wb-title", timeout=120_000)
    seconds = time.perf_counter() - start
    page.wait_for_load_state("load")
    weight = page.evaluate("""() => performance.getEntriesByType('navigation')
        .concat(performance.getEntriesByType('resource'))
        .reduce((s, e) => s + (e.transferSize || 0), 0)""")
    context.close()
    return seconds, int(weight), len(outside)


def _wait_preheated(server, count: int, timeout: float = 240) -> None:  # type: ignore[no-untyped-def]
    from workbench.app_context import READY_MARK

    deadline = time.monotonic() + timeout
    while server.log_text().count(READY_MARK) < count and time.monotonic() < deadline:
        time.sleep(0.3)


def bench_paint(db: str, root: Path) -> None:
    from playwright.sync_api import sync_playwright

    folder = _apps_folder(root)
    apps = ["floor"] + app_names(folder)[:5]
    server = start_server(db, port=_port(), apps_dir=folder, log_path=root / "voila.log")
    try:
        server.wait_ready(timeout=300)
        results: dict[str, list[tuple[float, int, int]]] = {a: [] for a in apps}
        ready = server.log_text().count("[workbench] app preheated")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            for _ in range(REPEATS):
                for app in apps:
                    _wait_preheated(server, ready)  # every pool refilled: measure preheated
                    results[app].append(_paint(browser, server.url(app, QUERIES.get(app, ""))))
                    ready += 1
            browser.close()
    finally:
        server.stop()
    floor = statistics.median(r[0] for r in results["floor"])
    print(f"{'app':<18}{'first widget s':>15}{'x floor':>9}{'page MB':>9}{'outside req':>12}")
    for app in apps:
        t = statistics.median(r[0] for r in results[app])
        mb = statistics.median(r[1] for r in results[app]) / 1e6
        out = max(r[2] for r in results[app])
        print(f"{app:<18}{t:>15.2f}{t / floor:>9.2f}{mb:>9.2f}{out:>12d}")


def bench_redraw(root: Path) -> None:
    """Filter change of the learning-session app with 100 teams (kernel side)."""
    from workbench.bench_data import scaled_demo  # type: ignore[import-not-found]

    from workbench.apps import build_learning_session_app

    db = scaled_demo(root / "demo100.db", teams=100)
    app = build_learning_session_app(db)
    times = []
    for code in ("PPH", "AMTSL", "PARTOGRAPH", "NEWBORN_CARE"):
        start = time.perf_counter()
        app.indicator.value = code
        times.append(time.perf_counter() - start)
    print(f"learning-session indicator change, 100 teams: median {statistics.median(times):.2f} s"
          f" ({', '.join(f'{t:.2f}' for t in times)})")


def bench_culling(db: str, root: Path) -> None:
    """A crawler's page view (no websocket): is its kernel culled when idle?"""
    import urllib.request

    server = start_server(db, port=_port(), app="coach", log_path=root / "cull.log",
                          cull_idle_timeout=5, cull_interval=2)
    try:
        server.wait_ready(timeout=240)
        urllib.request.urlopen(server.url("coach", "team=T01")).read()
        time.sleep(15)
        culled = "Culling kernel" in server.log_text() or "culled" in server.log_text().lower()
        print(f"idle kernel of a crawler's page view culled within 15 s: {culled}")
    finally:
        server.stop()


def main() -> None:
    from workbench.demo import build_demo

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        db = str(root / "demo.db")
        build_demo(db)
        bench_paint(db, root)
        bench_culling(db, root)
        try:
            bench_redraw(root)
        except ImportError:
            app = __import__("workbench.apps", fromlist=["x"]).build_learning_session_app(db)
            start = time.perf_counter()
            app.indicator.value = "PPH"
            print(f"learning-session indicator change, 24 demo teams: "
                  f"{time.perf_counter() - start:.2f} s (no 100-team data builder yet)")


if __name__ == "__main__":
    main()

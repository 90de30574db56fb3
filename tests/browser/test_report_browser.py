"""A generated team report opened from disk in headless Chromium, with the network cut off:
the bokeh charts must draw from the BokehJS beside the report in its folder (the default:
`bokeh-<version>.min.js`, written once per folder), or embedded in the file with
`self_contained=True` (an e-mail attachment)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from workbench.reports.batch import run_reports

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--no-first-run"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium (make browser)"),
]

# Share of non-white pixels of a bokeh canvas, computed in the page (canvas in shadow DOM).
_INKED = """canvas => {
  const ctx = canvas.getContext('2d');
  const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  let inked = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (data[i + 3] > 0 && (data[i] < 235 || data[i + 1] < 235 || data[i + 2] < 235)) inked++;
  }
  return inked / (canvas.width * canvas.height);
}"""


@pytest.mark.parametrize("self_contained", [False, True], ids=["folder-bokehjs", "self-contained"])
def test_a_team_report_opened_offline_draws_its_bokeh_charts(demo_db: str, tmp_path: Path,
                                                            self_contained: bool) -> None:
    from playwright.sync_api import sync_playwright

    result = run_reports(demo_db, "2026-10", "team_report", teams=["T01"],
                         out_dir=tmp_path / "reports", progress=False,
                         self_contained=self_contained)
    assert result.exit_code == 0, result.results[0].error_summary
    report = tmp_path / "reports" / "2026-10" / "T01.html"
    beside = sorted(p.name for p in report.parent.glob("bokeh-*.min.js"))
    assert beside == ([] if self_contained else [f"bokeh-{_bokeh_version()}.min.js"])
    shot = f"report_T01{'_self_contained' if self_contained else ''}.png"
    blocked: list[str] = []
    errors: list[str] = []
    inked: list[float] = []
    figures: list[int] = []
    ARTIFACTS.mkdir(exist_ok=True)

    def look() -> None:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1200, "height": 900})
                page.on("pageerror", lambda exc: errors.append(str(exc)))
                page.on("console", lambda msg: errors.append(msg.text)
                        if msg.type == "error" or "ERROR" in msg.text else None)

                def only_files(route, request) -> None:  # type: ignore[no-untyped-def]
                    if request.url.startswith(("file:", "data:", "blob:")):
                        route.continue_()
                    else:
                        blocked.append(request.url)
                        route.abort()

                page.route("**/*", only_files)
                page.goto(report.as_uri(), wait_until="load")
                canvas = page.locator("canvas").first
                canvas.wait_for(state="attached", timeout=30_000)
                figure_divs = page.locator("div.wb-figure")
                figures.append(figure_divs.count())
                # each figure's document is inflated in the page (gzip, DecompressionStream)
                # before bokeh draws it: wait until every figure has its canvas
                for i in range(figures[0]):
                    figure_divs.nth(i).locator("canvas").first.wait_for(
                        state="attached", timeout=30_000)
                page.wait_for_timeout(500)  # let bokeh finish its first paint
                for i in range(figures[0]):  # the most inked canvas of each figure
                    canvases = figure_divs.nth(i).locator("canvas")
                    inked.append(max(canvases.nth(j).evaluate(_INKED)
                                     for j in range(canvases.count())))
                page.screenshot(path=str(ARTIFACTS / shot), full_page=True)
            finally:
                browser.close()

    # In a thread: the kernel client may leave an asyncio loop set on this one, and
    # Playwright's sync API refuses to start inside a running loop.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(look).result()
    assert errors == []
    assert blocked == []  # nothing outside the file was even requested
    assert figures[0] >= 6  # one chart per indicator, and the assessment trend
    assert len(inked) == figures[0]
    assert min(inked) > 0.01, inked  # every chart drew, not only the first


def _bokeh_version() -> str:
    import bokeh

    return str(bokeh.__version__)

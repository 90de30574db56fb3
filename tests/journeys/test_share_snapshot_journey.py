"""The facilitator shares a view: participants open a static snapshot, with no kernel.

In headless Chromium against `workbench serve` on the demo collaborative: the facilitator
opens the learning session, picks an indicator and a district, clicks "Share this view",
and follows the link as a participant would (served by `workbench serve` as a plain file);
then the same file is opened in a second browser with the network cut off. The snapshot
shows the same teams, the same funnel target and the same signal statuses as the app, names
the filters in its title, and the browser logs no error. Then the same with an "as of" date,
which the snapshot's title names.

What each page shows is read from BokehJS's own models (`Bokeh.index`), in the app and in
the snapshot alike.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from journey import VIEWPORT, choose, evaluate_until, step, watch

from workbench.apps.server.snapshot_files import snapshot_folder

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: panel titles, funnel title and target, and each matrix cell's status, read from BokehJS
SHOWN = """() => {
  const out = {panels: null, funnel: null, target: null, statuses: null, roots: 0};
  if (!window.Bokeh || !Bokeh.index) return out;
  const column = (src, key) => {
    const data = src.data; const values = data instanceof Map ? data.get(key) : data[key];
    return values ? Array.from(values) : [];
  };
  for (const view of Bokeh.index.roots) {
    const m = view.model; out.roots += 1;
    if (m.type == 'GridPlot') out.panels = m.children.map(c => c[0].title.text).sort();
    if (m.type != 'Figure' || m.title == null) continue;
    if (m.title.text.includes('by number of cases')) {
      out.funnel = m.title.text;
      for (const r of m.renderers) {
        const y = r.glyph && r.glyph.y;
        if (r.glyph.type == 'Line' && y != null && y.value !== undefined) out.target = y.value;
      }
    }
    for (const r of m.renderers) {
      if (!r.data_source || r.data_source.name != 'cells') continue;
      const team = column(r.data_source, 'team'), ind = column(r.data_source, 'indicator'),
            status = column(r.data_source, 'status');
      out.statuses = {};
      team.forEach((t, i) => { out.statuses[t + ' | ' + ind[i]] = status[i]; });
    }
  }
  return out;
}"""
REDRAW_SECONDS = 90
#: the redraws the app has finished (`LearningSessionApp._status_html`)
REDRAWS = ("() => Number((document.querySelector('[data-redraws]') || {dataset: {}})"
           ".dataset.redraws || -1)")


def _shown_when(page, ok, timeout: float = REDRAW_SECONDS) -> dict:  # type: ignore[no-untyped-def]
    return evaluate_until(page, SHOWN, ok, timeout)


def _app_shows(indicator: str, teams: int):  # type: ignore[no-untyped-def]
    return lambda s: (s["panels"] is not None and len(s["panels"]) == teams
                      and s["funnel"] is not None and s["funnel"].startswith(indicator)
                      and s["statuses"] is not None  # the matrix redrawn for those teams too
                      and len({key.split(" | ")[0] for key in s["statuses"]}) == teams)


def _share(page) -> str:  # type: ignore[no-untyped-def]
    """Click "Share this view"; the snapshot's file name from the link it offers."""
    old = page.locator(".wb-share-link a.wb-share-open")
    before = old.get_attribute("href") if old.count() else None
    page.get_by_role("button", name="Share this view").click()
    page.wait_for_function(
        """(before) => { const a = document.querySelector('.wb-share-link a.wb-share-open');
                         return a && a.getAttribute('href') != before; }""", arg=before,
        timeout=300_000)  # writing the snapshot inlines BokehJS: slow on a loaded machine
    href = page.locator(".wb-share-link a.wb-share-open").get_attribute("href")
    assert href is not None and href.startswith("../snapshots/learning-session-"), href
    download = page.locator(".wb-share-link a.wb-share-download")
    assert download.get_attribute("download") == href.rsplit("/", 1)[-1]
    return href.rsplit("/", 1)[-1]


def _open_offline(browser, path: Path, journey: str):  # type: ignore[no-untyped-def]
    """The snapshot file in a new browser with no network: (page, its context, requests)."""
    context = browser.new_context(viewport=VIEWPORT, offline=True)
    requests: list[str] = []

    def only_the_file(route) -> None:  # type: ignore[no-untyped-def]
        requests.append(route.request.url)
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            route.abort()

    context.route("**/*", only_the_file)
    page = context.new_page()
    page.set_default_timeout(90_000)
    watch(page, journey)
    page.goto(path.as_uri())
    page.wait_for_function("window.Bokeh && Bokeh.index && Bokeh.index.roots && "
                           "Bokeh.index.roots.length >= 4", timeout=90_000)
    return page, context, requests


def test_a_shared_view_opens_offline_with_the_apps_teams_statuses_and_filters_in_its_title(
        served, page, browser, request: pytest.FixtureRequest) -> None:  # type: ignore[no-untyped-def]
    page.goto(served.url("learning_session"), wait_until="commit")
    page.wait_for_selector(".wb-status:has-text('48 teams, reporting month Oct 2026')",
                           timeout=300_000)  # a loaded 2-core machine builds kernels slowly
    choose(page, "Indicator", "(PPH)")
    choose(page, "District", "Kisoro")
    page.wait_for_selector(".wb-status:has-text('8 teams, reporting month')")
    app = _shown_when(page, _app_shows("Postpartum", 8))
    step(page, "PPH in Kisoro")
    assert app["panels"] is not None and len(app["panels"]) == 8
    assert all(p.split()[0] in {f"T{n:02d}" for n in range(9, 17)} for p in app["panels"])

    name = _share(page)
    step(page, "shared")
    with page.context.expect_page() as opened:  # a participant follows the link
        page.locator(".wb-share-link a.wb-share-open").click()
    served_page = opened.value
    watch(served_page, f"{request.node.name}-served")
    served_page.wait_for_function("window.Bokeh && Bokeh.index && Bokeh.index.roots && "
                                  "Bokeh.index.roots.length >= 4", timeout=90_000)
    assert re.search(r"/voila/snapshots/learning-session-PPH-Kisoro-\d{8}T\d{6}Z\.html$",
                     served_page.url), served_page.url
    assert served_page.title().startswith("Learning session — PPH · Kisoro · all waves · "
                                          "Oct 2026 · live on ")
    step(served_page, "served snapshot")
    served_page.close()

    path = snapshot_folder(served.db) / name
    assert path.is_file()
    offline, context, requests = _open_offline(browser, path, f"{request.node.name}-offline")
    try:
        snap = _shown_when(offline, _app_shows("Postpartum", 8))
        step(offline, "snapshot offline")
        assert re.fullmatch(r"Learning session — PPH · Kisoro · all waves · Oct 2026 · "
                            r"live on \d{4}-\d{2}-\d{2}", offline.title()), offline.title()
        assert snap["panels"] == app["panels"]
        assert snap["funnel"] == app["funnel"] and snap["target"] == app["target"]
        assert snap["statuses"] == app["statuses"]  # every team × indicator, same status
        rows = offline.locator("table.wb-statuses tbody tr")
        assert rows.count() == 8
        table = {rows.nth(i).get_attribute("data-team"): rows.nth(i).get_attribute("data-signal")
                 for i in range(8)}
        pph = {key.split(" | ")[0]: value for key, value in app["statuses"].items()
               if key.endswith(" | PPH")}
        assert table == pph  # the table says what the app's matrix says
        assert all(url.startswith("file:") for url in requests), requests
    finally:
        context.close()

    as_of = "2025-10-15"  # the same view as entered by an earlier date
    box = page.get_by_placeholder("YYYY-MM-DD (blank: live)")
    drawn = page.evaluate(REDRAWS)
    box.fill(as_of)
    box.press("Enter")
    page.wait_for_selector(f"text=as entered by {as_of}")
    # the status line comes first; its redraw count moves once the charts below (the funnel,
    # the matrix: each patched on its own) are all redrawn
    page.wait_for_function(f"({REDRAWS})() > {drawn}", timeout=REDRAW_SECONDS * 1000)
    in_august = lambda s: (s["panels"] is not None and s["statuses"] is not None  # noqa: E731
                           and "Postpartum" in (s["funnel"] or "")
                           and "Aug 2025" in (s["funnel"] or ""))
    app = _shown_when(page, in_august)
    step(page, "as of 2025-10-15")
    name = _share(page)
    step(page, "shared as of")
    offline, context, requests = _open_offline(browser, snapshot_folder(served.db) / name,
                                               f"{request.node.name}-offline-as-of")
    try:
        snap = _shown_when(offline, in_august)
        step(offline, "snapshot as of offline")
        assert offline.title() == ("Learning session — PPH · Kisoro · all waves · Aug 2025 · "
                                   "as of 2025-10-15")
        assert snap["panels"] == app["panels"] and snap["statuses"] == app["statuses"]
        assert "as entered by 2025-10-15" in offline.inner_text(".wb-status")
        assert all(url.startswith("file:") for url in requests), requests
    finally:
        context.close()


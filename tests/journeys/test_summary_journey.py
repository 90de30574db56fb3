"""The analyst's collaborative summary, opened as the reader opens it: `workbench report
--notebook collaborative_summary` (the command an analyst types) writes the page, and a
headless Chromium with no network opens the file.

On the demo (48 teams) every section is there with its chart drawn, every team has its panel
side by side and a panel's hover names the month and value; on a 60-team collaborative the
panels are the 24 most and 24 least improved teams, titled so, and a sentence above them
counts the 12 teams not drawn and says where they are. Screenshots go to
`tests/journeys/artifacts/summary_*/`; the console must stay free of errors.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from journey import VIEWPORT, step, watch
from voila_fixtures import CHROMIUM

from workbench.charts.data import month_label

pytestmark = [pytest.mark.slow]

SECTIONS = ["Every indicator this month", "Teams needing attention", "Team × indicator status",
            "Share of teams at target", "All teams pooled", "Every team side by side",
            "Funnel: this month, by size", "Wave cohorts (months since joining)",
            "Most improved teams", "Assessment scores"]


def _write_summary(db: str, out: Path) -> Path:
    """The page `workbench report --notebook collaborative_summary` writes for `db`."""
    from workbench.store import open_engine, status_counts

    period = status_counts(open_engine(db))["last_period"]
    done = subprocess.run(
        [sys.executable, "-m", "workbench", "report", "--db", db, "--period", period,
         "--notebook", "collaborative_summary", "--workers", "1", "--out", str(out),
         "--no-progress"], capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return out / period / "collaborative-summary.html"


def _open(browser, path: Path, journey: str):  # type: ignore[no-untyped-def]
    """The page in a browser with no network, once BokehJS has drawn its 7 charts."""
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium")
    context = browser.new_context(viewport=VIEWPORT, offline=True)
    page = context.new_page()
    page.set_default_timeout(120_000)
    watch(page, journey)
    page.goto(path.as_uri())
    page.wait_for_function("window.Bokeh && Bokeh.index && Bokeh.index.roots && "
                           "Bokeh.index.roots.length >= 7", timeout=120_000)
    return page, context


def _panel_titles(page) -> list[str]:  # type: ignore[no-untyped-def]
    """The titles of the small multiples' panels, as BokehJS drew them."""
    return page.evaluate("""() => {
        const find = (model) => {
            if (model.type === 'GridPlot') return model;
            for (const child of model.children || []) {
                const found = find(Array.isArray(child) ? child[0] : child);
                if (found) return found;
            }
            return null;
        };
        const grids = Bokeh.index.roots.map(v => find(v.model)).filter(g => g);
        return grids[0].children.map(([plot]) => plot.title.text);
    }""")


@pytest.fixture(scope="module")
def demo_page(journey_db: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write_summary(journey_db, tmp_path_factory.mktemp("summary48"))


@pytest.fixture(scope="module")
def sixty_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from workbench.demo import build_demo

    folder = tmp_path_factory.mktemp("summary60")
    build_demo(str(folder / "sixty.db"), teams=60, indicators=6, months=14,
               districts=3).dispose()
    return _write_summary(str(folder / "sixty.db"), folder / "reports")


def test_the_summary_of_the_demo_shows_every_section_and_every_teams_panel(
        browser, demo_page: Path) -> None:  # type: ignore[no-untyped-def]
    page, context = _open(browser, demo_page, "summary_48_teams")
    try:
        # the demo's latest month (earlier journeys on the shared demo may have added one)
        month = month_label(demo_page.parent.name)
        assert f"Collaborative summary: {month}" in page.locator("h1").all_inner_texts()
        assert page.locator("h2").all_inner_texts() == SECTIONS
        step(page, "the-whole-summary")
        titles = _panel_titles(page)
        assert len(titles) == 48 and titles[0] == "Kabale Regional Referral Hospital (T01)"
        heading = page.locator("h2", has_text="Every team side by side")
        assert "not drawn" not in heading.locator("xpath=..").inner_text()
        heading.scroll_into_view_if_needed()
        box = heading.bounding_box()
        assert box is not None
        shown = False  # a panel's hover: sweep the first panel's plot until it answers
        for x in range(int(box["x"]) + 55, int(box["x"]) + 300, 4):
            for dy in (95, 105, 115, 125, 135):
                page.mouse.move(x, box["y"] + dy)
                if page.locator(".bk-tooltip-content, .bk-Tooltip").count():
                    shown = True
                    break
            if shown:
                break
        assert shown, "no tooltip on the first panel"
        step(page, "a-panels-hover")
    finally:
        context.close()


def test_past_48_teams_the_panels_are_the_extremes_and_a_sentence_counts_the_rest(
        browser, sixty_page: Path) -> None:  # type: ignore[no-untyped-def]
    page, context = _open(browser, sixty_page, "summary_60_teams")
    try:
        note = page.locator("h2:has-text('Every team side by side') + p, "
                            "h2:has-text('Every team side by side') ~ p").first
        text = note.inner_text()
        assert text.startswith("Drawn below: the 24 teams that improved most on their "
                               "baseline and the 24 that improved least. The other 12 teams "
                               "are not drawn here."), text
        assert text.endswith("its chart in its own team report.")
        assert len(_panel_titles(page)) == 48
        note.scroll_into_view_if_needed()
        step(page, "the-extremes-and-the-sentence")
    finally:
        context.close()

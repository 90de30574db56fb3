"""The facilitator's journey: a learning session, filter after filter, then the projector.

One person in a row, in headless Chromium against `workbench serve` on the demo
collaborative: a team reports next month early; the facilitator opens the learning session,
switches the indicator, then the district, then the wave, then an "as of" date, then
presentation mode, the projector's 1280×720, and back to every team. After every step the small
multiples show one chart per selected team on the page (the demo's 48 teams, its 24 launch
teams and the 24 of its spread wave, on two pages of 24; or the filtered number), the funnel's
target line is the selected indicator's, the page is about the month most teams reported,
and the browser console logged no error.

What the browser shows is read from BokehJS's own models (`Bokeh.index`), not from the
kernel: a chart that failed to draw is missing there.
"""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from journey import VIEWPORT, step

from workbench.apps.team_pages import PAGE_SIZE
from workbench.cli import main
from workbench.store import open_engine, read_indicators, read_measurements, read_teams

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: what the page shows, read from BokehJS: panel titles, the funnel's title and target line
SHOWN = """() => {
  const out = {panels: null, funnel: null, target: null, matrix_rows: null, headers: null,
               months_over_time: null, widths: {}, roots: 0};
  if (!window.Bokeh || !Bokeh.index) return out;
  for (const view of Bokeh.index.roots) {
    const m = view.model; out.roots += 1;
    const width = view.el.getBoundingClientRect().width;
    if (m.type == 'GridPlot') { out.panels = m.children.map(c => c[0].title.text);
                                out.widths.multiples = width; }
    if (m.type != 'Figure' || m.title == null) continue;
    const title = m.title.text;
    if (title.includes('by number of cases')) {
      out.funnel = title; out.widths.funnel = width;
      for (const r of m.renderers) {
        const y = r.glyph && r.glyph.y;
        if (r.glyph.type == 'Line' && y != null && y.value !== undefined) out.target = y.value;
      }
    }
    if (title.startsWith('Share of reporting teams at target')) {
      out.months_over_time = (m.x_range.end - m.x_range.start) / (30.4 * 86400000);
    }
    if (title.startsWith('Where each team stands')) {
      out.matrix_rows = m.y_range.factors.length; out.headers = m.x_range.factors;
      out.widths.matrix = width;
    }
  }
  return out;
}"""
#: seconds a filter change may take to reach the browser on a loaded 2-core machine
REDRAW_SECONDS = 90
EARLY = ("T03", "2026-11")  # the early reporter and the month it entered


def _choose(page, description: str, label_part: str) -> None:  # type: ignore[no-untyped-def]
    box = page.locator(".widget-dropdown", has=page.locator(f"label:text-is('{description}')"))
    select = box.locator("select")
    labels = select.evaluate("s => [...s.options].map(o => o.label)")
    # ipywidgets writes the spaces of option labels as no-break spaces
    select.select_option(label=next(lab for lab in labels
                                    if label_part in lab.replace("\xa0", " ")))


def _shown_when(page, expected: dict, timeout: float = REDRAW_SECONDS) -> dict:  # type: ignore[no-untyped-def]
    """What the charts show once they show `expected` (or the last state after `timeout`)."""
    deadline = time.monotonic() + timeout
    shown = page.evaluate(SHOWN)
    while time.monotonic() < deadline and not _matches(shown, expected):
        page.wait_for_timeout(500)
        shown = page.evaluate(SHOWN)
    return shown


def _matches(shown: dict, expected: dict) -> bool:
    wide = expected.get("wide")
    if wide and not (shown["widths"] and min(shown["widths"].values()) > 0.9 * wide):
        return False
    return (shown["panels"] is not None and sorted(shown["panels"]) == expected["panels"]
            and shown["funnel"] is not None and shown["funnel"].startswith(expected["name"])
            and expected["month"] in shown["funnel"]
            and shown["target"] is not None and abs(shown["target"] - expected["target"]) < 1e-9)


class _Truth:
    """What the charts should show, from the store (not from the app)."""

    def __init__(self, db: str) -> None:
        engine = open_engine(db)
        self.teams = read_teams(engine)
        self.indicators = read_indicators(engine).set_index("indicator_id")
        self.engine = engine

    def expected(self, indicator: str, *, district: str | None = None, wave: str | None = None,
                 as_of: str | None = None, month: str = "Oct 2026") -> dict:
        teams = self.teams
        if district:
            teams = teams[teams["district"] == district]
        if wave:
            teams = teams[teams["wave_id"] == wave]
        stamp = pd.Timestamp(as_of) if as_of else None  # as the app: entered before that day
        m = read_measurements(self.engine, as_of=stamp.to_pydatetime() if stamp else None)
        with_data = set(m.loc[m["indicator_id"] == indicator, "team_id"])
        ind = self.indicators.loc[indicator]
        page = teams.sort_values("team_id").head(PAGE_SIZE)  # the first page, by team code
        return {"panels": sorted(f"{t.team_id} {t.name}" for t in page.itertuples()
                                 if t.team_id in with_data),
                "teams": len(teams),
                "name": ind["name"], "target": float(ind["target"]), "month": month}


def _report_early(db: str, tmp_path: Path) -> None:
    """One team enters next month before everyone else (as `workbench import` does)."""
    team, month = EARLY
    csv = tmp_path / "early.csv"
    csv.write_text("team_id,indicator_id,period,numerator,denominator\n"
                   f"{team},AMTSL,{month},40,44\n{team},PPH,{month},1,44\n")
    result = CliRunner().invoke(main, ["import", str(csv), "--db", db])
    assert result.exit_code == 0, result.output


def test_facilitator_filters_then_presents_and_every_view_shows_the_selected_teams(
        served, page, tmp_path: Path) -> None:
    truth = _Truth(served.db)
    _report_early(served.db, tmp_path)
    page.goto(served.url("learning_session"), wait_until="commit")
    page.wait_for_selector(".wb-title:has-text('Learning session')")
    page.wait_for_selector(".wb-status:has-text('48 teams, reporting month Oct 2026')")

    views = [
        ("opened", {}, truth.expected("AMTSL")),
        ("indicator PPH", {"Indicator": "(PPH)"}, truth.expected("PPH")),
        ("district Kisoro", {"District": "Kisoro"}, truth.expected("PPH", district="Kisoro")),
        ("wave W2", {"Wave": "W2"}, truth.expected("PPH", district="Kisoro", wave="W2")),
    ]
    for name, choices, expected in views:
        for description, label in choices.items():
            _choose(page, description, label)
        shown = _shown_when(page, expected)
        step(page, name)
        assert sorted(shown["panels"] or []) == expected["panels"], name
        assert shown["funnel"] is not None and shown["funnel"].startswith(expected["name"]), name
        assert expected["month"] in shown["funnel"], (name, shown["funnel"])
        assert shown["target"] == pytest.approx(expected["target"]), name
        assert f"{expected['teams']} teams" in page.inner_text(".wb-status"), name

    as_of = "2025-10-15"
    box = page.get_by_placeholder("YYYY-MM-DD (blank: live)")
    box.fill(as_of)
    box.press("Enter")
    expected = truth.expected("PPH", district="Kisoro", wave="W2", as_of=as_of,
                              month="Aug 2025")  # 10 of the 24 launch teams had entered Sep by then
    page.wait_for_selector(f"text=as entered by {as_of}")
    shown = _shown_when(page, expected)
    step(page, "as of 2025-10-15")
    assert sorted(shown["panels"] or []) == expected["panels"]
    assert shown["target"] == pytest.approx(expected["target"])

    page.get_by_role("button", name="Presentation mode").click()
    page.wait_for_selector(".wb-presentation")
    for width, height in ((1920, 1080), (1280, 720)):
        page.set_viewport_size({"width": width, "height": height})
        shown = _shown_when(page, {**expected, "wide": width})
        step(page, f"presentation {width}x{height}")
        assert _matches(shown, expected)
        assert min(shown["widths"].values()) > 0.9 * width, shown["widths"]  # uses the width
        assert "Births receiving\nAMTSL" in shown["headers"]  # full names, wrapped

    page.set_viewport_size(VIEWPORT)  # back to every team, live, still on the projector
    _choose(page, "Wave", "All waves")
    _choose(page, "District", "All districts")
    box.fill("")
    box.press("Enter")
    expected = truth.expected("PPH")
    page.wait_for_selector(".wb-status:has-text('48 teams, reporting month Oct 2026')")
    shown = _shown_when(page, {**expected, "wide": VIEWPORT["width"]})
    step(page, "presentation every team")
    assert _matches(shown, expected)
    assert shown["matrix_rows"] == len(expected["panels"]) == 24  # the page: teams 1-24 of 48
    assert shown["months_over_time"] > 12  # not stuck on the as-of view's one month
    for heading in ("Where each team stands", "Teams at target over time",
                    "This month, by number of cases", "Most improved teams"):
        page.locator("h3", has_text=heading).scroll_into_view_if_needed()
        page.evaluate("() => window.scrollBy(0, 0)")
        step(page, f"presentation: {heading}")

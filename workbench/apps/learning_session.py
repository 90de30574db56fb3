"""The learning-session app: every team's results side by side, for the facilitator.

Filters (indicator, wave, district), an "as of" date that freezes the data to what had been
entered by then, a month picker (default: `rollup.base.reporting_month`, the latest month most
teams reported, a rule stated on the page), and a presentation mode for a projector: the
page's text larger by CSS; every chart as wide as the page, `PRESENTATION_HEIGHT` times taller
and its titles, tick labels, legends and labels `PRESENTATION_SCALE` times larger (bokeh draws
text on a canvas, where CSS cannot reach), patched in place. Charts come from
`workbench.charts` / `workbench.charts.collab`, analytics from `workbench.rollup` and
`workbench.charts.data`; a filter change redraws in place (`workbench.charts.redraw`: each
chart's changes as one document patch of three comm messages, its arrays inline).

Teams on demand (`workbench.apps.team_pages`): past `PAGE_SIZE` teams (the demo's 48 fit one
page) the page opens with an overview by district and by wave, and the small multiples and
the status matrix show one page of teams: found by name or code, the top or bottom 12 by
improvement or by latest value, sorted by code, name, district or number of signals, with
"page k of n"; the rule of the list is stated under it. Only the teams on a page are drawn
(their panels' data computed when first shown); another page of as many teams patches the
panels in place. The funnel and the share at target show every team selected. The view on
screen is `view_state()` (`workbench.apps.context.view_query` makes it an address).

The heavy work (reading the data, the SPC lines and signals of the series shown, and every
chart for the default filters) happens in the preheated kernel, before the request exists.
After the request only what its query string changes is redrawn (usually nothing); a filter
change only filters frames and rebuilds the chart data, the top of the page (overview, list,
small multiples) first and, once its patch is sent, the charts and table below it (`update`):
the browser draws the one while the kernel computes the other. The analytics are computed on demand
and kept per "as of" date and reporting month (`workbench.apps.session_analytics`, the app's
one cache): the indicator shown for every team (overview, top and bottom lists) and the
teams on the page for every indicator (the matrix), so a month change at 2,000 teams charts
2,000 series, not 20,000, and reads nothing from the store.

First paint: in Voilà the page first shows the title, the filters, the status line and the
most-improved table; the charts (~0.5 MB of bokeh document, seconds of drawing in the
browser) are attached only once the browser has painted that first view (`attach_charts`,
see `_when_page_painted`), so they never delay the first paint; with `?presentation=1`
they are also sized for the projector only then (the page's larger text shows at once).
Their document JSON is computed in the preheated kernel for both modes (`_prepare_bundles`:
normal, and presentation with the same panels in `PRESENTATION_COLUMNS` columns), kept until
a figure changes, so `?presentation=1` and switching mode before any filter change serialise
nothing; the small multiples carry no per-point hover text and send numbers as binary arrays
(`workbench.charts.payload`). A switch of mode on a page whose charts are shown is one
document patch per chart (text sizes, heights, width policy, the panels' places in
`PRESENTATION_COLUMNS` or `GRID_COLUMNS` columns): BokehJS lays the charts out again and keeps
their data and views, nothing is serialised whole. Outside Voilà (JupyterLab, tests) the
charts are attached by `present`.
"""

from __future__ import annotations

import gc
import time
from contextlib import nullcontext
from typing import Any, cast

import ipywidgets as w
import pandas as pd

from workbench.apps.base import WorkbenchApp, banner
from workbench.apps.context import AppContext, in_voila
from workbench.apps.practices_panel import PracticesPanel
from workbench.apps.session_analytics import SessionData
from workbench.apps.team_pages import (
    PAGE_SIZE,
    SHOW,
    SORTS,
    TeamPage,
    overview,
    team_labels,
    team_page,
)
from workbench.charts.data import month_label
from workbench.charts.payload import (
    PreparedBokehModel,
    lighten_small_multiples,
    prepare_bundle,
)
from workbench.charts.redraw import (
    one_patch,
    plots_of,
    redraw,
    scale_text,
    text_models,
)
from workbench.i18n import N_, ngettext
from workbench.i18n import gettext as _
from workbench.notebook.render import esc, table
from workbench.rollup import metrics as rollup
from workbench.rollup.base import REPORTING_RULE
from workbench.store import collaborative_indicators, read_change_ideas

__all__ = ["LearningSessionApp"]

_ALL = "__all__"
#: the charts in page order, with their section headings
CHARTS = (("multiples", N_("Every team")), ("matrix", N_("Where each team stands")),
          ("attainment", N_("Teams at target over time")),
          ("funnel", N_("This month, by number of cases")))
#: small multiples: panels per row and grid width (24 teams in 4 rows on one screen)
GRID_COLUMNS, GRID_WIDTH = 6, 1200
#: panels per row in presentation mode (wider panels: team names fit the large titles)
PRESENTATION_COLUMNS = 4
#: chart text in presentation mode, times its normal size (10 px panel titles become 16 px)
PRESENTATION_SCALE = 1.6
#: chart heights in presentation mode, times their normal height; the width is the page's
PRESENTATION_HEIGHT = 1.4
#: space left and right of the months in the small multiples (as `charts.small_multiples`)
MONTHS_PAD = pd.Timedelta(days=20)
#: seconds after the widgets loaded to attach the charts if the paint probe never reports
FALLBACK_SECONDS = 15.0


class LearningSessionApp(WorkbenchApp):
    """Small multiples, status matrix, % at target, funnel, most-improved teams."""

    title = N_("Learning session")
    uses_team = False

    def _prepare(self) -> None:
        self.indicators = collaborative_indicators(self.engine)  # no team's own measure
        self.ideas = read_change_ideas(self.engine)
        codes = list(self.indicators["indicator_id"])
        names = dict(zip(self.indicators["indicator_id"], self.indicators["name"], strict=True))
        self.indicator = w.Dropdown(description=_("Indicator"), layout=w.Layout(width="360px"),
                                    options=[(f"{names[c]} ({c})", c) for c in codes])
        waves = sorted(self.teams["wave_id"].dropna().unique())
        districts = sorted(d for d in self.teams["district"].dropna().unique() if d)
        self.wave = w.Dropdown(description=_("Wave"), layout=w.Layout(width="200px"),
                               options=[(_("All waves"), _ALL)] + [(x, x) for x in waves])
        self.district = w.Dropdown(description=_("District"), layout=w.Layout(width="260px"),
                                   options=[(_("All districts"), _ALL)]
                                   + [(x, x) for x in districts])
        self.month = w.Dropdown(description=_("Month"), layout=w.Layout(width="340px"))
        self.as_of = w.Text(description=_("As of"), placeholder=_("YYYY-MM-DD (blank: live)"),
                            continuous_update=False, layout=w.Layout(width="260px"))
        self.presentation = w.ToggleButton(description=_("Presentation mode"), icon="",
                                           tooltip=_("Large type for a projector"))
        self.status = w.HTML()
        # teams on demand (`workbench.apps.team_pages`): search, top/bottom N, sort, pages
        self.team_search = w.Text(description=_("Find team"), placeholder=_("name or code"),
                                  continuous_update=False, layout=w.Layout(width="280px"))
        self.team_list = w.Dropdown(description=_("Show"), layout=w.Layout(width="300px"),
                                    options=[(words, key) for key, words in SHOW.items()])
        self.team_sort = w.Dropdown(description=_("Sort by"), layout=w.Layout(width="340px"),
                                    options=[(words, key) for key, words in SORTS.items()])
        self.previous_page = w.Button(description=_("◀ Previous"), layout=w.Layout(width="110px"),
                                      tooltip=_("The previous page of teams"))
        self.next_page = w.Button(description=_("Next ▶"), layout=w.Layout(width="110px"),
                                  tooltip=_("The next page of teams"))
        self.page_info = w.HTML()
        self.pager = w.HBox([self.previous_page, self.page_info, self.next_page],
                            layout=w.Layout(align_items="center"))
        self.team_rule = w.HTML()
        self.overview = w.HTML()
        overview = esc(_("Overview by district and by wave"))
        self._overview_box = w.VBox([w.HTML(f"<h3>{overview}</h3>"),
                                     self.overview])
        self._page = 1
        self.team_page: TeamPage | None = None
        self.redraws = 0  # redraws done (filters, pages, presentation mode)
        self._generation = 0  # redraws begun (a split one's second part checks it is the last)
        self._font_sizes: dict[tuple[str, str], Any] = {}  # normal chart text sizes
        self._text_models: dict[str, Any] = {}  # figure id -> `text_models` (its text sizes)
        self._heights: dict[str, int] = {}  # normal chart heights, by bokeh model id
        self._grid_columns: int | None = None  # of the small multiples drawn
        self._month: str | None = None  # the month picked; None: the reporting month's rule
        self._data: SessionData | None = None  # the store as of the date (and its analytics)
        self._load(None)
        self._paginate()
        self.models: dict[str, Any] = {}  # chart -> BokehModel, once attached
        self.figures: dict[str, Any] = {}  # chart -> the bokeh figure shown (or to show)
        # the slow part of a BokehModel, done before the request for both modes (presentation
        # mode: True); a bundle is dropped when its figure changes
        self._bundles: dict[bool, dict[str, Any]] = {True: {}, False: {}}
        self.figures.update(self._figures())
        self._redraw_multiples()
        self._prepare_bundles()
        for code in codes:  # every indicator's panels of the page, ready for a filter change
            self._panel_sources(code, self._page_teams())
        drawing = esc(_("Drawing the chart…"))
        self._slots = {key: w.Box([w.HTML(f'<div class="wb-status">{drawing}</div>')],
                                  layout=w.Layout(min_height="60px", width="100%"))
                       for key, _heading in CHARTS}
        self._defer = in_voila()
        self._split = self._defer  # in a Voilà kernel: a change's charts below come after
        self._sized = True  # the charts have the size of the mode (see `attach_charts`)
        self._probes: tuple[w.Widget, ...] = ()
        if self._defer:
            self._when_page_painted()
        self.improved = w.HTML(self._improved_html())
        self.last_redraw: dict[str, Any] = {}
        self._quiet = False  # set while `_show` applies the query string (one redraw after)
        self._drawn = self._filter_key()
        self.status.value = self._status_html()
        self._show_paging()
        for control in (self.indicator, self.wave, self.district):
            control.observe(self.guard(self._on_filter_change), "value")
        for control in (self.team_search, self.team_list, self.team_sort):
            control.observe(self.guard(self._on_team_list_change), "value")
        self.previous_page.on_click(self.guard(lambda button: self.go_to_page(self._page - 1)))
        self.next_page.on_click(self.guard(lambda button: self.go_to_page(self._page + 1)))
        self.month.observe(self.guard(self._on_month_change), "value")
        self.as_of.observe(self.guard(self._on_as_of_change), "value")
        self.presentation.observe(self.guard(self._on_presentation_change), "value")
        self.practices = PracticesPanel(  # "what is working" (workbench.apps.practices_panel)
            lambda: (self.measurements, self.indicators, self.cycles, self.ideas), self.guard)
        self.practices.follow(self.indicator, self.as_of)
        from workbench.apps.share import snapshot_button, view_state_of

        self.share = snapshot_button(self.engine, lambda: view_state_of(self), self.guard)
        filters = w.HBox([self.indicator, self.wave, self.district, self.month, self.as_of,
                          self.presentation, self.share], layout=w.Layout(flex_flow="row wrap"))
        team_row = w.HBox([self.team_search, self.team_list, self.team_sort, self.pager],
                          layout=w.Layout(flex_flow="row wrap", align_items="center"))
        def section(text: str) -> w.HTML:
            return w.HTML(f"<h3>{esc(text)}</h3>")

        charts = [item for key, heading in CHARTS
                  for item in (section(_(heading)), self._slots[key])]
        self.body.children = (
            filters, self.status, self._overview_box, team_row, self.team_rule, *charts,
            section(_("Most improved teams and the changes they adopted")), self.improved,
            section(_("What is working: change ideas with the best evidence")), self.practices,
            *self._probes,
        )
        gc.freeze()  # the charts and their bundles too (`_out_of_full_collections`)

    def _when_page_painted(self) -> None:
        """Attach the charts once the browser has painted the first view of the page.

        The last widgets of the page are a hidden HTML probe and a hidden text box: when the
        probe is rendered, its image fails to load (`data:,`) and its handler, one frame
        later (after a paint), types "painted" into the text box, which the kernel hears as
        an ordinary value change. In case inline handlers are blocked (a strict
        Content-Security-Policy), a client-side link (`jsdlink`, set up by the browser as it
        loads the widgets' state) also reports, and the charts follow `FALLBACK_SECONDS` later.
        """
        painted = w.Text("", layout=w.Layout(display="none"))
        painted.add_class("wb-painted")
        script = ("var n=0;function f(){var i=document.querySelector('.wb-painted input');"
                  "if(i){i.value='painted';i.dispatchEvent(new Event('change',{bubbles:true}))}"
                  "else if(n++<600){setTimeout(f,100)}}requestAnimationFrame(function(){"
                  "setTimeout(f,0)});this.remove()")
        probe = w.HTML(f'<img alt="" src="data:," onerror="{script}">',
                       layout=w.Layout(display="none"))
        source = w.Text("loaded", layout=w.Layout(display="none"))
        loaded = w.Text("", layout=w.Layout(display="none"))
        self._link = w.jsdlink((source, "value"), (loaded, "value"))
        painted.observe(self.guard(lambda change: self.attach_charts("painted")), "value")
        loaded.observe(self.guard(lambda change: self._attach_later()), "value")
        self._probes = (probe, painted)

    def _attach_later(self) -> None:
        import asyncio

        try:
            asyncio.get_running_loop().call_later(
                FALLBACK_SECONDS, self.guard(lambda: self.attach_charts("fallback")))
        except RuntimeError:  # no event loop (not in a kernel): at once
            self.attach_charts()

    def attach_charts(self, reason: str = "") -> None:
        """Put the charts on the page (once): a `BokehModel` per figure, in page order."""
        if reason and len(self.models) < len(CHARTS):
            import sys

            print(f"[workbench] learning session: charts attached ({reason})",
                  file=sys.__stderr__, flush=True)
        if not self._sized:  # presentation mode asked before the page was painted
            self._size_charts()
        for key, _heading in CHARTS:
            if key in self.models:
                continue
            model = PreparedBokehModel(self.figures[key], self._take_bundle(key),
                                       layout=w.Layout(width="100%"))
            self.models[key] = model
            self._slots[key].children = (model,)

    def _prepare_bundles(self) -> None:
        """The render bundle of every chart in presentation mode, then in normal mode: each
        figure set to the mode's size, text and panel columns, serialised (`prepare_bundle`),
        and left in normal mode. `?presentation=1` and a first switch to presentation mode
        then cost what the normal page costs."""
        grid = self.figures["multiples"]
        titles = [str(plot.title.text) for plot, *_ in sorted(
            grid.children, key=lambda child: (child[1], child[2]))]
        shown = self.presentation.value
        try:
            for wide in (True, False):
                self.presentation.value = wide  # no observer yet: nothing is redrawn
                _in_order(grid, titles, PRESENTATION_COLUMNS if wide else GRID_COLUMNS)
                for fig in self.figures.values():
                    self._scale_new(fig)
                    self._fit(fig)
                self._bundles[wide] = {key: prepare_bundle(fig)
                                       for key, fig in self.figures.items()}
        finally:
            self.presentation.value = shown
        self._grid_columns = GRID_COLUMNS

    def _take_bundle(self, key: str) -> dict[str, Any] | None:
        """The prepared bundle of chart `key` in the mode shown, if its figure has not changed
        since (kept: a switch back and forth draws from the bundles until a figure changes)."""
        return self._bundles[bool(self.presentation.value)].get(key)

    def _drop_bundle(self, key: str) -> None:
        """Chart `key` changed: its prepared bundles no longer show it."""
        for bundles in self._bundles.values():
            bundles.pop(key, None)

    def present(self, context: AppContext | None = None) -> LearningSessionApp:
        shown = super().present(context)
        if shown is not self:  # ?lang= asked for another language: that app is shown
            return cast(LearningSessionApp, shown)
        if not self._defer:
            self.attach_charts()
        return self

    def _refresh(self) -> None:
        """The data changed since the kernel was preheated (called before the page shows)."""
        self._data = None  # read again
        self._load(self._as_of)
        self.update()
        self.resync()

    def _filter_key(self) -> tuple[Any, ...]:
        """What the charts on screen were drawn for."""
        return (self.indicator.value, self.wave.value, self.district.value, self._as_of,
                self.period, self.team_search.value, self.team_list.value,
                self.team_sort.value, self._page)

    def view_state(self) -> dict[str, Any]:
        """The view on screen, in the words of the address (`workbench.apps.context.KEYS`):
        what a link to this view or a snapshot of it must show. `None`: the default."""
        return {
            "indicator": self.indicator.value,
            "wave": None if self.wave.value == _ALL else self.wave.value,
            "district": None if self.district.value == _ALL else self.district.value,
            "period": self._month,
            "reporting_month": str(self.period) if self.period is not None else None,
            "as_of": self._as_of,
            "presentation": bool(self.presentation.value),
            "search": self.team_search.value.strip() or None,
            "show": self.team_list.value,
            "sort": self.team_sort.value,
            "page": self._page,
            "teams": list(self.team_page.teams) if self.team_page is not None else [],
        }

    def _on_filter_change(self, change: dict[str, Any]) -> None:
        if not self._quiet:
            if change.get("owner") is not self.indicator:  # other teams: from the first page
                self._page = 1
            self.update(split=True)

    def _on_team_list_change(self, change: dict[str, Any]) -> None:
        if not self._quiet:
            self._page = 1
            self.update(split=True)

    def go_to_page(self, page: int) -> None:
        """Show page `page` of the team list (clamped to the pages there are)."""
        pages = self.team_page.pages if self.team_page is not None else 1
        page = min(max(1, page), pages)
        if page != self._page:
            self._page = page
            self.update(split=True)

    # -- the teams on screen ------------------------------------------------------------------
    def _paginate(self) -> TeamPage:
        """The page of teams to draw, for the filters, search, list and sort chosen."""
        teams = self.teams[self.teams["team_id"].isin(set(self.selected_teams()))]
        by_signals = self.team_sort.value in ("improvements", "concerns")
        # the indicator shown for the teams selected (the overview, the top and bottom lists)
        shown = [(t, self.indicator.value) for t in teams["team_id"]]
        if len(self.teams) <= PAGE_SIZE:
            self._analytics.ensure_all()  # one page: in one go
        elif by_signals and self.team_list.value == "all":  # a sort by signals: the teams
            self._analytics.ensure(teams["team_id"], self.indicators["indicator_id"])
        elif self.team_list.value != "all":  # top and bottom lists: every team's status
            self._analytics.ensure_pairs(shown)
        direction = str(self.indicators.set_index("indicator_id").loc[
            self.indicator.value].get("direction") or "increase")
        gains = self.gains if self.team_list.value.endswith("_gain") else _NO_GAINS
        self.team_page = team_page(
            teams, matrix=self.matrix, gains=gains, indicator_id=self.indicator.value,
            direction=direction, search=self.team_search.value, show=self.team_list.value,
            sort=self.team_sort.value, page=self._page)
        self._page = self.team_page.page
        # the overview: the teams' status for the indicator (a list by name, code or district
        # needs no status); the matrix's (the page's teams, every indicator) in the same batch
        # when there is one (another month or filter; else below the small multiples,
        # `_figures_below`)
        self._analytics.ensure_pairs(shown, along=[
            (t, i) for t in self.team_page.teams for i in self.indicators["indicator_id"]])
        return self.team_page

    def _page_teams(self) -> list[str]:
        return list(self.team_page.teams) if self.team_page is not None else []

    def _show_paging(self) -> None:
        """The pager, the rule of the list and the overview, for the page drawn."""
        page = self.team_page
        if page is None:
            return
        many = len(self.selected_teams()) > PAGE_SIZE
        self.pager.layout.display = "" if page.pages > 1 else "none"
        self.previous_page.disabled = page.page <= 1
        self.next_page.disabled = page.page >= page.pages
        self.page_info.value = ('<span class="wb-status wb-page">' + esc(_(
            "page {page} of {pages}").format(page=page.page, pages=page.pages)) + "</span>")
        if not page.teams:
            shown = _("No team matches")
        elif page.pages == 1 and page.listed == len(self.selected_teams()):
            shown = _("Showing all {count} teams").format(count=page.listed)
        elif page.pages == 1:
            shown = ngettext("Showing {listed} of {count} team", "Showing {listed} of {count} "
                             "teams", len(self.selected_teams())).format(
                listed=page.listed, count=len(self.selected_teams()))
        else:
            last = page.first + len(page.teams) - 1
            shown = _("Showing teams {first}–{last} of {listed} (page {page} of {pages})").format(
                first=page.first, last=last, listed=page.listed, page=page.page,
                pages=page.pages)
        self.team_rule.value = ('<div class="wb-status wb-team-rule">' + esc(_(
            "{shown}: {rule}.").format(shown=shown, rule=page.rule)) + "</div>")
        self._overview_box.layout.display = "" if many else "none"
        self.overview.value = self._overview_html() if many else ""

    def _overview_html(self) -> str:
        """Per district and per wave: the teams and their status for the indicator."""
        teams = self.teams[self.teams["team_id"].isin(set(self.selected_teams()))]
        heads = {"teams": _("Teams"), "reported": _("Reported this month"),
                 "at_target": _("At target"), "improvement": _("▲ Improvement"),
                 "concern": _("▼ Concern"), "no signal": _("● No signal"),
                 "not enough data": _("○ Not enough data")}
        parts = []
        for by, head in (("district", _("District")), ("wave_id", _("Wave"))):
            frame = overview(teams, self.matrix, self.indicator.value, by)
            parts.append(table(frame, {by: head, **heads}))
        return '<div class="wb-overview">' + "".join(parts) + "</div>"

    # -- data ---------------------------------------------------------------------------------
    def _load(self, as_of: str | None) -> None:
        """Read everything entered up to `as_of` (once per date) and pick the reporting month;
        its analytics are computed on demand (`workbench.apps.session_analytics`)."""
        if self._data is None or self._data.as_of != as_of:
            self._data = SessionData(self.engine, self.indicators, self.teams, self.ideas,
                                     as_of)
            _out_of_full_collections()
        data = self._data
        self._as_of = as_of
        self.measurements, self.cycles, self._reporting = (data.measurements, data.cycles,
                                                           data.reporting)
        self.period = data.default_period
        if self._month is not None and pd.Period(self._month, "M") in self._reporting.index:
            self.period = pd.Period(self._month, "M")
        else:
            self._month = None
        self._month_options()
        self._analytics = data.month(self.period)
        self._matrix_drawn: tuple[Any, ...] | None = None  # the teams (in order) of the matrix
        self._teams_drawn: tuple[Any, ...] | None = None  # the teams of the attainment chart
        self._funnel_drawn: tuple[Any, ...] | None = None  # indicator, teams, month: funnel

    @property
    def spc(self) -> pd.DataFrame:
        """The charts computed so far for the reporting month (`team_charts(...).spc`)."""
        return self._analytics.spc

    @property
    def events(self) -> pd.DataFrame:
        return self._analytics.events

    @property
    def matrix(self) -> pd.DataFrame:
        """`rollup.status_matrix` rows computed so far: the indicator shown for every team,
        the teams on the page for every indicator (every row after a sort by signals)."""
        return self._analytics.matrix

    @property
    def gains(self) -> pd.DataFrame:
        """`rollup.gain_from_baseline` of the teams selected for the indicator shown."""
        return self._analytics.gains(self.indicator.value, self.selected_teams())

    def _panel_sources(self, indicator_id: str, teams: list[str]) -> dict[str, dict[str, Any]]:
        """The small-multiple panel data of `teams` for one indicator (each team computed once
        per as-of date and month, when first shown: 2,000 teams' panels are never all
        computed; `MonthAnalytics.panels`)."""
        return self._analytics.panels(indicator_id, teams)

    def selected_teams(self) -> list[str]:
        """The teams of the wave and district picked (kept for them: a step asks ~10 times)."""
        key = (self.wave.value, self.district.value, id(self.teams))
        kept = getattr(self, "_selected", None)
        if kept is None or kept[0] != key:
            teams = self.teams
            if self.wave.value != _ALL:
                teams = teams[teams["wave_id"] == self.wave.value]
            if self.district.value != _ALL:
                teams = teams[teams["district"] == self.district.value]
            kept = self._selected = (key, list(teams["team_id"]))
        return list(kept[1])

    def _labels(self) -> dict[str, str]:
        """Panel titles: code and name ("T01 Kisoro HC"), short enough for a 200 px panel."""
        return {str(t): f"{t} {n}" for t, n in zip(self.teams["team_id"], self.teams["name"],
                                                   strict=True)}

    def _names(self) -> dict[str, str]:
        """Team names for tables and the matrix (the code only where names repeat)."""
        if getattr(self, "_team_names", None) is None:
            self._team_names = team_labels(self.teams)
        return self._team_names

    def _figures(self) -> dict[str, Any]:
        """Every chart's figure that changed (the small multiples: `_redraw_multiples`)."""
        self._shown_figures()
        return self._figures_below()

    def _indicator_shown(self) -> dict[str, Any]:
        """The indicator picked, as a dict of its attributes (with its `indicator_id`)."""
        ind: dict[str, Any] = self.indicators.set_index("indicator_id").loc[
            self.indicator.value].to_dict()
        ind["indicator_id"] = self.indicator.value
        return ind

    def _shown_figures(self) -> None:
        """The page of teams and the small multiples' input (`_multiples_input`), or
        `_NoData` if there is nothing to draw."""
        ind = self._indicator_shown()
        page = self._paginate()
        shown = set(page.teams)
        spc = self.spc[self.spc["team_id"].isin(shown)]
        events = self.events[self.events["team_id"].isin(shown)] if len(self.events) else None
        if not shown:
            raise _NoData(f"No team matches “{self.team_search.value.strip()}” in the teams "
                          "selected: try part of a team's name or its code.")
        if spc[spc["indicator_id"] == self.indicator.value].empty:
            raise _NoData(_("No data for {indicator} in the teams selected.").format(
                indicator=ind["name"]))
        self._multiples_input = (spc, ind, events)

    def _figures_below(self) -> dict[str, Any]:
        """The funnel, the status matrix and the share at target, where what they show
        changed (after `_shown_figures`)."""
        from workbench.charts import collab as charts_collab

        ind = self._indicator_shown()
        teams = set(self.selected_teams())
        page = cast(TeamPage, self.team_page)
        shown = set(page.teams)
        names = self._names()
        period = str(self.period) if self.period is not None else ""
        m = cast(SessionData, self._data).of_indicator(self.indicator.value)  # its rows, kept
        latest = m[m["period"] == self.period]
        latest = latest[latest["team_id"].isin(teams)]
        figures = {}
        funnel = (self.indicator.value, tuple(sorted(teams)), period)
        if funnel != self._funnel_drawn:  # the funnel: every team selected, not just the page
            self._funnel_drawn = funnel
            figures["funnel"] = charts_collab.funnel_plot(latest, ind, period=period,
                                                          team_labels=names)
        order = tuple(page.teams)
        self._analytics.ensure(page.teams, self.indicators["indicator_id"])  # the matrix
        if order != self._matrix_drawn:  # the matrix shows the page, every indicator
            self._matrix_drawn = order
            matrix = self.matrix[self.matrix["team_id"].isin(shown)]
            figures["matrix"] = charts_collab.status_matrix_chart(
                matrix, self.indicators, period=period, team_labels=names, order=order)
        key = (tuple(sorted(teams)), period)
        if key != self._teams_drawn:  # the share at target: every team selected
            self._teams_drawn = key
            months = cast(SessionData, self._data).attainment(teams, self.period)
            figures["attainment"] = charts_collab.target_attainment_chart(months,
                                                                          self.indicators)
        return figures

    def _redraw_multiples(self) -> str:
        """New data into the panels on screen (one patch): the same teams, or as many other
        teams (another page), each panel taking the next team's data and title; for another
        mode (other panel columns) the same panels laid out anew and drawn anew; else (another
        number of teams) a new grid."""
        from workbench.charts import series as charts

        spc, ind, events = self._multiples_input
        model = self.models.get("multiples")
        grid = self.figures.get("multiples")
        plots = plots_of(grid) or [] if grid is not None else []
        with_data = set(spc.loc[spc["indicator_id"] == ind["indicator_id"], "team_id"])
        teams = [t for t in self._page_teams() if t in with_data]  # in the page's order
        labels = self._labels()
        ncols = PRESENTATION_COLUMNS if self.presentation.value else GRID_COLUMNS
        data = self._panel_sources(ind["indicator_id"], teams) if (
            grid is not None and len(plots) == len(teams)) else {}
        panels = _panel_map(plots, teams, data) if data else None
        if panels is None:
            grid = charts.small_multiples(spc, ind, team_labels=labels, events=events,
                                          ncols=ncols, width=GRID_WIDTH)
            _in_order(grid, [labels.get(t, t) for t in teams], ncols)
            self._grid_columns = ncols
            self.figures["multiples"] = lighten_small_multiples(grid, charts.is_percent(ind))
            if self.presentation.value:
                self._scale_new(grid)
                self._fit(grid)
            self._drop_bundle("multiples")
            if model is not None:
                model.update_from_model(grid)
            return "replaced"
        if ncols != self._grid_columns:  # another mode: the panels on screen (they show the
            # page's data) in `ncols` columns, their text scaled, as one patch (BokehJS lays
            # the grid out again on a change of its children, sizes or width policy)
            with one_patch(model) if model is not None else nullcontext():
                self._scale_new(grid)  # text first: BokehJS reads styles as it applies these
                _in_order(grid, [labels.get(t, t) for t in teams], ncols)
                self._grid_columns = ncols
                self._fit(grid)
            return "patched"
        starts = [d["range"]["start"][0] for d in data.values() if "range" in d]
        ends = [d["range"]["end"][0] for d in data.values() if "range" in d]
        with one_patch(model) if model is not None else nullcontext():
            for plot, team, sources in panels:
                for key, source in sources.items():
                    source.data = dict(data[team][key])
                    if source.name != f"{team}:{key}":
                        source.name = f"{team}:{key}"
                if plot.title.text != labels.get(team, team):
                    plot.title.text = labels.get(team, team)
            if plots and starts:
                plots[0].y_range.update(start=min(starts), end=max(ends))
            months = spc.loc[spc["indicator_id"] == ind["indicator_id"], "x"]
            if plots and len(months):  # the months shown (an as-of date has fewer)
                plots[0].x_range.update(start=months.min() - MONTHS_PAD,
                                        end=months.max() + MONTHS_PAD)
        return "patched"

    def _improved_html(self) -> str:
        """The most-improved table of the teams selected (not only the page's): computed
        again only when the indicator, the teams, the month or the data changed."""
        key = (self.indicator.value, tuple(self.selected_teams()), str(self.period),
               self._analytics)
        if getattr(self, "_improved_key", None) != key:
            self._improved_value = self._most_improved_html()
            self._improved_key = key
        return self._improved_value

    def _most_improved_html(self) -> str:
        teams = set(self.selected_teams())
        gains = self.gains[self.gains["team_id"].isin(teams)]
        best = rollup.most_improved(gains, n=5, indicator_ids=[self.indicator.value])
        if best.empty:
            return banner(_("No team has improved on its baseline yet (or there are not "
                            "enough months to compare with it)."), "info")
        cycles = self.cycles  # the ranked teams' cycles only (the rule is per team)
        cycles = cycles[cycles["team_id"].isin(set(best["team_id"]))] if len(cycles) else cycles
        changes = rollup.changes_before_gain(best, cycles, self.ideas)
        names = dict(zip(self.ideas["change_id"], self.ideas["name"], strict=False))
        team_names = self._names()
        rows = []
        for row in best.itertuples():
            mine = changes[changes["team_id"] == row.team_id]
            words = [f"{names.get(c.change_id, c.change_id)} ({c.decision}ed "
                     f"{month_label(str(c.decided_period))})" for c in mine.itertuples()]
            team = str(row.team_id)
            rows.append({"rank": row.rank, "team": team_names.get(team, team),
                         "code": row.team_id, "gain": f"{row.improvement_pp:+.1f}",
                         "changes": "; ".join(words) or _("none recorded")})
        return table(pd.DataFrame(rows), {
            "rank": "#", "team": _("Team"), "code": _("Code"), "gain": _("Improvement (points)"),
            "changes": _("Changes for this indicator adopted or adapted before its latest "
                         "month")})

    # -- redraw -------------------------------------------------------------------------------
    def update(self, split: bool = False) -> dict[str, Any]:
        """Redraw every chart for the current filters; returns what was done and its time.

        The top of the page first: the overview, the list's rule and pager and the small
        multiples (`_shown_figures`); then the charts and table below them (the status matrix,
        the share at target, the funnel, the most-improved table: `_redraw_below`). With
        `split` (a facilitator's change, in a Voilà kernel whose charts are on the page) the part
        below is computed once the kernel has sent the top's patch, so the browser draws the
        top while the kernel computes the rest; the status line's redraw count (what tests
        and benchmarks wait for) moves only when both are done. Without (building, a request
        being applied, no event loop) both run now, in order.
        """
        start = time.perf_counter()
        self._generation += 1  # a second part still to run for an earlier change is dropped
        try:
            self._shown_figures()
        except _NoData as exc:
            self.notify(str(exc), "warning")
            self.redraws += 1  # nothing to draw, said on the page
            self.status.value = self._status_html()
            self._show_paging()
            return {}
        # the list's rule, pager and status line first: they say what the charts about to
        # arrive show (the status's redraw count moves only when all is done, below)
        self._show_paging()
        self.status.value = self._status_html()
        done: dict[str, Any] = {"multiples": self._redraw_multiples()}
        self._drop_bundle("multiples")
        self.last_redraw = done

        def below(generation: int = self._generation) -> None:
            if generation != self._generation:  # a later change redraws it (nothing is lost:
                return  # what a figure shows is decided when it is redrawn)
            done.update(self._redraw_below())
            done.update(seconds=time.perf_counter() - start, teams=len(self.selected_teams()))
            self.redraws += 1
            self._drawn = self._filter_key()
            self.status.value = self._status_html()
            self.notify("")

        if not (split and self._split and self.models and _soon(self.guard(below))):
            below()
        return self.last_redraw

    def _redraw_below(self) -> dict[str, Any]:
        """The charts below the small multiples and the most-improved table, redrawn for the
        current filters (each only if what it shows changed: `_figures_below`)."""
        figures = self._figures_below()
        if self.presentation.value:  # new figures are built with normal-size text
            for fig in figures.values():
                self._scale_new(fig)
                self._fit(fig)
        done: dict[str, Any] = {}
        for key, fig in figures.items():
            if key in self.models:
                done[key] = redraw(self.models[key], fig)
                fig = self.models[key]._model
            else:
                done[key] = "replaced"
            self.figures[key] = fig
            self._drop_bundle(key)
        self.improved.value = self._improved_html()
        return done

    def _month_options(self) -> None:
        """The month picker: every month with data, newest first, with its teams reporting;
        it shows `self.period` (set quietly: no redraw)."""
        teams = len(self.teams)
        options = [(_("{month}: reported by {n} of {teams}").format(
            month=month_label(str(p)), n=n, teams=teams), str(p))
                   for p, n in self._reporting.iloc[::-1].items()]
        quiet, self._quiet = getattr(self, "_quiet", False), True
        try:
            self.month.options = options
            self.month.value = str(self.period) if self.period is not None else None
        finally:
            self._quiet = quiet

    def _on_month_change(self, change: dict[str, Any]) -> None:
        if self._quiet or change["new"] is None or change["new"] == str(self.period):
            return
        self._month = change["new"]
        self._load(self._as_of)
        self.update(split=True)

    def _status_html(self) -> str:
        snapshot = (" " + _("as entered by {day}").format(day=self._as_of)
                    if self._as_of else "")
        month = month_label(self.period) if self.period is not None else _("no data yet")
        rule = (_("picked") if self._month is not None
                else _("by default {rule}").format(rule=_(REPORTING_RULE)))
        teams = _("{n} teams, reporting month {month}").format(
            n=len(self.selected_teams()), month=month)
        said = _("Reporting month: {rule}.").format(rule=rule)
        # data-redraws: how many redraws reached the page (benchmarks wait for the next one)
        return (f'<span class="wb-status" data-redraws="{self.redraws}">'
                f"{esc(teams)}{esc(snapshot)}</span>"
                f'<div class="wb-status wb-rule">{esc(said)}</div>')

    def _on_as_of_change(self, change: dict[str, Any]) -> None:
        if self._quiet:
            return
        value = (change["new"] or "").strip() or None
        if value is not None:
            from workbench.apps.context import parse_query

            parsed = parse_query(f"as_of={value}")
            if parsed.problems:
                self.notify(parsed.problems[0], "error")
                return
        self._load(value)
        self.update(split=True)

    def _on_presentation_change(self, change: dict[str, Any]) -> None:
        if change["new"]:
            self.add_class("wb-presentation")
        else:
            self.remove_class("wb-presentation")
        if self._defer and not self.models:  # `?presentation=1`: the page's text is large at
            self._sized = False  # once; the charts are sized when attached, after the paint
            return
        self._size_charts()

    def _size_charts(self) -> None:
        """Every chart sized for the current mode (normal or presentation): a chart on the
        page gets its new text sizes, width policy and heights as one document patch
        (`one_patch`: BokehJS lays the chart out again, its data and views are kept); a chart
        not on the page yet keeps the mode's prepared bundle (`_prepare_bundles`)."""
        self._sized = True
        for key, fig in self.figures.items():
            if key == "multiples":
                continue
            model = self.models.get(key)
            with one_patch(model) if model is not None else nullcontext():
                self._scale_new(fig)
                self._fit(fig)
        self._redraw_multiples()  # fewer, wider panels: their titles fit the large type
        self.redraws += 1
        self.status.value = self._status_html()

    def _fit(self, fig: Any) -> None:
        """The figure's (or grid's) size for the current mode: in presentation mode as wide as
        the page and `PRESENTATION_HEIGHT` times taller; else its normal fixed size."""
        wide = bool(self.presentation.value)
        for model in [fig, *(plots_of(fig) or [])]:
            base = self._heights.setdefault(model.id, model.height) if model.height else None
            model.sizing_mode = "stretch_width" if wide else "fixed"
            if base is not None:
                model.height = round(base * PRESENTATION_HEIGHT) if wide else base

    def _scale_new(self, fig: Any) -> int:
        """Text sizes of a figure for the current mode (a new figure has normal sizes)."""
        factor = PRESENTATION_SCALE if self.presentation.value else 1.0
        shown = {f.id for f in self.figures.values()} | {fig.id}
        for gone in set(self._text_models) - shown:  # figures drawn anew since
            del self._text_models[gone]
        if fig.id not in self._text_models:  # the same figure patched keeps its text models
            self._text_models[fig.id] = text_models(fig)
        return scale_text(fig, factor, self._font_sizes, self._text_models[fig.id])

    def _show(self, context: AppContext) -> None:
        context = context.checked(indicators=set(self.indicators["indicator_id"]),
                                  waves=set(self.teams["wave_id"].dropna()),
                                  districts=set(self.teams["district"].dropna()))
        self._quiet = True
        try:  # the filters take the query string's values; one redraw below, if any
            if context.indicator:
                self.indicator.value = context.indicator
            if context.wave:
                self.wave.value = context.wave
            if context.district:
                self.district.value = context.district
            if context.as_of:
                self.as_of.value = context.as_of
            self.presentation.value = context.presentation
            if context.search:
                self.team_search.value = context.search
            if context.show in SHOW:
                self.team_list.value = context.show
            if context.sort in SORTS:
                self.team_sort.value = context.sort
            if context.page:
                self._page = context.page
        finally:
            self._quiet = False
        for key, allowed in (("show", SHOW), ("sort", SORTS)):
            value = getattr(context, key)
            if value is not None and value not in allowed:
                context = context.with_problem(
                    f"{key}={value!r} in the address is not one of {', '.join(allowed)}; "
                    "it was ignored.")
        problems = list(context.problems)
        if context.period and context.period != self._month:
            self._month = context.period
            self._load(context.as_of or self._as_of)
            if self._month is None:
                problems.append(_("no team reported in {asked}; showing the reporting month "
                                  "{month} instead.").format(asked=context.period,
                                                             month=self.period))
        if context.as_of and context.as_of != self._as_of:
            self._load(context.as_of)
        if self._filter_key() != self._drawn:
            self.update()
            self.resync()
        if problems:
            self.notify("\n".join(problems), "warning")

    def resync(self) -> None:
        """Put the figures' current state into the widgets' initial state.

        Before a page's view exists, in-place changes (document patches) reach no browser:
        the page renders each `BokehModel` from its `render_bundle`, set when the figure was
        attached. After a redraw in `_show` (the request arrived, the page is not shown yet)
        the bundles are rebuilt from the figures.
        """
        for model in self.models.values():
            model.update_from_model(model._model)


#: the gains a team list that is not by gain needs: none (the list does not read them)
_NO_GAINS = pd.DataFrame({"team_id": pd.Series(dtype=object),
                          "indicator_id": pd.Series(dtype=object),
                          "improvement_pp": pd.Series(dtype=float)})


def _soon(callback: Any) -> bool:
    """Run `callback` once the kernel is done with the message it handles (its patches
    sent), if an event loop runs (in a kernel); False if none does (then nothing is done)."""
    import asyncio

    try:
        asyncio.get_running_loop().call_soon(callback)
    except RuntimeError:
        return False
    return True


def _out_of_full_collections() -> None:
    """The data just read (at 2,000 teams some 550,000 long-lived objects) out of the garbage
    collector's full collections: each took ~0.6 s of a step (a page, a month) on whichever
    step happened to trigger it. Collected once now, then frozen (`gc.freeze`); objects
    frozen earlier (a previous "as of" date's) are collected with it."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def _panel_map(plots: list[Any], teams: list[str], data: dict[str, dict[str, Any]]
               ) -> list[tuple[Any, str, dict[str, Any]]] | None:
    """Each panel on screen with the team it is to show and its sources by key ("points"…),
    if every panel has exactly the sources the team's data has (else None: draw anew)."""
    out = []
    for plot, team in zip(plots, teams, strict=True):
        sources = {r.data_source.name.split(":", 1)[-1]: r.data_source for r in plot.renderers
                   if getattr(r, "data_source", None) is not None}
        wanted = set(data.get(team, {})) - {"range"}
        if not wanted or set(sources) != wanted:
            return None
        out.append((plot, team, sources))
    return out


def _in_order(grid: Any, titles: list[str], ncols: int) -> None:
    """Lay out the panels of a small-multiples grid in the order of `titles` (row by row).

    The same plots in other places: no model joins or leaves the grid's document, so the
    document's index of its models (bokeh recomputes it on any change of references: a walk
    of every model, ~4,700 at 48 panels, 90% of the kernel's CPU for a switch of mode) is
    left as it is, as bokeh's own `models.freeze()` holds it (whose exit would walk them)."""
    rank = {title: i for i, title in enumerate(titles)}
    def place(plot: Any) -> int:
        return rank.get(str(getattr(plot.title, "text", plot.title)), len(rank))

    plots = sorted(plots_of(grid) or [], key=place)
    children = [(plot, i // ncols, i % ncols) for i, plot in enumerate(plots)]
    doc = grid.document
    if doc is None or len(plots) != len(grid.children):  # other children: bokeh reindexes
        grid.children = children
        return
    doc.models._freeze_count += 1  # as `models.freeze()` holds the index, without its walk
    try:
        grid.children = children
    finally:
        doc.models._freeze_count -= 1


class _NoData(Exception):
    pass

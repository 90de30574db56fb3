""""Share this view": a static, offline HTML snapshot of a learning-session view.

A learning session has tens of viewers, and every page view of the live app holds a kernel of
150-200 MB. The facilitator shares a snapshot instead: one HTML file that opens in any browser
with no kernel and no network (BokehJS inline, nothing fetched), showing what the app shows
for the same view — the small multiples, where each team stands, teams at target over time,
the funnel, the most improved teams — plus a plain table of every selected team's status.
Its title names the filters and the "as of" date.

- `ViewState`: the view (indicator, wave, district, month, as-of date, language), what the
  app's filters hold (`workbench.apps.share.view_state_of` reads them);
- `session_view(engine, state)`: the view's data, read once by
  `briefs.summary.read_collaborative_inputs` (measurements, PDSA cycles and flags as of the
  view's date, as the summary reads them) and computed by the same library functions the app
  calls (`read_measurements(as_of=…)`, `cycles_as_of`, `flags_as_of`,
  `rollup.base.reporting_month`, `charts.data.chart_view`, `rollup.status_matrix` with
  `rollup.signal_status` of the charts drawn, `rollup.gain_from_baseline`,
  `rollup.most_improved`, `rollup.changes_before_gain`); a test checks the snapshot and the
  app agree for a view (`tests/briefs/test_snapshot.py`);
- `snapshot_figures(view)`: the bokeh figures (`workbench.charts`, `workbench.charts.collab`);
- `snapshot_html(view)`: the page (template `templates/snapshot/learning_session.html.j2`,
  every text escaped by Jinja's autoescape, bokeh's JSON escaped by bokeh);
- `write_snapshot(engine, state, path)`: all of it, written atomically; returns the file.

`workbench snapshot` (CLI) and the app's "Share this view" button call `write_snapshot`.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, cast

import pandas as pd
from sqlalchemy import Connection, Engine

from workbench.briefs.summary import as_of_timestamp, read_collaborative_inputs
from workbench.errors import Message, NotFoundError, ValidationFailed
from workbench.i18n import N_, current_language, format_datetime, use_language
from workbench.i18n import gettext as _
from workbench.model import is_period, period_problem
from workbench.rollup import metrics as rollup
from workbench.rollup.base import REPORTING_RULE, reporting_month, teams_reporting_by_month
from workbench.rollup.status import signal_label, signal_legend

__all__ = [
    "TEMPLATE",
    "SessionView",
    "ViewState",
    "session_view",
    "snapshot_figures",
    "snapshot_file_name",
    "snapshot_html",
    "snapshot_title",
    "write_snapshot",
]

#: the page's template, under `templates/`
TEMPLATE = "snapshot/learning_session.html.j2"
#: the small multiples of the snapshot: panels per row and grid width (the app's normal mode)
GRID_COLUMNS, GRID_WIDTH = 6, 1200
#: the most improved teams listed (as the app)
MOST_IMPROVED = 5


@dataclass(frozen=True)
class ViewState:
    """A learning-session view: what the app's filters hold.

    `indicator`: a code (None: the first indicator); `wave`, `district`: one or None (all);
    `month`: `YYYY-MM` picked (None: the reporting-month rule, `REPORTING_RULE`); `as_of`:
    only data entered up to then (`YYYY-MM-DD`; None: live); `teams`: only these of the
    teams the filters select (the page of teams an app shows; None: all); `language`: of the
    page (None: the current language)."""

    indicator: str | None = None
    wave: str | None = None
    district: str | None = None
    month: str | None = None
    as_of: str | None = None
    teams: tuple[str, ...] | None = None
    language: str | None = None


@dataclass
class SessionView:
    """The data of one view, ready to draw (`session_view`)."""

    state: ViewState
    collaborative: str
    indicator: dict[str, Any]
    indicators: pd.DataFrame
    teams: pd.DataFrame  # every team of the collaborative
    selected_ids: list[str]  # the teams the filters select (funnel, attainment, most improved)
    team_ids: list[str]  # the teams on screen: `state.teams` (a page, in its order) or all
    names: dict[str, str]  # team id -> name as the matrix, funnel and tables say it
    period: pd.Period | None
    month_picked: bool
    teams_reporting: int  # in the reporting month, of every team
    measurements: pd.DataFrame  # of the teams selected
    spc: pd.DataFrame  # of the teams on screen
    events: pd.DataFrame
    matrix: pd.DataFrame  # the teams on screen's rows of the status matrix, every indicator
    gains: pd.DataFrame
    improved: list[dict[str, Any]]  # the most improved teams and the changes before it
    generated: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    @property
    def labels(self) -> dict[str, str]:
        """`T01 Kabale RRH`: a team as the small multiples' panels name it (as the app)."""
        return _code_and_name(self.teams)

    def statuses(self) -> pd.DataFrame:
        """One row per team on screen (in their order) for the view's indicator: team_id,
        label (its name), latest_period, value (formatted), target_met, signal (a `SIGNALS`
        code), rule."""
        from workbench.charts.series import format_value

        rows = self.matrix[self.matrix["indicator_id"] == self.indicator["indicator_id"]]
        rows = rows.set_index("team_id").reindex(
            [t for t in self.team_ids if t in set(rows["team_id"])]).reset_index()
        labels = self.names
        out = []
        for row in rows.itertuples(index=False):
            reported = pd.notna(row.latest_value) and not (
                pd.notna(row.months_since_report) and row.months_since_report > 0)
            out.append({
                "team_id": row.team_id, "label": labels.get(row.team_id, row.team_id),
                "latest_period": row.latest_period,
                "value": format_value(row.latest_value, self.indicator) if reported else "–",
                "target_met": (None if pd.isna(row.target_met) or not reported
                               else bool(row.target_met)),
                "signal": str(row.signal), "rule": str(row.signal_rule or ""),
            })
        return pd.DataFrame(out, columns=["team_id", "label", "latest_period", "value",
                                          "target_met", "signal", "rule"])


#: what a learning-session filter chooses, in words
_CHOICES = {"indicator": N_("indicator"), "wave": N_("wave"), "district": N_("district")}


def _choice(value: str | None, known: set[str], what: str, option: str) -> str | None:
    if value is None or value == "":
        return None
    if value not in known:
        raise NotFoundError(N_("{what} {value!r} is not in the collaborative; choose one of: "
                               "{known} (or leave {option} out)."),
                            params={"what": Message(_CHOICES.get(what, what)), "value": value,
                                    "known": ", ".join(sorted(known)) or Message(N_("none")),
                                    "option": option})
    return value


def _checked(state: ViewState, indicators: pd.DataFrame, teams: pd.DataFrame) -> ViewState:
    """The state with its indicator filled in; an unknown code, month or date is an error."""
    codes = list(indicators["indicator_id"])
    if not codes:
        raise NotFoundError(N_("the collaborative has no indicator yet; run `workbench init`."))
    indicator = _choice(state.indicator, set(codes), "indicator", "--indicator") or codes[0]
    wave = _choice(state.wave, set(teams["wave_id"].dropna()), "wave", "--wave")
    district = _choice(state.district, {d for d in teams["district"].dropna() if d},
                       "district", "--district")
    month = state.month or None
    if month is not None and not is_period(month):
        raise ValidationFailed(N_("month {month!r}: {problem}."),
                               params={"month": month, "problem": period_problem(month)})
    as_of = (state.as_of or "").strip() or None
    if as_of is not None:
        as_of_timestamp(as_of)  # a clear error for a bad date
    unknown = sorted(set(state.teams or ()) - set(teams["team_id"]))
    if unknown:
        raise NotFoundError(N_("team {value!r} is not in the collaborative; team codes are "
                               "listed by `workbench status`."),
                            params={"value": unknown[0]})
    return replace(state, indicator=indicator, wave=wave, district=district, month=month,
                   as_of=as_of, teams=tuple(state.teams) if state.teams else None)


def session_view(engine: Engine | Connection, state: ViewState, *,
                 team_names: Callable[[pd.DataFrame], Mapping[str, str]] | None = None
                 ) -> SessionView:
    """The data of a learning-session view, computed as the app computes it (module doc).

    `team_names(teams)`: each team's name as the app's matrix, funnel and tables say it
    (`workbench.rollup.names.team_labels`; default: code and name). An unknown
    indicator, wave, district or team, a month nobody reported in, or an as-of date that is
    not a date is an error naming the choices."""
    from workbench.charts import data as chartdata

    inputs = read_collaborative_inputs(  # the store read once, as the summary reads it
        engine, (state.as_of or "").strip() or None)
    indicators = inputs.indicators  # no team's own measure (as the app)
    teams = inputs.teams
    state = _checked(state, indicators, teams)
    measurements, cycles, ideas = inputs.measurements, inputs.cycles, inputs.change_ideas
    reporting = teams_reporting_by_month(measurements)
    period = reporting_month(measurements)
    picked = False
    if state.month is not None:
        asked = pd.Period(state.month, "M")
        if asked not in reporting.index:
            span = (Message(N_("the months with data run from {first} to {last}"),
                            {"first": reporting.index.min(), "last": reporting.index.max()})
                    if len(reporting) else Message(N_("there are no data yet")))
            raise ValidationFailed(N_("no team reported in {month} by {as_of}: {span}; choose a "
                                      "month in that range or leave --month out.") if state.as_of
                                   else N_("no team reported in {month}: {span}; choose a month "
                                           "in that range or leave --month out."),
                                   params={"month": state.month, "as_of": state.as_of,
                                           "span": span})
        period, picked = asked, True
    upto = measurements if period is None else measurements[measurements["period"] <= period]
    view = chartdata.chart_view(upto, indicators, cycles, ideas,
                                inputs.flags)  # open error flags: left out of the limits
    matrix = rollup.status_matrix(measurements, indicators, teams, period=period,
                                  signals=rollup.signal_status(view.spc, indicators))
    gains = rollup.gain_from_baseline(measurements, indicators, teams, period=period,
                                      levels=("team",))
    selected = teams
    if state.wave is not None:
        selected = selected[selected["wave_id"] == state.wave]
    if state.district is not None:
        selected = selected[selected["district"] == state.district]
    selected_ids = list(selected["team_id"])
    chosen = set(selected_ids)
    team_ids = ([t for t in state.teams if t in chosen] if state.teams else selected_ids)
    shown = set(team_ids)
    code = str(state.indicator)
    ind: dict[str, Any] = {str(k): v for k, v in
                           indicators.set_index("indicator_id").loc[code].to_dict().items()}
    ind["indicator_id"] = code
    names = dict(team_names(teams)) if team_names is not None else _code_and_name(teams)
    return SessionView(
        state=state, collaborative=str(inputs.name), indicator=ind,
        indicators=indicators, teams=teams, selected_ids=selected_ids, team_ids=team_ids,
        names=names, period=period, month_picked=picked,
        teams_reporting=int(reporting.get(period, 0)) if period is not None else 0,
        measurements=measurements[measurements["team_id"].isin(chosen)],
        spc=view.spc[view.spc["team_id"].isin(shown)],
        events=(view.events[view.events["team_id"].isin(shown)] if len(view.events)
                else view.events),
        matrix=matrix[matrix["team_id"].isin(shown)].reset_index(drop=True),
        gains=gains[gains["team_id"].isin(chosen)],
        improved=_improved(gains[gains["team_id"].isin(chosen)], code, cycles, ideas, names))


def _code_and_name(teams: pd.DataFrame) -> dict[str, str]:
    return {str(t): f"{t} {n}" for t, n in zip(teams["team_id"], teams["name"], strict=True)}


def _improved(gains: pd.DataFrame, indicator_id: str, cycles: pd.DataFrame,
              ideas: pd.DataFrame, team_names: Mapping[str, str]) -> list[dict[str, Any]]:
    """The most improved teams and the changes adopted before (the app's table, as rows)."""
    from workbench.charts.data import month_label

    best = rollup.most_improved(gains, n=MOST_IMPROVED, indicator_ids=[indicator_id])
    if best.empty:
        return []
    changes = rollup.changes_before_gain(best, cycles, ideas)
    names = dict(zip(ideas["change_id"], ideas["name"], strict=False))
    rows = []
    for row in cast("list[dict[str, Any]]", best.to_dict("records")):
        mine = changes[changes["team_id"] == row["team_id"]]
        words = [f"{names.get(c['change_id'], c['change_id'])} ({c['decision']}ed "
                 f"{month_label(c['decided_period'])})"
                 for c in cast("list[dict[str, Any]]", mine.to_dict("records"))]
        rows.append({"rank": int(row["rank"]),
                     "team": team_names.get(row["team_id"], row["team_id"]),
                     "code": row["team_id"],
                     "gain": f"{row['improvement_pp']:+.1f}",
                     "changes": "; ".join(words) or _("none recorded")})
    return rows


# ---------------------------------------------------------------------------------------------
# The page


def snapshot_figures(view: SessionView) -> dict[str, Any]:
    """The charts of the view, in page order: multiples, matrix, attainment, funnel (the
    app's `CHARTS`); a view whose teams have no data for the indicator has no multiples."""
    from workbench.charts import collab as charts_collab
    from workbench.charts import series as charts

    ind = view.indicator
    period = str(view.period) if view.period is not None else ""
    figures: dict[str, Any] = {}
    if not view.spc[view.spc["indicator_id"] == ind["indicator_id"]].empty:
        figures["multiples"] = charts.small_multiples(
            view.spc, ind, team_labels=view.labels,
            events=view.events if len(view.events) else None, ncols=GRID_COLUMNS,
            width=GRID_WIDTH)
    selected = view.teams[view.teams["team_id"].isin(view.selected_ids)]
    months = rollup.indicator_summary(view.measurements, view.indicators, selected,
                                      period=view.period)
    figures["matrix"] = charts_collab.status_matrix_chart(
        view.matrix, view.indicators, period=period, team_labels=view.names,
        order=view.team_ids if view.state.teams else None)
    figures["attainment"] = charts_collab.target_attainment_chart(months, view.indicators)
    m = view.measurements
    latest = m[(m["indicator_id"] == ind["indicator_id"]) & (m["period"] == view.period)]
    figures["funnel"] = charts_collab.funnel_plot(latest, ind, period=period,
                                                  team_labels=view.names)
    return figures


def _filters(view: SessionView) -> list[tuple[str, str]]:
    """(label, value) of each filter of the view, in the page's language."""
    from workbench.charts.data import month_label

    state = view.state
    ind = view.indicator
    month = month_label(view.period) if view.period is not None else _("no data yet")
    return [
        (_("Indicator"), f"{ind.get('name') or ind['indicator_id']} ({ind['indicator_id']})"),
        (_("Wave"), state.wave or _("All waves")),
        (_("District"), state.district or _("All districts")),
        (_("Month"), month),
        (_("As of"), state.as_of or _("live data when generated")),
    ]


def snapshot_title(view: SessionView) -> str:
    """The page's title: the app's name, then the filters and the as-of date, e.g.
    `Learning session — AMTSL · Kisoro · all waves · Oct 2026 · as of 2025-10-15`."""
    from workbench.charts.data import month_label

    state = view.state
    parts = [str(view.indicator["indicator_id"]),
             state.district or _("all districts"), state.wave or _("all waves"),
             month_label(view.period) if view.period is not None else _("no data yet"),
             (_("as of {date}").format(date=state.as_of) if state.as_of
              else _("live on {date}").format(date=view.generated.strftime("%Y-%m-%d")))]
    return _("Learning session — {view}").format(view=" · ".join(parts))


def _status_rows(view: SessionView) -> list[dict[str, Any]]:
    from workbench.charts.collab import SIGNAL_STYLE
    from workbench.charts.data import month_label

    rows = []
    for row in cast("list[dict[str, Any]]", view.statuses().to_dict("records")):
        signal, rule = str(row["signal"]), str(row["rule"] or "")
        icon = SIGNAL_STYLE.get(signal, SIGNAL_STYLE["not enough data"])[0]
        rule = ", ".join(signal_label(p.strip()) for p in rule.split(",")) if rule else ""
        met = row["target_met"]
        rows.append({
            "team": row["label"], "code": row["team_id"], "signal_code": signal,
            "signal": f"{icon} {signal_label(signal)}" + (f" ({rule})" if rule else ""),
            "latest": (month_label(row["latest_period"]) if pd.notna(row["latest_period"])
                       else "–"),
            "value": row["value"],
            "target": ("–" if met is None or pd.isna(met)
                       else "✓ " + _("target met") if bool(met) else _("below target")),
        })
    return rows


@functools.cache
def _environment() -> Any:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    from workbench.paths import templates_dir

    return Environment(loader=FileSystemLoader(str(templates_dir())),
                       autoescape=select_autoescape(["html", "j2"], default=True),
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def snapshot_html(view: SessionView) -> str:
    """The snapshot page of `view`: one offline HTML text (BokehJS inline, no request leaves
    the page), in the view's language."""
    from markupsafe import Markup

    from workbench.charts.data import month_label
    from workbench.charts.embed import components
    from workbench.charts.series import bokehjs_script

    with use_language(view.state.language or current_language()):
        figures = snapshot_figures(view)
        script, divs = components(list(figures.values()))
        charts = dict(zip(figures, divs, strict=True))
        month = month_label(view.period) if view.period is not None else _("no data yet")
        headings = {"multiples": _("Every team"), "matrix": _("Where each team stands"),
                    "attainment": _("Teams at target over time"),
                    "funnel": _("This month, by number of cases")}
        context = {
            "lang": view.state.language or current_language(),
            "title": snapshot_title(view),
            "collaborative": view.collaborative,
            "filters": _filters(view),
            "summary": _("{teams} teams, reporting month {month}").format(
                teams=len(view.selected_ids), month=month)
            + (_(" as entered by {date}").format(date=view.state.as_of)
               if view.state.as_of else ""),
            "rule": (_("Reporting month: picked.") if view.month_picked else
                     _("Reporting month: by default {rule}.").format(rule=_(REPORTING_RULE))),
            "generated": _("Snapshot made {moment} UTC: a static page, its data do not change. "
                           "Open the learning-session app for live data.").format(
                moment=format_datetime(view.generated.replace(tzinfo=None))),
            "charts": [(headings[key], Markup(div)) for key, div in charts.items()],
            "no_multiples": "multiples" not in figures,
            "no_data": _("No data for {indicator} in the teams selected.").format(
                indicator=view.indicator.get("name") or view.indicator["indicator_id"]),
            "status_heading": _("Every team selected: {indicator}").format(
                indicator=view.indicator.get("name") or view.indicator["indicator_id"]),
            "status_rows": _status_rows(view),
            "legend": signal_legend(),
            "labels": {"team": _("Team"), "code": _("Code"), "signal": _("Signal"),
                       "latest": _("Latest month"),
                       "value": _("Value"), "target": _("Target"), "rank": "#",
                       "gain": _("Improvement (points)"),
                       "changes": _("Changes for this indicator adopted or adapted before "
                                    "its latest month"),
                       "improved": _("Most improved teams and the changes they adopted"),
                       "filters": _("This view"), "product": _("Coaching Workbench"),
                       "none_improved": _("No team has improved on its baseline yet (or there "
                                          "are not enough months to compare with it).")},
            "improved": view.improved,
            "bokehjs": Markup(bokehjs_script()),
            "script": Markup(script),
        }
        return str(_environment().get_template(TEMPLATE).render(**context))


def snapshot_file_name(state: ViewState, when: dt.datetime | None = None) -> str:
    """A safe file name for a snapshot of `state` made at `when` (UTC):
    `learning-session-AMTSL-Kisoro-2026-10-20261201T2130Z.html` (letters, digits, `-`, `.`)."""
    when = when or dt.datetime.now(dt.UTC)
    parts = ["learning-session", state.indicator or "", state.district or "", state.wave or "",
             state.month or "", f"as-of-{state.as_of}" if state.as_of else "",
             when.strftime("%Y%m%dT%H%M%SZ")]
    slug = "-".join(re.sub(r"[^A-Za-z0-9]+", "-", p).strip("-") for p in parts if p)
    return re.sub(r"-{2,}", "-", slug)[:150] + ".html"


def _atomic_write(path: Path, text: str) -> None:
    """Through a temporary file in the same folder, renamed into place (no half-written page)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)  # a snapshot is for sharing
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_snapshot(engine: Engine | Connection, state: ViewState, path: Path | str, *,
                   team_names: Callable[[pd.DataFrame], Mapping[str, str]] | None = None
                   ) -> Path:
    """Write the snapshot of `state` to `path` (a file; its folder is made); returns it.
    `team_names`: as `session_view`."""
    path = Path(path)
    with use_language(state.language or current_language()):
        view = session_view(engine, state, team_names=team_names)
        page = snapshot_html(view)
    _atomic_write(path, page)
    return path

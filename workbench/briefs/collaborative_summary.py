"""The data of the collaborative summary: `collaborative_summary_data(engine, period)`.

The roll-ups of `workbench.briefs.summary.collaborative_rollup`, every team's SPC series, the teams
that need attention and the indicator overview formatted for people; the
`CollaborativeSummary` methods build the summary's bokeh figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import pandas as pd
from sqlalchemy import Engine

from workbench.briefs.tables import COLUMNS, _indicator_dicts, _pp, _valid, resolve_period
from workbench.charts import data as cd
from workbench.charts.series import format_value
from workbench.i18n import format_count, format_percent, ngettext
from workbench.i18n import gettext as _

__all__ = ["SMALL_MULTIPLES_MAX", "SUMMARY_KEYS", "CollaborativeSummary",
           "collaborative_summary_data"]

#: Past this many teams the small multiples show the most and least improved half each.
SMALL_MULTIPLES_MAX = 48
#: The roll-ups the summary shows (of `summary.ROLLUP_KEYS`; spread and sustainability are
#: `workbench summary`'s and the synthesis pack's, so their cost is not paid here).
SUMMARY_KEYS = ("context", "indicators", "indicator_months", "gains", "waves", "status_matrix",
                "most_improved")
#: Panels per row of the small multiples: wide enough for a facility's name and code.
SMALL_MULTIPLES_COLUMNS = 3


def _extremes(gains: pd.DataFrame, indicator_id: str, teams: Any) -> list[str] | None:
    """The teams of the capped small multiples (None: few enough teams to show all)."""
    if len(teams) <= SMALL_MULTIPLES_MAX:
        return None
    half = SMALL_MULTIPLES_MAX // 2
    g = gains[(gains["level"] == "team") & (gains["indicator_id"] == indicator_id)
              & gains["team_id"].isin(teams)]
    g = g.assign(_gain=g["improvement_pp"].fillna(float("-inf"))).sort_values(
        ["_gain", "team_id"], ascending=[False, True], kind="stable")
    top = list(g["team_id"].head(half))
    rest = g[~g["team_id"].isin(top)]
    bottom = list(rest[rest["improvement_pp"].notna()]["team_id"].tail(half))
    return top + [t for t in bottom if t not in top]


def _titled(figure: Any, text: str) -> Any:
    """The figure under a line of text: a bokeh column whose first row is an empty plot with
    only a title (a Div would need BokehJS's widgets bundle, which reports do not load)."""
    from bokeh.layouts import column
    from bokeh.models.annotations import Title
    from bokeh.plotting import figure as new_figure

    head = new_figure(height=34, width=640, toolbar_location=None, min_border=0,
                      title=Title(text=text, text_font_size="13px"))
    head.axis.visible = False
    head.grid.visible = False
    head.outline_line_color = None
    head.scatter([0], [0], alpha=0)  # an invisible point: a plot needs a renderer
    return column(head, figure)


@dataclass
class CollaborativeSummary:
    """The collaborative summary's frames (`rollup`: `summary.collaborative_rollup`)."""

    period: pd.Period
    rollup: dict[str, pd.DataFrame]
    indicators: pd.DataFrame
    teams: pd.DataFrame
    measurements: pd.DataFrame
    spc: pd.DataFrame
    attention: pd.DataFrame
    overview: pd.DataFrame

    @property
    def period_label(self) -> str:
        return cd.month_label(self.period)

    @property
    def team_labels(self) -> dict[str, str]:
        """Each team's name with its code beside (`rollup.names.team_labels`)."""
        from workbench.rollup.names import team_labels

        return team_labels(self.teams, codes=True)

    def status_matrix_figure(self) -> Any:
        from workbench.charts.collab import status_matrix_chart

        return status_matrix_chart(self.rollup["status_matrix"], self.indicators,
                                   period=str(self.period))

    def attainment_figure(self) -> Any:
        from workbench.charts.collab import target_attainment_chart

        return target_attainment_chart(self.rollup["indicator_months"], self.indicators)

    def small_multiples(self, indicator_id: str) -> Any:
        """Every team's chart of the indicator; past `SMALL_MULTIPLES_MAX` teams, the
        `SMALL_MULTIPLES_MAX` ÷ 2 most and least improved (`rollup` gains), titled so (the
        teams left out are counted in `small_multiples_note`). A static page's panels
        (`charts.collab.static_small_multiples`): copies of a prototype, the same picture."""
        from workbench.charts.collab import static_small_multiples

        info = _indicator_dicts(self.indicators)[indicator_id]
        spc = self.spc[self.spc["indicator_id"] == indicator_id]
        shown = _extremes(self.rollup["gains"], indicator_id, spc["team_id"].unique())
        if shown is None:
            return static_small_multiples(spc, info, team_labels=self.team_labels,
                                          ncols=SMALL_MULTIPLES_COLUMNS)
        figure = static_small_multiples(spc[spc["team_id"].isin(shown)], info,
                                        team_labels=self.team_labels,
                                        ncols=SMALL_MULTIPLES_COLUMNS)
        half = SMALL_MULTIPLES_MAX // 2
        return _titled(figure, _("The {half} most and {half} least improved of {teams} teams "
                                 "(gain from baseline)").format(
            half=half, teams=format_count(spc["team_id"].nunique())))

    def small_multiples_note(self, indicator_id: str) -> str:
        """What the small multiples leave out, in a sentence ('' when every team is drawn):
        how many teams are not drawn, how many of them have no gain yet, and where each is."""
        spc = self.spc[self.spc["indicator_id"] == indicator_id]
        teams = spc["team_id"].unique()
        shown = _extremes(self.rollup["gains"], indicator_id, teams)
        if shown is None:
            return ""
        gains = self.rollup["gains"]
        known = set(gains[(gains["level"] == "team") & (gains["indicator_id"] == indicator_id)
                          & gains["improvement_pp"].notna()]["team_id"])
        drawn = set(shown)
        left = [t for t in teams if t not in drawn]
        no_gain = sum(1 for t in left if t not in known)
        half = SMALL_MULTIPLES_MAX // 2
        said = [_("Drawn below: the {half} teams that improved most on their baseline and the "
                  "{half} that improved least.").format(half=half),
                ngettext("The other {count} team is not drawn here.",
                         "The other {count} teams are not drawn here.", len(left)).format(
                    count=format_count(len(left)))]
        if no_gain:
            said.append(ngettext(
                "{count} of them has no month after its baseline yet, so no gain.",
                "{count} of them have no month after their baseline yet, so no gain.",
                no_gain).format(count=format_count(no_gain)))
        said.append(_("Every team has its row in the status matrix above and its chart in its "
                      "own team report."))
        return " ".join(said)

    def funnel_figure(self, indicator_id: str) -> Any:
        from workbench.charts.collab import funnel_plot

        info = _indicator_dicts(self.indicators)[indicator_id]
        m = self.measurements
        latest = m[(m["period"] == self.period) & (m["indicator_id"] == indicator_id)]
        return funnel_plot(latest, info, period=str(self.period))

    def pooled_figure(self, indicator_id: str) -> Any:
        """The pooled chart of every team, as Laney's p′ (u′) chart: with denominators in the
        thousands a p chart marks almost every month unusual (`rollup.series`)."""
        from workbench.charts.collab import pooled_chart
        from workbench.rollup.series import pooled_chart_type

        indicators = pooled_chart_type(self.indicators)  # Laney's p′ for a pooled p chart
        info = _indicator_dicts(indicators)[indicator_id]
        m = _valid(self.measurements[self.measurements["indicator_id"] == indicator_id])
        pooled = m.groupby("period", as_index=False).agg(
            numerator=("numerator", "sum"), denominator=("denominator", "sum"),
            teams=("team_id", "nunique"))
        pooled = pooled.assign(team_id="ALL", indicator_id=indicator_id,
                               value=pooled["numerator"] / pooled["denominator"])
        spc = cd.spc_frame(pooled.drop(columns="teams"), indicators)
        return pooled_chart(spc, info, teams_reporting=pooled["teams"])

    def assessment_figure(self) -> Any:
        from workbench.charts.collab import assessment_chart

        return assessment_chart(self.rollup["assessment_rows"],
                                team_label=_("all teams (median)"))

    def wave_figure(self, indicator_id: str) -> Any:
        from workbench.charts.collab import wave_cohort_chart

        info = _indicator_dicts(self.indicators)[indicator_id]
        return wave_cohort_chart(self.rollup["waves"], info)

    def most_improved_table(self) -> pd.DataFrame:
        """`rollup.most_improved` for people: the indicator's and the team's names (the team's
        code beside, as in "teams needing attention"), values formatted."""
        mi = self.rollup["most_improved"]
        info = _indicator_dicts(self.indicators)
        if mi.empty:
            return pd.DataFrame(columns=list(COLUMNS["most_improved"]))
        indicator_names = self.indicators.set_index("indicator_id")["name"]
        team_names = self.teams.set_index("team_id")["name"]
        return mi.assign(
            indicator=[str(indicator_names.get(i, i)) for i in mi["indicator_id"]],
            team=[str(team_names.get(t, t)) for t in mi["team_id"]],
            baseline=[format_value(v, info.get(i, {})) for v, i in
                      zip(mi["baseline"], mi["indicator_id"], strict=False)],
            latest=[format_value(v, info.get(i, {})) for v, i in
                    zip(mi["latest_value"], mi["indicator_id"], strict=False)],
            gain=[_pp(g / 100, info.get(i, {})) for g, i in
                  zip(mi["improvement_pp"], mi["indicator_id"], strict=False)])


def _indicators_by_team(rows: pd.DataFrame) -> dict[object, str]:
    """Team → its rows' indicator codes, comma-joined in the rows' order."""
    if rows.empty:
        return {}
    joined = rows.groupby("team_id", sort=False)["indicator_id"].agg(
        lambda codes: ", ".join(map(str, codes)))
    return dict(zip(joined.index, joined.to_numpy(), strict=True))


def collaborative_summary_data(engine: Engine, period: str | None = None) -> CollaborativeSummary:
    """Roll-ups (`summary.collaborative_rollup`), every team's SPC series and the teams that
    need attention (a signal of concern, no report this month, or open error flags)."""
    from workbench.briefs.summary import read_collaborative_inputs, rollup_of_inputs

    inputs = read_collaborative_inputs(engine)  # the store read once, for every frame below
    p = resolve_period(inputs.measurements, period)
    m = inputs.measurements[inputs.measurements["period"] <= p]
    rollup, charts = rollup_of_inputs(inputs, str(p), keys=SUMMARY_KEYS)
    rollup["assessment_rows"] = inputs.assessments[
        inputs.assessments["period"] <= str(p)].drop_duplicates(
            ["team_id", "period", "assessor_type"], keep="last")  # the current rows
    indicators = inputs.indicators
    teams = inputs.teams
    flags = inputs.flags[inputs.flags["status"] == "open"].reset_index(drop=True)
    spc = charts.spc  # the teams' report charts, phases and all (the status matrix's too)
    matrix = rollup["status_matrix"]
    errors = flags[flags["severity"] == "error"].groupby("team_id").size() if len(flags) else \
        pd.Series(dtype=int)
    # per team, its indicators in matrix order (grouped once, not filtered once per team)
    concerns = _indicators_by_team(matrix[matrix["signal"] == "concern"])
    late = _indicators_by_team(matrix[matrix["months_since_report"].fillna(1) > 0])
    rows = []
    for team in teams.itertuples(index=False):
        concern = concerns.get(cast(object, team.team_id))
        missing = late.get(cast(object, team.team_id))
        n_err = int(errors.get(team.team_id, 0))
        reasons = []
        if concern:
            reasons.append(_("signal of concern: {indicators}").format(indicators=concern))
        if missing:
            reasons.append(_("no report this month: {indicators}").format(indicators=missing))
        if n_err:
            reasons.append(ngettext("{count} open data error flag",
                                    "{count} open data error flags", n_err).format(count=n_err))
        if reasons:
            rows.append({"team_id": team.team_id, "team": team.name, "coach": team.coach,
                         "why": "; ".join(reasons)})
    attention = pd.DataFrame(rows, columns=["team_id", "team", "coach", "why"])
    ov = rollup["indicators"].merge(indicators[["indicator_id", "name", "multiplier", "unit"]],
                                    on="indicator_id", how="left")
    ov_rows = cast("list[dict[str, Any]]", ov.to_dict("records"))
    overview = pd.DataFrame({
        "indicator": ov["name"],
        "teams": [_("{teams} of {reporting}").format(teams=f"{a:.0f}", reporting=f"{b:.0f}")
                  for a, b in zip(ov["teams_reporting"], ov["teams_joined"], strict=False)],
        "at_target": [f"{a:.0f} ({format_percent(b / 100, 0)})"
                      for a, b in zip(ov["teams_at_target"], ov["pct_at_target"],
                                      strict=False)],
        "pooled": [format_value(v, r) for v, r in zip(ov["pooled_value"], ov_rows,
                                                      strict=False)],
        "median": [format_value(v, r) for v, r in zip(ov["median"], ov_rows, strict=False)],
        "target": [format_value(v, r) for v, r in zip(ov["target"], ov_rows, strict=False)],
    })
    return CollaborativeSummary(period=p, rollup=rollup, indicators=indicators, teams=teams,
                                measurements=m, spc=spc, attention=attention, overview=overview)

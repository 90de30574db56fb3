"""The team card of the notebook extension: where one team stands, on one screen.

`team_card(engine, team_id, period=None)` reads the store through
`workbench.briefs.team_report_data` (so the card says what the monthly team report says) and
returns a `TeamCard`: each indicator's latest value against its target with a sparkline of
the last 12 months and the signal of the team's own chart in words, the PDSA cycles in
flight, and the open data-quality flags. Its `_repr_html_` is pure HTML + SVG, escaped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple, cast

import pandas as pd
from sqlalchemy import Engine

from workbench.errors import Message, NotFoundError
from workbench.i18n import N_
from workbench.notebook.render import esc
from workbench.notebook.render import plain_text as _text
from workbench.notebook.reprs import CSS, Indicator, Team, sparkline_svg

__all__ = ["SPARK_MONTHS", "IndicatorLine", "OpenFlag", "PDSAInFlight", "TeamCard", "team_card"]

SPARK_MONTHS = 12


class IndicatorLine(NamedTuple):
    """One indicator on the card; `recent` is on the value scale, oldest month first;
    `status` is the signal status and `signal` says it in words (the team report's)."""

    indicator: Indicator
    latest: str
    target_met: str
    signal: str
    months: tuple[str, ...]
    recent: tuple[float | None, ...]
    status: str = "not enough data"


class PDSAInFlight(NamedTuple):
    change: str
    cycle: int
    title: str
    status: str


class OpenFlag(NamedTuple):
    rule_code: str
    severity: str
    indicator_id: str
    period: str
    message: str


@dataclass(frozen=True)
class TeamCard:
    """One team in the reporting month `period` (YYYY-MM); see `team_card`."""

    team: Team
    collaborative: str
    period: str
    lines: tuple[IndicatorLine, ...]
    pdsas: tuple[PDSAInFlight, ...]
    flags: tuple[OpenFlag, ...]

    def _indicators_html(self) -> str:
        rows = []
        for line in self.lines:
            ind = line.indicator
            values = [None if v is None else v * ind.scale for v in line.recent]
            target = None if ind.target is None else ind.target * ind.scale
            label = (f"{ind.name}, {line.months[0]} to {line.months[-1]}: "
                     + ", ".join(ind.format(v) for v in line.recent)) if line.months else ind.name
            spark = sparkline_svg(values, target=target, label=label,
                                  higher_is_better=ind.direction != "decrease")
            css = {"yes": "wb-met", "no": "wb-unmet"}.get(line.target_met, "")
            rows.append(
                f'<tr><td title="{esc(ind.indicator_id)}">{esc(ind.name)}</td>'
                f'<td class="wb-nw {css}">{esc(line.latest)}</td>'
                f'<td class="wb-nw">{esc(ind.target_text)}</td><td class="wb-nw">{spark}</td>'
                f"<td>{esc(line.signal)}</td></tr>")
        return ("<table><thead><tr><th>Indicator</th><th>Latest</th><th>Target</th>"
                f"<th>Last {SPARK_MONTHS} months</th><th>Signal</th></tr></thead>"
                f"<tbody>{''.join(rows)}</tbody></table>")

    def _pdsas_html(self) -> str:
        if not self.pdsas:
            return '<p class="wb-muted">No PDSA cycle in flight.</p>'
        rows = "".join(f"<tr><td>{esc(p.change)}</td><td>{esc(p.cycle)}</td>"
                       f"<td>{esc(p.title)}</td><td>{esc(p.status)}</td></tr>"
                       for p in self.pdsas)
        return ("<table><thead><tr><th>Change idea</th><th>Cycle</th><th>Title</th>"
                f"<th>Stage</th></tr></thead><tbody>{rows}</tbody></table>")

    def _flags_html(self) -> str:
        if not self.flags:
            return '<p class="wb-muted">No open flag.</p>'
        rows = "".join(f'<tr><td class="wb-nw">{esc(f.rule_code)}</td>'
                       f"<td>{esc(f.severity)}</td><td>{esc(f.indicator_id)}</td>"
                       f'<td class="wb-nw">{esc(f.period)}</td>'
                       f"<td>{esc(f.message)}</td></tr>" for f in self.flags)
        return ("<table><thead><tr><th>Rule</th><th>Severity</th><th>Indicator</th>"
                f"<th>Period</th><th>Message</th></tr></thead><tbody>{rows}</tbody></table>")

    def _repr_html_(self) -> str:
        t = self.team
        where = ", ".join(v for v in (t.facility, t.district) if v and v != t.name)
        sub = " · ".join(v for v in (where, f"wave {t.wave_id}" if t.wave_id else "",
                                     f"coach {t.coach}" if t.coach else "",
                                     f"reporting month {self.period}") if v)
        return (f'{CSS}<div class="wb-card wb-team-card">'
                f"<h3>{esc(t.label)}</h3>"
                f'<p class="wb-muted">{esc(self.collaborative)} · {esc(sub)}</p>'
                f"<h4>Indicators</h4>{self._indicators_html()}"
                f"<h4>PDSA cycles in flight ({len(self.pdsas)})</h4>{self._pdsas_html()}"
                f"<h4>Open flags ({len(self.flags)})</h4>{self._flags_html()}</div>")

    def __repr__(self) -> str:
        return (f"TeamCard({self.team.label!r}, period={self.period!r}, "
                f"{len(self.lines)} indicators, {len(self.pdsas)} PDSAs in flight, "
                f"{len(self.flags)} open flags)")



def unknown_team(team_id: str, known: list[str]) -> NotFoundError:
    """The error for a team code that is not in the collaborative, listing the codes."""
    listed = ", ".join(known) if len(known) <= 12 else f"{known[0]} … {known[-1]}"
    return NotFoundError(N_("unknown team {team_id!r}; the teams are {known}."),
                         params={"team_id": team_id,
                                 "known": listed or Message(N_("none yet"))},
                         team_id=team_id)


def team_card(engine: Engine, team_id: str, period: str | None = None) -> TeamCard:
    """The card of team `team_id` for the month `period` (YYYY-MM; None = latest month).

    PDSA cycles in flight: without `period`, every cycle of the team not closed yet; with it,
    those in flight at the end of that month (as in the monthly team report).

    Raises NotFoundError for an unknown team (naming the known codes) or an empty database.
    """
    from workbench.briefs import team_report_data
    from workbench.records.pdsa import team_journal
    from workbench.store import read_collaborative, read_teams

    teams = read_teams(engine)
    match = teams[teams["team_id"] == team_id]
    if match.empty:
        raise unknown_team(team_id, teams["team_id"].astype(str).tolist())
    report = team_report_data(engine, team_id, period)
    p = report.period
    months = pd.period_range(p - (SPARK_MONTHS - 1), p, freq="M")
    lines = []
    for row in report.indicators.to_dict("records"):
        ind = Indicator.from_row(cast("dict[str, Any]", row))
        head = report.headline[report.headline["indicator_id"] == ind.indicator_id]
        h: pd.Series[Any] | dict[str, Any] = head.iloc[0] if len(head) else {}
        pts = report.spc[report.spc["indicator_id"] == ind.indicator_id]
        by_month = dict(zip(pts["period"], pts["y"], strict=False))
        recent = tuple(None if pd.isna(by_month.get(m)) else float(by_month[m]) for m in months)
        lines.append(IndicatorLine(
            indicator=ind, latest=_text(h.get("latest")) or "no report",
            target_met=_text(h.get("target_met")),
            signal=_text(h.get("signal")) or "not enough data: no month reported",
            months=tuple(str(m) for m in months), recent=recent,
            status=_text(h.get("signal_status")) or "not enough data"))
    if period:  # in flight at the end of that month, as the monthly report says
        cycles = report.pdsa_in_flight.rename(columns={"change": "change_name"})
    else:  # in flight now: every cycle not closed yet
        journal = team_journal(engine, team_id)
        cycles = journal[journal["status"] != "closed"]
    pdsas = tuple(PDSAInFlight(change=_text(r.get("change_name")) or _text(r.get("change_id")),
                               cycle=int(r.get("cycle_number") or 0), title=_text(r.get("title")),
                               status=_text(r.get("status")))
                  for r in cycles.to_dict("records"))
    flags = tuple(OpenFlag(rule_code=_text(r["rule_code"]), severity=_text(r["severity"]),
                           indicator_id=_text(r["indicator_id"]), period=_text(r["period"]),
                           message=_text(r["message"]))
                  for r in report.open_flags.to_dict("records"))
    return TeamCard(team=Team.from_row(cast("dict[str, Any]", match.iloc[0].to_dict())),
                    collaborative=_text(read_collaborative(engine).get("name")),
                    period=str(p), lines=tuple(lines), pdsas=pdsas, flags=flags)

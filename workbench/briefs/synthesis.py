"""The synthesis-meeting pack: `synthesis_data(engine, period, wave)`.

What the collaborative has learned by the end of `period` (the PDSA journal as it was then,
the measurements up to then: `workbench.learning.synthesis.known_by`), for every team or one
wave's teams: change ideas ranked by evidence per indicator
(`workbench.learning.practice_evidence`), the teams that can tell each story, the adopting
teams' values aligned on months since adoption, the changes adopted together, the team
innovations other teams took up, the changes abandoned everywhere, and the draft of the
refined change package (`workbench.learning.package.draft_package`) starting from the
package version in use. Everything is computed by `workbench.learning`
(`workbench.learning.meeting.meeting_frames`, which the demo's synthesis meeting calls too);
this module reads the store once and formats for people. `notebooks/synthesis.ipynb` shows it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from workbench.briefs.tables import _indicator_dicts, resolve_period
from workbench.charts import data as cd
from workbench.errors import NotFoundError
from workbench.i18n import N_, TranslatedTable, format_count
from workbench.i18n import gettext as _
from workbench.learning.evidence import grade_label, signed_points
from workbench.learning.meeting import meeting_frames, package_in_use
from workbench.learning.synthesis import known_by
from workbench.store import (
    collaborative_indicators,
    read_change_ideas,
    read_collaborative_measurements,
    read_package,
    read_pdsa_cycles,
    read_teams,
)

__all__ = ["SYNTHESIS_COLUMNS", "SynthesisPack", "current_package", "evidence_rows",
           "synthesis_data"]

#: Column -> header of the pack's tables (in the reader's language when read).
SYNTHESIS_COLUMNS: Mapping[str, dict[str, str]] = TranslatedTable({
    "ranked": {"indicator_id": N_("Indicator"), "change": N_("Change idea"),
               "tested": N_("Teams tested"), "adopted": N_("Adopted"),
               "abandoned": N_("Abandoned"), "effect": N_("Effect (95 per cent interval)"),
               "grade": N_("Evidence"), "story": N_("Teams to ask"), "words": N_("In words")},
    "together": {"team_id": N_("Team"), "indicator_id": N_("Indicator"),
                 "changes": N_("Changes adopted together"), "from": N_("Effect expected from")},
    "innovations": {"change_id": N_("Change"), "name": N_("Innovation"),
                    "origin_team": N_("Started by"), "teams_tested": N_("Teams tested"),
                    "teams_adopted": N_("Adopted"), "others": N_("Taken up by")},
    "abandoned": {"change_id": N_("Change"), "name": N_("Change idea"),
                  "teams_tested": N_("Teams that tested and abandoned it")},
    "draft": {"change_id": N_("Change"), "name": N_("Change idea"), "action": N_("Proposal"),
              "grade": N_("Evidence"), "guidance": N_("Guidance"), "teams": N_("Evidence from")},
})
#: the draft's proposals as people read them
ACTION_LABELS = {"launch": N_("launch"), "keep": N_("keep"), "add": N_("add"),
                 "drop": N_("drop")}
#: grades whose changes get a before/after small multiple in the pack
SHOWN_GRADES = ("strong", "promising")
MAX_FIGURES = 12
#: panels (adopting teams) of one small multiple at most
MAX_PANELS = 24


@dataclass
class SynthesisPack:
    """The pack's frames; `figures()` builds the before/after small multiples."""

    period: pd.Period
    wave: str
    indicators: pd.DataFrame
    practices: pd.DataFrame  # Evidence.practices, ranked
    stories: pd.DataFrame  # storytellers
    aligned: pd.DataFrame  # aligned_values of the adoptions
    together: pd.DataFrame
    innovations: pd.DataFrame
    abandoned: pd.DataFrame
    draft: pd.DataFrame

    @property
    def figures_note(self) -> str:
        return _("One panel per team that adopted the change alone; grey: the months before "
                 "the change was expected to act, blue: from then on; dashed lines: the "
                 "median of each phase.")

    @property
    def together_note(self) -> str:
        return _("A team that adopted several changes on one indicator within a month cannot "
                 "tell which one worked: these adoptions count for none of them.")

    @property
    def draft_note(self) -> str:
        return _("A proposal for the meeting to edit: kept changes with what teams learned, "
                 "team innovations to add, abandoned changes to drop. Save the agreed version "
                 "with workbench package draft --save.")

    @property
    def title(self) -> str:
        if self.wave:
            return _("Synthesis meeting pack: what works, by {month}, wave {wave}").format(
                month=cd.month_label(self.period), wave=self.wave)
        return _("Synthesis meeting pack: what works, by {month}").format(
            month=cd.month_label(self.period))

    def ranked_table(self) -> pd.DataFrame:
        """Change ideas ranked by evidence per indicator, formatted for people."""
        return evidence_rows(self.practices, self.stories)

    def together_table(self) -> pd.DataFrame:
        t = self.together
        return pd.DataFrame({
            "team_id": t["team_id"], "indicator_id": t["indicator_id"],
            "changes": [", ".join(sorted([c, *w])) for c, w in
                        zip(t["change_id"], t["adopted_with"], strict=False)],
            "from": t["effect_start"].map(cd.month_label)}).drop_duplicates(
                ["team_id", "indicator_id", "changes"])

    def innovations_table(self) -> pd.DataFrame:
        return self.innovations.assign(others=self.innovations["other_teams"].map(", ".join))

    def draft_table(self) -> pd.DataFrame:
        return self.draft.assign(
            teams=self.draft["provenance"].map(
                lambda p: ", ".join(p.get("teams", [])) or p.get("reason", "")),
            action=self.draft["action"].map(lambda a: _(ACTION_LABELS[a]) if a in ACTION_LABELS
                                            else a),
            grade=self.draft["grade"].map(grade_label))

    def shown(self) -> pd.DataFrame:
        """The change × indicator rows that get a small multiple (strong or promising)."""
        p = self.practices
        return p[p["grade"].isin(SHOWN_GRADES)].head(MAX_FIGURES)

    def figures(self) -> list[Any]:
        """One before/after small multiple per shown change × indicator, with its title."""
        from workbench.charts.adoption import adoption_multiples

        info = _indicator_dicts(self.indicators)
        out = []
        for row in self.shown().itertuples(index=False):
            rows = self.aligned[(self.aligned["change_id"] == row.change_id)
                                & (self.aligned["indicator_id"] == row.indicator_id)]
            if rows.empty:
                continue
            title = (f"{row.change_id} {row.change_name} — {row.indicator_id}: "
                     f"{grade_label(str(row.grade))}, "
                     f"{_interval(row.effect_pp, row.ci_low_pp, row.ci_high_pp)}")
            teams = sorted(rows["team_id"].unique())
            if len(teams) > MAX_PANELS:  # a national collaborative: the first teams by code
                rows = rows[rows["team_id"].isin(teams[:MAX_PANELS])]
                title += " " + _("({shown} of {total} teams shown)").format(
                    shown=MAX_PANELS, total=format_count(len(teams)))
            out.append(adoption_multiples(rows, info.get(str(row.indicator_id), {}),
                                          title=title))
        return out


def evidence_rows(practices: pd.DataFrame, stories: pd.DataFrame,
                  indicator_id: str | None = None) -> pd.DataFrame:
    """`Evidence.practices` (of one indicator, or all) as people read it, in its rank order:
    the columns of `SYNTHESIS_COLUMNS["ranked"]` (the pack's table and the learning-session
    app's "what is working" panel both show these)."""
    p = practices if indicator_id is None else practices[practices["indicator_id"] == indicator_id]
    told = {(str(c), str(i)): ", ".join(map(str, t)) for c, i, t in
            zip(stories["change_id"], stories["indicator_id"], stories["teams"], strict=True)}
    return pd.DataFrame({
        "indicator_id": p["indicator_id"],
        "change": [f"{c} {n}" for c, n in zip(p["change_id"], p["change_name"], strict=True)],
        "tested": p["teams_tested"], "adopted": p["teams_adopted"],
        "abandoned": p["teams_abandoned"],
        "effect": [_interval(e, lo, hi) for e, lo, hi in
                   zip(p["effect_pp"], p["ci_low_pp"], p["ci_high_pp"], strict=True)],
        "grade": p["grade"].map(grade_label),
        "story": [told.get((str(c), str(i)), "") for c, i in
                  zip(p["change_id"], p["indicator_id"], strict=True)],
        "words": p["words"]}).reset_index(drop=True)


def _interval(effect: Any, low: Any, high: Any) -> str:
    if effect is None or pd.isna(effect):
        return "–"
    return _("{effect} pts ({low} to {high})").format(
        effect=signed_points(effect), low=signed_points(low), high=signed_points(high))


def current_package(engine: Engine, change_ideas: pd.DataFrame) -> pd.DataFrame:
    """The changes of the latest package version (change_id, name, guidance); with no
    version recorded, the package's change ideas with their descriptions as guidance
    (`workbench.learning.meeting.package_in_use`)."""
    try:
        version = read_package(engine)
    except NotFoundError:
        return package_in_use(None, change_ideas)
    return package_in_use(version, change_ideas)


def synthesis_data(engine: Engine, period: str | None = None, wave: str = "") -> SynthesisPack:
    """The pack as a synthesis meeting at the end of `period` sees it (see the module doc);
    '' or None: everything known now (labelled with the latest month), as `workbench
    practices` without `--period`. `wave`: a wave code to look at that wave's teams only;
    '' = every team."""
    m = read_collaborative_measurements(engine)  # teams' own measures are not rolled up
    p = resolve_period(m, period)
    teams = read_teams(engine)
    if wave:
        if wave not in set(teams["wave_id"].dropna()):
            known = ", ".join(sorted(set(teams["wave_id"].dropna())))
            raise NotFoundError(N_("Unknown wave {wave!r}: use one of {known}."),
                                params={"wave": wave, "known": known}, wave=wave)
        members = set(teams.loc[teams["wave_id"] == wave, "team_id"])
        m = m[m["team_id"].isin(members)]
    m, cycles = known_by(m, read_pdsa_cycles(engine), p if period else None)
    if wave:
        cycles = cycles[cycles["team_id"].isin(members)]
    ideas = read_change_ideas(engine)
    indicators = collaborative_indicators(engine)
    f = meeting_frames(m, indicators, cycles, ideas, current_package(engine, ideas),
                       period=str(p))
    return SynthesisPack(period=p, wave=wave, indicators=indicators,
                         practices=f.evidence.practices, stories=f.stories, aligned=f.aligned,
                         together=f.evidence.together, innovations=f.innovations,
                         abandoned=f.abandoned, draft=f.draft)

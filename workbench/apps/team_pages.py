"""Which teams a learning session shows: search, sort, top and bottom N, pages.

A collaborative of 2,000 teams cannot be drawn as 2,000 small multiples. The learning-session
app shows an overview by district and by wave (`overview`), then the teams on demand: the
teams of the filters, narrowed by a search (team name or code), ordered by a sort key or
reduced to the top or bottom `TOP_N` by a stated rule, cut into pages of `PAGE_SIZE`.
On a collaborative of up to `PAGE_SIZE` teams (the demo's 48) every team is on the one
page, as before.

Pure: frames in (`read_teams`, `rollup.status_matrix`, `rollup.gain_from_baseline`), lists
and frames out. The app only calls these; the rule each choice follows is `TeamPage.rule`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from workbench.i18n import N_, TranslatedValues
from workbench.i18n import gettext as _
from workbench.rollup.names import team_labels  # the rule lives there; kept here for callers

__all__ = ["PAGE_SIZE", "SHOW", "SORTS", "TOP_N", "TeamPage", "overview", "search_teams",
           "team_labels", "team_page"]

#: teams per page: the demo collaborative's 48 teams (8 rows of 6 small multiples) on one
PAGE_SIZE = 48
#: teams in a top or bottom list
TOP_N = 12
#: what the team list shows -> its words in the picker
SHOW: Mapping[str, str] = TranslatedValues({
    "all": N_("All teams"),
    "top_gain": N_("Top {n} by improvement"),
    "bottom_gain": N_("Bottom {n} by improvement"),
    "top_latest": N_("Top {n} by latest value"),
    "bottom_latest": N_("Bottom {n} by latest value"),
}, n=TOP_N)
#: how the team list is sorted -> its words in the picker
SORTS: Mapping[str, str] = TranslatedValues({
    "code": N_("Team code"),
    "name": N_("Team name"),
    "district": N_("District, then team name"),
    "improvements": N_("Most signals of improvement"),
    "concerns": N_("Most signals of concern"),
})
_RULES = {
    "top_gain": N_("the {n} teams whose value improved most on their baseline for this "
                   "indicator (points from the first three reported months to the latest, "
                   "better direction counted as a gain; teams without a month after their "
                   "baseline are left out), best first"),
    "bottom_gain": N_("the {n} teams whose value improved least (or worsened most) on their "
                      "baseline for this indicator (points from the first three reported "
                      "months to the latest; teams without a month after their baseline are "
                      "left out), worst first"),
    "top_latest": N_("the {n} teams with the best value in the reporting month for this "
                     "indicator ({better} is better; teams that did not report that month are "
                     "left out), best first"),
    "bottom_latest": N_("the {n} teams with the worst value in the reporting month for this "
                        "indicator ({better} is better; teams that did not report that month "
                        "are left out), worst first"),
    "code": N_("sorted by team code"),
    "name": N_("sorted by team name"),
    "district": N_("sorted by district, then team name"),
    "improvements": N_("sorted by the number of indicators with a signal of improvement, "
                       "most first (then team name)"),
    "concerns": N_("sorted by the number of indicators with a signal of concern, most first "
                   "(then team name)"),
}


@dataclass(frozen=True)
class TeamPage:
    """One page of the team list."""

    teams: list[str]  # team ids on this page, in order
    page: int  # 1-based, after clamping
    pages: int
    listed: int  # teams in the whole list (every page)
    matching: int  # teams of the filters and search, before a top or bottom N
    rule: str  # what the list is, in words
    size: int = PAGE_SIZE  # teams a page

    @property
    def first(self) -> int:
        """The number of the page's first team in the list (1-based; 0 if none)."""
        return (self.page - 1) * self.size + 1 if self.teams else 0


def search_teams(teams: pd.DataFrame, text: str) -> pd.DataFrame:
    """Teams whose name or code contains `text` (case and surrounding spaces ignored);
    every team when `text` is blank."""
    needle = (text or "").strip().casefold()
    if not needle:
        return teams
    hit = (teams["name"].fillna("").astype(str).str.casefold().str.contains(needle, regex=False)
           | teams["team_id"].astype(str).str.casefold().str.contains(needle, regex=False))
    return teams[hit]


def _signal_counts(matrix: pd.DataFrame, status: str) -> pd.Series:
    rows = matrix[matrix["signal"] == status]
    return rows.groupby("team_id").size()


def _sorted(teams: pd.DataFrame, matrix: pd.DataFrame, sort: str) -> list[str]:
    frame = teams[["team_id", "name", "district"]].copy()
    frame["_name"] = frame["name"].fillna("").astype(str).str.casefold()
    frame["_district"] = frame["district"].fillna("").astype(str).str.casefold()
    if sort in ("improvements", "concerns"):
        status = "improvement" if sort == "improvements" else "concern"
        counts = _signal_counts(matrix, status)
        frame["_n"] = frame["team_id"].map(counts).fillna(0).astype(int)
        frame = frame.sort_values(["_n", "_name", "team_id"], ascending=[False, True, True])
    elif sort == "district":
        frame = frame.sort_values(["_district", "_name", "team_id"])
    elif sort == "name":
        frame = frame.sort_values(["_name", "team_id"])
    else:
        frame = frame.sort_values("team_id")
    return [str(t) for t in frame["team_id"]]


def _top(teams: pd.DataFrame, show: str, indicator_id: str, matrix: pd.DataFrame,
         gains: pd.DataFrame, direction: str) -> list[str]:
    ids = set(teams["team_id"])
    if show.endswith("_gain"):
        rows = gains[(gains["indicator_id"] == indicator_id) & gains["team_id"].isin(ids)
                     & gains["improvement_pp"].notna()]
        key, best_high = "improvement_pp", True
    else:
        rows = matrix[(matrix["indicator_id"] == indicator_id) & matrix["team_id"].isin(ids)
                      & matrix["latest_value"].notna() & (matrix["months_since_report"] == 0)]
        key, best_high = "latest_value", direction != "decrease"
    descending = best_high if show.startswith("top") else not best_high
    rows = rows.sort_values([key, "team_id"], ascending=[not descending, True], kind="stable")
    return [str(t) for t in rows["team_id"].head(TOP_N)]


def team_page(teams: pd.DataFrame, *, matrix: pd.DataFrame, gains: pd.DataFrame,
              indicator_id: str, direction: str = "increase", search: str = "",
              show: str = "all", sort: str = "code", page: int = 1,
              page_size: int = PAGE_SIZE) -> TeamPage:
    """The teams on page `page` of the list the facilitator asked for.

    `teams`: the teams of the filters (wave, district); `matrix`: `rollup.status_matrix` rows
    (team_id, indicator_id, latest_value, signal, months_since_report); `gains`:
    `rollup.gain_from_baseline` rows (team_id, indicator_id, improvement_pp). `show` is a key
    of `SHOW`, `sort` of `SORTS`; a page beyond the last is the last.
    """
    found = search_teams(teams, search)
    if show in SHOW and show != "all":
        listed = _top(found, show, indicator_id, matrix, gains, direction)
        rule = _(_RULES[show]).format(n=TOP_N, better=_("higher") if direction != "decrease"
                                      else _("lower"))
    else:
        listed = _sorted(found, matrix, sort if sort in SORTS else "code")
        rule = _(_RULES[sort if sort in SORTS else "code"])
    pages = max(1, math.ceil(len(listed) / page_size))
    page = min(max(1, int(page)), pages)
    shown = listed[(page - 1) * page_size: page * page_size]
    if search.strip():
        rule = _("teams whose name or code contains “{search}”, {rule}").format(
            search=search.strip(), rule=rule)
    return TeamPage(shown, page, pages, len(listed), len(found), rule, page_size)


def overview(teams: pd.DataFrame, matrix: pd.DataFrame, indicator_id: str, by: str
             ) -> pd.DataFrame:
    """One row per district (or wave, `by="wave_id"`) of `teams`: how many teams, how many
    reported the indicator in the reporting month, how many met its target, and how many of
    each signal status (`rollup.status_matrix`'s `signal`)."""
    rows = matrix[(matrix["indicator_id"] == indicator_id)
                  & matrix["team_id"].isin(set(teams["team_id"]))]
    group = teams.set_index("team_id")[by].fillna("–").astype(str)
    rows = rows.assign(_group=rows["team_id"].map(group))
    reported = rows["latest_value"].notna() & (rows["months_since_report"] == 0)
    out = pd.DataFrame({"teams": group.value_counts()}).sort_index()
    out["reported"] = rows[reported].groupby("_group").size()
    out["at_target"] = rows[reported & (rows["target_met"] == True)].groupby(  # noqa: E712
        "_group").size()
    for status in ("improvement", "concern", "no signal", "not enough data"):
        out[status] = rows[rows["signal"] == status].groupby("_group").size()
    out = out.fillna(0).astype(int)
    out.index.name = by
    return out.reset_index()


def labels_in_order(order: Sequence[str], labels: Mapping[str, str]) -> list[str]:
    """The labels of the team ids `order`, in that order."""
    return [labels.get(t, t) for t in order]

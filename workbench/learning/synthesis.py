"""What a synthesis meeting looks at, beside the evidence grades of `workbench.learning.evidence`.

- `storytellers` — per change idea × indicator, the adopting teams whose chart shifted in the
  better direction after adoption, best first: the teams that can tell the story at a learning
  session (the teams whose shift is largest against non-adopters lead);
- `aligned_values` — every adopting team's monthly values of the indicator, aligned on months
  since the effect start (0 = the month the change is expected to act from; negative = before),
  the data of the "before/after" small multiples;
- `innovations_taken_up` — team innovations (change ideas with `source` "team") that teams
  other than the one that started them have tested: candidates for the refined package;
- `abandoned_everywhere` — change ideas every team that tested them abandoned, and no team
  adopted: candidates to drop;
- `cycles_known_by` — the PDSA journal as a meeting at the end of a month knows it (cycles
  started by then; a decision taken later is not known yet); `known_by` cuts the
  measurements and the journal together (what `workbench practices --period` and the
  synthesis pack both ask).

Pure: frames in, frames out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.learning.effect import month_ordinals

__all__ = ["ALIGNED_COLUMNS", "STORY_COLUMNS", "abandoned_everywhere", "aligned_values",
           "cycles_known_by", "innovations_taken_up", "known_by", "storytellers"]

STORY_COLUMNS = ["change_id", "indicator_id", "teams"]
ALIGNED_COLUMNS = ["team_id", "change_id", "indicator_id", "months_since", "period", "value",
                   "phase"]
INNOVATION_COLUMNS = ["change_id", "name", "origin_team", "teams_tested", "teams_adopted",
                      "other_teams"]
ABANDONED_COLUMNS = ["change_id", "name", "teams_tested", "teams_abandoned"]


def storytellers(evidence_teams: pd.DataFrame, *, n: int = 3) -> pd.DataFrame:
    """Per change × indicator: up to `n` adopting teams whose chart shifted, ranked by their
    effect against non-adopters (largest first, then team code). `evidence_teams` is
    `Evidence.teams`."""
    t = evidence_teams
    if t.empty:
        return pd.DataFrame(columns=STORY_COLUMNS)
    t = t[t["shifted"].astype(bool) & t["effect_pp"].notna()]
    t = t.sort_values(["change_id", "indicator_id", "effect_pp", "team_id"],
                      ascending=[True, True, False, True])
    out = t.groupby(["change_id", "indicator_id"], sort=True)["team_id"].agg(
        lambda s: [str(x) for x in s.head(n)])
    return out.rename("teams").reset_index()[STORY_COLUMNS]


def aligned_values(measurements: pd.DataFrame, adoptions: pd.DataFrame, *, before: int = 9,
                   after: int = 9) -> pd.DataFrame:
    """Each adopting team's values of the linked indicator from `before` months before its
    effect start to `after` − 1 months after, with `months_since` (0 = the effect start) and
    `phase` ("before" or "after"). `adoptions` is `team_adoptions(...)` (rows without an
    effect start are left out)."""
    a = adoptions[adoptions["effect_start"].notna()][
        ["team_id", "change_id", "indicator_id", "effect_start"]]
    m = measurements[(measurements["denominator"] > 0) & measurements["numerator"].notna()]
    if a.empty or m.empty:
        return pd.DataFrame(columns=ALIGNED_COLUMNS)
    m = m[["team_id", "indicator_id", "period", "numerator", "denominator"]]
    joined = a.merge(m, on=["team_id", "indicator_id"], how="inner")
    month = month_ordinals(joined["period"])
    start = month_ordinals(joined["effect_start"])
    joined["months_since"] = month - start
    joined = joined[(joined["months_since"] >= -before) & (joined["months_since"] < after)]
    joined = joined.assign(value=joined["numerator"] / joined["denominator"],
                           phase=np.where(joined["months_since"] < 0, "before", "after"))
    return joined.sort_values(["change_id", "indicator_id", "team_id", "months_since"])[
        ALIGNED_COLUMNS].reset_index(drop=True)


def innovations_taken_up(adoptions: pd.DataFrame, change_ideas: pd.DataFrame, *,
                         min_teams: int = 2) -> pd.DataFrame:
    """Team innovations tested by at least `min_teams` teams, at least one of them not the team
    that started it: name, origin team, teams tested and adopted, the other teams."""
    ideas = change_ideas[change_ideas["source"] == "team"]
    rows = []
    for idea in ideas.itertuples(index=False):
        took = adoptions[adoptions["change_id"] == idea.change_id]
        tested = sorted({str(t) for t in took["team_id"]})
        adopted = sorted({str(t) for t in took.loc[took["adopted_period"].notna(), "team_id"]})
        others = [t for t in tested if t != idea.team_id]
        if len(tested) >= min_teams and others:
            rows.append({"change_id": idea.change_id, "name": idea.name,
                         "origin_team": idea.team_id, "teams_tested": len(tested),
                         "teams_adopted": len(adopted), "other_teams": others})
    return pd.DataFrame(rows, columns=INNOVATION_COLUMNS)


def abandoned_everywhere(adoptions: pd.DataFrame, change_ideas: pd.DataFrame) -> pd.DataFrame:
    """Change ideas tested by at least one team where every team's latest decision (over all
    the indicators the idea acts on) is `abandon` and no team adopted it."""
    names = dict(zip(change_ideas["change_id"], change_ideas["name"], strict=False))
    if adoptions.empty:
        return pd.DataFrame(columns=ABANDONED_COLUMNS)
    quit_ = adoptions.assign(  # a row (team × indicator) abandoned and never adopted
        _quit=(adoptions["decision"] == "abandon").to_numpy(bool)
        & adoptions["adopted_period"].isna().to_numpy(bool))
    per = quit_.groupby("change_id", sort=True).agg(everywhere=("_quit", "all"),
                                                    teams=("team_id", "nunique"))
    per = per[per["everywhere"]]
    if per.empty:
        return pd.DataFrame(columns=ABANDONED_COLUMNS)
    changes = [str(c) for c in per.index]
    return pd.DataFrame({"change_id": changes, "name": [names.get(c, c) for c in changes],
                         "teams_tested": per["teams"].to_numpy(np.int64),
                         "teams_abandoned": per["teams"].to_numpy(np.int64)},
                        columns=ABANDONED_COLUMNS)


def cycles_known_by(cycles: pd.DataFrame, period: pd.Period) -> pd.DataFrame:
    """The cycles started by the end of `period` (and those not started yet: a plan has no
    date); a cycle that ended after it keeps no end date and no act decision (the meeting
    could not know them)."""
    if cycles.empty:
        return cycles
    last = str(period.end_time.date())
    start = cycles["start_date"].fillna("").astype(str).str[:10]
    known = cycles[(start == "") | (start <= last)].copy()
    later = known["end_date"].fillna("").astype(str).str[:10] > last
    known.loc[later, "end_date"] = None
    known.loc[later, "act_decision"] = None
    return known


def known_by(measurements: pd.DataFrame, cycles: pd.DataFrame, period: pd.Period | None
             ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(measurements up to `period`, `cycles_known_by(cycles, period)`); None = everything
    known now."""
    if period is None:
        return measurements, cycles
    months = month_ordinals(measurements["period"])
    return measurements[months <= period.ordinal], cycles_known_by(cycles, period)

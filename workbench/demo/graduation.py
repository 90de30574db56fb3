"""The default demo's graduations: 8 wave-1 teams end coaching in 2026-04, and 2 of them slip.

`graduate(world, seed)` picks the graduates among the wave-1 teams (joined at launch) with no
injected data problem after `GRADUATION_MONTH` (2026-04), the teams at target on the most
indicators over the 6 months to then first (then those with the most changes adopted), and keeps
those whose data holds its gains by the rule of `workbench.learning.spread.sustainability` (the
one the summary applies): the first `GRADUATES` (8; fewer if fewer qualify, as with some seeds)
such teams graduate on the last day of 2026-04. The last `SLIPPING` (2) of them slip: once
coaching has ended their partograph review and newborn checklist lapse, so from 2026-05 the
latent probability of `SLIPPED` (PARTOGRAPH, NEWBORN_CARE) falls, by `SLIP` on the logit scale
over `LAPSE_MONTHS` months, and those months' numerators are drawn again from a Generator of
that team's own (`default_rng([seed, 2, team number])`): a shift against the indicator's
direction after graduation, which the summary lists under `slipping` (a slipping team is kept
only if the summary's rule sees it). Only those numerators change (and the recounts of them,
which keep their difference from the reported value); every other value and cycle of the launch
teams stays as drawn. Coaching ends at graduation: the graduates' coaching visits dated after
it are not recorded, nor their assessments and verification recounts (`_end_coaching`; a team
with an injected recount problem at such a visit is not a candidate, so every injected problem
stays); the other visits stay as drawn. Returns team_id -> graduation date (YYYY-MM-DD) and
the slipping teams. A part of the generated demo (`workbench.demo`).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from workbench.demo.calendar import GRADUATION_MONTH
from workbench.demo.world import _World
from workbench.learning.spread import sustainability

__all__ = ["GRADUATES", "LAPSE_MONTHS", "SLIP", "SLIPPED", "SLIPPING", "Graduation", "graduate"]

GRADUATES = 8
SLIPPING = 2
SLIPPED = ("PARTOGRAPH", "NEWBORN_CARE")
SLIP = 1.5  # the logit fall of the slipped indicators once coaching has ended …
LAPSE_MONTHS = 3  # … reached over 3 months (a lapse, not a jump a validator would flag)

Key = tuple[str, str, str]


class Graduation(NamedTuple):
    """Who graduated when (`graduated_on`: team_id -> YYYY-MM-DD) and who slips after."""

    graduated_on: dict[str, str]
    slipping: list[str]


def graduate(world: _World, seed: int) -> Graduation:
    """Choose the graduates, make `SLIPPING` of them slip (see the module docstring)."""
    day = (world.cal.start + GRADUATION_MONTH).end_time.strftime("%Y-%m-%d")
    after = set(world.cal.periods[GRADUATION_MONTH + 1:])
    injected = {(i["team_id"], i["indicator_id"], i["period"]) for i in world.injections}
    late = {k for k, visit in enumerate(world.visits) if visit["visit_date"] > day}
    troubled = {team for team, _, period in injected if period in after} | {
        i["team_id"] for i in world.injections if i["detail"].get("_visit") in late}
    values = _values(world)
    candidates = sorted(
        (t for t in world.teams if t["join"] == 0 and t["team_id"] not in troubled),
        key=lambda t: (-_at_target(world, values, t["team_id"]),
                       -sum(1 for month, _ in t["adopted"] if month <= GRADUATION_MONTH),
                       t["team_id"]))
    slipped = _slipping(world, values, [t["team_id"] for t in candidates], day)
    chosen = [t["team_id"] for t in candidates if t["team_id"] not in slipped][:GRADUATES]
    lapses = {team_id: _slipped_values(world, team_id, seed, injected) for team_id in chosen}
    lapsed = {key: value for changed in lapses.values() for key, value in changed.items()}
    would_slip = _slipping(world, {**values, **lapsed}, chosen, day)  # (each team on its own)
    slipping: list[str] = []
    for team_id in reversed(chosen):
        if len(slipping) == SLIPPING:
            break
        if team_id in would_slip:
            _apply(world, team_id, lapses[team_id])
            slipping.append(team_id)
    graduated_on = {team_id: day for team_id in chosen}
    _end_coaching(world, graduated_on)
    return Graduation(graduated_on, sorted(slipping))


def _end_coaching(world: _World, graduated_on: dict[str, str]) -> None:
    """Coaching ends at graduation: the graduates' visits dated after it go, with their
    assessments and verification recounts (the visit indexes of what stays are renumbered)."""
    keep = [k for k, visit in enumerate(world.visits)
            if visit["visit_date"] <= graduated_on.get(visit["team_id"], visit["visit_date"])]
    if len(keep) == len(world.visits):
        return
    renumbered = {old: new for new, old in enumerate(keep)}
    world.visits = [world.visits[k] for k in keep]
    world.assessments = [{**a, "_visit": renumbered[a["_visit"]]} for a in world.assessments
                         if a["_visit"] in renumbered]
    world.recounts = [{**r, "_visit": renumbered[r["_visit"]]} for r in world.recounts
                      if r["_visit"] in renumbered]
    for injection in world.injections:  # (no graduate has one on a visit that goes)
        if "_visit" in injection["detail"]:
            injection["detail"]["_visit"] = renumbered[injection["detail"]["_visit"]]


def _at_target(world: _World, values: dict[Key, tuple[int, int]], team_id: str) -> int:
    """On how many indicators the team's median of the 6 months to graduation meets the
    target: the teams ready to graduate first."""
    months = world.cal.periods[GRADUATION_MONTH - 5:GRADUATION_MONTH + 1]
    met = 0
    for ind in world.indicators:
        shares = [n / d for n, d in (values.get((team_id, ind["code"], p), (0, 0))
                                     for p in months) if d > 0]
        if shares:
            median = float(np.median(shares))
            met += (median >= ind["target"] if ind["direction"] == "increase"
                    else median <= ind["target"])
    return met


def _values(world: _World) -> dict[Key, tuple[int, int]]:
    """The current (last) numerator and denominator of every key."""
    return {key: (int(rows[-1]["numerator"]), int(rows[-1]["denominator"]))
            for key, rows in world.keys.items()}


def _slipping(world: _World, values: dict[Key, tuple[int, int]], team_ids: list[str],
              day: str) -> set[str]:
    """Which of `team_ids`, graduated on `day`, slip on any indicator by the end of the demo."""
    wanted = set(team_ids)
    rows = [(t, i, p, n, d) for (t, i, p), (n, d) in values.items() if t in wanted]
    measurements = pd.DataFrame(rows, columns=["team_id", "indicator_id", "period",
                                               "numerator", "denominator"])
    indicators = pd.DataFrame([{"indicator_id": ind["code"], "target": ind["target"],
                                "direction": ind["direction"]} for ind in world.indicators])
    teams = pd.DataFrame({"team_id": team_ids, "graduated_on": day})
    held = sustainability(measurements, indicators, teams, world.cal.periods[-1])
    return set(held.slipping["team_id"])


def _slipped_values(world: _World, team_id: str, seed: int,
                    injected: set[Key]) -> dict[Key, tuple[int, int]]:
    """The numerators of `SLIPPED` after graduation, drawn again with the lapse."""
    team = _team(world, team_id)
    rng = np.random.default_rng([seed, 2, int(team_id[1:])])
    changed = {}
    for ind in SLIPPED:
        if ind not in world.codes:
            continue
        _, den = team["counts"][ind]
        logit = np.log(team["p"][ind] / (1 - team["p"][ind]))
        fall = SLIP * np.clip((np.arange(world.cal.n_months) - GRADUATION_MONTH) / LAPSE_MONTHS,
                              0, 1)
        lapsed = 1 / (1 + np.exp(-(logit - fall)))
        for m in range(GRADUATION_MONTH + 1, world.cal.n_months):
            key = (team_id, ind, world.cal.periods[m])
            drawn = int(rng.binomial(int(den[m]), lapsed[m]))
            if key in world.keys and key not in injected:
                changed[key] = (drawn, int(world.keys[key][-1]["denominator"]))
    return changed


def _apply(world: _World, team_id: str, changed: dict[Key, tuple[int, int]]) -> None:
    """Write the slipped numerators into the revisions, the counts and the recounts."""
    team = _team(world, team_id)
    month = {period: m for m, period in enumerate(world.cal.periods)}
    for key, (numerator, _) in changed.items():
        for row in world.keys[key]:
            row["numerator"] = numerator
        team["counts"][key[1]][0][month[key[2]]] = numerator
    for recount in world.recounts:
        key = (recount["team_id"], recount["indicator_id"], recount["period"])
        if key in changed:
            difference = recount["recounted_numerator"] - recount["reported_numerator"]
            recount["reported_numerator"] = float(changed[key][0])
            recount["recounted_numerator"] = float(max(0.0, changed[key][0] + difference))


def _team(world: _World, team_id: str) -> dict[str, Any]:
    return next(t for t in world.teams if t["team_id"] == team_id)

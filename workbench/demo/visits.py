"""Demo coaching visits: visits with notes and actions, assessments and verification recounts.

`DemoVisits._visits` visits each team every 1–2 months from its joining month to the demo's "now"
(a graduate's visits after its graduation are then left out: `workbench.demo.graduation`):
notes (`_visit_notes`), actions, a faculty assessment on the IHI scale rising with progress
(`_progress`) and a self-assessment, 1–2 verification recounts (`_recount`); then it makes a few
recounts disagree (the `recount_disagrees` problems). A part of the generated demo
(`workbench.demo`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from workbench.demo import content
from workbench.demo.calendar import DemoCalendar, _date

__all__ = ["DemoVisits"]

_RECOUNTED = ("AMTSL", "PARTOGRAPH", "NEWBORN_CARE", "PPH", "OXY_STOCK")

_IHI = {0.5: "intent to participate", 1.0: "charter and team established",
        1.5: "planning has begun", 2.0: "activity, but no changes",
        2.5: "changes tested, but no improvement", 3.0: "modest improvement",
        3.5: "improvement", 4.0: "significant improvement", 4.5: "sustainable improvement",
        5.0: "outstanding sustainable results"}


class DemoVisits:
    """The coaching visits, assessments and recounts: a part of the demo's `_World`."""

    rng: np.random.Generator
    teams: list[dict[str, Any]]
    cycles: list[dict[str, Any]]
    keys: dict[tuple[str, str, str], list[dict[str, Any]]]
    used: set[tuple[str, str, str]]
    injections: list[dict[str, Any]]
    cal: DemoCalendar
    codes: tuple[str, ...]
    coaches: dict[str, str]
    counts: dict[str, int]

    def _visits(self) -> None:
        rng = self.rng
        now, periods = self.cal.now, self.cal.periods
        self.visits: list[dict[str, Any]] = []
        self.recounts: list[dict[str, Any]] = []
        self.assessments: list[dict[str, Any]] = []
        cycles_by_team: dict[str, list[dict[str, Any]]] = {}
        for cycle in self.cycles:
            cycles_by_team.setdefault(cycle["team_id"], []).append(cycle)
        recount_candidates: list[int] = []
        for team in self.teams:
            coach = self.coaches[team["district"]]
            when = self.cal.month_start(team["join"]) + dt.timedelta(days=int(rng.integers(15, 35)))
            cycles = cycles_by_team.get(team["team_id"], [])
            while when <= now:
                when = when.replace(hour=int(rng.integers(9, 15)), minute=0)
                index = len(self.visits)
                month = self.cal.month_of(when)
                progress = self._progress(team, cycles, when)
                faculty = float(np.clip(np.round(2 * progress) / 2, 0.5, 5.0))
                self_score = float(min(5.0, faculty + rng.choice([0.0, 0.5, 0.5, 1.0])))
                self.visits.append({
                    "team_id": team["team_id"], "coach": coach, "visit_date": _date(when),
                    "notes": self._visit_notes(team, cycles, when),
                    "actions": [{"action": action, "owner": owner,
                                 "due": _date(when + dt.timedelta(days=int(due)))}
                                for (action, owner), due in zip(
                                    [content.VISIT_ACTIONS[j] for j in rng.choice(
                                        len(content.VISIT_ACTIONS), int(rng.integers(1, 4)),
                                        replace=False)],
                                    rng.choice([14, 21, 30], 3), strict=False)],
                    "author": coach, "created_at": when + dt.timedelta(hours=6),
                })
                for kind, score, who in (("faculty", faculty, coach),
                                         ("self", self_score, team["lead"])):
                    self.assessments.append({
                        "team_id": team["team_id"], "period": periods[min(month, len(periods) - 1)],
                        "score": score, "assessor_type": kind, "assessor": who,
                        "justification": f"{score:.1f}: {_IHI[score]}.",
                        "created_at": when + dt.timedelta(hours=6), "_visit": index,
                    })
                for recount in self._recount(team, when, index, coach):
                    if recount["reported_numerator"] >= 10:
                        recount_candidates.append(len(self.recounts))
                    self.recounts.append(recount)
                when += dt.timedelta(days=int(rng.integers(28, 62)))
        chosen = rng.choice(len(recount_candidates),
                            min(self.counts["recount_disagrees"], len(recount_candidates)),
                            replace=False)
        for j, c in enumerate(sorted(chosen)):
            recount = self.recounts[recount_candidates[c]]
            factor = rng.uniform(1.15, 1.3) if j == 0 else rng.uniform(0.7, 0.85)
            reported = recount["reported_numerator"]
            recount["recounted_numerator"] = float(round(reported * factor))
            self.injections.append({
                "kind": "recount_disagrees", "team_id": recount["team_id"],
                "indicator_id": recount["indicator_id"], "period": recount["period"],
                "detail": {"_visit": recount["_visit"], "reported_numerator": reported,
                           "recounted_numerator": recount["recounted_numerator"],
                           "verification_factor": recount["recounted_numerator"] / reported},
            })

    def _progress(self, team: dict[str, Any], cycles: list[dict[str, Any]],
                  when: dt.datetime) -> float:
        today = _date(when)
        started = sum(1 for c in cycles if c["start_date"] <= today)
        done = [c for c in cycles if c["end_date"] and c["end_date"] <= today]
        adopted = sum(1 for c in done if c["act_decision"] == "adopt")
        months = self.cal.month_of(when) - team["join"]
        progress: float = (1.0 + 0.5 * (months >= 1) + 0.5 * (started > 0)
                           + 0.5 * (len(done) > 0) + 0.4 * adopted
                           + float(self.rng.normal(0, 0.2)))
        return progress

    def _visit_notes(self, team: dict[str, Any], cycles: list[dict[str, Any]],
                     when: dt.datetime) -> str:
        rng = self.rng
        known = [m for m, entered in team["entered"].items() if entered < when]
        parts = []
        if known:
            m = max(known)
            num, den = team["counts"]["AMTSL"]
            parts.append(f"AMTSL {100 * num[m] / max(den[m], 1):.0f}% in {self.cal.periods[m]} "
                         f"({num[m]} of {den[m]} vaginal births).")
        else:
            parts.append("First visit: introduced the change package and the monthly report.")
        today = _date(when)
        running = [c for c in cycles if c["start_date"] <= today
                   and (c["end_date"] is None or c["end_date"] > today)]
        adopted = [c for c in cycles if c["end_date"] and c["end_date"] <= today
                   and c["act_decision"] == "adopt"]
        parts.append(f"{len(running)} PDSA cycle(s) running, {len(adopted)} change(s) adopted.")
        for j in rng.choice(len(content.VISIT_OBSERVATIONS), 2, replace=False):
            parts.append(content.VISIT_OBSERVATIONS[j])
        return " ".join(parts)

    def _recount(self, team: dict[str, Any], when: dt.datetime, visit: int,
                 coach: str) -> list[dict[str, Any]]:
        rng = self.rng
        recounted = [i for i in _RECOUNTED if i in self.codes] or list(self.codes[:1])
        options = []
        for m in range(max(team["join"], self.cal.month_of(when) - 3), self.cal.month_of(when)):
            if team["entered"].get(m, self.cal.now) >= when:
                continue
            for ind in recounted:
                key = (team["team_id"], ind, self.cal.periods[m])
                if key not in self.used and key in self.keys:
                    options.append(key)
        out: list[dict[str, Any]] = []
        if not options:
            return out
        for i in rng.choice(len(options), min(len(options), int(rng.integers(1, 3))),
                            replace=False):
            key = options[i]
            self.used.add(key)
            row = self.keys[key][0]
            num, den = row["numerator"], row["denominator"]
            re_num = num + (int(rng.choice([-1, 1])) if num >= 25 and rng.random() < 0.3 else 0)
            re_den = den + (int(rng.choice([-1, 1])) if den >= 25 and rng.random() < 0.3 else 0)
            out.append({"team_id": key[0], "indicator_id": key[1], "period": key[2],
                        "reported_numerator": float(num), "reported_denominator": float(den),
                        "recounted_numerator": float(re_num),
                        "recounted_denominator": float(re_den),
                        "author": coach, "created_at": when + dt.timedelta(hours=6),
                        "_visit": visit})
        return out

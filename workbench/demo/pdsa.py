"""Demo PDSA ramps: each team tests change ideas in ramps of 1–4 cycles ending adopt or abandon.

`DemoPDSA._pdsa` runs one ramp after another per team (two tracks for vigorous teams) from its
joining month; `_ramp` makes the cycles of one idea (an adopted change raises the logit of its
linked indicators from the month after adoption: `team["adopted"]`); `_cycle` is one worksheet
with every field and the stages it reached. Cycles still running at the demo's "now" stay in plan,
do or study. A part of the generated demo (`workbench.demo`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from workbench.demo import content
from workbench.demo.calendar import DemoCalendar, _date

__all__ = ["DemoPDSA"]

_EFFECT_SCALE = 2.0  # the change package's logit shifts are relative; this sets their size


class DemoPDSA:
    """The PDSA cycles (`self.cycles`): a part of the demo's `_World`."""

    rng: np.random.Generator
    teams: list[dict[str, Any]]
    cycles: list[dict[str, Any]]
    cal: DemoCalendar
    codes: tuple[str, ...]
    innovations: dict[int, dict[str, Any]]
    #: how teams take up the package: ramps of 1 to `max_cycles - 1` cycles, the chance of
    #: adopting raised by `adopt_bonus`, adopted changes' effects scaled by `effect_bonus`
    #: (the launch teams: 5, 0, 1; the spread wave, with the refined package: shorter ramps,
    #: more adoptions, a little more effect)
    max_cycles: int = 5
    adopt_bonus: float = 0.0
    effect_bonus: float = 1.0

    def _ideas(self, index: int) -> list[dict[str, Any]]:
        """The change ideas team `index` tests, in order: the package in a random order, its
        own innovation third."""
        ideas = [content.CHANGE_PACKAGE[j]
                 for j in self.rng.permutation(len(content.CHANGE_PACKAGE))]
        if index in self.innovations:
            ideas.insert(2, self.innovations[index])
        return ideas

    def _pdsa(self) -> None:
        rng = self.rng
        now = self.cal.now
        for index, team in enumerate(self.teams):
            team["adopted"] = []  # (adoption month, {indicator: logit shift})
            ideas = self._ideas(index)
            tracks = 2 if team["vigour"] > 1.15 else 1
            joined = self.cal.month_start(team["join"])
            starts = [joined + dt.timedelta(days=int(rng.integers(10, 30)))
                      + dt.timedelta(days=int(rng.integers(20, 60))) * t for t in range(tracks)]
            pace = 1 / team["vigour"]
            while ideas:
                track = int(np.argmin(np.asarray(starts)))
                start = starts[track]
                if start - dt.timedelta(days=10) > now:
                    break
                idea = ideas.pop(0)
                end = self._ramp(team, idea, start)
                starts[track] = end + dt.timedelta(days=int(rng.integers(10, 50) * pace))

    def _ramp(self, team: dict[str, Any], idea: dict[str, Any], start: dt.datetime) -> dt.datetime:
        rng = self.rng
        now = self.cal.now
        n_cycles = int(rng.integers(1, self.max_cycles))
        p_adopt = float(np.clip(0.45 + 0.35 * (team["vigour"] - 0.55), 0.35, 0.9)
                        + self.adopt_bonus)
        final = "adopt" if rng.random() < p_adopt else "abandon"
        when = start
        for k in range(n_cycles):
            scale, duration, n_obs = content.CYCLE_SCALES[min(k, 3)]
            do_days = {"3 days": 3, "1 week": 7, "2 weeks": 14, "1 month": 30}[duration]
            planned = when - dt.timedelta(days=int(rng.integers(3, 10)), hours=-9)
            do_end = when + dt.timedelta(days=do_days)
            study_end = do_end + dt.timedelta(days=int(rng.integers(3, 10)))
            end = study_end + dt.timedelta(days=int(rng.integers(1, 5)))
            if planned > now:
                return when
            decision = final if k == n_cycles - 1 else "adapt"
            status = ("plan" if when > now else "do" if do_end > now
                      else "study" if end > now else "closed")
            self.cycles.append(self._cycle(team, idea, k, n_obs, scale, duration, decision,
                                           status, planned, when, do_end, study_end, end))
            if status != "closed":
                return end
            if decision == "adopt":
                responsiveness = (_EFFECT_SCALE * float(rng.uniform(0.7, 1.3))
                                  * self.effect_bonus)
                team["adopted"].append((self.cal.month_of(end) + 1,
                                        {i: e * responsiveness for i, e in idea["effect"].items()}))
            when = end + dt.timedelta(days=int(rng.integers(2, 15)))
        return when

    def _cycle(self, team: dict[str, Any], idea: dict[str, Any], k: int, n_obs: int, scale: str,
               duration: str, decision: str, status: str, planned: dt.datetime,
               start: dt.datetime, do_end: dt.datetime, study_end: dt.datetime,
               end: dt.datetime) -> dict[str, Any]:
        rng = self.rng
        target = int(n_obs * {"adopt": rng.uniform(0.8, 0.95), "adapt": rng.uniform(0.55, 0.8),
                              "abandon": rng.uniform(0.2, 0.5)}[decision])
        met = decision == "adopt"
        questions = [{"question": idea["question"], "prediction": idea["prediction"]},
                     {"question": "What will make this hard on a busy shift?",
                      "prediction": "Night shifts with one midwife will miss some births"}]
        deviation = ["", "", "Two days lost to a staff workshop; test extended.",
                     "Night shift midwife on leave; tested on day shifts only."][
            int(rng.integers(4))]
        closed = status == "closed"
        stages = [("plan", planned)]
        if status != "plan":
            stages.append(("do", start))
        if status in ("study", "closed"):
            stages.append(("study", do_end))
        if closed:
            stages.append(("closed", end))
        next_steps = {
            "adopt": "Adopt: make it routine on all shifts; add it to the ward orientation.",
            "adapt": "Adapt: fix what went wrong and test again on a larger scale.",
            "abandon": "Abandon: the change did not work here; try another idea from the "
                       "package.",
        }[decision]
        return {
            "team_id": team["team_id"], "change_id": idea["code"], "cycle_number": k + 1,
            "title": f"{idea['name']}: cycle {k + 1}",
            "objective": f"Test whether '{idea['name'].lower()}' works with {scale} for "
                         f"{duration}.",
            "questions": questions,
            "plan_tasks": [
                {"who": f"QI team leader ({team['lead']})",
                 "what": "Brief the midwives on the test and the tally sheet",
                 "when": _date(start - dt.timedelta(days=1)), "where": "Labour ward"},
                {"who": "Midwife in-charge", "what": idea["description"],
                 "when": f"{_date(start)} to {_date(do_end)}", "where": "Labour ward"},
                {"who": f"Data officer ({team['officer']})", "what": f"Tally {idea['measure']}",
                 "when": "daily during the test", "where": "Labour ward register"},
            ],
            "data_plan": f"Count {idea['measure']} with {scale} for {duration}; the data "
                         "officer tallies daily and plots the result for the team meeting.",
            "linked_indicators": [i for i in idea["indicators"] if i in self.codes],
            "do_notes": (f"Carried out with {scale} for {duration}; {n_obs} observed."
                         if status != "plan" else ""),
            "deviations": deviation if status != "plan" else "",
            "study_notes": (f"{target} of {n_obs} ({100 * target / n_obs:.0f}%) against the "
                            f"prediction '{idea['prediction']}'. "
                            + ("Prediction met." if met else "Prediction not met.")
                            if closed else ""),
            "study_results": ([{"question": idea["question"], "prediction": idea["prediction"],
                                "result": f"{target} of {n_obs}", "met": met},
                               {"question": questions[1]["question"],
                                "prediction": questions[1]["prediction"],
                                "result": "Night births were missed more often",
                                "met": True}] if closed else []),
            "act_decision": decision if closed else None,
            "next_steps": next_steps if closed else "",
            "start_date": _date(start),
            "end_date": _date(end) if closed else None,
            "status": status,
            "author": team["lead"],
            "created_at": planned,
            "updated_at": stages[-1][1],
            "version": len(stages),
            "_stages": stages,
        }

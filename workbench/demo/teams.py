"""Demo teams and the collaborative definition: 24 maternity teams in 3 districts.

`DemoTeams._teams` draws each team's profile (births a month by facility level, vigour, data
officer, QI team lead, latent baseline probabilities of the process and input indicators, PPH
and asphyxia risks); `_definition` is the collaborative as `write_collaborative` takes it
(indicators, waves, teams, learning sessions, the change package and team innovations).
A part of the generated demo (`workbench.demo`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from workbench.demo import content
from workbench.demo.calendar import DEMO_PERIODS, WAVE2_MONTH
from workbench.model import DEFAULT_SETTINGS

__all__ = ["DemoTeams"]

_LATENT = ("AMTSL", "PARTOGRAPH", "NEWBORN_CARE", "OXY_STOCK")
_BASELINE = {"AMTSL": (0.20, 0.50), "PARTOGRAPH": (0.25, 0.55), "NEWBORN_CARE": (0.30, 0.60),
             "OXY_STOCK": (0.60, 0.90)}
_BIRTHS = {"hospital": (170, 330), "hc4": (45, 140), "hc3": (7, 40)}


class DemoTeams:
    """The teams (`self.teams`) and the definition: a part of the demo's `_World`."""

    rng: np.random.Generator

    def _person(self) -> str:
        return (f"{content.FIRST_NAMES[self.rng.integers(len(content.FIRST_NAMES))]} "
                f"{content.SURNAMES[self.rng.integers(len(content.SURNAMES))]}")

    def _teams(self) -> None:
        rng = self.rng
        self.teams: list[dict[str, Any]] = []
        for i, (facility, district, level) in enumerate(content.FACILITIES):
            wave2 = i in content.WAVE2_FACILITIES
            lo, hi = _BIRTHS[level]
            self.teams.append({
                "team_id": f"T{i + 1:02d}", "facility": facility, "district": district,
                "level": level, "wave_id": "W2" if wave2 else "W1",
                "join": WAVE2_MONTH if wave2 else 0,
                "births": float(rng.uniform(lo, hi)),
                "vigour": float(rng.uniform(0.55, 1.45)),
                "officer": self._person(), "lead": self._person(),
                "baseline": {ind: float(rng.uniform(*_BASELINE[ind])) for ind in _LATENT},
                "pph": float(rng.uniform(0.07, 0.11)),
                "asphyxia": float(rng.uniform(0.06, 0.09)),
            })

    def _definition(self) -> dict[str, Any]:
        indicators = [{
            "indicator_id": ind["code"], "name": ind["name"], "type": ind["type"],
            "kind": "proportion", "numerator_definition": ind["numerator"],
            "denominator_definition": ind["denominator"], "target": ind["target"],
            "direction": ind["direction"], "chart": "p", "multiplier": 100.0, "unit": "%",
            "sort_order": i,
        } for i, ind in enumerate(content.INDICATORS)]
        teams = [{
            "team_id": t["team_id"], "name": t["facility"], "facility": t["facility"],
            "district": t["district"], "region": "South Western", "wave_id": t["wave_id"],
            "coach": content.DISTRICTS[t["district"]], "joined_period": DEMO_PERIODS[t["join"]],
        } for t in self.teams]
        changes = [_change_row(idea, None) for idea in content.CHANGE_PACKAGE]
        changes += [_change_row(idea, self.teams[i]["team_id"])
                    for i, idea in content.TEAM_INNOVATIONS]
        return {
            "collaborative": {
                "name": "EONC Improvement Collaborative (demo)",
                "topic": "Active management of the third stage of labour (AMTSL) and "
                         "immediate newborn care",
                "phase": "demonstration",
                "description": "24 maternity units in Kabale, Kisoro and Rukungiri districts "
                               "improving AMTSL, partograph use and immediate newborn care. "
                               "Demo data, generated: not real facilities' results.",
                "start_period": DEMO_PERIODS[0],
                "aims": [dict(a) for a in content.AIMS],
                "settings": {**{k: (list(v) if isinstance(v, list) else v)
                                for k, v in DEFAULT_SETTINGS.items()},
                             "translations": content.TRANSLATIONS},
            },
            "indicators": indicators,
            "waves": [{"wave_id": "W1", "name": "Wave 1", "start_period": DEMO_PERIODS[0]},
                      {"wave_id": "W2", "name": "Wave 2",
                       "start_period": DEMO_PERIODS[WAVE2_MONTH]}],
            "teams": teams,
            "learning_sessions": [dict(ls) for ls in content.LEARNING_SESSIONS],
            "change_ideas": changes,
        }


def _change_row(idea: dict[str, Any], team_id: str | None) -> dict[str, Any]:
    return {"change_id": idea["code"], "name": idea["name"], "description": idea["description"],
            "driver": idea["driver"], "source": "team" if team_id else "package",
            "team_id": team_id, "indicator_ids": list(idea["indicators"])}

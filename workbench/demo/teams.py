"""Demo teams and the collaborative definition: 24 maternity teams in 3 districts by default.

`DemoTeams._teams` draws each team's profile (births a month by facility level, vigour, data
officer, QI team lead, latent baseline probabilities of the process and input indicators, PPH
and asphyxia risks, then those of any extra indicator); `_definition` is the collaborative as
`write_collaborative` takes it (indicators, waves, teams, learning sessions, the change package
and team innovations). `_roster` says who the teams are: the 24 facilities of
`content.FACILITIES` for the default size, else their pattern of levels and waves repeated over
N generated facilities in D districts (blocks of consecutive teams). A part of the generated
demo (`workbench.demo`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from workbench.demo import content
from workbench.demo.calendar import START, DemoCalendar
from workbench.demo.size import DEFAULT_SIZE, DemoSize
from workbench.model import DEFAULT_SETTINGS

__all__ = ["DemoTeams"]

_LATENT = ("AMTSL", "PARTOGRAPH", "NEWBORN_CARE", "OXY_STOCK")
_BASELINE = {"AMTSL": (0.20, 0.50), "PARTOGRAPH": (0.25, 0.55), "NEWBORN_CARE": (0.30, 0.60),
             "OXY_STOCK": (0.60, 0.90)}
_BIRTHS = {"hospital": (170, 330), "hc4": (45, 140), "hc3": (7, 40)}


class DemoTeams:
    """The teams (`self.teams`) and the definition: a part of the demo's `_World`."""

    rng: np.random.Generator
    size: DemoSize
    cal: DemoCalendar

    def _person(self) -> str:
        return (f"{content.FIRST_NAMES[self.rng.integers(len(content.FIRST_NAMES))]} "
                f"{content.SURNAMES[self.rng.integers(len(content.SURNAMES))]}")

    def _teams(self) -> None:
        self.indicators = (content.INDICATORS + [_extra(ind) for ind in content.EXTRA_INDICATORS]
                           )[:self.size.indicators]
        self.codes: tuple[str, ...] = tuple(ind["code"] for ind in self.indicators)
        self.extras = [ind for ind in content.EXTRA_INDICATORS if ind["code"] in self.codes]
        self.coaches, roster = _roster(self.size)
        width = max(2, len(str(self.size.teams)))
        self.teams: list[dict[str, Any]] = [
            self._profile(f"T{i + 1:0{width}d}", facility, district, level,
                          "W2" if wave2 else "W1", self.cal.wave2_month if wave2 else 0)
            for i, (facility, district, level, wave2) in enumerate(roster)]
        self.innovations = self._innovations()

    def _profile(self, team_id: str, facility: str, district: str, level: str, wave_id: str,
                 join: int) -> dict[str, Any]:
        """One team's drawn profile (always the same draws in the same order)."""
        rng = self.rng
        lo, hi = _BIRTHS[level]
        team: dict[str, Any] = {
            "team_id": team_id, "facility": facility, "district": district,
            "level": level, "wave_id": wave_id, "join": join,
            "births": float(rng.uniform(lo, hi)),
            "vigour": float(rng.uniform(0.55, 1.45)),
            "officer": self._person(), "lead": self._person(),
            "baseline": {ind: float(rng.uniform(*_BASELINE[ind])) for ind in _LATENT},
            "pph": float(rng.uniform(0.07, 0.11)),
            "asphyxia": float(rng.uniform(0.06, 0.09)),
        }
        team["baseline"].update({ind["code"]: float(rng.uniform(*ind["baseline"]))
                                 for ind in self.extras})
        return team

    def _definition(self) -> dict[str, Any]:
        periods = self.cal.periods
        indicators = [{
            "indicator_id": ind["code"], "name": ind["name"], "type": ind["type"],
            "kind": "proportion", "numerator_definition": ind["numerator"],
            "denominator_definition": ind["denominator"], "target": ind["target"],
            "direction": ind["direction"], "chart": "p", "multiplier": 100.0, "unit": "%",
            "sort_order": i,
        } for i, ind in enumerate(self.indicators)]
        teams = self._team_rows()
        changes = [self._change_row(idea, None) for idea in content.CHANGE_PACKAGE]
        changes += [self._change_row(idea, self.teams[i]["team_id"])
                    for i, idea in self.innovations.items()]
        default = self.size == DEFAULT_SIZE
        return {
            "collaborative": {
                "name": "EONC Improvement Collaborative (demo)",
                "topic": "Active management of the third stage of labour (AMTSL) and "
                         "immediate newborn care",
                "phase": "demonstration" if self.size.teams <= 100 else "spread",
                "description": ("24 maternity units in Kabale, Kisoro and Rukungiri districts "
                                if default else
                                f"{self.size.teams} maternity units in {self.size.districts} "
                                "districts ")
                               + "improving AMTSL, partograph use and immediate newborn care. "
                                 "Demo data, generated: not real facilities' results.",
                "start_period": periods[0],
                "aims": [{**a, "by": periods[-1]} for a in content.AIMS
                         if a["indicator_id"] in self.codes],
                "settings": {**{k: (list(v) if isinstance(v, list) else v)
                                for k, v in DEFAULT_SETTINGS.items()},
                             "translations": content.TRANSLATIONS},
            },
            "indicators": indicators,
            "waves": [{"wave_id": "W1", "name": "Wave 1", "start_period": periods[0]},
                      {"wave_id": "W2", "name": "Wave 2",
                       "start_period": periods[self.cal.wave2_month]}],
            "teams": teams,
            "learning_sessions": _learning_sessions(self.cal),
            "change_ideas": changes,
        }

    def _team_rows(self) -> list[dict[str, Any]]:
        """The teams as the definition lists them (`graduated_on` empty: see
        `workbench.demo.graduation`)."""
        periods = self.cal.periods
        return [{
            "team_id": t["team_id"], "name": t["facility"], "facility": t["facility"],
            "district": t["district"], "region": "South Western", "wave_id": t["wave_id"],
            "coach": self.coaches[t["district"]], "joined_period": periods[t["join"]],
            "graduated_on": None,
        } for t in self.teams]

    def _innovations(self) -> dict[int, dict[str, Any]]:
        """Team index -> the change idea that started there (teams the demo has only)."""
        out = {}
        for i, idea in content.TEAM_INNOVATIONS:
            if i < len(self.teams):
                code = f"{self.teams[i]['team_id']}-{idea['code'].split('-')[-1]}"
                out[i] = {**idea, "code": code}
        return out

    def _change_row(self, idea: dict[str, Any], team_id: str | None) -> dict[str, Any]:
        return {"change_id": idea["code"], "name": idea["name"],
                "description": idea["description"], "driver": idea["driver"],
                "source": "team" if team_id else "package", "team_id": team_id,
                "indicator_ids": [i for i in idea["indicators"] if i in self.codes]}


def _extra(ind: dict[str, Any]) -> dict[str, Any]:
    """An extra indicator in the shape of `content.INDICATORS`."""
    denominator = {"all": "Women delivered in the facility",
                   "vaginal": "Vaginal births in the facility",
                   "live": "Live births in the facility"}[ind["births"]]
    return {"code": ind["code"], "name": ind["name"], "type": "process",
            "numerator": ind["numerator"], "denominator": denominator, "target": 0.90,
            "direction": "increase"}


def _roster(size: DemoSize) -> tuple[dict[str, str], list[tuple[str, str, str, bool]]]:
    """District -> coach, and (facility, district, level, wave 2?) of each team in order."""
    if (size.teams, size.districts) == (DEFAULT_SIZE.teams, DEFAULT_SIZE.districts):
        return dict(content.DISTRICTS), [
            (facility, district, level, i in content.WAVE2_FACILITIES)
            for i, (facility, district, level) in enumerate(content.FACILITIES)]
    names = content.MORE_DISTRICTS
    districts = [names[d] if d < len(names) else f"District {d + 1:03d}"
                 for d in range(size.districts)]
    coaches = list(content.DISTRICTS.values())
    first, last = content.FIRST_NAMES, content.SURNAMES
    coach = {district: coaches[d] if d < len(coaches) else
             f"{first[(7 * d) % len(first)]} {last[(3 * d + d // len(last)) % len(last)]}"
             for d, district in enumerate(districts)}
    roster = []
    pattern = content.FACILITIES
    for i in range(size.teams):
        level = pattern[i % len(pattern)][2]
        place = content.PLACES[i % len(content.PLACES)]
        if i >= len(content.PLACES):
            place = f"{place} {i // len(content.PLACES) + 1}"
        roster.append((f"{place} {content.LEVEL_NAMES[level]}",
                       districts[i * size.districts // size.teams], level,
                       i % len(pattern) in content.WAVE2_FACILITIES))
    return coach, roster


def _shifted(date: str, months: int) -> str:
    """`date` (YYYY-MM-DD, day <= 28) moved by `months` months."""
    return f"{pd.Period(date[:7], freq='M') + months}{date[7:]}"


def _learning_sessions(cal: DemoCalendar) -> list[dict[str, Any]]:
    """The embedded five (those inside the calendar), then one every 6 months after."""
    shift = (cal.start - START).n  # a longer demo starts earlier: its sessions move with it
    embedded = [dict(ls, date=_shifted(ls["date"], shift)) for ls in content.LEARNING_SESSIONS]
    if cal.wave2_month != 9:  # a short demo: wave 2 joins earlier than 2025-08
        sessions = [ls for ls in embedded if ls["wave_id"] != "W2"]
        launch = (cal.start + cal.wave2_month).start_time.to_pydatetime() + dt.timedelta(days=5)
        sessions.append({"name": "Wave 2 launch (learning session 1)",
                         "date": launch.strftime("%Y-%m-%d"), "wave_id": "W2"})
    else:
        sessions = embedded
    last = str(cal.start + cal.n_months - 1)
    sessions = sorted((ls for ls in sessions if ls["date"][:7] <= last), key=lambda ls: ls["date"])
    month = 24  # 2026-11, 6 months after the embedded fifth
    while str(cal.start + month) <= last:
        sessions.append({"name": f"Learning session {len(sessions)}",
                         "date": f"{cal.start + month}-12", "wave_id": None})
        month += 6
    return sessions

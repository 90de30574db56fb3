"""A team's own measures (seed section 3.4): indicators a team adds to test a change.

"A team may add its own indicators to test a change; they appear in its report and journal,
not in collaborative roll-ups." An indicator row with `team_id` set belongs to that team;
`team_id` NULL is a collaborative indicator. `collaborative_indicators` is THE one answer to
which indicators are collaborative: every roll-up (summary, status matrix, learning session,
synthesis, practices, the batch's collaborative figures) reads its indicators from it and its
measurements from `read_collaborative_measurements`, so adding a team measure changes none of
them. `team_indicators` is what one team sees (the collaborative's and its own);
`add_team_measure` writes one, in one transaction, audited.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, func, select

from workbench.errors import ValidationFailed
from workbench.i18n import N_
from workbench.i18n import gettext as _
from workbench.store import schema as s
from workbench.store.audit import record_write
from workbench.store.engine import current_user, write_transaction
from workbench.store.measurements import Unreadable, _conn
from workbench.store.reads import read_current_measurements
from workbench.store.records import get_team, read_indicators
from workbench.store.users import authorize

__all__ = ["TeamMeasure", "add_team_measure", "collaborative_indicators",
           "read_collaborative_measurements", "team_indicators", "team_measures",
           "team_measure_owners"]

_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,39}")
#: the CLI's words for an indicator's direction -> the schema's
DIRECTIONS = {"up": "increase", "down": "decrease", "increase": "increase",
              "decrease": "decrease"}


def collaborative_indicators(bind: Engine | Connection) -> pd.DataFrame:
    """The collaborative's indicators (no owning team), in display order: THE one answer to
    which indicators the collaborative roll-ups show."""
    frame = read_indicators(bind)
    frame = frame[frame["team_id"].isna()].reset_index(drop=True)
    return frame.assign(team_id=pd.Series([None] * len(frame), dtype=object))


def team_measures(bind: Engine | Connection, team_id: str | None = None) -> pd.DataFrame:
    """The teams' own measures (of one team, or of every team), in display order."""
    frame = read_indicators(bind)
    own = frame["team_id"].notna() if team_id is None else frame["team_id"] == team_id
    return frame[own].reset_index(drop=True)


def team_indicators(bind: Engine | Connection, team_id: str) -> pd.DataFrame:
    """What one team measures: the collaborative's indicators, then its own measures."""
    frame = read_indicators(bind)
    mine = frame["team_id"].isna() | (frame["team_id"] == team_id)
    return frame[mine].reset_index(drop=True)


def team_measure_owners(bind: Engine | Connection) -> dict[str, str]:
    """indicator_id -> owning team of every team measure (empty when there is none)."""
    i = s.indicators
    with _conn(bind) as conn:
        rows = conn.execute(select(i.c.indicator_id, i.c.team_id)
                            .where(i.c.team_id.is_not(None))).all()
    return {str(r.indicator_id): str(r.team_id) for r in rows}


def read_collaborative_measurements(bind: Engine | Connection, *, as_of: Any = None,
                                    team_ids: Sequence[str] | None = None,
                                    indicator_ids: Sequence[str] | None = None,
                                    unreadable: Unreadable = "raise") -> pd.DataFrame:
    """`read_measurements` of the collaborative indicators only (teams' own measures left
    out); the same call, and the same frame, when no team has a measure of its own.
    `unreadable="skip"`: a current row whose stored count is not a number is left out
    (`measurements.readable_rows`) instead of raising a StoreError that names it (a figure
    of every team, such as a median, then does without it; the report of its own team
    still says what is wrong)."""
    owned = team_measure_owners(bind)
    if owned:
        wanted = (collaborative_indicators(bind)["indicator_id"] if indicator_ids is None
                  else pd.Series(list(indicator_ids), dtype=object))
        indicator_ids = [str(i) for i in wanted if str(i) not in owned]
    return read_current_measurements(bind, as_of=as_of, team_ids=team_ids,
                                     indicator_ids=indicator_ids, unreadable=unreadable)


@dataclass(frozen=True)
class TeamMeasure:
    """A team's own indicator, as the CLI or a form gives it (target in per cent)."""

    team_id: str
    indicator_id: str
    name: str
    numerator_definition: str
    denominator_definition: str
    target_percent: float | None
    direction: str  # up | down (or increase | decrease)


def _checked(conn: Connection, m: TeamMeasure) -> dict[str, Any]:
    """The indicator row to insert, or ValidationFailed naming every problem at once."""
    problems = []
    if not _CODE.fullmatch(m.indicator_id or ""):
        problems.append(f"--id {m.indicator_id!r}: a code of 1 to 40 letters, digits, '_', '.' "
                        "or '-', starting with a letter or digit (e.g. T01_SKIN)")
    elif conn.execute(select(func.count()).select_from(s.indicators)
                      .where(func.lower(s.indicators.c.indicator_id)
                             == m.indicator_id.lower())).scalar():
        problems.append(f"--id {m.indicator_id!r}: an indicator with this code exists already; "
                        "choose another code")
    for option, text in (("--name", m.name), ("--numerator", m.numerator_definition),
                         ("--denominator", m.denominator_definition)):
        if not (text or "").strip():
            problems.append(_("{option}: required (what is counted, in words)").format(
                option=option))
    if m.target_percent is not None and not 0 <= m.target_percent <= 100:
        problems.append(_("--target {target:g}: a percentage from 0 to 100 (90 for "
                          "90 %)").format(target=m.target_percent))
    if m.direction not in DIRECTIONS:
        problems.append(_("--direction {direction!r}: use up (higher is better) or "
                          "down").format(direction=m.direction))
    if problems:
        raise ValidationFailed(N_("the team measure was not added: {problems}."),
                               params={"problems": "; ".join(problems)},
                               failure_cases=problems)
    order = conn.execute(select(func.max(s.indicators.c.sort_order))).scalar() or 0
    return {"indicator_id": m.indicator_id, "name": m.name.strip(), "type": "process",
            "kind": "proportion", "numerator_definition": m.numerator_definition.strip(),
            "denominator_definition": m.denominator_definition.strip(),
            "target": None if m.target_percent is None else m.target_percent / 100,
            "direction": DIRECTIONS[m.direction], "chart": "p", "multiplier": 100.0,
            "unit": "%", "sort_order": int(order) + 1, "team_id": m.team_id}


def add_team_measure(engine: Engine, measure: TeamMeasure, user: str | None = None,
                     ) -> dict[str, Any]:
    """Add `measure` to its team (one transaction, audited as `team_measure.add`); the row
    written. The user must be allowed to save the team's PDSA journal."""
    who = current_user(user)
    with write_transaction(engine, s.indicators) as conn:
        get_team(conn, measure.team_id)  # NotFoundError naming the team
        authorize(conn, who, "pdsa", measure.team_id)
        row = _checked(conn, measure)
        conn.execute(s.indicators.insert().values(**row))
        record_write(conn, who, "team_measure.add", "indicators", measure.indicator_id, row)
    return row

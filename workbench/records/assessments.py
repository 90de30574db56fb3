"""Team self-assessment on the IHI assessment scale (0.5–5.0), month by month.

IHI asks teams to score themselves monthly, separately from the faculty, and to justify the
score with evidence (qi-tools-and-user-needs.md B1). Faculty scores come with a coaching
visit (`workbench.records.visits.save_visit`); this module records the team's own.

Nothing is overwritten: entering a month that already has a self-assessment adds a new row
that becomes the current one, and requires a reason. The assessments table has no reason
column, so the reason is written at the head of the justification:
"Correction of the entry of <YYYY-MM-DD> by <assessor>: <reason>. <justification>".
"""

from __future__ import annotations

import datetime as dt
import math
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any, NamedTuple

import pandas as pd
from sqlalchemy import Connection, Engine, func, select

from workbench.errors import ValidationFailed
from workbench.i18n import N_, format_number
from workbench.i18n import gettext as _
from workbench.model import Failure, is_period, period_problem
from workbench.records.visits import ASSESSMENT_SCALE
from workbench.store import (
    authorize,
    current_user,
    inserted_id,
    read_assessments,
    record_write,
    utcnow,
    write_transaction,
)
from workbench.store import schema as s

__all__ = [
    "SelfAssessment",
    "SelfAssessmentSaved",
    "HISTORY_COLUMNS",
    "latest_data_month",
    "current_self_assessment",
    "latest_faculty_score",
    "correction_text",
    "validate_self_assessment",
    "save_self_assessment",
    "self_assessment_history",
]

#: Columns of `self_assessment_history`.
HISTORY_COLUMNS = ["assessment_id", "team_id", "period", "score", "level", "assessor",
                   "justification", "created_at", "current"]

_STEPS = ", ".join(f"{step:.1f}" for step in ASSESSMENT_SCALE)

Bind = Engine | Connection


@dataclass
class SelfAssessment:
    """A team's own score for one month: `period` YYYY-MM, `score` a step of the IHI scale,
    the evidence in `justification`, who scored (`assessor`) and, when the month already has
    a self-assessment, the `reason` for entering it again."""

    team_id: str
    period: str
    score: float | None
    justification: str
    assessor: str
    reason: str = ""


class SelfAssessmentSaved(NamedTuple):
    """What `save_self_assessment` wrote: the new row's id, the text stored as its
    justification, and the entry it supersedes (None for a first entry)."""

    assessment_id: int
    item: SelfAssessment
    justification: str
    corrected: dict[str, Any] | None

    def summary(self) -> str:
        item = self.item
        score = float(item.score or 0)
        label = ASSESSMENT_SCALE.get(score, ("", ""))[0]
        text = _("Saved the self-assessment of {team} for {period}: {score} ({label}), by "
                 "{assessor} (assessment {assessment}).").format(
            team=item.team_id, period=item.period, score=format_number(score, 1),
            label=_(label) if label else label, assessor=item.assessor,
            assessment=self.assessment_id)
        if self.corrected:
            text += " " + _("It replaces {score} entered on {day} by {assessor}, which is kept "
                            "in the history.").format(
                score=format_number(float(self.corrected["score"]), 1),
                day=_day(self.corrected["created_at"]), assessor=self.corrected["assessor"])
        return text


def _conn(bind: Bind) -> AbstractContextManager[Connection]:
    """A context manager giving a connection (a Connection is used as is)."""
    if isinstance(bind, Connection):
        return nullcontext(bind)
    return bind.connect()


def _day(value: Any) -> str:
    """YYYY-MM-DD of a stored timestamp."""
    return str(pd.Timestamp(value).date())


def latest_data_month(bind: Bind, today: dt.date | None = None) -> str:
    """The latest month with data in the collaborative (any team, any indicator); the
    calendar month of `today` while there are no data yet."""
    with _conn(bind) as conn:
        latest = conn.execute(select(func.max(s.measurement_revisions.c.period))).scalar()
    if latest:
        return str(latest)
    return (today or dt.date.today()).strftime("%Y-%m")


def current_self_assessment(bind: Bind, team_id: str, period: str) -> dict[str, Any] | None:
    """The team's current (latest entered) self-assessment of `period` as a dict
    (assessment_id, score, assessor, justification, created_at), or None."""
    a = s.assessments
    with _conn(bind) as conn:
        row = conn.execute(
            select(a.c.assessment_id, a.c.score, a.c.assessor, a.c.justification,
                   a.c.created_at)
            .where(a.c.team_id == team_id, a.c.period == period, a.c.assessor_type == "self")
            .order_by(a.c.assessment_id.desc()).limit(1)).mappings().first()
    return dict(row) if row else None


def latest_faculty_score(bind: Bind, team_id: str, period: str | None = None
                         ) -> dict[str, Any] | None:
    """The faculty's current score for the team's latest month up to `period` (all months
    when None): period, score, assessor, justification, created_at; None if never scored."""
    frame = read_assessments(bind, team_id=team_id)
    frame = frame[frame["assessor_type"] == "faculty"]
    if period is not None:
        frame = frame[frame["period"] <= str(period)]
    if frame.empty:
        return None
    row = frame.sort_values(["period", "assessment_id"]).iloc[-1]
    return {"period": str(row["period"]), "score": float(row["score"]),
            "assessor": str(row["assessor"]), "justification": str(row["justification"]),
            "created_at": row["created_at"]}


def correction_text(previous: dict[str, Any], reason: str, justification: str) -> str:
    """The justification stored for a re-entry: "Correction of the entry of <YYYY-MM-DD> by
    <assessor>: <reason>. <justification>"."""
    reason = reason.strip().rstrip(".")
    return (f"Correction of the entry of {_day(previous['created_at'])} by "
            f"{previous['assessor']}: {reason}. {justification.strip()}")


def _score(value: Any) -> float | None:
    """The score as a float, or None when it is not a number."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(str(value).strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def validate_self_assessment(bind: Bind, item: SelfAssessment, *,
                             today: dt.date | None = None) -> list[Failure]:
    """Every problem with `item` at once, as (field, message).

    The team must exist; the month must be YYYY-MM, not after the latest month with data
    (`latest_data_month`) and not before the team joined; the score a step of the IHI scale;
    the justification and the assessor given; and a month that already has a
    self-assessment needs a `reason` for the new entry.
    """
    out: list[Failure] = []
    add = out.append
    team_id = str(item.team_id or "").strip()
    period = str(item.period or "").strip()
    team = None
    if not team_id:
        add(Failure("team_id", _("choose the team")))
    else:
        with _conn(bind) as conn:
            team = conn.execute(select(s.teams.c.team_id, s.teams.c.joined_period).where(
                s.teams.c.team_id == team_id)).mappings().first()
        if team is None:
            add(Failure("team_id", _("unknown team {team!r}; use a team code of the "
                                     "collaborative (see `workbench status --json`)").format(
                team=team_id)))
    if not period:
        add(Failure("period", _("give the month assessed as YYYY-MM (e.g. 2026-10)")))
    elif not is_period(period):
        add(Failure("period", period_problem(period)))
    else:
        latest = latest_data_month(bind, today=today)
        if period > latest:
            add(Failure("period", _("{period} is after the latest month with data ({latest}); "
                                    "assess a month that has ended and been reported").format(
                period=period, latest=latest)))
        joined = str(team["joined_period"]) if team is not None and team["joined_period"] \
            else None
        if joined and period < joined:
            add(Failure("period", _("{period} is before {team} joined the collaborative "
                                    "({joined}); assess {joined} or later").format(
                period=period, team=team_id, joined=joined)))
    score = _score(item.score)
    if item.score is None or (isinstance(item.score, str) and not item.score.strip()):
        add(Failure("score", _("choose the score on the IHI scale ({steps})").format(
            steps=_STEPS)))
    elif score is None:
        add(Failure("score", _("{score!r} is not a number; choose one of {steps}").format(
            score=item.score, steps=_STEPS)))
    elif score not in ASSESSMENT_SCALE:
        add(Failure("score", _("{score} is not a step of the IHI scale; choose one of "
                               "{steps}").format(score=f"{score:g}", steps=_STEPS)))
    if not str(item.justification or "").strip():
        add(Failure("justification", _("justify the score: say what evidence places the team "
                                       "at this level (charts, PDSA results, changes in "
                                       "place)")))
    if not str(item.assessor or "").strip():
        add(Failure("assessor", _("name who scored (the team lead or the team)")))
    if team is not None and is_period(period) and not str(item.reason or "").strip():
        previous = current_self_assessment(bind, team_id, period)
        if previous is not None:
            add(Failure("reason", _("{team} {period} already has a self-assessment ({score}, "
                                    "entered on {day} by {assessor}); to enter a new one, give "
                                    "the reason for the correction").format(
                team=team_id, period=period, score=f"{float(previous['score']):.1f}",
                day=_day(previous["created_at"]), assessor=previous["assessor"])))
    return out


def save_self_assessment(engine: Engine, item: SelfAssessment, user: str | None = None
                         ) -> SelfAssessmentSaved:
    """Validate `item` and write ONE assessments row (assessor_type "self") in one
    transaction; raise `ValidationFailed` (every failure, by field) and write nothing if it
    is not valid.

    A month that already has a self-assessment gets a new row (the latest row is the
    current one), its justification headed by the correction and its reason
    (`correction_text`). `user` is who enters it (`current_user()`); the assessments table
    has no author column, so the assessor is stored and `user` goes to the audit log. Once the
    collaborative has users, `user` must be allowed to save the team's self-assessment
    (`workbench.store.authorize`), else `PermissionDenied` and nothing is written.
    """
    user = current_user(user)
    with write_transaction(engine, s.assessments) as conn:
        authorize(conn, user, "self_assessment", str(item.team_id or "").strip() or None)
        failures = validate_self_assessment(conn, item)
        if failures:
            team = str(item.team_id or "").strip() or "?"
            month = str(item.period or "").strip() or "?"
            raise ValidationFailed(
                N_("the self-assessment of {team} for {month} was not saved: {problems}"),
                params={"team": team, "month": month,
                        "problems": "; ".join(f"{f.field}: {f.message}" for f in failures)},
                failure_cases=failures)
        team_id, period = item.team_id.strip(), item.period.strip()
        previous = current_self_assessment(conn, team_id, period)
        justification = item.justification.strip()
        if previous is not None:
            justification = correction_text(previous, item.reason, justification)
        assessment_id = inserted_id(conn.execute(s.assessments.insert().values(
            team_id=team_id, period=period, score=_score(item.score), assessor_type="self",
            assessor=item.assessor.strip(), justification=justification, visit_id=None,
            created_at=utcnow(),
        )))
        record_write(conn, user, "assessment.self", "assessments", assessment_id,
                     {"team_id": team_id, "period": period, "score": _score(item.score),
                      "assessor": item.assessor.strip(), "correction": previous is not None})
    saved = SelfAssessment(team_id, period, _score(item.score), item.justification,
                           item.assessor.strip(), item.reason)
    return SelfAssessmentSaved(int(assessment_id), saved, justification, previous)


def self_assessment_history(bind: Bind, team_id: str) -> pd.DataFrame:
    """Every self-assessment row of the team, newest month first and, within a month, the
    newest entry first; `current` is True for the latest entry of each month (the one the
    charts and roll-ups use); `level` is the scale's label of the score."""
    frame = read_assessments(bind, team_id=team_id)
    frame = frame[frame["assessor_type"] == "self"]
    if frame.empty:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in HISTORY_COLUMNS})
    frame = frame.sort_values(["period", "assessment_id"], ascending=False)
    frame = frame.assign(
        current=~frame.duplicated("period", keep="first"),
        level=[ASSESSMENT_SCALE.get(float(v), ("", ""))[0] for v in frame["score"]])
    return frame.reset_index(drop=True)[HISTORY_COLUMNS]

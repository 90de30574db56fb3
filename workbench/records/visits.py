"""Coaching visits: notes, agreed actions, the IHI assessment score and data verification.

A coach recounts a team's numerator and denominator from the source registers for a few
indicator-months; the verification factor (VF = recounted ÷ reported, RDQA / WHO DQR) shows
at once against the collaborative's band (default 0.90–1.10). Saving a visit is one
transaction: the visit, the faculty assessment, the recounts, and a flag (rule
`verification-out-of-band`, as in `workbench.validate`) for every out-of-band result, so the
validators see it in their queue.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol, cast

import pandas as pd
from sqlalchemy import Connection, Engine, select

from workbench.errors import ValidationFailed
from workbench.i18n import N_, format_number
from workbench.i18n import gettext as _
from workbench.model import Failure, format_pair, is_date, is_period, period_problem, read_count
from workbench.store import (
    authorize,
    current_revisions,
    current_user,
    inserted_id,
    read_assessments,
    read_collaborative,
    record_write,
    utcnow,
    write_transaction,
)
from workbench.store import schema as s
from workbench.validate.run import fingerprint
from workbench.validate.verification import verification_factor

__all__ = [
    "ASSESSMENT_SCALE",
    "assessment_label",
    "RULE_CODE",
    "Recount",
    "CoachingVisit",
    "VisitSaveResult",
    "verification_factor",
    "verification_band",
    "assessment_meaning",
    "latest_self_score",
    "reported_values",
    "verify_recounts",
    "validate_visit",
    "save_visit",
]

#: The rule code `workbench.validate` uses for the same finding, so `workbench validate` finds
#: the flag a visit raised (same fingerprint) instead of raising a second one.
RULE_CODE = "verification-out-of-band"

#: IHI assessment scale (Life QI wording, paraphrased; qi-tools-and-user-needs.md B1).
#: A recounted count's problem, by the count (translated when read).
_RECOUNTED = {"numerator": N_("{recount}: recounted numerator: {problem}"),
              "denominator": N_("{recount}: recounted denominator: {problem}")}

ASSESSMENT_SCALE: dict[float, tuple[str, str]] = {
    0.5: (N_("Intent to participate"),
          N_("Project named; no charter, no team yet.")),
    1.0: (N_("Charter and team established"),
          N_("Charter written and reviewed; people assigned; no work done yet.")),
    1.5: (N_("Planning for the project has begun"),
          N_("Project structure being organised: resources, first focus, meeting schedule.")),
    2.0: (N_("Activity, but no changes"),
          N_("First learning cycles: planning, measurement, baseline data, process study; "
             "changes planned but not tested.")),
    2.5: (N_("Changes tested, but no improvement"),
          N_("First test cycles under way; key measures reported and shown with targets.")),
    3.0: (N_("Modest improvement"),
          N_("Some change-package tests succeeded; some small-scale implementation; about a "
             "fifth of expected results.")),
    3.5: (N_("Improvement"),
          N_("Testing and implementation go on; more movement towards the goals; some outcome "
             "improvement.")),
    4.0: (N_("Significant improvement"),
          N_("Expected results reached for major subsystems; implementation begun; goals at "
             "least half complete.")),
    4.5: (N_("Sustainable improvement"),
          N_("Key-measure data begin to show the impact is sustained.")),
    5.0: (N_("Outstanding sustainable results"),
          N_("All goals and expected results met; changes made permanent in the organisation.")),
}

def assessment_meaning(score: float | None) -> str:
    """`"3.0 — Modest improvement: …"` for a score on the scale, else ""."""
    if score is None or float(score) not in ASSESSMENT_SCALE:
        return ""
    return _("{score} — {level}: {meaning}").format(
        score=format_number(float(score), 1), level=assessment_label(score),
        meaning=_(ASSESSMENT_SCALE[float(score)][1]))


def assessment_label(score: float | None) -> str:
    """The scale's label of `score` in the reader's language (`"Modest improvement"`, "" off
    the scale): the one place a score is named."""
    if score is None or float(score) not in ASSESSMENT_SCALE:
        return ""
    return _(ASSESSMENT_SCALE[float(score)][0])


def verification_band(engine: Engine | Connection) -> tuple[float, float]:
    """The collaborative's acceptable VF band (settings `verification_band`, default
    0.90–1.10)."""
    band = (read_collaborative(engine).get("settings") or {}).get("verification_band",
                                                                  [0.90, 1.10])
    return float(band[0]), float(band[1])


@dataclass
class Recount:
    """A recount from the source registers for one indicator-month (text or numbers)."""

    indicator_id: str
    period: str
    recounted_numerator: Any = None
    recounted_denominator: Any = None


@dataclass
class CoachingVisit:
    """One coaching visit. `actions`: [{"action", "owner", "due"}]; `score` on the IHI scale
    (0.5–5.0) with its `justification`; `assessment_period` defaults to the visit's month."""

    team_id: str
    visit_date: str
    coach: str
    notes: str = ""
    actions: list[dict[str, str]] = field(default_factory=list)
    score: float | None = None
    justification: str = ""
    assessment_period: str | None = None
    recounts: list[Recount] = field(default_factory=list)


class VisitSaveResult(NamedTuple):
    visit_id: int
    assessment_id: int | None
    recount_ids: list[int]
    flag_ids: list[int]
    verification: pd.DataFrame

    def summary(self) -> str:
        parts = [_("Saved visit {visit}").format(visit=self.visit_id)]
        if self.assessment_id is not None:
            parts.append(_("the assessment score"))
        if self.recount_ids:
            parts.append(_("{count} recount(s)").format(count=len(self.recount_ids)))
        text = ", ".join(parts) + "."
        if self.flag_ids:
            text += " " + _("{count} verification factor(s) outside the band were flagged for "
                            "the validators (flag {flags}).").format(
                count=len(self.flag_ids), flags=", ".join(map(str, self.flag_ids)))
        return text


def latest_self_score(engine: Engine | Connection, team_id: str) -> dict[str, Any] | None:
    """The team's latest self-assessment (period, score, justification, assessor) or None."""
    frame = read_assessments(engine, team_id=team_id)
    frame = frame[frame["assessor_type"] == "self"]
    if frame.empty:
        return None
    row = frame.sort_values(["period", "assessment_id"]).iloc[-1]
    return {k: row[k] for k in ("period", "score", "justification", "assessor", "created_at")}


def reported_values(engine: Engine | Connection, team_id: str) -> pd.DataFrame:
    """The team's current reported values (with revision ids) to recount against."""
    return current_revisions(engine, team_ids=[team_id])


_VERIFY_COLUMNS = ["indicator_id", "period", "reported_numerator", "reported_denominator",
                   "recounted_numerator", "recounted_denominator", "vf_numerator",
                   "vf_denominator", "in_band", "exact_match", "revision_id", "message"]


def verify_recounts(engine: Engine | Connection, team_id: str, recounts: list[Recount],
                    band: tuple[float, float] | None = None) -> pd.DataFrame:
    """One row per recount: reported vs recounted numerator and denominator, their VFs,
    whether both are inside `band`, whether they match exactly, and a sentence."""
    band = band or verification_band(engine)
    current = reported_values(engine, team_id).set_index(["indicator_id", "period"])
    rows = []
    for rc in recounts:
        num, _ = read_count(rc.recounted_numerator)
        den, _ = read_count(rc.recounted_denominator)
        key = (rc.indicator_id, str(rc.period))
        rep = cast("pd.Series[Any]", current.loc[key]) if key in current.index else None
        rep_num = None if rep is None or pd.isna(rep["numerator"]) else float(rep["numerator"])
        rep_den = None if rep is None or pd.isna(rep["denominator"]) else float(
            rep["denominator"])
        vf_n = verification_factor(num, rep_num)
        vf_d = verification_factor(den, rep_den)
        vfs = [v for v in (vf_n, vf_d) if v is not None]
        in_band = bool(vfs) and all(band[0] <= v <= band[1] for v in vfs)
        exact = num == rep_num and (den == rep_den)
        if rep is None:
            message = f"{rc.indicator_id} {rc.period}: the team reported nothing to verify"
        elif not vfs:
            message = f"{rc.indicator_id} {rc.period}: enter the recounted values"
        else:
            shown = ", ".join(f"{name} VF {v:.2f}" for name, v in
                              (("numerator", vf_n), ("denominator", vf_d)) if v is not None)
            verdict = "inside" if in_band else "OUTSIDE"
            message = (f"{rc.indicator_id} {rc.period}: {shown} — {verdict} "
                       f"{band[0]:.2f}–{band[1]:.2f}")
            if not in_band:
                worst = max(vfs, key=lambda v: abs(v - 1))
                message += " (under-reported)" if worst > 1 else " (over-reported)"
        rows.append({
            "indicator_id": rc.indicator_id, "period": str(rc.period),
            "reported_numerator": rep_num, "reported_denominator": rep_den,
            "recounted_numerator": num, "recounted_denominator": den,
            "vf_numerator": vf_n, "vf_denominator": vf_d, "in_band": in_band,
            "exact_match": bool(exact), "message": message,
            "revision_id": None if rep is None else int(rep["revision_id"]),
        })
    return pd.DataFrame(rows, columns=_VERIFY_COLUMNS)



def validate_visit(visit: CoachingVisit, *, known_indicators: list[str] | None = None,
                   today: dt.date | None = None) -> list[Failure]:
    """Every problem with `visit` at once, as (field, message)."""
    out: list[Failure] = []
    add = out.append
    today = today or dt.date.today()
    if not str(visit.team_id or "").strip():
        add(Failure("team_id", _("choose the team")))
    if not is_date(visit.visit_date):
        add(Failure("visit_date", _("{value!r} is not a date; write YYYY-MM-DD").format(
            value=visit.visit_date)))
    elif dt.date.fromisoformat(visit.visit_date) > today:
        add(Failure("visit_date", _("the visit date {date} is in the future; record a visit "
                                    "after it happened").format(date=visit.visit_date)))
    if not str(visit.coach or "").strip():
        add(Failure("coach", _("name the coach who made the visit")))
    for i, action in enumerate(visit.actions, start=1):
        if not any(str(v or "").strip() for v in action.values()):
            continue
        if not str(action.get("action", "")).strip():
            add(Failure("actions", _("action {n}: say what was agreed").format(n=i)))
        if not str(action.get("owner", "")).strip():
            add(Failure("actions", _("action {n}: name its owner").format(n=i)))
        due = action.get("due")
        if not due:
            add(Failure("actions", _("action {n}: give a due date").format(n=i)))
        elif not is_date(str(due)):
            add(Failure("actions", _("action {n}: due date {due!r} is not YYYY-MM-DD").format(
                n=i, due=due)))
    if visit.score is not None:
        if float(visit.score) not in ASSESSMENT_SCALE:
            add(Failure("score", _("{score} is not on the IHI scale; choose 0.5, 1.0, … "
                                   "5.0").format(score=visit.score)))
        if not visit.justification.strip():
            add(Failure("justification", _("justify the assessment score: what did you see "
                                           "that places the team at this level?")))
    if visit.assessment_period and not is_period(visit.assessment_period):
        add(Failure("assessment_period", period_problem(visit.assessment_period)))
    seen = set()
    for i, rc in enumerate(visit.recounts, start=1):
        label = _("recount {n} ({indicator} {period})").format(
            n=i, indicator=rc.indicator_id, period=rc.period)
        if known_indicators is not None and rc.indicator_id not in known_indicators:
            add(Failure("recounts", _("{recount}: unknown indicator").format(recount=label)))
        if not is_period(rc.period):
            add(Failure("recounts", f"{label}: {period_problem(rc.period)}"))
        if (rc.indicator_id, rc.period) in seen:
            add(Failure("recounts", _("{recount}: this indicator-month is recounted "
                                      "twice").format(recount=label)))
        seen.add((rc.indicator_id, rc.period))
        num, num_err = read_count(rc.recounted_numerator)
        den, den_err = read_count(rc.recounted_denominator)
        for part, err in (("numerator", num_err), ("denominator", den_err)):
            if err:
                add(Failure("recounts", _(_RECOUNTED[part]).format(recount=label,
                                                                   problem=err.message)))
        if num is None and not num_err:
            add(Failure("recounts", _("{recount}: enter the recounted numerator").format(
                recount=label)))
        if num is not None and den is not None and num > den:
            add(Failure("recounts", _("{recount}: recounted numerator {numerator} is above "
                                      "the denominator {denominator}").format(
                recount=label, numerator=int(num), denominator=int(den))))
    return out


def save_visit(engine: Engine, visit: CoachingVisit, user: str | None = None
               ) -> VisitSaveResult:
    """Validate and save the whole visit in ONE transaction; returns what was written.

    Writes the visit, a faculty assessment (if scored), one recount per indicator-month with
    the reported values as they are now, and for each out-of-band verification factor an
    open flag with its "opened" event — the same flag `workbench.validate`'s rule
    `verification-out-of-band` would raise (rule code, fingerprint rule|team|indicator|period|
    recount_id, severity "warning", statistic = the VF furthest from 1, lower/upper = the band,
    component "ratio"), so a later validation run keeps it rather than adding another.

    `user` must be allowed to record a visit to the team (its coach or an admin, once the
    collaborative has users: `workbench.store.authorize`), else `PermissionDenied` and
    nothing is written. Every row written has its audit row in the same transaction.
    """
    user = current_user(user)
    with engine.connect() as conn:  # refused before anything is checked
        authorize(conn, user, "visit", visit.team_id or None)
    verification = _checked_verification(engine, visit)
    band = verification_band(engine)
    now = utcnow()
    with write_transaction(engine) as conn:
        authorize(conn, user, "visit", visit.team_id or None)
        visit_id, assessment_id = _insert_visit(conn, visit, user, now)
        recount_ids, flag_ids = [], []
        for row in _rows(verification):
            rid, flag_id = _insert_recount(conn, visit, visit_id, row, band, user, now)
            recount_ids.append(rid)
            if flag_id is not None:
                flag_ids.append(flag_id)
    return VisitSaveResult(int(visit_id), assessment_id, recount_ids, flag_ids, verification)


def _checked_verification(engine: Engine, visit: CoachingVisit) -> pd.DataFrame:
    """The visit's recounts against the reported values, or ValidationFailed with every
    problem of the visit at once."""
    known = [r for r in _scalars(engine, s.indicators.c.indicator_id)]
    failures = validate_visit(visit, known_indicators=known)
    verification = verify_recounts(engine, visit.team_id, visit.recounts)
    for row in _rows(verification):
        if row.reported_numerator is None and row.reported_denominator is None:
            failures.append(Failure("recounts", _("{indicator} {period}: the team reported "
                                                  "nothing for that month to verify").format(
                indicator=row.indicator_id, period=row.period)))
    if failures:
        raise ValidationFailed(N_("the visit was not saved: {problems}"),
                               params={"problems": "; ".join(f.message for f in failures)},
                               failure_cases=failures)
    return verification


def _insert_visit(conn: Connection, visit: CoachingVisit, user: str, now: dt.datetime
                  ) -> tuple[int, int | None]:
    """The visit row and its faculty assessment (if scored), with their audit rows."""
    visit_id = int(inserted_id(conn.execute(s.coaching_visits.insert().values(
        team_id=visit.team_id, coach=visit.coach.strip(), visit_date=visit.visit_date,
        notes=visit.notes, author=user, created_at=now,
        actions=[{k: str(a.get(k, "") or "") for k in ("action", "owner", "due")}
                 for a in visit.actions if any(str(v or "").strip() for v in a.values())],
    ))))
    record_write(conn, user, "visit.save", "coaching_visits", visit_id,
                 {"team_id": visit.team_id, "coach": visit.coach.strip(),
                  "visit_date": visit.visit_date}, now)
    if visit.score is None:
        return visit_id, None
    period = visit.assessment_period or visit.visit_date[:7]
    assessment_id = int(inserted_id(conn.execute(s.assessments.insert().values(
        team_id=visit.team_id, period=period, score=float(visit.score),
        assessor_type="faculty", assessor=visit.coach.strip(),
        justification=visit.justification.strip(), visit_id=visit_id, created_at=now,
    ))))
    record_write(conn, user, "assessment.faculty", "assessments", assessment_id,
                 {"team_id": visit.team_id, "period": period, "score": float(visit.score),
                  "visit_id": visit_id}, now)
    return visit_id, assessment_id


def _insert_recount(conn: Connection, visit: CoachingVisit, visit_id: int, row: _VerifiedRow,
                    band: tuple[float, float], user: str, now: dt.datetime
                    ) -> tuple[int, int | None]:
    """One recount row, and the flag it raises when its VF is outside the band."""
    rid = int(inserted_id(conn.execute(s.verification_recounts.insert().values(
        visit_id=visit_id, team_id=visit.team_id, indicator_id=row.indicator_id,
        period=row.period, reported_numerator=row.reported_numerator,
        reported_denominator=row.reported_denominator,
        recounted_numerator=row.recounted_numerator,
        recounted_denominator=row.recounted_denominator, author=user, created_at=now,
    ))))
    record_write(conn, user, "visit.recount", "verification_recounts", rid,
                 {"visit_id": visit_id, "team_id": visit.team_id,
                  "indicator_id": row.indicator_id, "period": row.period}, now)
    vfs = [v for v in (row.vf_numerator, row.vf_denominator)
           if v is not None and not pd.isna(v)]
    if row.in_band or not vfs:
        return rid, None
    worst = max(vfs, key=lambda v: abs(v - 1))
    recounted = format_pair(row.recounted_numerator, row.recounted_denominator)
    reported = format_pair(row.reported_numerator, row.reported_denominator)
    key = pd.DataFrame([{"rule_code": RULE_CODE, "team_id": visit.team_id,
                         "indicator_id": row.indicator_id, "period": row.period,
                         "extra": str(rid)}])
    flag_id = int(inserted_id(conn.execute(s.flags.insert().values(
        rule_code=RULE_CODE, severity="warning", team_id=visit.team_id,
        indicator_id=row.indicator_id, period=row.period,
        message=(f"recount {recounted} against reported {reported}: verification "
                 f"factor {worst:.2f} outside {band[0]}–{band[1]} "
                 f"({'under' if worst > 1 else 'over'}-reported; coaching visit "
                 f"{visit_id})"),
        statistic=float(worst), lower=band[0], upper=band[1],
        details={"visit_id": visit_id, "recount_id": rid, "coach": visit.coach,
                 "component": "ratio",
                 "vf_numerator": _f(row.vf_numerator),
                 "vf_denominator": _f(row.vf_denominator),
                 "reported": [row.reported_numerator, row.reported_denominator],
                 "recounted": [row.recounted_numerator, row.recounted_denominator]},
        fingerprint=str(fingerprint(key).iloc[0]),
        data_revision_id=row.revision_id, status="open", created_at=now,
        updated_at=now, version=1,
    ))))
    conn.execute(s.flag_events.insert().values(
        flag_id=flag_id, action="opened", from_status=None, to_status="open",
        user=user, note=f"coaching visit {visit_id}", created_at=now))
    record_write(conn, user, "flag.opened", "flags", flag_id,
                 {"visit_id": visit_id, "recount_id": rid, "rule_code": RULE_CODE}, now)
    return rid, flag_id


class _VerifiedRow(Protocol):
    """A row of `verify_recounts`' frame, as `itertuples` gives it."""

    indicator_id: str
    period: str
    reported_numerator: float | None
    reported_denominator: float | None
    recounted_numerator: float | None
    recounted_denominator: float | None
    vf_numerator: float | None
    vf_denominator: float | None
    in_band: bool
    revision_id: Any


def _rows(verification: pd.DataFrame) -> Iterator[_VerifiedRow]:
    return cast("Iterator[_VerifiedRow]", verification.itertuples())


def _f(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _scalars(engine: Engine, column: Any) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(select(column)).scalars())

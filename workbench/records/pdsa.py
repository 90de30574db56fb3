"""PDSA cycles: the IHI worksheet as a record, its state machine, saving with history.

A cycle moves plan → do → study → act → closed, one step at a time. Each step asks for the
part of the worksheet it needs (Do: what happened; Study: a result for every prediction;
closing: an act decision adopt / adapt / abandon). `validate_cycle` returns every problem at
once; `save_cycle` writes one transaction (the row, a `pdsa_history` snapshot) and refuses with
`ConflictError` when someone else saved the cycle after it was read (optimistic concurrency on
`version`, checked under the write lock like the cycle number and a new idea's code, so two
saves at the same moment never both pass). `ramp_cycle` drafts the next cycle of the same
change idea, pre-filled.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, cast

import pandas as pd
from sqlalchemy import Connection, Engine, func, select

from workbench.errors import ConflictError, NotFoundError, ValidationFailed
from workbench.i18n import N_
from workbench.i18n import gettext as _
from workbench.model import Failure, failures_frame
from workbench.model import is_date as is_valid_date
from workbench.store import (
    authorize,
    current_user,
    inserted_id,
    record_write,
    utcnow,
    write_transaction,
)
from workbench.store import schema as s
from workbench.store.records import read_table

__all__ = [
    "STATUSES",
    "ACT_DECISIONS",
    "Failure",
    "PDSACycle",
    "next_cycle_number",
    "next_status",
    "validate_cycle",
    "save_cycle",
    "load_cycle",
    "ramp_cycle",
    "team_journal",
    "cycle_history",
    "change_choices",
    "failures_frame",
    "result_text",
]

STATUSES: tuple[str, ...] = ("plan", "do", "study", "act", "closed")
ACT_DECISIONS: tuple[str, ...] = ("adopt", "adapt", "abandon")


@dataclass
class PDSACycle:
    """One PDSA cycle (the IHI "PDSA worksheet for testing change").

    `questions`: [{"question", "prediction"}]; `plan_tasks`: [{"who", "what", "when", "where"}];
    `study_results`: one per question, {"question", "prediction", "result"} (optionally
    "met": bool) — the result against its prediction; plain strings are accepted too.
    `change_id` names an idea of the change package; for a team's own new idea leave it None
    and give `new_change_name` (it is created when the cycle is saved).
    `version` 0 means not saved yet.
    """

    team_id: str
    change_id: str | None = None
    cycle_number: int = 1
    title: str = ""
    objective: str = ""
    questions: list[dict[str, str]] = field(default_factory=list)
    plan_tasks: list[dict[str, str]] = field(default_factory=list)
    data_plan: str = ""
    linked_indicators: list[str] = field(default_factory=list)
    do_notes: str = ""
    deviations: str = ""
    study_notes: str = ""
    study_results: list[Any] = field(default_factory=list)
    act_decision: str | None = None
    next_steps: str = ""
    start_date: str | None = None
    end_date: str | None = None
    status: str = "plan"
    new_change_name: str = ""
    parent_cycle_id: int | None = None
    cycle_id: int | None = None
    version: int = 0
    author: str = ""
    updated_at: dt.datetime | None = None

    def to_row(self) -> dict[str, Any]:
        """The `pdsa_cycles` columns this cycle writes."""
        row = dataclasses.asdict(self)
        for key in ("new_change_name", "cycle_id", "version", "author", "updated_at"):
            row.pop(key)
        return row


#: A plan task's missing part, by key (translated when read).
_SAY = {"who": N_("task {n}: say who"), "what": N_("task {n}: say what")}


def next_status(status: str) -> str | None:
    """The step after `status` (None after closed)."""
    i = STATUSES.index(status)
    return STATUSES[i + 1] if i + 1 < len(STATUSES) else None


def _reached(status: str, step: str) -> bool:
    return status in STATUSES and STATUSES.index(status) >= STATUSES.index(step)


def validate_cycle(
    cycle: PDSACycle,
    *,
    previous_status: str | None = None,
    known_changes: Iterable[str] | None = None,
    known_indicators: Iterable[str] | None = None,
) -> list[Failure]:
    """Every problem with `cycle` at once, as (field, message); [] when it can be saved.

    What is required grows with the status: a plan needs a change idea, an objective and a
    prediction for every question; `study` needs what happened (Do); `act` needs a result for
    every prediction (Study); `closed` needs the act decision. `previous_status` (the stored
    one) enforces the order plan → do → study → act → closed.
    """
    if cycle.status not in STATUSES:
        return [Failure("status", _("unknown status {status!r}; use one of {statuses}").format(
            status=cycle.status, statuses=", ".join(STATUSES)))]
    questions = [q for q in cycle.questions if any(str(v).strip() for v in q.values())]
    return [*_order_problems(cycle.status, previous_status),
            *_plan_problems(cycle, questions, known_changes, known_indicators),
            *_date_problems(cycle),
            *_stage_problems(cycle, questions)]


def _order_problems(status: str, previous_status: str | None) -> list[Failure]:
    """plan → do → study → act → closed, one step at a time, never back."""
    if previous_status is None or previous_status not in STATUSES:
        return []
    old, new = STATUSES.index(previous_status), STATUSES.index(status)
    if new > old + 1:
        return [Failure("status", _("a cycle moves plan → do → study → act → closed one step "
                                     "at a time; it is at {previous!r}, so the next step is "
                                     "{next!r}, not {status!r}").format(
            previous=previous_status, next=STATUSES[old + 1], status=status))]
    if new < old:
        return [Failure("status", _("the cycle is already at {previous!r}; it cannot go back "
                                     "to {status!r}. Ramp a new cycle instead.").format(
            previous=previous_status, status=status))]
    return []


def _plan_problems(cycle: PDSACycle, questions: list[dict[str, Any]],
                   known_changes: Iterable[str] | None,
                   known_indicators: Iterable[str] | None) -> list[Failure]:
    """The Plan part of the worksheet: team, change idea, objective, questions, tasks."""
    out: list[Failure] = []
    add = out.append
    if not str(cycle.team_id or "").strip():
        add(Failure("team_id", _("choose the team")))
    if not cycle.change_id and not cycle.new_change_name.strip():
        add(Failure("change_id", _("choose the change idea this cycle tests, or name a new "
                                   "idea")))
    elif cycle.change_id and known_changes is not None and cycle.change_id not in set(
            known_changes):
        add(Failure("change_id", _("unknown change idea {change!r}; pick one from the change "
                                   "package or name a new idea").format(change=cycle.change_id)))
    if not isinstance(cycle.cycle_number, int) or cycle.cycle_number < 1:
        add(Failure("cycle_number", _("the cycle number is a whole number from 1")))
    if not cycle.objective.strip():
        add(Failure("objective", _("write the objective: what this cycle should teach you")))
    if not questions:
        add(Failure("questions", _("add at least one question with its prediction")))
    for i, q in enumerate(questions, start=1):
        if not str(q.get("question", "")).strip():
            add(Failure("questions", _("question {n}: write the question").format(n=i)))
        if not str(q.get("prediction", "")).strip():
            add(Failure("questions", _("question {n}: write one prediction for it").format(
                n=i)))
    for i, task in enumerate(cycle.plan_tasks, start=1):
        if not any(str(v).strip() for v in task.values()):
            continue
        for key in ("who", "what"):
            if not str(task.get(key, "")).strip():
                add(Failure("plan_tasks", _(_SAY[key]).format(n=i)))
    if known_indicators is not None:
        unknown = sorted(set(cycle.linked_indicators) - set(known_indicators))
        if unknown:
            add(Failure("linked_indicators", _("unknown indicator(s) {codes}").format(
                codes=", ".join(unknown))))
    return out


def _date_problems(cycle: PDSACycle) -> list[Failure]:
    """Start and end dates are dates, in order."""
    out = [Failure(name, _("{value!r} is not a date; write YYYY-MM-DD").format(
                   value=getattr(cycle, name)))
           for name in ("start_date", "end_date")
           if getattr(cycle, name) and not is_valid_date(getattr(cycle, name))]
    if (cycle.start_date and cycle.end_date and is_valid_date(cycle.start_date)
            and is_valid_date(cycle.end_date) and cycle.end_date < cycle.start_date):
        out.append(Failure("end_date", _("the end date {end} is before the start date "
                                         "{start}").format(end=cycle.end_date,
                                                           start=cycle.start_date)))
    return out


def _stage_problems(cycle: PDSACycle, questions: list[dict[str, Any]]) -> list[Failure]:
    """What each step needs: Do a start date, Study what happened, Act a result for every
    prediction, closing an act decision."""
    out: list[Failure] = []
    add = out.append
    if _reached(cycle.status, "do") and not cycle.start_date:
        add(Failure("start_date", _("give the date the test started before moving to Do")))
    if _reached(cycle.status, "study") and not cycle.do_notes.strip():
        add(Failure("do_notes", _("describe what happened (Do) before moving to Study")))
    if _reached(cycle.status, "act"):
        results = list(cycle.study_results) + [""] * len(questions)
        for i in range(len(questions)):
            if not result_text(results[i]).strip():
                add(Failure("study_results", _("question {n}: write the result against its "
                                               "prediction before moving to Act").format(
                    n=i + 1)))
    if cycle.act_decision is not None and cycle.act_decision not in ACT_DECISIONS:
        add(Failure("act_decision", _("{decision!r} is not a decision; choose adopt, adapt or "
                                      "abandon").format(decision=cycle.act_decision)))
    if cycle.status == "closed" and not cycle.act_decision:
        add(Failure("act_decision", _("a cycle cannot be closed without an act decision: "
                                      "choose adopt, adapt or abandon")))
    return out


def result_text(item: Any) -> str:
    """The result written for one prediction (a study_results item: dict or text)."""
    if isinstance(item, dict):
        return str(item.get("result") or "")
    return "" if item is None else str(item)



def _snapshot(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, dt.datetime | dt.date) else v)
            for k, v in row.items()}


def _other_teams_measures(conn: Connection, cycle: PDSACycle) -> list[Failure]:
    """A cycle links the collaborative's indicators and its own team's measures, never
    another team's own measure (`workbench.store.team_measures`)."""
    linked = [str(i) for i in cycle.linked_indicators]
    if not linked:
        return []
    owners = conn.execute(select(s.indicators.c.indicator_id, s.indicators.c.team_id).where(
        s.indicators.c.indicator_id.in_(linked), s.indicators.c.team_id.is_not(None),
        s.indicators.c.team_id != str(cycle.team_id or ""))).all()
    return [Failure("linked_indicators",
                    _("{indicator} is team {team}'s own measure; link the collaborative's "
                      "indicators or this team's own measures").format(
                          indicator=r.indicator_id, team=r.team_id))
            for r in owners]


def _new_change_id(conn: Connection, team_id: str) -> str:
    existing = set(conn.execute(select(s.change_ideas.c.change_id)).scalars())
    n = 1
    while f"{team_id}-N{n}" in existing:
        n += 1
    return f"{team_id}-N{n}"


def save_cycle(
    engine: Engine,
    cycle: PDSACycle,
    user: str | None = None,
    expected_version: int | None = None,
) -> PDSACycle:
    """Validate and save `cycle` in one transaction; returns the saved cycle (id, version).

    A new cycle (version 0) is inserted; an existing one is updated only if its stored
    `version` still equals `expected_version` (default: `cycle.version`), else
    `ConflictError` names who saved it meanwhile. Every save adds a `pdsa_history` snapshot
    and an audit row. `user` must be allowed to save the team's PDSA journal
    (`workbench.store.authorize`), else `PermissionDenied` and nothing is written.
    Problems raise `ValidationFailed` with `failure_cases` (all of them) and write nothing.
    """
    user = current_user(user)
    expected = cycle.version if expected_version is None else expected_version
    now = utcnow()
    # version check, number clash and new idea code are decided under the write lock
    with write_transaction(engine, s.pdsa_cycles, s.change_ideas) as conn:
        stored = None
        if cycle.cycle_id is not None:
            stored = conn.execute(select(s.pdsa_cycles).where(
                s.pdsa_cycles.c.cycle_id == cycle.cycle_id)).mappings().first()
            if stored is None:
                raise NotFoundError(N_("PDSA cycle {cycle} does not exist; reload the "
                                       "journal."), params={"cycle": cycle.cycle_id})
            if stored["version"] != expected:
                raise ConflictError(
                    N_("PDSA cycle {cycle} was saved by {author} at {saved_at} (version "
                       "{version}) after you opened it (version {expected}). Nothing was saved; "
                       "reload the cycle and make your changes again."),
                    params={"cycle": cycle.cycle_id, "author": stored["author"],
                            "saved_at": f"{stored['updated_at']:%Y-%m-%d %H:%M}",
                            "version": stored["version"], "expected": expected},
                    cycle_id=cycle.cycle_id, expected_version=expected,
                    current_version=stored["version"], other_author=stored["author"])
        if stored is not None and stored["team_id"] != cycle.team_id:
            authorize(conn, user, "pdsa", stored["team_id"])
        authorize(conn, user, "pdsa", cycle.team_id or None)
        teams = set(conn.execute(select(s.teams.c.team_id)).scalars())
        failures = validate_cycle(
            cycle,
            previous_status=stored["status"] if stored else None,
            known_changes=conn.execute(select(s.change_ideas.c.change_id)).scalars().all(),
            known_indicators=conn.execute(select(s.indicators.c.indicator_id)).scalars().all(),
        )
        failures += _other_teams_measures(conn, cycle)
        if cycle.team_id and cycle.team_id not in teams:
            failures.append(Failure("team_id", _("unknown team {team!r}").format(
                team=cycle.team_id)))
        if cycle.change_id and isinstance(cycle.cycle_number, int):
            clash = conn.execute(select(s.pdsa_cycles.c.cycle_id).where(
                s.pdsa_cycles.c.team_id == cycle.team_id,
                s.pdsa_cycles.c.change_id == cycle.change_id,
                s.pdsa_cycles.c.cycle_number == cycle.cycle_number)).scalar()
            if clash is not None and clash != cycle.cycle_id:
                failures.append(Failure("cycle_number", _(
                    "cycle {number} of {change} already exists for {team}; ramp from it or "
                    "choose another number").format(number=cycle.cycle_number,
                                                    change=cycle.change_id, team=cycle.team_id)))
        if failures:
            raise ValidationFailed(
                N_("the PDSA cycle was not saved: {problems}"),
                params={"problems": "; ".join(f.message for f in failures)},
                failure_cases=failures)
        saved = dataclasses.replace(cycle)
        if not saved.change_id:
            saved.change_id = _new_change_id(conn, saved.team_id)
            conn.execute(s.change_ideas.insert().values(
                change_id=saved.change_id, name=saved.new_change_name.strip(),
                source="team", team_id=saved.team_id,
                indicator_ids=list(saved.linked_indicators)))
            record_write(conn, user, "change_idea.add", "change_ideas", saved.change_id,
                         {"team_id": saved.team_id, "name": saved.new_change_name.strip()},
                         now)
            saved.new_change_name = ""
        row = saved.to_row()
        row.update(author=user, updated_at=now)
        if stored is None:
            row.update(created_at=now, version=1)
            saved.cycle_id = inserted_id(conn.execute(s.pdsa_cycles.insert().values(**row)))
            saved.version = 1
        else:
            row["version"] = expected + 1
            done = conn.execute(s.pdsa_cycles.update().where(
                s.pdsa_cycles.c.cycle_id == cycle.cycle_id,
                s.pdsa_cycles.c.version == expected).values(**row))
            if done.rowcount != 1:  # lost a race between the read and the update
                raise ConflictError(N_("PDSA cycle {cycle} was saved by someone else just now; "
                                       "nothing was saved. Reload and try again."),
                                    params={"cycle": cycle.cycle_id}, cycle_id=cycle.cycle_id)
            saved.version = expected + 1
        saved.author, saved.updated_at = user, now
        full = conn.execute(select(s.pdsa_cycles).where(
            s.pdsa_cycles.c.cycle_id == saved.cycle_id)).mappings().one()
        conn.execute(s.pdsa_history.insert().values(
            cycle_id=saved.cycle_id, version=saved.version, snapshot=_snapshot(dict(full)),
            author=user, created_at=now))
        record_write(conn, user, "pdsa.save", "pdsa_cycles", saved.cycle_id,
                     {"team_id": saved.team_id, "change_id": saved.change_id,
                      "cycle_number": saved.cycle_number, "status": saved.status,
                      "version": saved.version}, now)
    return saved


def _from_row(row: dict[str, Any]) -> PDSACycle:
    names = {f.name for f in dataclasses.fields(PDSACycle)}
    values = {k: v for k, v in row.items() if k in names}
    for key in ("questions", "plan_tasks", "linked_indicators", "study_results"):
        values[key] = list(values.get(key) or [])
    for key in ("cycle_id", "cycle_number", "version", "parent_cycle_id"):
        if values.get(key) is not None and not pd.isna(values[key]):
            values[key] = int(values[key])
        else:
            values[key] = None if key == "parent_cycle_id" else values.get(key)
    return PDSACycle(**values)


def load_cycle(engine: Engine | Connection, cycle_id: int) -> PDSACycle:
    """The stored cycle `cycle_id` (NotFoundError if there is none)."""
    frame = read_table(engine, s.pdsa_cycles, cycle_id=int(cycle_id))
    if frame.empty:
        raise NotFoundError(N_("PDSA cycle {cycle} does not exist; list the team's journal to "
                               "find its cycles."), params={"cycle": cycle_id})
    return _from_row(cast("dict[str, Any]", frame.astype(object).iloc[0].to_dict()))


def ramp_cycle(engine: Engine, cycle_id: int, *, user: str | None = None,
               save: bool = False) -> PDSACycle:
    """The next cycle of the same change idea, pre-filled from cycle `cycle_id`.

    The source cycle must have its act decision (you ramp on what you learned). The new
    cycle keeps team, change idea, objective, questions and predictions, tasks, data plan
    and linked indicators; its number is the next free one; Do/Study/Act are empty; the
    source's next steps open its objective. With `save=True` it is saved at once.
    """
    source = load_cycle(engine, cycle_id)
    if not source.act_decision:
        raise ValidationFailed(
            N_("cycle {number} of {change} has no act decision yet; record adopt, adapt or "
               "abandon before ramping the next cycle."),
            params={"number": source.cycle_number, "change": source.change_id},
            failure_cases=[Failure("act_decision",
                                   _("record the act decision before ramping"))])
    number = next_cycle_number(engine, source.team_id, source.change_id)
    objective = source.objective
    if source.next_steps.strip():
        objective = f"{source.next_steps.strip()}\n\n(from cycle {source.cycle_number}: " \
                    f"{source.objective.strip()})"
    draft = PDSACycle(
        team_id=source.team_id, change_id=source.change_id, cycle_number=number,
        title=source.title, objective=objective,
        questions=[dict(q) for q in source.questions],
        plan_tasks=[dict(t) for t in source.plan_tasks], data_plan=source.data_plan,
        linked_indicators=list(source.linked_indicators), parent_cycle_id=source.cycle_id,
    )
    return save_cycle(engine, draft, user=user) if save else draft


def team_journal(engine: Engine | Connection, team_id: str) -> pd.DataFrame:
    """The team's cycles with their change idea and status, grouped by idea, by cycle number."""
    cycles = read_table(engine, s.pdsa_cycles, order_by="change_id,cycle_number",
                        team_id=team_id)
    ideas = read_table(engine, s.change_ideas)[["change_id", "name"]].rename(
        columns={"name": "change_name"})
    columns = ["cycle_id", "change_id", "change_name", "cycle_number", "title", "status",
               "act_decision", "start_date", "end_date", "parent_cycle_id", "author",
               "updated_at", "version"]
    if cycles.empty:
        return pd.DataFrame(columns=columns)
    return cycles.merge(ideas, on="change_id", how="left")[columns].reset_index(drop=True)


def cycle_history(engine: Engine | Connection, cycle_id: int) -> pd.DataFrame:
    """Every saved version of a cycle (version, author, created_at, snapshot), oldest first."""
    return read_table(engine, s.pdsa_history, order_by="version", cycle_id=int(cycle_id))


def change_choices(engine: Engine | Connection,
                   team_id: str | None = None) -> list[tuple[str, str]]:
    """(label, change_id) of the change package plus the team's own ideas."""
    ideas = read_table(engine, s.change_ideas, order_by="change_id")
    out: list[tuple[str, str]] = []
    for row in ideas.itertuples():
        if row.source == "team" and team_id is not None and row.team_id != team_id:
            continue
        out.append((f"{row.change_id} — {row.name}", cast(str, row.change_id)))
    return out


def next_cycle_number(bind: Engine | Connection, team_id: str | None,
                      change_id: str | None) -> int:
    """The number of a team's next cycle of a change idea: one after its highest, 1 for a
    change the team has not tested yet (ramps chain cycles 1, 2, 3 …)."""
    if not team_id or not change_id:
        return 1
    query = select(func.max(s.pdsa_cycles.c.cycle_number)).where(
        s.pdsa_cycles.c.team_id == team_id, s.pdsa_cycles.c.change_id == change_id)
    if isinstance(bind, Engine):
        with bind.connect() as conn:
            last = conn.execute(query).scalar()
    else:
        last = bind.execute(query).scalar()
    return int(last or 0) + 1

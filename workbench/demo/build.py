"""The demo collaborative: an essential obstetric and newborn care (EONC) collaborative.

`build_demo(db, seed=20240101)` writes, deterministically from the seed (numpy Generator),
the AMTSL example of the improvement-collaborative guide as a whole database:

- 24 maternity teams T01..T24 (hospitals, health centres IV and III) in 3 districts (Kabale,
  Kisoro, Rukungiri), one coach per district; wave W1 (16 teams, from 2024-11) and wave W2
  (8 teams, joining 2025-08 = month 10, no data before);
- 24 months 2024-11 .. 2026-10 of 6 proportion indicators: AMTSL, PARTOGRAPH, NEWBORN_CARE
  (process, target 0.90, increase), PPH and ASPHYXIA (outcome, target 0.03, decrease),
  OXY_STOCK (input, days oxytocin in stock ÷ days in the month, target 0.95). Denominators
  are births (5 to 400 a month by facility size, seasonal, Poisson); numerators are binomial
  around a team's latent probability. Outcomes follow the process indicators (PPH falls as
  AMTSL rises; asphyxia as partograph use and newborn care rise; AMTSL drops on stock-outs);
- a change package of 10 ideas (plus 2 team innovations), tested in PDSA ramps of 1–4 cycles
  with every worksheet field; a ramp ends adopt or abandon; an adopted change raises the logit
  of its linked indicators from the month after adoption; cycles still running on
  2026-11-20 ("now" of the demo) are left in plan, do or study;
- coaching visits every 1–2 months with notes, actions, a faculty assessment (IHI scale 0.5–5.0
  in 0.5 steps, rising with progress), a self-assessment (usually a little higher) and 1–2
  verification recounts (mostly within ±5 %); 5 learning sessions;
- every monthly report entered 3–20 days after the month ended (`created_at`), so "as of" reads
  give the snapshot a learning session saw. Revisions have source "demo" and the team's data
  officer as author.

Injected data problems, each recorded in the table `demo_injections` (kind, team_id,
indicator_id, period, detail JSON), counts per seed in `INJECTION_COUNTS`:

=============================== ==== ====================================================
kind                            n    what it looks like in the data
=============================== ==== ====================================================
numerator_exceeds_denominator   5    numerator > denominator (swapped, or births overcounted)
outlier                         5    a denominator typed with an extra zero (×10)
missing_month                   5    no revision at all for an expected key
late_entry                      5    the first revision 60–100 days after the month ended
conflicting_duplicate           5    two revisions of a key on the same day, values differ
recount_disagrees               5    a verification recount with factor outside 0.90–1.10
zero_denominator                3    denominator 0 with numerator > 0
dropped_digit                   3    a numerator without its last digit (47 -> 4): a sudden drop
=============================== ==== ====================================================

The generator is split by concern, one part of `_World` a module: `workbench.demo.calendar`
(months and dates), `demo_teams` (teams and the definition), `demo_pdsa` (PDSA ramps),
`demo_measurements` (counts and revisions), `demo_problems` (the injected problems and their
table), `demo_visits` (visits, assessments, recounts). This module builds and writes the database.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Connection, Engine, select
from sqlalchemy.engine import make_url

from workbench.demo.calendar import DEMO_NOW, DEMO_PERIODS
from workbench.demo.measurements import DemoMeasurements
from workbench.demo.pdsa import DemoPDSA
from workbench.demo.problems import (
    INJECTION_COUNTS,
    INJECTION_KINDS,
    DemoProblems,
    demo_injections,
    injection_metadata,
    read_injections,
)
from workbench.demo.teams import DemoTeams
from workbench.demo.visits import DemoVisits
from workbench.errors import StoreError
from workbench.ingest.collaborative import write_collaborative
from workbench.store import add_revisions, create_database, resolve_url
from workbench.store import schema as s

__all__ = [
    "DEMO_NOW",
    "DEMO_PERIODS",
    "INJECTION_COUNTS",
    "INJECTION_KINDS",
    "build_demo",
    "demo_definition",
    "demo_injections",
    "read_injections",
]


# --------------------------------------------------------------------------- public API

def build_demo(db: str | None, *, seed: int = 20240101, force: bool = False) -> Engine:
    """Create the demo collaborative database at `db` (path or URL) and return its engine.

    An existing SQLite file is only replaced with `force=True` (its -wal/-shm files too).
    The same seed always gives the same data.
    """
    engine = _fresh_database(db, force)
    rng = np.random.default_rng(seed)
    world = _World(rng)
    with engine.begin() as conn:
        injection_metadata.create_all(conn)
        write_collaborative(conn, world.definition)
        add_revisions(conn, world.revisions, source="demo", return_ids=False)
        _write_cycles(conn, world.cycles)
        _write_visits(conn, world)
        conn.execute(demo_injections.insert(), world.injections)
    return engine


def demo_definition() -> dict[str, Any]:
    """The collaborative definition (the structure `load_collaborative` returns)."""
    return _World(np.random.default_rng(0)).definition


# --------------------------------------------------------------------------- the database

def _fresh_database(db: str | None, force: bool) -> Engine:
    parsed = make_url(resolve_url(db))
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        path = Path(parsed.database)
        if path.exists():
            if not force:
                raise StoreError(f"{path} already exists. Use --force to replace it with a new "
                                 "demo collaborative, or choose another --db path.")
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return create_database(db)
    engine = create_database(db)
    with engine.connect() as conn:
        exists = conn.execute(select(s.collaborative.c.id)).first() is not None
    if exists:
        if not force:
            raise StoreError(f"{parsed.render_as_string(hide_password=True)} already holds a "
                             "collaborative. Use --force to drop its tables and rebuild the demo.")
        with engine.begin() as conn:
            injection_metadata.drop_all(conn)
            s.metadata.drop_all(conn)
        engine = create_database(db)
    return engine


def _write_cycles(conn: Connection, cycles: list[dict[str, Any]]) -> None:
    history = []
    ids: dict[tuple[str, str, int], int] = {}
    for cycle in cycles:
        row = {k: v for k, v in cycle.items() if not k.startswith("_")}
        parent = ids.get((row["team_id"], row["change_id"], row["cycle_number"] - 1))
        row["parent_cycle_id"] = parent
        cycle_id = conn.execute(s.pdsa_cycles.insert().values(**row)).inserted_primary_key[0]
        ids[(row["team_id"], row["change_id"], row["cycle_number"])] = cycle_id
        for version, (stage, when) in enumerate(cycle["_stages"], start=1):
            snapshot = _snapshot(row, stage)
            snapshot.update(cycle_id=cycle_id, version=version)
            history.append({"cycle_id": cycle_id, "version": version, "snapshot": snapshot,
                            "author": row["author"], "created_at": when})
    if history:
        conn.execute(s.pdsa_history.insert(), history)


def _snapshot(row: dict[str, Any], stage: str) -> dict[str, Any]:
    """The row as it was when it reached `stage` (later fields still empty)."""
    snap = {k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in row.items()}
    order = ["plan", "do", "study", "closed"]
    reached = order.index(stage)
    if reached < 1:
        snap.update(do_notes="", deviations="")
    if reached < 2:
        snap.update(study_notes="", study_results=[])
    if reached < 3:
        snap.update(act_decision=None, next_steps="", end_date=None)
    snap["status"] = stage
    return snap


def _write_visits(conn: Connection, world: _World) -> None:
    visit_ids = []
    for visit in world.visits:
        visit_ids.append(conn.execute(s.coaching_visits.insert().values(**visit))
                         .inserted_primary_key[0])
    recounts = [{**{k: v for k, v in r.items() if k != "_visit"},
                 "visit_id": visit_ids[r["_visit"]]} for r in world.recounts]
    assessments = [{**{k: v for k, v in a.items() if k != "_visit"},
                    "visit_id": visit_ids[a["_visit"]]} for a in world.assessments]
    if recounts:
        conn.execute(s.verification_recounts.insert(), recounts)
    if assessments:
        conn.execute(s.assessments.insert(), assessments)
    for injection in world.injections:
        if "_visit" in injection["detail"]:
            injection["detail"]["visit_id"] = visit_ids[injection["detail"].pop("_visit")]


# --------------------------------------------------------------------------- the simulation

class _World(DemoTeams, DemoPDSA, DemoMeasurements, DemoProblems, DemoVisits):
    """Everything the demo writes, generated in a fixed order from one Generator.

    Each part is a mixin in its own module; the order of the calls here is the order of the
    draws, so the same seed gives the same demo.
    """

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.injections: list[dict[str, Any]] = []
        self._teams()
        self.definition = self._definition()
        self.cycles: list[dict[str, Any]] = []
        self._pdsa()
        self._measure()
        self._revisions()
        self._inject_measurement_problems()
        self._visits()

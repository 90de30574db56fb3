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
  officer as author;
- the story after the launch (the default size only, `workbench.demo.story.story_size`): the
  synthesis meeting records change package v2 from the evidence to 2025-10 through the
  synthesis pack's frames (`workbench.learning.meeting`) and `save_package_version`
  (`workbench.demo.story`); a spread wave W3 of 24 teams in Kanungu joins with it in 2025-12
  and improves faster (`workbench.demo.spread`, its own Generator); 8 wave-1 teams graduate on
  2026-04-30 (their coaching visits end then) and 2 of them slip (`workbench.demo.graduation`).
  The launch teams' data is drawn as without the story, but for the slipping graduates' months
  after graduation and the graduates' visits after it. The database is written in three
  transactions (the launch collaborative; the spread wave once v2 exists; the marker last): a
  build that fails removes what it wrote.

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

(in the launch teams' data; the spread wave's has 3 of each kind, 2 of the last two).

The generator is split by concern, one part of `_World` (`workbench.demo.world`) a module:
`workbench.demo.calendar` (months and dates), `demo_teams` (teams and the definition),
`demo_pdsa` (PDSA ramps),
`demo_measurements` (counts and revisions), `demo_problems` (the injected problems and their
table), `demo_visits` (visits, assessments, recounts). This module builds and writes the database.

Any size: `build_demo(db, teams=N, indicators=K, months=M, districts=D)` (`DemoSize`,
`workbench.demo.size`; the defaults are the demo above) repeats the facilities' pattern over
N teams, adds extra process indicators past six, extends the calendar and scales the injected
problems. The rows go in with bulk inserts (`workbench.store.bulk`), so 2,000 × 10 × 36 is
built in about half a minute of CPU.

Replacing a database (`force=True`) is guarded, because `workbench.db` is every command's
default: the demo marks what it builds (a `demo_marker` row naming the seed), and `demo_target`
says what a path or URL holds. A database the demo built is replaced; a collaborative made by
`workbench init` never is (StoreError); anything else — a file that is not a collaborative, a
demo from a release before the marker — only with `confirmed=True`, which the CLI gives after
asking (or `--yes`) when the database was named with `--db` on the command line
(`ReplaceNotConfirmed` otherwise).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Integer,
    String,
    Table,
    bindparam,
    inspect,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from workbench.demo.calendar import DEMO_NOW, DEMO_PERIODS
from workbench.demo.graduation import graduate
from workbench.demo.problems import (
    INJECTION_COUNTS,
    INJECTION_KINDS,
    demo_injections,
    injection_metadata,
    read_injections,
)
from workbench.demo.size import DEFAULT_SIZE, DemoSize, check_size
from workbench.demo.spread import SpreadWave
from workbench.demo.story import join_spread_wave, record_synthesis, story_size
from workbench.demo.world import _World
from workbench.errors import Message, StoreError
from workbench.i18n import N_, normalize_language
from workbench.ingest.collaborative import write_collaborative
from workbench.store import create_database, masked_url, resolve_url
from workbench.store import schema as s
from workbench.store.bulk import bulk_insert, bulk_insert_ids
from workbench.store.engine import _engine, create_tables

__all__ = [
    "DEMO_NOW",
    "DEMO_PERIODS",
    "INJECTION_COUNTS",
    "INJECTION_KINDS",
    "DEMO_MARKER",
    "DEFAULT_SIZE",
    "DemoSize",
    "DemoTarget",
    "ReplaceNotConfirmed",
    "build_demo",
    "demo_definition",
    "demo_injections",
    "demo_marker",
    "demo_target",
    "read_injections",
]

DEMO_MARKER = "built by workbench demo"
"""The value that marks a database as the demo's own, which `--force` may replace."""

demo_marker = Table(
    "demo_marker",
    injection_metadata,
    Column("marker", String(80), primary_key=True),
    Column("seed", Integer, nullable=False),
)


class DemoTarget(NamedTuple):
    """What a `--db` holds, as far as replacing it with the demo goes.

    `kind`: "none" (nothing to replace: build there), "demo" (built by `workbench demo`: may be
    replaced), "collaborative" (made by `workbench init`: never replaced), "other" (replaced
    only when named and confirmed). `where` is the path or the URL (password masked), `what`
    says in words what is there.
    """

    kind: str
    where: str
    what: Message


class ReplaceNotConfirmed(StoreError):
    """`force` met a database the demo did not build; it needs `confirmed=True`. Carries
    `target` (a DemoTarget)."""

    target: DemoTarget  # set by WorkbenchError from the keyword argument


# --------------------------------------------------------------------------- public API

def build_demo(db: str | None, *, seed: int = 20240101, force: bool = False,
               confirmed: bool = False, teams: int = 24, indicators: int = 6,
               months: int = 24, districts: int = 3, language: str | None = None) -> Engine:
    """Create the demo collaborative database at `db` (path or URL) and return its engine.

    `teams`, `indicators`, `months` (ending 2026-10) and `districts` size it (`DemoSize`; the
    defaults are the embedded demo, and a larger one has the same kinds of data, PDSA ramps,
    visits and injected problems, in proportion). A size the generator cannot build raises
    ConfigError before anything is touched.

    An existing database is only replaced with `force=True`, and then only if the demo built
    it, or with `confirmed=True` as well if it is something else that is not a collaborative
    (see `demo_target`); a collaborative made by `workbench init` is never replaced. A SQLite
    file goes with its -wal/-shm files; on PostgreSQL the workbench's tables are dropped.
    The same seed always gives the same database: every table, row and schema statement
    alike but for the columns that say when it was built (`created_at` of the collaborative,
    the package versions and the audit log; `applied_at` of schema_info). Its indicators and
    change ideas are in English and French; `language` (e.g. "fr") becomes the
    collaborative's default language (`settings.language`: reports, apps).
    """
    size = check_size(DemoSize(teams, indicators, months, districts))
    chosen = normalize_language(language) if language else ""
    engine = _fresh_database(db, force, confirmed)
    try:
        world = _World(np.random.default_rng(seed), size)
        world.definition["collaborative"]["settings"]["language"] = chosen
        spread = _story(world, seed)
        with engine.begin() as conn:
            create_tables(conn, injection_metadata)
            write_collaborative(conn, world.definition)
            _write_world(conn, world)
        if spread is not None:
            version, package = record_synthesis(engine, world)
            spread.grow(package)
            with engine.begin() as conn:
                _write_world(conn, spread)
            join_spread_wave(engine, version)
        with engine.begin() as conn:
            conn.execute(demo_marker.insert().values(marker=DEMO_MARKER, seed=seed))
        _checkpoint(engine)
    except BaseException:
        engine.dispose()
        _remove(db)  # half a demo is no demo: nothing is left to mistake for one
        raise
    return engine


def _checkpoint(engine: Engine) -> None:
    """A SQLite demo whole in its file (the write-ahead log folded in), so that copying the
    file copies the demo."""
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def _story(world: _World, seed: int) -> SpreadWave | None:
    """The default demo's story in `world.definition`: the spread wave's teams (returned, to
    grow once package v2 is recorded) and the graduations (`workbench.demo.graduation`,
    which also makes two graduates slip); None for a demo of another size."""
    if not story_size(world.size):
        return None
    spread = SpreadWave(np.random.default_rng([seed, 1]), world)
    spread.add_to_definition(world.definition)
    graduation = graduate(world, seed)
    for team in world.definition["teams"]:
        team["graduated_on"] = graduation.graduated_on.get(team["team_id"])
    return spread


def _write_world(conn: Connection, world: _World) -> None:
    """A world's revisions, PDSA cycles, visits and injected problems."""
    bulk_insert(conn, s.measurement_revisions,
                [{**row, "numerator": float(row["numerator"]),
                  "denominator": float(row["denominator"]), "source": "demo"}
                 for row in world.revisions])
    _write_cycles(conn, world.cycles)
    _write_visits(conn, world)
    if world.injections:
        conn.execute(demo_injections.insert(), world.injections)


def demo_definition(size: DemoSize = DEFAULT_SIZE) -> dict[str, Any]:
    """The collaborative definition (the structure `load_collaborative` returns); the default
    size's lists the spread wave's teams too (no graduation: that depends on the data)."""
    world = _World(np.random.default_rng(0), check_size(size))
    if story_size(world.size):
        SpreadWave(np.random.default_rng([0, 1]), world).add_to_definition(world.definition)
    return world.definition


# --------------------------------------------------------------------------- the database

def demo_target(db: str | None) -> DemoTarget:
    """What `db` holds: nothing, a demo, a collaborative made by `init`, or something else.

    Reads only; a SQLite file is opened with the sqlite3 module, so nothing is written to it.
    """
    url = resolve_url(db)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        return _sqlite_target(Path(parsed.database))
    where = masked_url(parsed)
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            name, marked = _collaborative_and_marker(
                lambda sql: conn.exec_driver_sql(sql).fetchall(), tables)
    except SQLAlchemyError as exc:
        reason = " ".join(str(getattr(exc, "orig", None) or exc).split()).rstrip(".")
        raise StoreError(N_("cannot read {where}: {reason}. Check the URL and server."),
                         params={"where": where, "reason": reason}) from exc
    finally:
        engine.dispose()
    if name is None:
        return DemoTarget("none", where, Message(N_("no collaborative")))
    return _kind(where, name, marked, tables)


def _sqlite_target(path: Path) -> DemoTarget:
    where = str(path)
    if not path.exists():
        return DemoTarget("none", where, Message(N_("no file")))
    if not path.is_file():
        raise StoreError(N_("{path} is a folder, not a database file. Give a file path for the "
                            "demo, e.g. --db demo.db."),
                         params={"path": path})
    try:
        con = sqlite3.connect(path, timeout=10)
        try:
            tables = {row[0] for row in con.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
            name, marked = _collaborative_and_marker(
                lambda sql: con.execute(sql).fetchall(), tables)
        finally:
            con.close()
    except sqlite3.OperationalError as exc:  # locked, unreadable: not a verdict on the content
        raise StoreError(N_("cannot read {path}: {exc}. Nothing was replaced; try again when no "
                            "other program is writing to it."),
                         params={"path": path, "exc": exc}) from exc
    except sqlite3.DatabaseError:
        return DemoTarget("other", where, Message(N_("a file that is not a SQLite database")))
    if name is None:
        return DemoTarget("other", where, Message(N_("a file that holds no collaborative")))
    return _kind(where, name, marked, tables)


def _collaborative_and_marker(fetch: Any, tables: set[str]) -> tuple[str | None, bool]:
    """The collaborative's name (None if there is none) and whether the demo marker is set."""
    if "collaborative" not in tables:
        return None, False
    rows = fetch("SELECT name FROM collaborative")
    if not rows:
        return None, False
    marked = "demo_marker" in tables and any(
        row[0] == DEMO_MARKER for row in fetch("SELECT marker FROM demo_marker"))
    return str(rows[0][0]), marked


def _kind(where: str, name: str, marked: bool, tables: set[str]) -> DemoTarget:
    if marked:
        return DemoTarget("demo", where, Message(N_("the demo collaborative {name!r}"),
                                                 {"name": name}))
    if "demo_injections" in tables:
        return DemoTarget("other", where, Message(N_(
            "the demo collaborative {name!r} from an older release, without the demo's "
            "marker"), {"name": name}))
    return DemoTarget("collaborative", where, Message(N_("the collaborative {name!r}"),
                                                      {"name": name}))


def _fresh_database(db: str | None, force: bool, confirmed: bool) -> Engine:
    """An empty database at `db`, replacing what is there only as `build_demo` allows."""
    target = demo_target(db)
    if target.kind == "none":
        return create_database(db)
    if target.kind == "collaborative":
        raise StoreError(N_("{where} holds {what}, made by `workbench init`, not by the demo; "
                            "`workbench demo` never replaces it, with or without --force. Choose "
                            "another --db for the demo, e.g. --db demo.db."),
                         params={"where": target.where, "what": target.what}, target=target)
    if not force:
        sqlite = make_url(resolve_url(db)).get_backend_name() == "sqlite"
        raise StoreError(
            N_("{where} already exists. Use --force to replace it with a new demo "
               "collaborative, or choose another --db path.") if sqlite else
            N_("{where} already holds a collaborative. Use --force to drop its tables and "
               "rebuild the demo."), params={"where": target.where}, target=target)
    if target.kind == "other" and not confirmed:
        raise ReplaceNotConfirmed(
            N_("{where} is {what}, not a database built by `workbench demo`; nothing was "
               "replaced. To replace it, name it with --db on the command line and confirm (or "
               "add --yes); otherwise choose another --db path."),
            params={"where": target.where, "what": target.what}, target=target)
    _remove(db)
    return create_database(db)


def _remove(db: str | None) -> None:
    """Delete a SQLite file (and its -wal/-shm/-journal), or drop the workbench's tables."""
    parsed = make_url(resolve_url(db))
    if parsed.get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{parsed.database}{suffix}").unlink(missing_ok=True)
        return
    engine = _engine(resolve_url(db))
    try:
        with engine.begin() as conn:
            injection_metadata.drop_all(conn)
            s.metadata.drop_all(conn)
    finally:
        engine.dispose()


def _write_cycles(conn: Connection, cycles: list[dict[str, Any]]) -> None:
    """The cycles in one bulk insert, then each ramp's links to its previous cycle, then the
    history of every cycle's stages."""
    rows = [{k: v for k, v in cycle.items() if not k.startswith("_")} for cycle in cycles]
    cycle_ids = bulk_insert_ids(conn, s.pdsa_cycles, rows)
    ids = {(row["team_id"], row["change_id"], row["cycle_number"]): cycle_id
           for row, cycle_id in zip(rows, cycle_ids, strict=True)}
    links = []
    for row, cycle_id in zip(rows, cycle_ids, strict=True):
        row["parent_cycle_id"] = ids.get((row["team_id"], row["change_id"],
                                          row["cycle_number"] - 1))
        if row["parent_cycle_id"] is not None:
            links.append({"id_": cycle_id, "parent_": row["parent_cycle_id"]})
    if links:
        conn.execute(s.pdsa_cycles.update()
                     .where(s.pdsa_cycles.c.cycle_id == bindparam("id_"))
                     .values(parent_cycle_id=bindparam("parent_")), links)
    history = []
    for cycle, row, cycle_id in zip(cycles, rows, cycle_ids, strict=True):
        plain = {k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in row.items()}
        for version, (stage, when) in enumerate(cycle["_stages"], start=1):
            snapshot = _snapshot(plain, stage)
            snapshot.update(cycle_id=cycle_id, version=version)
            history.append({"cycle_id": cycle_id, "version": version, "snapshot": snapshot,
                            "author": row["author"], "created_at": when})
    bulk_insert(conn, s.pdsa_history, history)


def _snapshot(plain: dict[str, Any], stage: str) -> dict[str, Any]:
    """The row (its datetimes as ISO text) as it was when it reached `stage` (later fields
    still empty)."""
    snap = dict(plain)
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
    visit_ids = bulk_insert_ids(conn, s.coaching_visits, world.visits)
    recounts = [{**{k: v for k, v in r.items() if k != "_visit"},
                 "visit_id": visit_ids[r["_visit"]]} for r in world.recounts]
    assessments = [{**{k: v for k, v in a.items() if k != "_visit"},
                    "visit_id": visit_ids[a["_visit"]]} for a in world.assessments]
    bulk_insert(conn, s.verification_recounts, recounts)
    bulk_insert(conn, s.assessments, assessments)
    for injection in world.injections:
        if "_visit" in injection["detail"]:
            injection["detail"]["visit_id"] = visit_ids[injection["detail"].pop("_visit")]

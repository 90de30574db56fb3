"""Concurrent writers in real processes (spawned, not threads), on SQLite and PostgreSQL.

Nothing is lost: of several saves of the same loaded entry exactly one goes in and the others
get the conflict the forms show; an import never overwrites a reviewed correction made while
it runs; PDSA cycles and flag reviews saved at the same moment are refused with a clear
message, never a crash or a silent overwrite.

The processes start together at a barrier. Where a test needs one writer to be in the middle
of its work while the other acts, the first pauses itself at a named statement (a
`before_cursor_execute` listener on its own engine) and says so through an Event.
PostgreSQL tests (marker `postgres`) need WORKBENCH_TEST_PG; each gets a new database.
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import make_url

from workbench.errors import ConflictError, StoreError, ValidationFailed
from workbench.ingest.collaborative import init_collaborative
from workbench.ingest.importer import import_file
from workbench.records.monthly_data import load_month, save_month
from workbench.records.pdsa import PDSACycle, save_cycle
from workbench.store import (
    add_revisions,
    open_engine,
    read_change_ideas,
    read_flags,
    read_pdsa_cycles,
    read_revisions,
    write_transaction,
)
from workbench.store import schema as s
from workbench.store.engine import WRITE_LOCK_WAIT_S
from workbench.validate.flags import flag_history, resolve_flag
from workbench.validate.run import run_validation

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "templates" / "collaborative.yaml"
ROUNDS = 10
WRITERS = 3
SPAWN = mp.get_context("spawn")


# --------------------------------------------------------------------------- databases

def _admin(url: str):  # type: ignore[no-untyped-def]
    import psycopg2

    parsed = make_url(url)
    con = psycopg2.connect(host=parsed.host, port=parsed.port, user=parsed.username,
                           password=parsed.password, dbname=parsed.database or "postgres")
    con.autocommit = True
    return con


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def collab_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A collaborative made from templates/collaborative.yaml, as a SQLite file or a new
    PostgreSQL database (dropped afterwards)."""
    if request.param == "sqlite":
        path = tmp_path / "collab.db"
        init_collaborative(str(path), TEMPLATE)
        yield str(path)
        return
    server = request.getfixturevalue("postgres_url")
    name = f"wb_conc_{uuid.uuid4().hex[:12]}"
    admin = _admin(server)
    try:
        with admin.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
        url = make_url(server).set(database=name).render_as_string(hide_password=False)
        init_collaborative(url, TEMPLATE)
        yield url
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


# --------------------------------------------------------------------------- processes

def _run(target: Callable[..., None], args_per_process: list[tuple[Any, ...]]) -> list[Any]:
    """One process of `target` per args tuple (whose first item is the process's index)."""
    return _run_targets([(target, args) for args in args_per_process])


def _run_targets(jobs: list[tuple[Callable[..., None], tuple[Any, ...]]],
                 timeout: float = 90) -> list[Any]:
    """Start one spawned process per (target, args) — each gets a result queue last and puts
    `(index, value)` on it once — wait for all, and return the values in index order."""
    results = SPAWN.Queue()
    processes = [SPAWN.Process(target=target, args=(*args, results)) for target, args in jobs]
    for process in processes:
        process.start()
    collected: dict[int, Any] = {}
    deadline = time.monotonic() + timeout
    try:
        while len(collected) < len(processes):
            try:
                index, value = results.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"only {len(collected)} of {len(processes)} writers reported in "
                            f"{timeout} s")
            collected[index] = value
    finally:
        for process in processes:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
    return [collected[i] for i in range(len(processes))]


def _outcome(action: Callable[[], Any]) -> str:
    """'saved', 'conflict: …', 'refused: …', or 'crashed: …' for anything else."""
    try:
        action()
    except ConflictError as exc:
        return f"conflict: {exc}"
    except ValidationFailed as exc:
        return f"refused: {exc}"
    except Exception as exc:  # noqa: BLE001 - a crash is a result the test reports
        return f"crashed: {type(exc).__name__}: {exc}"
    return "saved"


def _pause_at(engine: Any, statement: str, reached: Any, resume: Callable[[], None]) -> None:
    """Pause this process's engine just before it executes `statement` (the first time)."""
    done: list[bool] = []

    def before(_conn, _cursor, sql, *_args):  # type: ignore[no-untyped-def]
        if not done and sql.lstrip().upper().startswith(statement.upper()):
            done.append(True)
            reached.set()
            resume()

    event.listen(engine, "before_cursor_execute", before)


# --------------------------------------------------------------------------- monthly data

def _save_month_rounds(who: int, db: str, barrier: Any, results: Any) -> None:
    """Each round: load T01 2025-05 with the others, then all save a different AMTSL value."""
    engine = open_engine(db)
    outcomes = []
    for rnd in range(ROUNDS):
        barrier.wait()
        sheet = load_month(engine, "T01", "2025-05")
        barrier.wait()  # everyone holds the same loaded revision
        value = str(rnd * WRITERS + who + 1)
        outcomes.append(_outcome(lambda v=value, s=sheet: save_month(
            engine, "T01", "2025-05", {"AMTSL": (v, "50")}, s.loaded_revision_ids,
            user=f"nurse{who}", sheet=s)))
    results.put((who, outcomes))


def test_of_concurrent_saves_of_the_same_loaded_month_one_goes_in_the_others_conflict(
        collab_db: str) -> None:
    engine = open_engine(collab_db)
    with engine.begin() as conn:
        add_revisions(conn, [{"team_id": "T01", "indicator_id": "AMTSL", "period": "2025-05",
                              "numerator": 40, "denominator": 50}], source="import")
    barrier = SPAWN.Barrier(WRITERS, timeout=60)
    outcomes = _run(_save_month_rounds, [(who, collab_db, barrier) for who in range(WRITERS)])

    rounds = list(zip(*outcomes, strict=True))
    crashed = [o for o in sum(outcomes, []) if o.startswith(("crashed", "refused"))]
    assert crashed == []
    assert [sum(o == "saved" for o in rnd) for rnd in rounds] == [1] * ROUNDS
    losers = [o for o in sum(outcomes, []) if o != "saved"]
    assert len(losers) == (WRITERS - 1) * ROUNDS
    assert all("after you opened the form" in o for o in losers)
    form = read_revisions(engine, "T01", "AMTSL", "2025-05").query("source == 'form'")
    assert len(form) == ROUNDS


# --------------------------------------------------------------------------- import × review

def _flagged_import(db: str, tmp_path: Path) -> tuple[int, Path]:
    """T01 AMTSL 2024-01 imported as 60 of 50 and flagged; the file that re-imports it (with
    another row) so an import would overwrite a correction of it."""
    engine = open_engine(db)
    first = tmp_path / "jan.csv"
    first.write_text("team_id,indicator_id,period,numerator,denominator\n"
                     "T01,AMTSL,2024-01,60,50\n", encoding="utf-8")
    import_file(engine, first)
    run_validation(engine, rules=["numerator-exceeds-denominator"])
    flag_id = int(read_flags(engine)["flag_id"].iloc[0])
    again = tmp_path / "jan-again.csv"
    again.write_text("team_id,indicator_id,period,numerator,denominator\n"
                     "T01,AMTSL,2024-01,61,50\nT01,PPH,2024-01,1,50\n", encoding="utf-8")
    return flag_id, again


def _import(engine: Any, path: str) -> tuple[str, dict[str, Any]]:
    """The outcome of importing `path`, and its ImportResult as a dict ({} if refused)."""
    result: dict[str, Any] = {}
    return _outcome(lambda: result.update(import_file(engine, path).to_dict())), result


def _import_pausing_before_it_writes(index: int, db: str, path: str, reached: Any,
                                     resume: Any, results: Any) -> None:
    engine = open_engine(db)
    _pause_at(engine, "INSERT INTO import_batches", reached, lambda: resume.wait(timeout=3))
    results.put((index, _import(engine, path)))


def _correct_when_import_decides(index: int, db: str, flag_id: int, reached: Any,
                                 resume: Any, results: Any) -> None:
    engine = open_engine(db)
    reached.wait(timeout=60)
    results.put((index, _outcome(lambda: resolve_flag(
        engine, flag_id, "correct", "recounted", user="validator", numerator=41))))
    resume.set()


def test_a_correction_saved_while_an_import_decides_stays_the_current_value(
        collab_db: str, tmp_path: Path) -> None:
    flag_id, again = _flagged_import(collab_db, tmp_path)
    reached, resume = SPAWN.Event(), SPAWN.Event()
    (imported, _result), corrected = _run_each(
        (_import_pausing_before_it_writes, (collab_db, str(again), reached, resume)),
        (_correct_when_import_decides, (collab_db, flag_id, reached, resume)))
    assert (imported, corrected) == ("saved", "saved")
    history = read_revisions(open_engine(collab_db), "T01", "AMTSL", "2024-01")
    assert history["source"].iloc[-1] == "correction"
    assert history["numerator"].iloc[-1] == 41.0


def _correct_pausing_before_it_commits(index: int, db: str, flag_id: int, reached: Any,
                                       started: Any, results: Any) -> None:
    engine = open_engine(db)
    # the correction is written, the flag's event comes next: wait for the import to start
    _pause_at(engine, "INSERT INTO flag_events", reached,
              lambda: (started.wait(timeout=30), time.sleep(2)))
    results.put((index, _outcome(lambda: resolve_flag(
        engine, flag_id, "correct", "recounted", user="validator", numerator=41))))


def _import_while_correction_is_open(index: int, db: str, path: str, reached: Any,
                                     started: Any, results: Any) -> None:
    engine = open_engine(db)
    reached.wait(timeout=60)
    started.set()
    results.put((index, _import(engine, path)))


def test_an_import_started_while_a_correction_is_being_saved_keeps_the_correction(
        collab_db: str, tmp_path: Path) -> None:
    flag_id, again = _flagged_import(collab_db, tmp_path)
    reached, started = SPAWN.Event(), SPAWN.Event()
    corrected, (imported, result) = _run_each(
        (_correct_pausing_before_it_commits, (collab_db, flag_id, reached, started)),
        (_import_while_correction_is_open, (collab_db, str(again), reached, started)))
    assert (corrected, imported) == ("saved", "saved")
    assert (result["kept_correction"], result["new"]) == (1, 1)
    assert result["kept_corrections"][0]["imported"]["numerator"] == 61.0
    history = read_revisions(open_engine(collab_db), "T01", "AMTSL", "2024-01")
    assert history["source"].tolist() == ["import", "correction"]


def _run_each(*jobs: tuple[Callable[..., None], tuple[Any, ...]]) -> list[Any]:
    """One process per (target, args); each target gets its index first."""
    return _run_targets([(target, (i, *args)) for i, (target, args) in enumerate(jobs)])


# --------------------------------------------------------------------------- PDSA cycles

def _cycle(number: int, new_idea: str = "") -> PDSACycle:
    return PDSACycle(team_id="T01", change_id=None if new_idea else "C01",
                     new_change_name=new_idea, cycle_number=number, title="Oxytocin ready",
                     objective="Learn whether drawing oxytocin up early is feasible",
                     questions=[{"question": "Is it drawn up before birth?",
                                 "prediction": "in 8 of 10 births"}])


def _save_new_cycles(who: int, db: str, barrier: Any, new_ideas: bool, results: Any) -> None:
    """Each round all save cycle number `round` of C01 (or each a cycle of a new idea)."""
    engine = open_engine(db)
    outcomes = []
    for rnd in range(1, ROUNDS + 1):
        barrier.wait()
        cycle = _cycle(1 if new_ideas else rnd, f"idea {who}.{rnd}" if new_ideas else "")
        outcomes.append(_outcome(lambda c=cycle: save_cycle(engine, c, user=f"member{who}")))
    results.put((who, outcomes))


def test_of_concurrent_new_cycles_with_the_same_number_one_is_saved_the_others_refused(
        collab_db: str) -> None:
    barrier = SPAWN.Barrier(WRITERS, timeout=60)
    outcomes = _run(_save_new_cycles, [(who, collab_db, barrier, False)
                                       for who in range(WRITERS)])
    rounds = list(zip(*outcomes, strict=True))
    assert [o for o in sum(outcomes, []) if o.startswith("crashed")] == []
    assert [sum(o == "saved" for o in rnd) for rnd in rounds] == [1] * ROUNDS
    refused = [o for o in sum(outcomes, []) if o != "saved"]
    assert all(o.startswith("refused: ") and "already exists for T01" in o for o in refused)
    cycles = read_pdsa_cycles(open_engine(collab_db), team_id="T01")
    assert sorted(cycles["cycle_number"]) == list(range(1, ROUNDS + 1))


def test_new_ideas_named_at_the_same_moment_are_all_saved_with_their_own_codes(
        collab_db: str) -> None:
    barrier = SPAWN.Barrier(WRITERS, timeout=60)
    outcomes = _run(_save_new_cycles, [(who, collab_db, barrier, True)
                                       for who in range(WRITERS)])
    assert set(sum(outcomes, [])) == {"saved"}
    ideas = read_change_ideas(open_engine(collab_db)).query("source == 'team'")
    assert len(ideas) == WRITERS * ROUNDS
    assert ideas["change_id"].is_unique and ideas["name"].is_unique


# --------------------------------------------------------------------------- flag reviews

def _review_flags(who: int, db: str, flag_ids: list[int], barrier: Any, results: Any) -> None:
    """Each round all review the same open flag: one corrects, one confirms, one dismisses."""
    engine = open_engine(db)
    action = ("correct", "confirm", "dismiss")[who]
    outcomes = []
    for flag_id in flag_ids:
        barrier.wait()
        outcomes.append(_outcome(lambda f=flag_id: resolve_flag(
            engine, f, action, f"reviewed by {who}", user=f"validator{who}",
            numerator=40 if action == "correct" else None)))
    results.put((who, outcomes))


def test_of_concurrent_reviews_of_one_flag_one_is_recorded_the_others_told_who(
        collab_db: str) -> None:
    engine = open_engine(collab_db)
    periods = [f"2024-{m:02d}" for m in range(1, ROUNDS + 1)]
    with engine.begin() as conn:
        add_revisions(conn, [{"team_id": "T01", "indicator_id": "AMTSL", "period": p,
                              "numerator": 60, "denominator": 50} for p in periods],
                      source="import")
    run_validation(engine, rules=["numerator-exceeds-denominator"])
    flag_ids = sorted(int(f) for f in read_flags(engine)["flag_id"])
    assert len(flag_ids) == ROUNDS
    barrier = SPAWN.Barrier(WRITERS, timeout=60)
    outcomes = _run(_review_flags, [(who, collab_db, flag_ids, barrier)
                                    for who in range(WRITERS)])
    rounds = list(zip(*outcomes, strict=True))
    assert [sum(o == "saved" for o in rnd) for rnd in rounds] == [1] * ROUNDS
    losers = [o for o in sum(outcomes, []) if o != "saved"]
    assert all(o.startswith("conflict: ") and " is already " in o and " by validator" in o
               for o in losers), losers
    for flag_id, period in zip(flag_ids, periods, strict=True):
        assert flag_history(engine, flag_id)["action"].tolist()[0] == "opened"
        assert len(flag_history(engine, flag_id)) == 2
        corrections = read_revisions(engine, "T01", "AMTSL", period).query(
            "source == 'correction'")
        assert len(corrections) <= 1


# --------------------------------------------------------------------------- a lock not granted

def test_a_save_that_waits_too_long_for_the_write_lock_says_so_and_writes_nothing(
        collab_db: str) -> None:
    engine = open_engine(collab_db)
    sheet = load_month(engine, "T01", "2025-05")
    started = time.monotonic()
    with write_transaction(engine, s.measurement_revisions):  # another writer holds the lock
        with pytest.raises(StoreError, match=r"is busy: another write \(an import, a save or a "
                                             r"review\) has held it for more than 10 s\. "
                                             r"Nothing was written; try again"):
            save_month(open_engine(collab_db), "T01", "2025-05", {"AMTSL": ("40", "50")},
                       sheet.loaded_revision_ids, sheet=sheet)
    assert time.monotonic() - started >= WRITE_LOCK_WAIT_S - 1
    assert read_revisions(engine).empty

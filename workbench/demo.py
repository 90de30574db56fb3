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
negative_count                  3    a negative numerator (a minus sign typed)
=============================== ==== ====================================================
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import JSON, Column, Connection, Engine, Integer, MetaData, String, Table, select
from sqlalchemy.engine import make_url

from workbench import demo_content as content
from workbench.config import DEFAULT_SETTINGS, write_collaborative
from workbench.errors import StoreError
from workbench.store import add_revisions, create_database, resolve_url
from workbench.store import schema as s
from workbench.store.measurements import _conn

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

START = pd.Period("2024-11", freq="M")
N_MONTHS = 24
DEMO_PERIODS: list[str] = [str(START + i) for i in range(N_MONTHS)]
WAVE2_MONTH = 9  # 2025-08, the 10th month
#: the demo's "now": October's reports are in, a little before the collaborative's close
DEMO_NOW = dt.datetime(2026, 11, 20, 18, 0)

INJECTION_COUNTS: dict[str, int] = {
    "numerator_exceeds_denominator": 5,
    "outlier": 5,
    "missing_month": 5,
    "late_entry": 5,
    "conflicting_duplicate": 5,
    "recount_disagrees": 5,
    "zero_denominator": 3,
    "negative_count": 3,
}
INJECTION_KINDS: tuple[str, ...] = tuple(INJECTION_COUNTS)

injection_metadata = MetaData()
demo_injections = Table(
    "demo_injections",
    injection_metadata,
    Column("injection_id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(40), nullable=False),
    Column("team_id", String(40), nullable=False),
    Column("indicator_id", String(40), nullable=True),
    Column("period", String(7), nullable=True),
    Column("detail", JSON, nullable=False, default=dict),
)

_PROCESS = ("AMTSL", "PARTOGRAPH", "NEWBORN_CARE")
_LATENT = ("AMTSL", "PARTOGRAPH", "NEWBORN_CARE", "OXY_STOCK")
_BASELINE = {"AMTSL": (0.20, 0.50), "PARTOGRAPH": (0.25, 0.55), "NEWBORN_CARE": (0.30, 0.60),
             "OXY_STOCK": (0.60, 0.90)}
_BIRTHS = {"hospital": (170, 330), "hc4": (45, 140), "hc3": (7, 40)}
_CAESAREAN = {"hospital": 0.18, "hc4": 0.08, "hc3": 0.0}
_EFFECT_SCALE = 2.0  # the change package's logit shifts are relative; this sets their size
_IHI = {0.5: "intent to participate", 1.0: "charter and team established",
        1.5: "planning has begun", 2.0: "activity, but no changes",
        2.5: "changes tested, but no improvement", 3.0: "modest improvement",
        3.5: "improvement", 4.0: "significant improvement", 4.5: "sustainable improvement",
        5.0: "outstanding sustainable results"}


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


def read_injections(bind: Engine | Connection, kind: str | None = None) -> pd.DataFrame:
    """The injected data problems (one row each), optionally of one kind."""
    query = select(demo_injections).order_by(demo_injections.c.injection_id)
    if kind is not None:
        query = query.where(demo_injections.c.kind == kind)
    with _conn(bind) as conn:
        return pd.DataFrame(conn.execute(query).mappings().all(),
                            columns=list(demo_injections.c.keys()))


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

def _month_start(m: int) -> dt.datetime:
    return (START + m).start_time.to_pydatetime()


def _month_end(m: int) -> dt.datetime:
    return (START + m + 1).start_time.to_pydatetime() - dt.timedelta(seconds=1)


def _month_of(when: dt.datetime) -> int:
    return (when.year - START.year) * 12 + when.month - START.month


def _date(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%d")


def _logit(p: np.ndarray | float) -> np.ndarray:
    return np.log(np.asarray(p) / (1 - np.asarray(p)))


def _expit(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


class _World:
    """Everything the demo writes, generated in a fixed order from one Generator."""

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

    # -- teams and definition ------------------------------------------------------------
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
                "settings": {k: (list(v) if isinstance(v, list) else v)
                             for k, v in DEFAULT_SETTINGS.items()},
            },
            "indicators": indicators,
            "waves": [{"wave_id": "W1", "name": "Wave 1", "start_period": DEMO_PERIODS[0]},
                      {"wave_id": "W2", "name": "Wave 2",
                       "start_period": DEMO_PERIODS[WAVE2_MONTH]}],
            "teams": teams,
            "learning_sessions": [dict(ls) for ls in content.LEARNING_SESSIONS],
            "change_ideas": changes,
        }

    # -- PDSA ramps ----------------------------------------------------------------------
    def _pdsa(self) -> None:
        rng = self.rng
        innovations = {i: idea for i, idea in content.TEAM_INNOVATIONS}
        for index, team in enumerate(self.teams):
            team["adopted"] = []  # (adoption month, {indicator: logit shift})
            ideas = [content.CHANGE_PACKAGE[j]
                     for j in rng.permutation(len(content.CHANGE_PACKAGE))]
            if index in innovations:
                ideas.insert(2, innovations[index])
            tracks = 2 if team["vigour"] > 1.15 else 1
            starts = [_month_start(team["join"]) + dt.timedelta(days=int(rng.integers(10, 30)))
                      + dt.timedelta(days=int(rng.integers(20, 60))) * t for t in range(tracks)]
            pace = 1 / team["vigour"]
            while ideas:
                track = int(np.argmin(starts))
                start = starts[track]
                if start - dt.timedelta(days=10) > DEMO_NOW:
                    break
                idea = ideas.pop(0)
                end = self._ramp(team, idea, start)
                starts[track] = end + dt.timedelta(days=int(rng.integers(10, 50) * pace))

    def _ramp(self, team: dict[str, Any], idea: dict[str, Any], start: dt.datetime) -> dt.datetime:
        rng = self.rng
        n_cycles = int(rng.integers(1, 5))
        p_adopt = float(np.clip(0.45 + 0.35 * (team["vigour"] - 0.55), 0.35, 0.9))
        final = "adopt" if rng.random() < p_adopt else "abandon"
        when = start
        for k in range(n_cycles):
            scale, duration, n_obs = content.CYCLE_SCALES[min(k, 3)]
            do_days = {"3 days": 3, "1 week": 7, "2 weeks": 14, "1 month": 30}[duration]
            planned = when - dt.timedelta(days=int(rng.integers(3, 10)), hours=-9)
            do_end = when + dt.timedelta(days=do_days)
            study_end = do_end + dt.timedelta(days=int(rng.integers(3, 10)))
            end = study_end + dt.timedelta(days=int(rng.integers(1, 5)))
            if planned > DEMO_NOW:
                return when
            decision = final if k == n_cycles - 1 else "adapt"
            status = ("plan" if when > DEMO_NOW else "do" if do_end > DEMO_NOW
                      else "study" if end > DEMO_NOW else "closed")
            self.cycles.append(self._cycle(team, idea, k, n_obs, scale, duration, decision,
                                           status, planned, when, do_end, study_end, end))
            if status != "closed":
                return end
            if decision == "adopt":
                responsiveness = _EFFECT_SCALE * float(rng.uniform(0.7, 1.3))
                team["adopted"].append((_month_of(end) + 1,
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
            "linked_indicators": list(idea["indicators"]),
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

    # -- measurements --------------------------------------------------------------------
    def _measure(self) -> None:
        """Latent probabilities and monthly counts per team (clean data, before injections)."""
        rng = self.rng
        months = np.arange(N_MONTHS)
        season = 1 + 0.12 * np.sin(2 * np.pi * (months + 11 - 3) / 12)
        days = np.array([(START + m).days_in_month for m in months], dtype=float)
        for team in self.teams:
            logits = {}
            for ind in _LATENT:
                shift = np.zeros(N_MONTHS)
                for month, effects in team["adopted"]:
                    if ind in effects and month < N_MONTHS:
                        shift[month:] += effects[ind]
                logits[ind] = (_logit(team["baseline"][ind]) + shift
                               + rng.normal(0, 0.15, N_MONTHS))
            p = {ind: _expit(v) for ind, v in logits.items()}
            births = np.clip(rng.poisson(team["births"] * season), 5, 400)
            vaginal = births - rng.binomial(births, _CAESAREAN[team["level"]])
            live = births - rng.binomial(births, 0.02)
            stock = rng.binomial(days.astype(int), p["OXY_STOCK"])
            amtsl_p = p["AMTSL"] * (0.55 + 0.45 * stock / days)
            amtsl = rng.binomial(vaginal, amtsl_p)
            pph = rng.binomial(vaginal, team["pph"] * (1 - 0.6 * amtsl_p))
            part = rng.binomial(births, p["PARTOGRAPH"])
            nbc = rng.binomial(live, p["NEWBORN_CARE"])
            asph = rng.binomial(live, team["asphyxia"]
                                * (1 - 0.3 * p["PARTOGRAPH"] - 0.3 * p["NEWBORN_CARE"]))
            team["counts"] = {
                "AMTSL": (amtsl, vaginal), "PARTOGRAPH": (part, births),
                "NEWBORN_CARE": (nbc, live), "PPH": (pph, vaginal), "ASPHYXIA": (asph, live),
                "OXY_STOCK": (stock, days.astype(int)),
            }
            team["p"] = p

    def _revisions(self) -> None:
        rng = self.rng
        self.keys: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
        for team in self.teams:
            team["entered"] = {}
            for m in range(team["join"], N_MONTHS):
                when = (_month_end(m) + dt.timedelta(days=int(rng.integers(3, 21)))).replace(
                    hour=int(rng.integers(8, 17)), minute=int(rng.integers(60)), second=0)
                team["entered"][m] = when
                for ind in (i["code"] for i in content.INDICATORS):
                    num, den = team["counts"][ind]
                    self.keys[(team["team_id"], ind, DEMO_PERIODS[m])] = [{
                        "team_id": team["team_id"], "indicator_id": ind,
                        "period": DEMO_PERIODS[m], "numerator": int(num[m]),
                        "denominator": int(den[m]), "author": team["officer"],
                        "created_at": when,
                    }]

    @property
    def revisions(self) -> list[dict[str, Any]]:
        rows = [row for rows in self.keys.values() for row in rows]
        rows.sort(key=lambda r: (r["created_at"], r["team_id"], r["indicator_id"], r["period"]))
        return rows

    # -- injected data problems ----------------------------------------------------------
    def _pick(self, n: int, ok: Any, indicators: tuple[str, ...]) -> list[tuple[str, str, str]]:
        """n distinct untouched keys (team, indicator, period) satisfying ok(row, month)."""
        candidates = []
        for team in self.teams:
            for m in range(team["join"] + 1, N_MONTHS - 1):
                for ind in indicators:
                    key = (team["team_id"], ind, DEMO_PERIODS[m])
                    if key not in self.used and ok(self.keys[key][0], m):
                        candidates.append(key)
        chosen = self.rng.choice(len(candidates), size=n, replace=False)
        picked = [candidates[i] for i in sorted(chosen)]
        self.used.update(picked)
        return picked

    def _record(self, kind: str, key: tuple[str, str, str], **detail: Any) -> None:
        self.injections.append({"kind": kind, "team_id": key[0], "indicator_id": key[1],
                                "period": key[2], "detail": detail})

    def _inject_measurement_problems(self) -> None:
        rng = self.rng
        self.used: set[tuple[str, str, str]] = set()
        counts = INJECTION_COUNTS
        every = tuple(i["code"] for i in content.INDICATORS)
        clinical = tuple(i for i in every if i != "OXY_STOCK")

        for i, key in enumerate(self._pick(counts["numerator_exceeds_denominator"],
                                           lambda r, m: 5 <= r["denominator"]
                                           and r["numerator"] < r["denominator"] * 0.8,
                                           _PROCESS)):
            row = self.keys[key][0]
            old = (row["numerator"], row["denominator"])
            if i % 2 == 0:  # numerator and denominator swapped
                row["numerator"], row["denominator"] = old[1], old[0]
                how = "numerator and denominator swapped"
            else:
                row["numerator"] = old[1] + int(rng.integers(1, max(2, old[1] // 5) + 1))
                how = "numerator overcounted past the denominator"
            self._record("numerator_exceeds_denominator", key, how=how,
                         true_numerator=old[0], true_denominator=old[1],
                         numerator=row["numerator"], denominator=row["denominator"])

        for key in self._pick(counts["outlier"], lambda r, m: r["denominator"] >= 8, clinical):
            row = self.keys[key][0]
            true = row["denominator"]
            row["denominator"] = true * 10
            self._record("outlier", key, component="denominator", how="extra zero typed",
                         true_value=true, value=row["denominator"])

        for key in self._pick(counts["missing_month"], lambda r, m: True, every):
            row = self.keys.pop(key)[0]
            self._record("missing_month", key, true_numerator=row["numerator"],
                         true_denominator=row["denominator"])

        for key in self._pick(counts["late_entry"], lambda r, m: m <= N_MONTHS - 5, every):
            row = self.keys[key][0]
            m = DEMO_PERIODS.index(key[2])
            row["created_at"] = (_month_end(m) + dt.timedelta(days=int(rng.integers(60, 101)))
                                 ).replace(hour=int(rng.integers(8, 17)), second=0)
            days_late = (row["created_at"] - _month_end(m)).days
            self._record("late_entry", key, created_at=row["created_at"].isoformat(),
                         days_after_month_end=days_late)

        for key in self._pick(counts["conflicting_duplicate"],
                              lambda r, m: r["numerator"] >= 6 and r["created_at"].hour <= 16,
                              clinical):
            first = self.keys[key][0]
            delta = int(rng.integers(2, max(3, first["numerator"] // 4) + 1))
            new_num = first["numerator"] - delta if rng.random() < 0.5 else min(
                first["denominator"], first["numerator"] + delta)
            if new_num == first["numerator"]:
                new_num -= delta
            second = {**first, "numerator": new_num,
                      "created_at": first["created_at"] + dt.timedelta(
                          hours=int(rng.integers(1, 4)), minutes=int(rng.integers(60)))}
            self.keys[key].append(second)
            self._record("conflicting_duplicate", key,
                         first={"numerator": first["numerator"],
                                "denominator": first["denominator"],
                                "created_at": first["created_at"].isoformat()},
                         second={"numerator": second["numerator"],
                                 "denominator": second["denominator"],
                                 "created_at": second["created_at"].isoformat()})

        for key in self._pick(counts["zero_denominator"], lambda r, m: r["numerator"] > 0,
                              clinical):
            row = self.keys[key][0]
            true = row["denominator"]
            row["denominator"] = 0
            self._record("zero_denominator", key, true_denominator=true,
                         numerator=row["numerator"])

        for key in self._pick(counts["negative_count"], lambda r, m: r["numerator"] > 0,
                              clinical):
            row = self.keys[key][0]
            true = row["numerator"]
            row["numerator"] = -true
            self._record("negative_count", key, component="numerator", true_value=true,
                         value=row["numerator"])

    # -- coaching visits, assessments, recounts ------------------------------------------
    def _visits(self) -> None:
        rng = self.rng
        self.visits: list[dict[str, Any]] = []
        self.recounts: list[dict[str, Any]] = []
        self.assessments: list[dict[str, Any]] = []
        cycles_by_team: dict[str, list[dict[str, Any]]] = {}
        for cycle in self.cycles:
            cycles_by_team.setdefault(cycle["team_id"], []).append(cycle)
        recount_candidates: list[int] = []
        for team in self.teams:
            coach = content.DISTRICTS[team["district"]]
            when = _month_start(team["join"]) + dt.timedelta(days=int(rng.integers(15, 35)))
            cycles = cycles_by_team.get(team["team_id"], [])
            while when <= DEMO_NOW:
                when = when.replace(hour=int(rng.integers(9, 15)), minute=0)
                index = len(self.visits)
                month = _month_of(when)
                progress = self._progress(team, cycles, when)
                faculty = float(np.clip(np.round(2 * progress) / 2, 0.5, 5.0))
                self_score = float(min(5.0, faculty + rng.choice([0.0, 0.5, 0.5, 1.0])))
                self.visits.append({
                    "team_id": team["team_id"], "coach": coach, "visit_date": _date(when),
                    "notes": self._visit_notes(team, cycles, when),
                    "actions": [{"action": action, "owner": owner,
                                 "due": _date(when + dt.timedelta(days=int(due)))}
                                for (action, owner), due in zip(
                                    [content.VISIT_ACTIONS[j] for j in rng.choice(
                                        len(content.VISIT_ACTIONS), int(rng.integers(1, 4)),
                                        replace=False)],
                                    rng.choice([14, 21, 30], 3), strict=False)],
                    "author": coach, "created_at": when + dt.timedelta(hours=6),
                })
                for kind, score, who in (("faculty", faculty, coach),
                                         ("self", self_score, team["lead"])):
                    self.assessments.append({
                        "team_id": team["team_id"], "period": DEMO_PERIODS[min(month, 23)],
                        "score": score, "assessor_type": kind, "assessor": who,
                        "justification": f"{score:.1f}: {_IHI[score]}.",
                        "created_at": when + dt.timedelta(hours=6), "_visit": index,
                    })
                for recount in self._recount(team, when, index, coach):
                    if recount["reported_numerator"] >= 10:
                        recount_candidates.append(len(self.recounts))
                    self.recounts.append(recount)
                when += dt.timedelta(days=int(rng.integers(28, 62)))
        chosen = rng.choice(len(recount_candidates), INJECTION_COUNTS["recount_disagrees"],
                            replace=False)
        for j, c in enumerate(sorted(chosen)):
            recount = self.recounts[recount_candidates[c]]
            factor = rng.uniform(1.15, 1.3) if j == 0 else rng.uniform(0.7, 0.85)
            reported = recount["reported_numerator"]
            recount["recounted_numerator"] = float(round(reported * factor))
            self.injections.append({
                "kind": "recount_disagrees", "team_id": recount["team_id"],
                "indicator_id": recount["indicator_id"], "period": recount["period"],
                "detail": {"_visit": recount["_visit"], "reported_numerator": reported,
                           "recounted_numerator": recount["recounted_numerator"],
                           "verification_factor": recount["recounted_numerator"] / reported},
            })

    def _progress(self, team: dict[str, Any], cycles: list[dict[str, Any]],
                  when: dt.datetime) -> float:
        started = sum(1 for c in cycles if c["start_date"] <= _date(when))
        done = [c for c in cycles if c["end_date"] and c["end_date"] <= _date(when)]
        adopted = sum(1 for c in done if c["act_decision"] == "adopt")
        months = _month_of(when) - team["join"]
        return (1.0 + 0.5 * (months >= 1) + 0.5 * (started > 0) + 0.5 * (len(done) > 0)
                + 0.4 * adopted + float(self.rng.normal(0, 0.2)))

    def _visit_notes(self, team: dict[str, Any], cycles: list[dict[str, Any]],
                     when: dt.datetime) -> str:
        rng = self.rng
        known = [m for m, entered in team["entered"].items() if entered < when]
        parts = []
        if known:
            m = max(known)
            num, den = team["counts"]["AMTSL"]
            parts.append(f"AMTSL {100 * num[m] / max(den[m], 1):.0f}% in {DEMO_PERIODS[m]} "
                         f"({num[m]} of {den[m]} vaginal births).")
        else:
            parts.append("First visit: introduced the change package and the monthly report.")
        running = [c for c in cycles if c["start_date"] <= _date(when)
                   and (c["end_date"] is None or c["end_date"] > _date(when))]
        adopted = [c for c in cycles if c["end_date"] and c["end_date"] <= _date(when)
                   and c["act_decision"] == "adopt"]
        parts.append(f"{len(running)} PDSA cycle(s) running, {len(adopted)} change(s) adopted.")
        for j in rng.choice(len(content.VISIT_OBSERVATIONS), 2, replace=False):
            parts.append(content.VISIT_OBSERVATIONS[j])
        return " ".join(parts)

    def _recount(self, team: dict[str, Any], when: dt.datetime, visit: int,
                 coach: str) -> list[dict[str, Any]]:
        rng = self.rng
        options = []
        for m in range(max(team["join"], _month_of(when) - 3), _month_of(when)):
            if team["entered"].get(m, DEMO_NOW) >= when:
                continue
            for ind in ("AMTSL", "PARTOGRAPH", "NEWBORN_CARE", "PPH", "OXY_STOCK"):
                key = (team["team_id"], ind, DEMO_PERIODS[m])
                if key not in self.used and key in self.keys:
                    options.append(key)
        out = []
        if not options:
            return out
        for i in rng.choice(len(options), min(len(options), int(rng.integers(1, 3))),
                            replace=False):
            key = options[i]
            self.used.add(key)
            row = self.keys[key][0]
            num, den = row["numerator"], row["denominator"]
            re_num = num + (int(rng.choice([-1, 1])) if num >= 25 and rng.random() < 0.3 else 0)
            re_den = den + (int(rng.choice([-1, 1])) if den >= 25 and rng.random() < 0.3 else 0)
            out.append({"team_id": key[0], "indicator_id": key[1], "period": key[2],
                        "reported_numerator": float(num), "reported_denominator": float(den),
                        "recounted_numerator": float(re_num),
                        "recounted_denominator": float(re_den),
                        "author": coach, "created_at": when + dt.timedelta(hours=6),
                        "_visit": visit})
        return out


def _change_row(idea: dict[str, Any], team_id: str | None) -> dict[str, Any]:
    return {"change_id": idea["code"], "name": idea["name"], "description": idea["description"],
            "driver": idea["driver"], "source": "team" if team_id else "package",
            "team_id": team_id, "indicator_ids": list(idea["indicators"])}

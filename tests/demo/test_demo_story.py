"""The default demo's story after the launch: the synthesis meeting's change package v2 (with
provenance from the launch teams' evidence), the spread wave W3 joining with it in 2025-12 and
improving faster than wave 1, 8 wave-1 teams graduating in 2026-04 of which 2 slip — and the
launch teams' data as it was without the story, but for the slipping graduates' lapse."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from sqlalchemy.engine import Engine

from workbench.briefs.synthesis import synthesis_data
from workbench.cli import main
from workbench.demo import content
from workbench.demo.graduation import SLIPPED
from workbench.demo.story import SYNTHESIS_REASON
from workbench.demo.world import _World
from workbench.store import (
    open_engine,
    read_assessments,
    read_package,
    read_package_versions,
    read_pdsa_cycles,
    read_recounts,
    read_revisions,
    read_teams,
    read_visits,
    read_waves,
)

LAUNCH = [f"T{i:02d}" for i in range(1, 25)]
SPREAD = [f"T{i:02d}" for i in range(25, 49)]


@pytest.fixture(scope="module")
def demo(demo_db_master: Path) -> Engine:
    return open_engine(str(demo_db_master))


@pytest.fixture(scope="module")
def summary(demo_db_master: Path) -> dict:  # type: ignore[type-arg]
    result = CliRunner().invoke(main, ["summary", "--db", str(demo_db_master), "--period",
                                       "2026-10", "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def _graduates(demo: Engine) -> pd.DataFrame:
    teams = read_teams(demo)
    return teams[teams["graduated_on"].notna()]


def test_the_synthesis_meeting_recorded_v2_from_the_evidence_to_2025_10(demo: Engine) -> None:
    versions = read_package_versions(demo).set_index("label")
    assert versions.index.tolist() == ["v1", "v2"]
    v2 = versions.loc["v2"]
    assert v2["period"] == "2025-10"
    assert v2["author"] == content.FACILITATOR
    assert v2["reason"] == SYNTHESIS_REASON
    assert v2["waves"] == ["W3"] and versions.loc["v1", "waves"] == ["W1", "W2"]


def test_v2_is_the_draft_workbench_package_draft_proposes_for_2025_10(demo: Engine) -> None:
    draft = synthesis_data(demo, "2025-10").draft
    saved = read_package(demo, "v2")
    assert saved["change_id"].tolist() == draft["change_id"].tolist()
    assert saved["action"].tolist() == draft["action"].tolist()
    assert saved["guidance"].tolist() == draft["guidance"].tolist()
    assert saved["provenance"].tolist() == draft["provenance"].tolist()
    assert saved["guidance"].str.contains("What teams learned by 2025-10").all()


def test_v2_provenance_is_the_launch_teams_evidence(demo: Engine) -> None:
    saved = read_package(demo, "v2")
    teams = [t for p in saved["provenance"] for t in p["teams"]]
    assert teams and set(teams) <= set(LAUNCH)
    assert all(p["reason"] for p in saved["provenance"])
    # a change the evidence calls promising or strong names teams that can tell its story
    graded = saved[saved["provenance"].map(lambda p: p["reason"] in ("kept: strong",
                                                                     "kept: promising"))]
    assert not graded.empty and graded["provenance"].map(lambda p: bool(p["teams"])).all()


def test_the_spread_wave_joined_with_v2_in_2025_12_and_has_no_data_before(demo: Engine) -> None:
    waves = read_waves(demo).set_index("wave_id")
    assert waves.loc["W3", "start_period"] == "2025-12"
    assert int(waves.loc["W3", "package_version"]) == 2
    assert waves["package_version"].astype(int).to_dict() == {"W1": 1, "W2": 1, "W3": 2}
    teams = read_teams(demo)
    assert teams.loc[teams["wave_id"] == "W3", "team_id"].tolist() == SPREAD
    revisions = read_revisions(demo)
    spread = revisions[revisions["team_id"].isin(SPREAD)]
    assert spread["period"].min() == "2025-12" and spread["team_id"].nunique() == 24
    cycles = read_pdsa_cycles(demo)
    assert cycles[cycles["team_id"].isin(SPREAD)]["start_date"].min() >= "2025-12-01"
    visits = read_visits(demo)
    assert visits[visits["team_id"].isin(SPREAD)]["coach"].unique().tolist() == [
        content.SPREAD_COACH]


def test_the_spread_wave_tests_only_the_changes_of_v2(demo: Engine) -> None:
    v2 = read_package(demo, "v2")
    cycles = read_pdsa_cycles(demo)
    tested = set(cycles.loc[cycles["team_id"].isin(SPREAD), "change_id"])
    assert tested and tested <= set(v2.loc[v2["in_package"], "change_id"])


def test_8_wave_1_teams_graduated_at_the_end_of_2026_04(demo: Engine) -> None:
    graduates = _graduates(demo)
    assert len(graduates) == 8
    assert set(graduates["graduated_on"]) == {"2026-04-30"}
    assert set(graduates["wave_id"]) == {"W1"}


def test_summary_lists_exactly_the_2_slipping_graduates(demo: Engine, summary: dict) -> None:  # type: ignore[type-arg]
    slipping = pd.DataFrame(summary["slipping"])
    assert slipping["team_id"].nunique() == 2
    assert set(slipping["team_id"]) <= set(_graduates(demo)["team_id"])
    assert set(slipping["indicator_id"]) <= set(SLIPPED)
    assert (slipping["why"] == "shift against the indicator's direction after graduation").all()
    assert (slipping["after_median"] < slipping["graduation_median"]).all()


def test_summary_shows_the_graduates_sustaining_6_months_on(summary: dict) -> None:  # type: ignore[type-arg]
    held = pd.DataFrame(summary["sustainability"]).set_index("indicator_id")
    assert (held["graduated_teams"] == 8).all() and (held["teams_followed_6"] == 8).all()
    slipped = held.loc[list(SLIPPED)]
    assert slipped["slipping_now"].sum() >= 2
    others = held.drop(index=list(SLIPPED))
    assert (others["pct_sustaining_6"] == 100.0).all()


def test_the_spread_wave_reaches_the_targets_faster_than_wave_1(summary: dict) -> None:  # type: ignore[type-arg]
    spread = pd.DataFrame(summary["spread"])
    w3 = spread[spread["wave_id"] == "W3"].set_index("indicator_id")
    assert len(w3) == 6
    assert (w3["first_wave_id"] == "W1").all() and (w3["package_version"] == 2).all()
    assert (w3["months_observed"] == 10).all() and (w3["teams"] == 24).all()
    # on equal months since joining, a larger share of W3 than of W1 is at target, everywhere
    assert (w3["pct_reached"] > w3["first_wave_pct_reached"]).all()
    process = w3.loc[["AMTSL", "PARTOGRAPH", "NEWBORN_CARE"]]
    assert (process["pct_reached_difference"] >= 20).all()


def test_the_launch_teams_data_is_as_without_the_story_but_for_the_slipping_lapse(
        demo: Engine, summary: dict) -> None:  # type: ignore[type-arg]
    alone = _World(np.random.default_rng(20240101))  # the launch collaborative, no story
    slipping = {r["team_id"] for r in summary["slipping"]}
    lapsed = {(t, i, p) for t in slipping for i in SLIPPED
              for p in ("2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10")}
    drawn = {(r["team_id"], r["indicator_id"], r["period"], r["created_at"]): r["numerator"]
             for r in alone.revisions}
    stored = read_revisions(demo)
    stored = stored[stored["team_id"].isin(LAUNCH)]
    assert len(stored) == len(drawn)
    differ = set()
    for row in stored.itertuples():
        key = (row.team_id, row.indicator_id, row.period)
        if drawn[(*key, row.created_at.to_pydatetime())] != row.numerator:
            differ.add(key)
    assert differ and differ <= lapsed
    cycles = read_pdsa_cycles(demo)
    assert len(cycles[cycles["team_id"].isin(LAUNCH)]) == len(alone.cycles)
    # the visits as drawn, but for the graduates' after graduation (coaching ended)
    graduated = dict(zip(*(_graduates(demo)[c] for c in ("team_id", "graduated_on")),
                         strict=True))
    coached = [v["visit_date"] <= graduated.get(v["team_id"], v["visit_date"])
               for v in alone.visits]
    visits = read_visits(demo)
    launch_visits = visits[visits["team_id"].isin(LAUNCH)]
    assert sorted(zip(launch_visits["team_id"], launch_visits["visit_date"],
                      launch_visits["notes"], strict=True)) == sorted(
        (v["team_id"], v["visit_date"], v["notes"])
        for v, kept in zip(alone.visits, coached, strict=True) if kept)
    assert 0 < coached.count(False) < len(graduated) * 6  # every 1–2 months for 6 months
    recounts = read_recounts(demo)
    launch = recounts[recounts["team_id"].isin(LAUNCH)]
    stored_recounts = sorted(zip(launch["team_id"], launch["indicator_id"], launch["period"],
                                 launch["reported_numerator"], strict=True))
    drawn_recounts = sorted((r["team_id"], r["indicator_id"], r["period"],
                             r["reported_numerator"]) for r in alone.recounts
                            if coached[r["_visit"]])
    assert len(stored_recounts) == len(drawn_recounts)
    moved = {a[:3] for a, b in zip(stored_recounts, drawn_recounts, strict=True) if a != b}
    assert moved <= lapsed


def test_no_coaching_visit_assessment_or_recount_after_a_team_graduated(demo: Engine) -> None:
    """Coaching ends at graduation: the demo records no visit (nor its assessments and
    verification recounts) dated after a team's graduation; the graduates were visited up to
    it, and the teams still coached are visited to the end."""
    graduated = _graduates(demo).set_index("team_id")["graduated_on"]
    visits = read_visits(demo)
    by_graduate = visits[visits["team_id"].isin(graduated.index)]
    day = by_graduate["team_id"].map(graduated)
    assert len(by_graduate) and (by_graduate["visit_date"] <= day).all()
    assert by_graduate.groupby("team_id")["visit_date"].max().ge("2026-03-01").all()
    coached = visits[~visits["team_id"].isin(graduated.index)]
    assert coached.groupby("team_id")["visit_date"].max().ge("2026-09-01").all()
    recounts = read_recounts(demo)
    late = recounts["visit_id"].map(visits.set_index("visit_id")["visit_date"])
    assert late.notna().all()  # every recount belongs to a recorded visit
    graduate_recounts = recounts["team_id"].isin(graduated.index)
    assert (late[graduate_recounts] <= recounts.loc[graduate_recounts, "team_id"].map(
        graduated)).all()
    assessments = read_assessments(demo)
    of_graduates = assessments[assessments["team_id"].isin(graduated.index)]
    assert (of_graduates["period"].astype(str) <= "2026-04").all()
    assert set(assessments["visit_id"]) <= set(visits["visit_id"])

"""The site-visit brief compares against the LAST visit: its date, its actions, and no made-up
change when no month was reported since (issue 12, "Coach: brief and visit form")."""

from __future__ import annotations

import re

import pandas as pd

from workbench import briefs
from workbench.records.visits import CoachingVisit, save_visit
from workbench.store import open_engine, read_measurements, read_visits

TEAM = "T03"


def _record_visit(engine, date: str, action: str) -> None:  # type: ignore[no-untyped-def]
    save_visit(engine, CoachingVisit(team_id=TEAM, visit_date=date, coach="Brief Test",
                                     actions=[{"action": action, "owner": "ward in-charge",
                                               "due": "2026-12-31"}]), user="brief-test")


def test_when_the_last_visit_came_after_the_last_data_month_then_no_new_data_is_said(
        demo_db: str) -> None:
    engine = open_engine(demo_db)
    last_month = read_measurements(engine, team_ids=[TEAM])["period"].max()
    assert str(last_month) == "2026-10"
    _record_visit(engine, "2026-11-20", "Recount October's partographs")

    brief = briefs.site_visit_brief_data(engine, TEAM, "2026-12-10")

    assert brief.since_label == "since the last visit on 20 Nov 2026"
    assert set(brief.changes["change"]) == {briefs.NO_NEW_DATA}
    assert brief.changes["change_value"].isna().all() and brief.no_new_data
    assert not brief.changes["change"].str.contains("pts").any()
    assert list(brief.previous_actions["action"]) == ["Recount October's partographs"]
    assert any("Recount October's partographs" in q for q in brief.questions)


def test_the_last_visits_actions_come_from_the_last_visit_not_the_one_before(
        demo_db: str) -> None:
    engine = open_engine(demo_db)
    earlier = read_visits(engine, team_id=TEAM)
    assert len(earlier) and earlier["visit_date"].max() < "2026-11-20"
    _record_visit(engine, "2026-11-20", "Post the AMTSL checklist in the labour ward")

    actions = briefs.site_visit_brief_data(engine, TEAM, "2026-12-10").previous_actions

    assert list(actions["action"]) == ["Post the AMTSL checklist in the labour ward"]


def test_a_visit_recorded_on_the_briefs_date_is_the_last_visit_so_the_brief_refreshes(
        demo_db: str) -> None:
    engine = open_engine(demo_db)
    before = briefs.site_visit_brief_data(engine, TEAM, "2026-12-01")
    assert before.previous_visit is None or before.previous_visit["visit_date"] < "2026-12-01"
    _record_visit(engine, "2026-12-01", "Start a PDSA on oxytocin stock cards")

    after = briefs.site_visit_brief_data(engine, TEAM, "2026-12-01")

    assert after.since_label == "since the last visit on 1 Dec 2026"
    assert list(after.previous_actions["action"]) == ["Start a PDSA on oxytocin stock cards"]
    assert set(after.changes["change"]) == {briefs.NO_NEW_DATA}


def test_with_new_months_since_the_last_visit_the_change_is_still_in_points(
        demo_db: str) -> None:
    engine = open_engine(demo_db)
    brief = briefs.site_visit_brief_data(engine, TEAM, "2026-07-01")
    assert brief.previous_visit is not None
    since = pd.Period(brief.previous_visit["visit_date"], freq="M") - 1
    assert since < pd.Period("2026-06", freq="M")  # months were reported after that visit
    process = brief.changes[brief.changes["indicator_id"] == "AMTSL"].iloc[0]
    assert process["change"] != briefs.NO_NEW_DATA
    assert process["change"].startswith(("+", "-"))
    assert re.fullmatch(r"[+-]\d+\.\d pts(, better|, worse)?", process["change"])

"""workbench.store.versions: the data version the apps watch, the per-team data versions the
report fingerprints hash, and the span of months held."""

from __future__ import annotations

from workbench.records.pdsa import PDSACycle, save_cycle
from workbench.records.visits import CoachingVisit, Recount, save_visit
from workbench.store import add_revisions, open_engine, read_flags
from workbench.store.versions import data_version, measurement_span, report_data_versions
from workbench.validate.flags import resolve_flag
from workbench.validate.run import run_validation


def add(engine, team_id: str, period: str, numerator: int, denominator: int = 50) -> None:
    with engine.begin() as conn:
        add_revisions(conn, [{"team_id": team_id, "indicator_id": "AMTSL", "period": period,
                              "numerator": numerator, "denominator": denominator}],
                      source="import", author="seed")


def test_the_data_version_changes_with_every_kind_of_write_the_apps_show(empty_db):
    engine = open_engine(empty_db)
    seen = [data_version(engine)]
    add(engine, "T01", "2025-05", 55)  # a measurement revision
    seen.append(data_version(engine))
    run_validation(engine, "2025-05", rules=["numerator-exceeds-denominator"])  # a flag
    seen.append(data_version(engine))
    flag_id = int(read_flags(engine)["flag_id"].iloc[0])
    resolve_flag(engine, flag_id, "confirm", "checked the register", user="ann")
    seen.append(data_version(engine))
    save_cycle(engine, PDSACycle(
        team_id="T01", change_id="C01", title="Oxytocin ready",
        objective="Learn whether drawing oxytocin up early is feasible",
        questions=[{"question": "Is it drawn up before birth?", "prediction": "in 8 of 10"}],
        plan_tasks=[{"who": "Midwife", "what": "brief night staff", "when": "Monday",
                     "where": "labour ward"}],
        linked_indicators=["AMTSL"], start_date="2025-03-01"))
    seen.append(data_version(engine))
    save_visit(engine, CoachingVisit(team_id="T01", visit_date="2025-06-12", coach="A",
                                     recounts=[Recount("AMTSL", "2025-05", "30", "50")]))
    seen.append(data_version(engine))
    assert len(set(seen)) == len(seen), seen
    assert data_version(engine) == seen[-1]  # and it stays put while nothing is written


def test_a_teams_data_version_moves_with_its_own_data_only(empty_db):
    engine = open_engine(empty_db)
    add(engine, "T01", "2025-04", 40)
    add(engine, "T02", "2025-04", 30)
    before = report_data_versions(engine, "2025-04")
    add(engine, "T01", "2025-04", 41)  # a correction of T01's April
    after = report_data_versions(engine, "2025-04")
    assert after.per_team["T01"]["measurements"] != before.per_team["T01"]["measurements"]
    assert after.per_team["T02"] == before.per_team["T02"]
    assert after.measurements != before.measurements
    assert after.tables == before.tables and after.teams == before.teams


def test_a_month_after_the_period_leaves_the_periods_versions_alone(empty_db):
    engine = open_engine(empty_db)
    add(engine, "T01", "2025-04", 40)
    before = report_data_versions(engine, "2025-04")
    add(engine, "T01", "2025-05", 45)
    assert report_data_versions(engine, "2025-04").per_team == before.per_team
    assert report_data_versions(engine, "2025-05").per_team != before.per_team


def test_the_measurement_span_is_the_first_and_last_month_held(empty_db):
    engine = open_engine(empty_db)
    assert measurement_span(engine) == (None, None)
    add(engine, "T02", "2025-03", 30)
    add(engine, "T01", "2025-06", 40)
    assert measurement_span(engine) == ("2025-03", "2025-06")

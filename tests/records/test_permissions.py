"""Every write of the library checks the acting user's role and teams, and is audited in its
own transaction (issue 17: "a real multi-user deployment")."""

from __future__ import annotations

import pytest

from workbench.errors import ConflictError, PermissionDenied, ValidationFailed
from workbench.records.assessments import SelfAssessment, save_self_assessment
from workbench.records.monthly_data import load_month, save_month
from workbench.records.pdsa import PDSACycle, save_cycle
from workbench.records.visits import CoachingVisit, save_visit
from workbench.store import (
    add_revisions,
    add_user,
    open_engine,
    read_audit,
    read_revisions,
    read_visits,
)
from workbench.validate.flags import resolve_flag, resolve_flags
from workbench.validate.run import run_validation


@pytest.fixture
def engine(empty_db):
    """The template collaborative (T01, T02, both in Kabale) with data for T01 and T02 in
    2025-05, one flag (T01 AMTSL 2025-06: 60 of 50) and four users."""
    engine = open_engine(empty_db)
    with engine.begin() as conn:
        add_revisions(conn, [
            {"team_id": team, "indicator_id": "AMTSL", "period": "2025-05", "numerator": 40,
             "denominator": 50} for team in ("T01", "T02")] + [
            {"team_id": "T01", "indicator_id": "AMTSL", "period": "2025-06", "numerator": 60,
             "denominator": 50}], source="import", author="seed")
    run_validation(engine, rules=["numerator-exceeds-denominator"])
    add_user(engine, "root", ["admin"], acting="tester")
    add_user(engine, "amina", ["coach"], teams=["T01"], acting="root")
    add_user(engine, "tom", ["team_member"], teams=["T02"], acting="root")
    add_user(engine, "vera", ["validator"], acting="root")
    return engine


def month(engine, team, user, value=45):
    sheet = load_month(engine, team, "2025-05")
    return save_month(engine, team, "2025-05", {"AMTSL": (value, 50)},
                      sheet.loaded_revision_ids, user=user, sheet=sheet)


def visit(team="T01"):
    return CoachingVisit(team_id=team, visit_date="2025-06-12", coach="amina", notes="ok",
                         score=2.5, justification="tests running")


def cycle(team):
    return PDSACycle(team_id=team, change_id="C01", objective="learn",
                     questions=[{"question": "q", "prediction": "p"}])


def audit_actions(engine):
    return list(read_audit(engine)["action"])


def test_a_team_member_saves_their_own_teams_month_and_it_is_audited(engine):
    result = month(engine, "T02", "tom")
    assert [v.indicator_id for v in result.saved] == ["AMTSL"]
    row = read_audit(engine, user="tom").iloc[-1]
    assert (row["action"], row["table_name"], row["row_id"]) == (
        "monthly_data.save", "measurement_revisions", str(result.saved[0].revision_id))
    assert row["details"]["old"] == [40.0, 50.0] and row["details"]["new"] == [45, 50]


def test_a_team_member_is_refused_another_teams_month_with_who_may(engine):
    before = len(read_revisions(engine))
    with pytest.raises(PermissionDenied) as refused:
        month(engine, "T01", "tom")
    assert str(refused.value) == (
        "tom is a team member for T02; saving T01's monthly data needs the team member of "
        "T01, its coach, or an admin")
    assert len(read_revisions(engine)) == before
    assert "monthly_data.save" not in audit_actions(engine)


def test_a_coach_saves_the_months_of_assigned_teams_only(engine):
    assert month(engine, "T01", "amina").saved
    with pytest.raises(PermissionDenied, match=r"^amina is a coach for T01; saving T02's "):
        month(engine, "T02", "amina")


def test_a_coach_records_a_visit_to_an_assigned_team_and_every_row_is_audited(engine):
    saved = save_visit(engine, visit("T01"), user="amina")
    actions = [a for a in audit_actions(engine) if a.startswith(("visit", "assessment"))]
    assert actions == ["visit.save", "assessment.faculty"]
    assert read_audit(engine, user="amina")["row_id"].iloc[0] == str(saved.visit_id)


def test_a_team_member_may_not_record_a_coaching_visit(engine):
    with pytest.raises(PermissionDenied) as refused:
        save_visit(engine, visit("T02"), user="tom")
    assert str(refused.value) == ("tom is a team member for T02; recording a coaching visit to "
                                  "T02 needs its coach or an admin")
    assert read_visits(engine).empty


def test_pdsa_journal_is_the_teams_own(engine):
    saved = save_cycle(engine, cycle("T02"), user="tom")
    assert audit_actions(engine)[-1] == "pdsa.save"
    with pytest.raises(PermissionDenied, match="saving T01's PDSA journal needs"):
        save_cycle(engine, cycle("T01"), user="tom")
    moved = PDSACycle(**{**saved.__dict__, "team_id": "T01"})
    with pytest.raises(PermissionDenied):  # the team it is stored under counts too
        save_cycle(engine, moved, user="amina")


def test_self_assessment_is_checked_too(engine):
    item = SelfAssessment("T01", "2025-05", 2.0, "charter written", "tom")
    with pytest.raises(PermissionDenied, match="saving T01's self-assessment needs"):
        save_self_assessment(engine, item, user="tom")
    saved = save_self_assessment(engine, item, user="amina")
    assert read_audit(engine).iloc[-1]["row_id"] == str(saved.assessment_id)


def test_only_validators_and_admins_review_flags(engine):
    with pytest.raises(PermissionDenied) as refused:
        resolve_flag(engine, 1, "confirm", "looks right", user="amina")
    assert str(refused.value) == ("amina is a coach for T01; reviewing data flags needs a "
                                  "validator or an admin")
    with pytest.raises(PermissionDenied):
        resolve_flags(engine, [1], "dismiss", "fine", user="tom")
    resolve_flag(engine, 1, "correct", "register recount", user="vera", numerator=45)
    row = read_audit(engine).iloc[-1]
    assert (row["user"], row["action"], row["row_id"]) == ("vera", "flag.corrected", "1")
    assert row["details"]["revision_id"] is not None


def test_an_unknown_user_is_told_how_to_be_added(engine):
    with pytest.raises(PermissionDenied) as refused:
        month(engine, "T01", "zed")
    assert str(refused.value) == (
        "zed is not a user of this collaborative; saving T01's monthly data needs the team "
        "member of T01, its coach, or an admin. An admin adds users: workbench users add zed "
        "--role ROLE --teams T01")


def test_a_district_scope_covers_every_team_of_the_district(engine):
    add_user(engine, "dora", ["coach"], districts=["Kabale"], acting="root")
    assert month(engine, "T01", "dora").saved and month(engine, "T02", "dora", 44).saved


def test_a_refused_or_failed_write_leaves_no_audit_row(engine):
    before = len(read_audit(engine))
    sheet = load_month(engine, "T01", "2025-05")
    month(engine, "T01", "amina", 46)
    with pytest.raises(ConflictError):  # saved meanwhile: nothing written, nothing audited
        save_month(engine, "T01", "2025-05", {"AMTSL": (47, 50)}, sheet.loaded_revision_ids,
                   user="root")
    with pytest.raises(ValidationFailed):
        save_visit(engine, visit("T01").__class__(team_id="T01", visit_date="bad",
                                                  coach="amina"), user="amina")
    assert len(read_audit(engine)) == before + 1


def test_without_users_every_write_is_allowed_as_before(empty_db):
    engine = open_engine(empty_db)
    assert save_visit(engine, visit("T01"), user="anyone").visit_id
    assert read_audit(engine)["user"].tolist() == ["anyone", "anyone"]

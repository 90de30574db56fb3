"""Coaching visits: assessment, verification factor against the band, flags, one transaction."""

from __future__ import annotations

import pytest

from workbench.errors import ValidationFailed
from workbench.records.visits import (
    ASSESSMENT_SCALE,
    CoachingVisit,
    Recount,
    assessment_meaning,
    latest_self_score,
    save_visit,
    validate_visit,
    verification_factor,
    verify_recounts,
)
from workbench.store import (
    add_revisions,
    open_engine,
    read_assessments,
    read_flag_events,
    read_flags,
    read_recounts,
    read_visits,
)


@pytest.fixture
def engine(empty_db):
    engine = open_engine(empty_db)
    with engine.begin() as conn:
        add_revisions(conn, [
            {"team_id": "T01", "indicator_id": "AMTSL", "period": p, "numerator": n,
             "denominator": 50} for p, n in (("2025-04", 40), ("2025-05", 45))],
            source="import", author="seed")
    return engine


def visit(**changes) -> CoachingVisit:
    values = dict(team_id="T01", visit_date="2025-06-12", coach="A. Mugisha",
                  notes="Registers complete", score=2.5, justification="First tests running",
                  actions=[{"action": "Start night-shift tally", "owner": "Ward in-charge",
                            "due": "2025-07-01"}])
    values.update(changes)
    return CoachingVisit(**values)


@pytest.mark.parametrize("recounted, reported, expected", [
    (45, 50, 0.9), (55, 50, 1.1), (50, 50, 1.0), (0, 0, 1.0), (3, 0, None), (None, 50, None),
])
def test_verification_factor_is_recounted_over_reported(recounted, reported, expected):
    assert verification_factor(recounted, reported) == pytest.approx(expected) if expected \
        else verification_factor(recounted, reported) is expected


def test_scale_has_ten_levels_from_half_to_five_each_with_a_meaning():
    assert list(ASSESSMENT_SCALE) == [0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0]
    assert assessment_meaning(3.0).startswith("3.0 — Modest improvement:")
    assert assessment_meaning(3.2) == ""


def test_verify_recounts_compares_with_the_reported_values_and_the_band(engine):
    frame = verify_recounts(engine, "T01", [Recount("AMTSL", "2025-04", "40", "50"),
                                            Recount("AMTSL", "2025-05", "36", "50"),
                                            Recount("AMTSL", "2025-05", "50", "50")])
    assert frame["vf_numerator"].round(3).tolist() == [1.0, 0.8, 1.111]
    assert frame["in_band"].tolist() == [True, False, False]
    assert frame["exact_match"].tolist() == [True, False, False]
    assert frame["message"].iloc[1] == ("AMTSL 2025-05: numerator VF 0.80, denominator VF "
                                        "1.00 — OUTSIDE 0.90–1.10 (over-reported)")
    assert frame["message"].iloc[2].endswith("(under-reported)")


def test_band_edges_are_inside(engine):
    frame = verify_recounts(engine, "T01", [Recount("AMTSL", "2025-04", "36", "50"),
                                            Recount("AMTSL", "2025-04", "44", "50")])
    assert frame["in_band"].tolist() == [True, True]  # 0.90 and 1.10 exactly


@pytest.mark.parametrize("changes, expected", [
    ({"visit_date": "2025-06-31"}, [("visit_date", "'2025-06-31' is not a date; write "
                                                   "YYYY-MM-DD")]),
    ({"visit_date": "2999-01-01"}, [("visit_date", "the visit date 2999-01-01 is in the future; "
                                                   "record a visit after it happened")]),
    ({"coach": " "}, [("coach", "name the coach who made the visit")]),
    ({"score": 3.2}, [("score", "3.2 is not on the IHI scale; choose 0.5, 1.0, … 5.0")]),
    ({"justification": ""}, [("justification", "justify the assessment score: what did you "
                                               "see that places the team at this level?")]),
    ({"actions": [{"action": "x", "owner": "", "due": "soon"}]},
     [("actions", "action 1: name its owner"),
      ("actions", "action 1: due date 'soon' is not YYYY-MM-DD")]),
    ({"recounts": [Recount("AMTSL", "2025-05", "x", "50")]},
     [("recounts", "recount 1 (AMTSL 2025-05): recounted numerator: 'x' is not a number; "
                   "enter a whole count such as 12")]),
    ({"recounts": [Recount("AMTSL", "2025-05", "51", "50")]},
     [("recounts", "recount 1 (AMTSL 2025-05): recounted numerator 51 is above the "
                   "denominator 50")]),
])
def test_each_visit_validation_message(changes, expected):
    assert validate_visit(visit(**changes)) == expected


def test_no_score_needs_no_justification():
    assert validate_visit(visit(score=None, justification="")) == []


def test_save_writes_visit_assessment_recounts_and_flags_out_of_band(engine):
    result = save_visit(engine, visit(recounts=[Recount("AMTSL", "2025-04", "40", "50"),
                                                Recount("AMTSL", "2025-05", "36", "50")]),
                        user="coach1")
    assert read_visits(engine)["actions"].iloc[0] == [
        {"action": "Start night-shift tally", "owner": "Ward in-charge", "due": "2025-07-01"}]
    assessment = read_assessments(engine).iloc[0]
    assert (assessment["score"], assessment["assessor_type"], assessment["period"],
            assessment["visit_id"]) == (2.5, "faculty", "2025-06", result.visit_id)
    recounts = read_recounts(engine)
    assert recounts[["reported_numerator", "recounted_numerator"]].values.tolist() == [
        [40.0, 40.0], [45.0, 36.0]]
    flags = read_flags(engine)
    assert len(flags) == 1 and result.flag_ids == flags["flag_id"].tolist()
    flag = flags.iloc[0]
    assert (flag["rule_code"], flag["period"], flag["status"], flag["statistic"],
            flag["lower"], flag["upper"]) == ("verification-out-of-band", "2025-05", "open",
                                              0.8, 0.9, 1.1)
    assert flag["message"] == ("recount 36 / 50 against reported 45 / 50: verification factor "
                               "0.80 outside 0.9–1.1 (over-reported; coaching visit 1)")
    assert read_flag_events(engine)["action"].tolist() == ["opened"]
    assert result.summary() == ("Saved visit 1, the assessment score, 2 recount(s). 1 "
                                "verification factor(s) outside the band were flagged for the "
                                "validators (flag 1).")


def test_when_a_recount_has_no_reported_value_then_nothing_is_saved(engine):
    with pytest.raises(ValidationFailed) as info:
        save_visit(engine, visit(recounts=[Recount("PPH", "2025-05", "1", "50")]))
    assert info.value.failure_cases == [("recounts", "PPH 2025-05: the team reported nothing "
                                                     "for that month to verify")]
    assert read_visits(engine).empty and read_assessments(engine).empty


def test_latest_self_score_is_the_teams_own(engine):
    from workbench.store import schema as s
    from workbench.store import utcnow

    with engine.begin() as conn:
        for period, score, kind in (("2025-04", 2.0, "self"), ("2025-05", 3.0, "self"),
                                    ("2025-06", 1.5, "faculty")):
            conn.execute(s.assessments.insert().values(
                team_id="T01", period=period, score=score, assessor_type=kind, assessor="x",
                justification="j", created_at=utcnow()))
    latest = latest_self_score(engine, "T01")
    assert (latest["period"], latest["score"]) == ("2025-05", 3.0)
    assert latest_self_score(engine, "T02") is None


def test_validation_run_keeps_the_visit_flag_instead_of_adding_a_second(engine):
    from workbench.validate.run import run_validation

    result = save_visit(engine, visit(recounts=[Recount("AMTSL", "2025-05", "36", "50")]))
    run_validation(engine, "2025-05", rules=["verification-out-of-band"])
    flags = read_flags(engine)
    assert flags["flag_id"].tolist() == result.flag_ids
    assert flags["status"].tolist() == ["open"]

"""Reviewing flags: confirm, correct (a new revision), dismiss; history; conflicts."""

from __future__ import annotations

import pytest

from workbench.errors import ConflictError, NotFoundError, ValidationFailed
from workbench.store import add_revisions, open_engine, read_flags, read_revisions
from workbench.validate.flags import flag_history, list_flags, resolve_flag, resolve_flags
from workbench.validate.run import run_validation


@pytest.fixture
def flagged(empty_db):
    """Two error flags: T01 AMTSL 2024-01 (60 of 50) and T01 PPH 2024-01 (denominator 0)."""
    engine = open_engine(empty_db)
    with engine.begin() as conn:
        add_revisions(conn, [
            {"team_id": "T01", "indicator_id": "AMTSL", "period": "2024-01", "numerator": 60,
             "denominator": 50},
            {"team_id": "T01", "indicator_id": "PPH", "period": "2024-01", "numerator": 2,
             "denominator": 0}], source="import")
    run_validation(engine, rules=["numerator-exceeds-denominator", "zero-denominator"])
    flags = read_flags(engine).set_index("rule_code")["flag_id"]
    return engine, int(flags["numerator-exceeds-denominator"]), int(flags["zero-denominator"])


def test_correct_writes_a_new_revision_and_keeps_the_original(flagged):
    engine, fid, _ = flagged
    result = resolve_flag(engine, fid, "correct", "recounted from the register", user="amugisha",
                          numerator=41)
    assert result["status"] == "corrected" and result["version"] == 2
    history = read_revisions(engine, "T01", "AMTSL", "2024-01")
    assert history[["numerator", "denominator", "source"]].values.tolist() == [
        [60.0, 50.0, "import"], [41.0, 50.0, "correction"]]
    assert history["flag_id"].iloc[1] == fid
    assert history["reason"].iloc[1] == "recounted from the register"
    assert history["author"].iloc[1] == "amugisha"
    events = flag_history(engine, fid)
    assert events[["action", "user", "from_status", "to_status"]].values.tolist()[-1] == [
        "corrected", "amugisha", "open", "corrected"]
    assert events["revision_id"].iloc[-1] == result["revision_id"]
    again = run_validation(engine, rules=["numerator-exceeds-denominator"])
    assert again["reopened"] == 0
    assert read_flags(engine).set_index("flag_id").loc[fid, "status"] == "corrected"


@pytest.mark.parametrize("action", ["confirm", "dismiss"])
def test_confirm_and_dismiss_record_who_and_why(flagged, action):
    engine, fid, _ = flagged
    resolve_flag(engine, fid, action, "checked on the visit", user="val")
    flag = read_flags(engine).set_index("flag_id").loc[fid]
    assert (flag["status"], flag["reviewer"], flag["note"]) == (
        {"confirm": "confirmed", "dismiss": "dismissed"}[action], "val", "checked on the visit")
    assert len(read_revisions(engine)) == 2  # nothing else written


def test_a_second_resolve_of_the_same_flag_is_a_conflict(flagged):
    engine, fid, _ = flagged
    resolve_flag(engine, fid, "dismiss", "first reviewer", user="a")
    with pytest.raises(ConflictError, match=f"flag {fid} is already dismissed by a"):
        resolve_flag(engine, fid, "correct", "second reviewer", user="b", numerator=40)
    assert len(read_revisions(engine)) == 2
    assert flag_history(engine, fid)["action"].tolist() == ["opened", "dismissed"]


def test_a_stale_expected_version_is_a_conflict_and_writes_nothing(flagged):
    engine, fid, _ = flagged
    resolve_flag(engine, fid, "confirm", "ok", user="a", expected_version=1)
    with pytest.raises(ConflictError, match="you had version 1"):
        resolve_flag(engine, fid, "correct", "fix", user="b", numerator=40, expected_version=1)
    assert len(read_revisions(engine)) == 2
    done = resolve_flag(engine, fid, "dismiss", "re-review", user="b", expected_version=2)
    assert done["version"] == 3


def test_note_action_and_values_are_checked(flagged):
    engine, fid, zid = flagged
    with pytest.raises(ValidationFailed, match="a note is required to confirm a flag"):
        resolve_flag(engine, fid, "confirm", "  ")
    with pytest.raises(ValidationFailed, match="unknown action 'approve'"):
        resolve_flag(engine, fid, "approve", "x")
    with pytest.raises(ValidationFailed, match="needs --numerator and/or --denominator"):
        resolve_flag(engine, fid, "correct", "x")
    with pytest.raises(ValidationFailed, match="numerator 70 is more than denominator 50"):
        resolve_flag(engine, fid, "correct", "x", numerator=70)
    with pytest.raises(NotFoundError, match="flag 999 does not exist"):
        resolve_flag(engine, 999, "confirm", "x")
    assert len(read_revisions(engine)) == 2


def test_bulk_dismiss_is_all_or_nothing(flagged):
    engine, fid, zid = flagged
    resolve_flag(engine, zid, "confirm", "real", user="a")
    with pytest.raises(ConflictError):
        resolve_flags(engine, [fid, zid], "dismiss", "bulk", user="b")
    assert read_flags(engine).set_index("flag_id").loc[fid, "status"] == "open"
    out = resolve_flags(engine, [fid], "dismiss", "bulk", user="b")
    assert [r["status"] for r in out] == ["dismissed"]


def test_list_flags_filters_and_orders_errors_first(flagged):
    engine, fid, zid = flagged
    resolve_flag(engine, zid, "confirm", "real", user="a")
    assert list_flags(engine, status="open")["flag_id"].tolist() == [fid]
    assert set(list_flags(engine, team_id="T01")["flag_id"]) == {fid, zid}
    with pytest.raises(ValidationFailed, match="unknown status 'shut'"):
        list_flags(engine, status="shut")


def test_listing_the_flags_of_an_unknown_team_is_an_error_not_an_empty_list(demo_db):
    from click.testing import CliRunner

    from workbench.cli import main

    result = CliRunner().invoke(main, ["flags", "--db", demo_db, "--team", "T99"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: unknown team 'T99'")
    known = CliRunner().invoke(main, ["flags", "--db", demo_db, "--team", "T05"])
    assert known.exit_code == 0

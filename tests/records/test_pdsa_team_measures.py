"""The PDSA journal and a team's own measures: a team's cycle can link its own measure (and
the collaborative's indicators), never another team's own measure."""

from __future__ import annotations

import pytest

from workbench.errors import ValidationFailed
from workbench.records.pdsa import PDSACycle, save_cycle
from workbench.store import TeamMeasure, add_team_measure, open_engine, read_pdsa_cycles


def planned(team_id: str, linked: list[str]) -> PDSACycle:
    return PDSACycle(team_id=team_id, change_id="C01", title="Skin to skin",
                     objective="Learn whether babies go skin to skin in the first hour",
                     questions=[{"question": "How many in the first hour?",
                                 "prediction": "6 of 10"}],
                     plan_tasks=[{"who": "Midwife", "what": "time it", "when": "Monday",
                                  "where": "labour ward"}],
                     linked_indicators=linked, start_date="2025-03-01")


@pytest.fixture
def engine(empty_db: str):  # type: ignore[no-untyped-def]
    engine = open_engine(empty_db)
    add_team_measure(engine, TeamMeasure("T01", "T01_SKIN", "Skin-to-skin within 1 hour",
                                         "babies skin to skin", "live births", 80, "up"))
    return engine


def test_a_cycle_links_its_own_teams_measure(engine) -> None:  # type: ignore[no-untyped-def]
    saved = save_cycle(engine, planned("T01", ["AMTSL", "T01_SKIN"]))
    assert read_pdsa_cycles(engine, team_id="T01")["linked_indicators"].tolist() == [
        ["AMTSL", "T01_SKIN"]]
    assert saved.cycle_id is not None


def test_a_cycle_cannot_link_another_teams_own_measure(engine) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationFailed) as err:
        save_cycle(engine, planned("T02", ["AMTSL", "T01_SKIN"]))
    cases = [(f.field, f.message) for f in err.value.failure_cases]
    assert cases == [("linked_indicators", "T01_SKIN is team T01's own measure; link the "
                      "collaborative's indicators or this team's own measures")]
    assert read_pdsa_cycles(engine).empty

"""The chart annotations of PDSA cycles (`rollup.series.pdsa_events`), built as arrays.

The rules of its docstring, each written out literally: a `start` at the start date and the
act decision at the end date, once per linked indicator (in the cycle's order); a cycle
without linked indicators is drawn on its change idea's indicators, and not at all when the
idea has none; a decision without an end date (or an end date without a decision) gives no
decision event; rows sorted by team, indicator and date, events of one date in the order of
the cycles, a start before its cycle's decision.
"""

from __future__ import annotations

import pandas as pd

from workbench.rollup.series import EVENT_COLUMNS, pdsa_events

IDEAS = pd.DataFrame({"change_id": ["C01", "C02"],
                      "name": ["Oxytocin in every delivery kit", "Partograph at admission"],
                      "indicator_ids": [["AMTSL", "PPH"], []]})


def _cycle(cycle_id: int, **fields: object) -> dict[str, object]:
    row: dict[str, object] = {
        "cycle_id": cycle_id, "team_id": "T01", "change_id": "C01", "cycle_number": cycle_id,
        "title": f"test {cycle_id}", "linked_indicators": ["AMTSL"],
        "start_date": "2024-09-01", "end_date": "2024-09-30", "act_decision": "adopt"}
    row.update(fields)
    return row


def _rows(events: pd.DataFrame) -> list[tuple[object, ...]]:
    return [(t, i, c, str(d.date()), k) for t, i, c, d, k in zip(
        events["team_id"], events["indicator_id"], events["cycle_id"], events["date"],
        events["kind"], strict=True)]


def test_a_cycle_gives_a_start_and_its_decision_per_linked_indicator_in_that_order() -> None:
    events = pdsa_events(pd.DataFrame([_cycle(1, linked_indicators=["PPH", "AMTSL"])]), IDEAS)
    assert list(events.columns) == EVENT_COLUMNS
    assert _rows(events) == [
        ("T01", "AMTSL", 1, "2024-09-01", "start"), ("T01", "AMTSL", 1, "2024-09-30", "adopt"),
        ("T01", "PPH", 1, "2024-09-01", "start"), ("T01", "PPH", 1, "2024-09-30", "adopt")]
    assert events["label"].tolist() == ["C01 cycle 1 start", "C01 cycle 1 adopt"] * 2
    assert events["detail"].tolist() == [
        "PDSA started: test 1 (Oxytocin in every delivery kit)",
        "Adopt: test 1 (Oxytocin in every delivery kit)"] * 2
    assert [str(p) for p in events["period"]] == ["2024-09"] * 4
    assert events["change_name"].tolist() == ["Oxytocin in every delivery kit"] * 4


def test_a_cycle_without_linked_indicators_is_drawn_on_its_change_ideas() -> None:
    cycles = pd.DataFrame([_cycle(1, linked_indicators=[]),
                           _cycle(2, linked_indicators=None, change_id="C02"),
                           _cycle(3, linked_indicators=[], change_id="C09", title=None)])
    events = pdsa_events(cycles, IDEAS)
    # C01's indicators; C02 has none and C09 is unknown: nothing to draw them on
    assert _rows(events) == [
        ("T01", "AMTSL", 1, "2024-09-01", "start"), ("T01", "AMTSL", 1, "2024-09-30", "adopt"),
        ("T01", "PPH", 1, "2024-09-01", "start"), ("T01", "PPH", 1, "2024-09-30", "adopt")]
    assert pdsa_events(cycles.iloc[1:], IDEAS).empty


def test_a_decision_without_an_end_date_or_an_end_without_a_decision_draws_only_the_start(
        ) -> None:
    cycles = pd.DataFrame([_cycle(1, end_date=None), _cycle(2, act_decision=None),
                           _cycle(3, start_date=None, end_date="2024-10-15",
                                  act_decision="abandon")])
    events = pdsa_events(cycles, IDEAS)
    assert _rows(events) == [("T01", "AMTSL", 1, "2024-09-01", "start"),
                             ("T01", "AMTSL", 2, "2024-09-01", "start"),
                             ("T01", "AMTSL", 3, "2024-10-15", "abandon")]
    assert events["detail"].tolist()[-1] == "Abandon: test 3 (Oxytocin in every delivery kit)"


def test_events_are_sorted_by_team_indicator_and_date_ties_in_the_cycles_order() -> None:
    cycles = pd.DataFrame([
        _cycle(5, team_id="T02", start_date="2024-10-01", end_date="2024-11-01"),
        _cycle(4, start_date="2024-09-30", end_date="2024-10-30", act_decision="adapt"),
        _cycle(3),  # its decision falls on cycle 4's start date
    ])
    events = pdsa_events(cycles, IDEAS)
    assert _rows(events) == [
        ("T01", "AMTSL", 3, "2024-09-01", "start"),
        ("T01", "AMTSL", 4, "2024-09-30", "start"),  # same date: cycle 4 is the earlier row
        ("T01", "AMTSL", 3, "2024-09-30", "adopt"),
        ("T01", "AMTSL", 4, "2024-10-30", "adapt"),
        ("T02", "AMTSL", 5, "2024-10-01", "start"), ("T02", "AMTSL", 5, "2024-11-01", "adopt")]


def test_a_title_or_a_change_name_that_is_missing_falls_back() -> None:
    cycles = pd.DataFrame([_cycle(1, title=None, change_id="C07",
                                  linked_indicators=("AMTSL",))])
    events = pdsa_events(cycles, IDEAS)
    assert events["detail"].tolist() == ["PDSA started: C07 (C07)", "Adopt: C07 (C07)"]
    assert events["title"].tolist() == ["C07", "C07"]


def test_no_cycles_no_events() -> None:
    assert pdsa_events(None).columns.tolist() == EVENT_COLUMNS
    assert pdsa_events(pd.DataFrame([_cycle(1, start_date=None, end_date=None)])).empty

"""The texts and the order of `rollup.events.pdsa_events` when many cycles share their
parts: each text is built once per distinct combination of the integer codes of its parts
(`_built`), the rows sorted by the codes of the cycles' teams and of the distinct lists'
indicators. Written out literally."""

from __future__ import annotations

import pandas as pd

from workbench.rollup.events import _built, _numbered, pdsa_events

IDEAS = pd.DataFrame({"change_id": ["C01", "C02"],
                      "name": ["Oxytocin in every kit", None],
                      "indicator_ids": [["PPH", "AMTSL"], []]})


def test_numbered_numbers_combinations_in_order_of_appearance() -> None:
    import numpy as np

    number, first = _numbered([np.array([2, 0, 2, 1, 0]), np.array([1, 1, 1, 0, 0])])
    assert number.tolist() == [0, 1, 0, 2, 3]
    assert first.tolist() == [0, 1, 3, 4]
    built = _built([np.array([1, 0, 1])], [np.array(["b", "a", "x"], dtype=object)],
                   lambda v: v.upper())
    assert built.tolist() == ["B", "A", "B"]  # built once per code, from its first row


def test_cycles_sharing_titles_changes_and_decisions_each_get_their_own_texts() -> None:
    def cycle(cycle_id: int, team: str, change: object, title: object, act: str,
              linked: object) -> dict[str, object]:
        return {"cycle_id": cycle_id, "team_id": team, "change_id": change,
                "cycle_number": cycle_id % 2 + 1, "title": title, "linked_indicators": linked,
                "start_date": "2024-09-01", "end_date": f"2024-09-{10 + cycle_id}",
                "act_decision": act}

    cycles = pd.DataFrame([
        cycle(1, "T02", "C01", "Kit", "adopt", ["AMTSL"]),
        cycle(2, "T01", "C01", "", "adapt", []),  # C01's indicators; title: the name
        cycle(3, "T01", "C02", "Kit", "adopt", ["AMTSL"]),  # C02 has no name: its id
        cycle(4, "T01", None, "Kit", "", ["PPH"]),  # no change (NaN), no decision
    ])
    events = pdsa_events(cycles, IDEAS)
    assert [(t, i, c, k, label, detail) for t, i, c, k, label, detail in zip(
        events["team_id"], events["indicator_id"], events["cycle_id"], events["kind"],
        events["label"], events["detail"], strict=True)] == [
        ("T01", "AMTSL", 2, "start", "C01 cycle 1 start",
         "PDSA started: Oxytocin in every kit (Oxytocin in every kit)"),
        ("T01", "AMTSL", 3, "start", "C02 cycle 2 start", "PDSA started: Kit (C02)"),
        ("T01", "AMTSL", 2, "adapt", "C01 cycle 1 adapt",
         "Adapt: Oxytocin in every kit (Oxytocin in every kit)"),
        ("T01", "AMTSL", 3, "adopt", "C02 cycle 2 adopt", "Adopt: Kit (C02)"),
        ("T01", "PPH", 2, "start", "C01 cycle 1 start",
         "PDSA started: Oxytocin in every kit (Oxytocin in every kit)"),
        ("T01", "PPH", 4, "start", "nan cycle 1 start", "PDSA started: Kit ()"),
        ("T01", "PPH", 2, "adapt", "C01 cycle 1 adapt",
         "Adapt: Oxytocin in every kit (Oxytocin in every kit)"),
        ("T02", "AMTSL", 1, "start", "C01 cycle 2 start",
         "PDSA started: Kit (Oxytocin in every kit)"),
        ("T02", "AMTSL", 1, "adopt", "C01 cycle 2 adopt",
         "Adopt: Kit (Oxytocin in every kit)")]

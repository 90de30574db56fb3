"""Who tested and adopted which change (workbench.learning.adoption.team_adoptions) on a
hand-made journal whose every answer is written out, and the changes abandoned everywhere
(workbench.learning.synthesis.abandoned_everywhere) on it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.learning import team_adoptions
from workbench.learning.adoption import ADOPTION_COLUMNS
from workbench.learning.synthesis import abandoned_everywhere

IDEAS = pd.DataFrame([
    {"change_id": "C1", "name": "change 1", "indicator_ids": ["I1", "I2"]},
    {"change_id": "C2", "name": "change 2", "indicator_ids": ["I1"]},
    {"change_id": "C3", "name": "change 3", "indicator_ids": ["I1"]},
])


def _cycle(team: str, change: str, number: int, start: str | None, end: str | None,
           decision: str | None, linked: list[str] | None = None) -> dict:
    return {"team_id": team, "change_id": change, "cycle_number": number,
            "linked_indicators": linked, "start_date": start, "end_date": end,
            "act_decision": decision}


# rows in a shuffled order: the result is sorted by team, change, indicator, and a team's
# cycles are read in cycle order whatever the journal's order
JOURNAL = pd.DataFrame([
    # A: C1 on I1 and I2 (its linked indicators) adapted then adopted in May 2024
    _cycle("A", "C1", 2, "2024-04-02", "2024-05-10", "adopt", ["I1", "I2"]),
    # A: C2 (no linked indicators: its idea's, I1) adopted in May too -> together with C1 on I1
    _cycle("A", "C2", 1, "2024-04-20", "2024-05-25", "adopt"),
    _cycle("A", "C1", 1, "2024-03-05", "2024-03-20", "adapt", ["I1", "I2"]),
    # B: C1 on I1 only, still running (no end, no decision: "" is none)
    _cycle("B", "C1", 1, "2024-06-01", None, "", ["I1"]),
    # B: C3 abandoned after one cycle; C2 adopted in September, alone
    _cycle("B", "C3", 1, "2024-02-01", "2024-02-15", "abandon"),
    _cycle("B", "C2", 1, "2024-08-03", "2024-09-30", "adopt"),
    # C: C1 adopted in March (effect from April), C2 in May (from June): two months apart
    _cycle("C", "C1", 1, "2024-03-01", "2024-03-28", "adopt", ["I1"]),
    _cycle("C", "C2", 1, "2024-04-01", "2024-05-02", "adopt"),
    # C: C3 tested twice, abandoned, then adapted: the latest decision counts
    _cycle("C", "C3", 2, "2024-07-01", "2024-07-20", "adapt"),
    _cycle("C", "C3", 1, "2024-06-01", "2024-06-20", "abandon"),
    # D: C3 planned, not started (no dates at all)
    _cycle("D", "C3", 1, None, None, None),
])

EXPECTED = [
    # team, change, ind, cycles, to_decision, decision, first, adopted, months, effect, with
    ("A", "C1", "I1", 2, 1, "adopt", "2024-03", "2024-05", 2, "2024-06", ["C2"]),
    ("A", "C1", "I2", 2, 1, "adopt", "2024-03", "2024-05", 2, "2024-06", []),
    ("A", "C2", "I1", 1, 1, "adopt", "2024-04", "2024-05", 1, "2024-06", ["C1"]),
    ("B", "C1", "I1", 1, None, None, "2024-06", None, None, None, []),
    ("B", "C2", "I1", 1, 1, "adopt", "2024-08", "2024-09", 1, "2024-10", []),
    ("B", "C3", "I1", 1, 1, "abandon", "2024-02", None, None, None, []),
    ("C", "C1", "I1", 1, 1, "adopt", "2024-03", "2024-03", 0, "2024-04", []),
    ("C", "C2", "I1", 1, 1, "adopt", "2024-04", "2024-05", 1, "2024-06", []),
    ("C", "C3", "I1", 2, 1, "adapt", "2024-06", None, None, None, []),
    ("D", "C3", "I1", 1, None, None, None, None, None, None, []),
]


def _plain(frame: pd.DataFrame) -> list[tuple]:
    """The frame's rows with missing values as None, months as 'YYYY-MM', counts as int."""
    def value(v: object) -> object:
        if isinstance(v, list):
            return v
        if pd.isna(v):  # type: ignore[call-overload]
            return None
        if isinstance(v, pd.Period):
            return str(v)
        if isinstance(v, float | np.floating | np.integer):
            return int(v)
        return v
    return [tuple(value(v) for v in row) for row in frame.itertuples(index=False)]


def test_team_adoptions_on_a_hand_made_journal():
    got = team_adoptions(JOURNAL, IDEAS)
    assert list(got.columns) == ADOPTION_COLUMNS
    assert _plain(got) == EXPECTED
    assert got["cycles"].dtype == np.int64
    assert str(got["first_test"].dtype) == str(got["effect_start"].dtype) == "period[M]"


def test_lag_and_together_months():
    lag0 = team_adoptions(JOURNAL, IDEAS, lag=0)
    assert [str(p) if not pd.isna(p) else None for p in lag0["effect_start"]] == [
        "2024-05", "2024-05", "2024-05", None, "2024-09", None, "2024-03", "2024-05", None, None]
    wide = team_adoptions(JOURNAL, IDEAS, together_months=2)
    assert wide["adopted_with"].tolist() == [
        ["C2"], [], ["C1"], [], [], [], ["C2"], ["C1"], [], []]


def test_one_cycle_row_per_indicator_and_nothing_when_nothing_is_linked():
    unlinked = pd.DataFrame([_cycle("A", "C9", 1, "2024-01-02", None, None)])  # unknown idea
    assert team_adoptions(unlinked, IDEAS).empty
    assert list(team_adoptions(unlinked, IDEAS).columns) == ADOPTION_COLUMNS


def test_abandoned_everywhere_on_the_hand_made_journal():
    # C3: B and C abandoned it, but C's latest decision is adapt -> not abandoned everywhere
    assert abandoned_everywhere(team_adoptions(JOURNAL, IDEAS), IDEAS).empty
    only_b = JOURNAL[JOURNAL["team_id"] == "B"]
    assert abandoned_everywhere(team_adoptions(only_b, IDEAS), IDEAS).to_dict("records") == [
        {"change_id": "C3", "name": "change 3", "teams_tested": 1, "teams_abandoned": 1}]

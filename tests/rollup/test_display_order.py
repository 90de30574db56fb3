"""The time-to-threshold and gain rows come in display order (`metrics._order`): indicators
as listed (one not listed last), collaborative, then waves, then teams (a missing wave or
team first), thresholds 80 %, 90 %, target; rows equal in every key keep their order."""

from __future__ import annotations

import pandas as pd

from workbench.rollup.metrics import _order

INDICATORS = pd.DataFrame({"indicator_id": ["Z", "A"]})


def test_rows_come_in_display_order() -> None:
    frame = pd.DataFrame({
        "indicator_id": ["A", "Q", "Z", "Z", "Z", "Z", "Z", "Z", "A", None],
        "level": ["team", "team", "team", "wave", "collaborative", "team", "team", "wave",
                  "collaborative", "team"],
        "team_id": ["t1", "t1", "t2", None, None, "t1", None, None, None, "t3"],
        "wave_id": ["w1", "w1", "w1", "w2", None, "w1", "w1", None, None, "w1"],
        "threshold": ["target", "80%", "target", "target", "90%", "90%", "target", "80%",
                      "target", "target"],
        "row": range(10)})
    out = _order(frame, INDICATORS)
    assert out["row"].tolist() == [4, 7, 3, 6, 5, 2, 8, 0, 1, 9]
    assert out.index.tolist() == list(range(10))


def test_without_a_threshold_column_rows_sort_by_the_other_keys_and_ties_keep_order() -> None:
    frame = pd.DataFrame({"indicator_id": ["A", "Z", "A", "Z"],
                          "level": ["team", "team", "team", "team"],
                          "team_id": ["t2", "t1", "t1", "t1"], "wave_id": ["w", "w", "w", "w"],
                          "row": range(4)})
    assert _order(frame, INDICATORS)["row"].tolist() == [1, 3, 2, 0]

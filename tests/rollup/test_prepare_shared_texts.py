"""`rollup.base.prepare` gives each distinct team, indicator and wave one text object (the
roll-ups group by them many times: issue 14 item 7), and nothing else changes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.rollup.base import _shared_texts, prepare


def tidy() -> pd.DataFrame:
    rows = []
    for month in ("2025-01", "2025-02", "2025-03"):
        for team in ("T1", "T2"):
            for ind in ("A", "B"):
                # "".join: a new object per row, as a database driver makes them
                rows.append(("".join(["T", team[1:]]), "".join([ind]), month, 3.0, 10.0))
    frame = pd.DataFrame(rows, columns=["team_id", "indicator_id", "period", "numerator",
                                        "denominator"])
    frame["period"] = pd.PeriodIndex(frame["period"], freq="M")
    return frame.assign(value=frame["numerator"] / frame["denominator"])


def test_equal_texts_of_the_prepared_frame_are_one_object() -> None:
    indicators = pd.DataFrame({"indicator_id": ["A", "B"], "target": [0.5, 0.2],
                               "direction": ["increase", "decrease"]})
    teams = pd.DataFrame({"team_id": ["T1", "T2"], "wave_id": ["W1", "W1"],
                          "joined_period": ["2025-01", "2025-01"]})
    data = tidy()
    assert len({id(v) for v in data["team_id"]}) == len(data)  # the test can fail
    m, _ = prepare(data, indicators, teams)
    for key, distinct in (("team_id", 2), ("indicator_id", 2), ("wave_id", 1)):
        assert len({id(v) for v in m[key]}) == distinct, key
        assert m[key].dtype == object
    assert sorted(m["team_id"].unique()) == ["T1", "T2"]


def test_a_column_with_missing_values_is_left_as_it_is() -> None:
    column = pd.Series(["W1", None, "W1", np.nan], dtype=object)
    assert _shared_texts(column) is column
    shared = _shared_texts(pd.Series(["".join(["W", "1"]), "".join(["W", "1"])],
                                     dtype=object, name="wave_id"))
    assert shared.tolist() == ["W1", "W1"] and shared.iloc[0] is shared.iloc[1]
    assert shared.name == "wave_id"

"""`rollup.base.prepare` gives each distinct team, indicator and wave one text object (the
roll-ups group by them many times: issue 14 item 7), and nothing else changes."""

from __future__ import annotations

import pandas as pd

from workbench.rollup.base import _texts_of, prepare, sort_codes


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


def test_texts_by_their_codes_are_one_object_each_and_missing_stays_missing() -> None:
    column = pd.Series(["".join(["W", "1"]), None, "".join(["W", "1"]), "W0"], dtype=object)
    codes, distinct = sort_codes(column)
    texts = _texts_of(codes, distinct)
    assert texts.iloc[0] == "W1" and texts.iloc[0] is texts.iloc[2]
    assert texts.iloc[3] == "W0" and pd.isna(texts.iloc[1])
    assert texts.dtype == object


def test_a_team_missing_from_the_teams_frame_joins_in_its_first_reported_month() -> None:
    data = tidy()
    data = data[~((data["team_id"] == "T2") & (data["period"] == pd.Period("2025-01", "M")))]
    teams = pd.DataFrame({"team_id": ["T1"], "wave_id": ["W1"], "joined_period": ["2024-12"]})
    m, _ = prepare(data, None, teams)
    joined = m.groupby("team_id")["join_month"].first()
    assert joined["T1"] == pd.Period("2024-12", "M").ordinal
    assert joined["T2"] == pd.Period("2025-02", "M").ordinal
    assert m.loc[m["team_id"] == "T2", "wave_id"].tolist() == [None] * 4

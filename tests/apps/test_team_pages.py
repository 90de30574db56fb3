"""Which teams the learning session shows: search, sort, top and bottom N, pages, overview."""

from __future__ import annotations

import pandas as pd

from workbench.apps.context import parse_query, view_query
from workbench.apps.team_pages import TOP_N, overview, team_labels, team_page

TEAMS = pd.DataFrame({
    "team_id": [f"T{i:03d}" for i in range(1, 51)],
    "name": [f"Clinic {chr(65 + (50 - i) % 26)}{i}" for i in range(1, 51)],
    "district": ["North" if i % 2 else "South" for i in range(1, 51)],
    "wave_id": ["W1" if i <= 30 else "W2" for i in range(1, 51)],
})
# one indicator "A" (higher is better): team i's latest value is i/100, its improvement i - 25
MATRIX = pd.DataFrame({
    "team_id": TEAMS["team_id"], "indicator_id": "A",
    "latest_value": [i / 100 for i in range(1, 51)],
    "months_since_report": [0] * 48 + [1, 0],  # T049 did not report this month
    "target_met": [i > 40 for i in range(1, 51)],
    "signal": ["concern" if i <= 3 else "improvement" if i >= 45 else "no signal"
               for i in range(1, 51)],
})
GAINS = pd.DataFrame({"team_id": TEAMS["team_id"], "indicator_id": "A",
                      "improvement_pp": [float(i - 25) if i != 50 else None
                                         for i in range(1, 51)]})


SIZE = 24  # pages of 24 teams here (the app's `PAGE_SIZE` is 48)


def _page(**kwargs: object) -> object:
    return team_page(TEAMS, matrix=MATRIX, gains=GAINS, indicator_id="A", page_size=SIZE,  # type: ignore[arg-type]
                     **kwargs)


def test_fifty_teams_make_three_pages_of_24_by_name_and_a_page_past_the_end_is_the_last() -> None:
    assert _page().teams == [f"T{i:03d}" for i in range(1, 25)]  # by code, as registered
    first = _page(sort="name")
    assert (first.page, first.pages, first.listed, len(first.teams)) == (1, 3, 50, SIZE)
    names = dict(zip(TEAMS["team_id"], TEAMS["name"], strict=True))
    assert first.teams[:2] == ["T024", "T050"]  # "Clinic A24", "Clinic A50"
    assert [names[t] for t in first.teams] == sorted(names[t] for t in first.teams)
    last = _page(page=99, sort="name")
    assert (last.page, len(last.teams), last.first) == (3, 2, 49)
    assert "sorted by team name" in last.rule
    assert "sorted by team code" in _page().rule


def test_search_finds_a_team_by_part_of_its_name_or_its_code_ignoring_case() -> None:
    assert _page(search="  clinic x1 ").teams == ["T001"]
    found = _page(search="t04")
    assert sorted(found.teams) == [f"T04{i}" for i in range(10)]
    assert "contains “t04”" in found.rule
    assert _page(search="nowhere").teams == []


def test_sort_by_concerns_or_improvements_puts_the_teams_with_most_signals_first() -> None:
    assert _page(sort="concerns").teams[:3] == sorted(["T001", "T002", "T003"],
                                                    key=lambda t: TEAMS.set_index("team_id")
                                                    .loc[t, "name"])
    assert set(_page(sort="improvements").teams[:6]) == {f"T0{i}" for i in range(45, 51)}
    district = _page(sort="district")
    assert all(t in set(TEAMS.loc[TEAMS["district"] == "North", "team_id"])
               for t in district.teams)  # the first 24 of North's 25 teams


def test_top_and_bottom_n_follow_their_stated_rule() -> None:
    top = _page(show="top_gain")
    assert top.teams == [f"T0{i}" for i in range(49, 49 - TOP_N, -1)]  # T050 has no gain
    assert (top.pages, top.listed) == (1, TOP_N)
    assert "improved most on their baseline" in top.rule
    assert _page(show="bottom_gain").teams[:3] == ["T001", "T002", "T003"]
    best = _page(show="top_latest")  # T049 did not report this month: left out
    assert best.teams[:2] == ["T050", "T048"]
    assert "higher is better" in best.rule
    lower = team_page(TEAMS, matrix=MATRIX, gains=GAINS, indicator_id="A",
                      direction="decrease", show="top_latest", page_size=SIZE)
    assert lower.teams[:2] == ["T001", "T002"] and "lower is better" in lower.rule


def test_the_overview_counts_each_districts_teams_reports_targets_and_signals() -> None:
    by = overview(TEAMS, MATRIX, "A", "district").set_index("district")
    assert by.loc["North", "teams"] == 25 and by.loc["South", "teams"] == 25
    assert by["reported"].sum() == 49
    assert by["at_target"].sum() == 9  # 41..50 less T049, not reported
    assert by["concern"].sum() == 3 and by["improvement"].sum() == 6
    waves = overview(TEAMS, MATRIX, "A", "wave_id").set_index("wave_id")
    assert list(waves["teams"]) == [30, 20]


def test_labels_are_names_and_the_code_only_where_names_repeat() -> None:
    teams = pd.DataFrame({"team_id": ["T1", "T2", "T3"], "name": ["Kisoro", "Kisoro", "Bufumbira"]})
    assert team_labels(teams) == {"T1": "Kisoro (T1)", "T2": "Kisoro (T2)", "T3": "Bufumbira"}


def test_a_views_address_gives_the_same_view_back() -> None:
    state = {"indicator": "PPH", "wave": None, "district": "Kisoro", "period": "2026-06",
             "as_of": "2026-07-01", "presentation": True, "search": "health centre",
             "show": "top_gain", "sort": "district", "page": 3}
    context = parse_query(view_query(state))
    assert context.problems == ()
    for key, value in state.items():
        assert getattr(context, key) == value, key
    assert "page" not in view_query({**state, "page": 1})
    bad = parse_query("page=0&search=%3Cscript%3E")
    assert bad.page is None and bad.search is None and len(bad.problems) == 2

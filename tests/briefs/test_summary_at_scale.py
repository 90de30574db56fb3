"""The collaborative summary of a large collaborative: past 48 teams the small multiples show
the 24 most and the 24 least improved teams (by `rollup.gain_from_baseline`), titled so, and a
sentence counts the teams left out and says where each is; up to 48 teams they show every team."""

from __future__ import annotations

from pathlib import Path

import pytest
from bokeh.layouts import GridPlot
from bokeh.models import Column

from workbench.briefs.collaborative_summary import collaborative_summary_data
from workbench.demo import build_demo
from workbench.store import open_engine


def _panels(grid: GridPlot) -> list[str]:
    return sorted(child[0].title.text for child in grid.children)


@pytest.fixture(scope="module")
def sixty(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    db = tmp_path_factory.mktemp("sixty") / "sixty.db"
    return build_demo(str(db), teams=60, indicators=6, months=14, districts=3)


def test_past_48_teams_the_small_multiples_show_the_most_and_least_improved(sixty) -> None:  # type: ignore[no-untyped-def]
    summary = collaborative_summary_data(sixty)
    figure = summary.small_multiples("AMTSL")
    assert isinstance(figure, Column)
    head, grid = figure.children
    assert head.title.text == ("The 24 most and 24 least improved of 60 teams (gain from "
                               "baseline)")
    gains = summary.rollup["gains"]
    teams = gains[(gains["level"] == "team") & (gains["indicator_id"] == "AMTSL")
                  & gains["improvement_pp"].notna()].sort_values(
        ["improvement_pp", "team_id"], ascending=[False, True])
    expected = list(teams["team_id"].head(24)) + list(teams["team_id"].tail(24))
    assert len(grid.children) == 48
    names = summary.teams.set_index("team_id")["name"]  # titled by name, the code beside
    assert _panels(grid) == sorted(f"{names[team]} ({team})" for team in expected)


def test_up_to_48_teams_the_small_multiples_show_every_team(demo_db_master: Path) -> None:
    summary = collaborative_summary_data(open_engine(str(demo_db_master)))
    grid = summary.small_multiples("AMTSL")
    assert isinstance(grid, GridPlot)
    assert len(grid.children) == 48  # the demo: 24 launch teams and the 24 of the spread wave


def test_past_48_teams_a_sentence_counts_the_teams_not_drawn_and_says_where_they_are(
        sixty) -> None:  # type: ignore[no-untyped-def]
    summary = collaborative_summary_data(sixty)
    gains = summary.rollup["gains"]
    rows = gains[(gains["level"] == "team") & (gains["indicator_id"] == "AMTSL")]
    no_gain = int(rows["improvement_pp"].isna().sum())
    note = summary.small_multiples_note("AMTSL")
    assert note.startswith("Drawn below: the 24 teams that improved most on their baseline and "
                           "the 24 that improved least. The other 12 teams are not drawn here.")
    if no_gain:
        assert f" {no_gain} of them ha" in note
    assert note.endswith("Every team has its row in the status matrix above and its chart in "
                         "its own team report.")


def test_up_to_48_teams_no_sentence_is_needed(demo_db_master: Path) -> None:
    summary = collaborative_summary_data(open_engine(str(demo_db_master)))
    assert summary.small_multiples_note("AMTSL") == ""

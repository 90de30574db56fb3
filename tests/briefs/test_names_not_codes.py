"""The reports' tables name indicators and teams (a code stays only as a secondary column).

On the validated demo: every table of the team report and the site-visit brief whose
column is headed "Indicator" holds indicator names (never a code such as AMTSL), and the
collaborative summary's "teams needing attention" shows the facility's name under "Team"
with the code beside it under "Code".
"""

from __future__ import annotations

import pytest

from workbench import briefs
from workbench.store import open_engine, read_indicators

pytestmark = pytest.mark.slow


@pytest.fixture
def validated_demo(demo_db: str):  # type: ignore[no-untyped-def]
    from workbench.validate.run import run_validation

    engine = open_engine(demo_db)
    run_validation(engine)
    return engine


def _indicator_cells(frame, columns) -> list[str]:  # type: ignore[no-untyped-def]
    """The cells shown under the "Indicator" header of `render.table(frame, columns)`."""
    (column,) = [c for c, header in columns.items() if header == "Indicator"]
    return frame[column].astype(str).tolist()


def test_the_team_report_and_brief_tables_show_indicator_names_not_codes(validated_demo) -> None:  # type: ignore[no-untyped-def]
    from workbench.demo.build import read_injections

    indicators = read_indicators(validated_demo)
    codes, names = set(indicators["indicator_id"]), set(indicators["name"])
    team = read_injections(validated_demo, kind="recount_disagrees").iloc[0]["team_id"]
    report = briefs.team_report_data(validated_demo, team, "2026-10")
    brief = briefs.site_visit_brief_data(validated_demo, team, "2026-11-05")
    shown = [(report.headline, "headline"), (report.open_flags, "flags"),
             (report.recounts, "recounts"), (brief.changes, "changes"),
             (brief.signals, "signals"), (brief.flags_to_verify, "flags")]
    assert len(report.open_flags) and len(report.recounts)  # the tables are not empty
    for frame, key in shown:
        cells = _indicator_cells(frame, briefs.COLUMNS[key])
        assert cells and set(cells) <= names, key
        assert not set(cells) & codes, key


def test_teams_needing_attention_are_named_with_the_code_beside(demo_db: str) -> None:
    summary = briefs.collaborative_summary_data(open_engine(demo_db), "2026-10")
    columns = briefs.COLUMNS["attention"]
    assert list(columns.items())[:2] == [("team", "Team"), ("team_id", "Code")]
    teams = summary.teams.set_index("team_id")["name"]
    attention = summary.attention
    assert len(attention)
    assert attention["team"].tolist() == [teams[t] for t in attention["team_id"]]


def test_the_most_improved_teams_are_named_with_the_code_beside(demo_db: str) -> None:
    """The collaborative summary's "Most improved teams": indicator and team names under
    "Indicator" and "Team", the team's code under "Code" (as in "teams needing attention")."""
    engine = open_engine(demo_db)
    summary = briefs.collaborative_summary_data(engine, "2026-10")
    columns = briefs.COLUMNS["most_improved"]
    table = summary.most_improved_table()
    assert list(columns.items())[:4] == [("indicator", "Indicator"), ("rank", "Rank"),
                                         ("team", "Team"), ("team_id", "Code")]
    assert len(table) and set(columns) <= set(table.columns)
    teams = summary.teams.set_index("team_id")["name"]
    indicators = read_indicators(engine).set_index("indicator_id")["name"]
    assert table["team"].tolist() == [teams[t] for t in table["team_id"]]
    assert table["indicator"].tolist() == [indicators[i] for i in table["indicator_id"]]
    assert not set(table["team"]) & set(teams.index)  # no code where a name belongs
    assert not set(table["indicator"]) & set(indicators.index)

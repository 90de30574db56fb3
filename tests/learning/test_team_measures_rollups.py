"""A team's own measure (seed 3.4) shows in its own report and nowhere in the collaborative's
roll-ups: on the demo, adding T01's own measure with two years of monthly rows changes
nothing in `workbench summary --json` (indicators, time to target, status matrix …),
`workbench practices --json`, the synthesis pack, the collaborative summary and the report
batch's collaborative medians; T01's report shows it in a section of its own, T02's does not."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
from click.testing import CliRunner

from workbench import briefs
from workbench.briefs.team_report import collaborative_figures
from workbench.cli import main
from workbench.store import open_engine

MEASURE = ["--team", "T01", "--id", "T01_SKIN", "--name", "Skin-to-skin within 1 hour",
           "--numerator", "babies put skin to skin within 1 hour",
           "--denominator", "live births", "--target", "80"]


def _json(*args: str) -> Any:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _text(frame: pd.DataFrame) -> str:
    """A frame as JSON text (NaN as null, so equal frames give equal text)."""
    return frame.astype({c: str for c in frame.columns if str(frame[c].dtype).startswith(
        "period")}).to_json(orient="records", date_format="iso")


def _rollups(db: str) -> dict[str, Any]:
    engine = open_engine(db)
    pack = briefs.synthesis_data(engine, "", "")
    summary = briefs.collaborative_summary_data(engine, "2026-10")
    return {
        "summary": _json("summary", "--db", db, "--period", "2026-10", "--json"),
        "practices": _json("practices", "--db", db, "--json"),
        "pack": [_text(pack.ranked_table()), _text(pack.draft_table()), _text(pack.aligned),
                 list(pack.indicators["indicator_id"])],
        "collaborative_summary": [list(summary.indicators["indicator_id"]),
                                  _text(summary.spc)],
        "medians": _text(collaborative_figures(engine)[1].reset_index()),
    }


def _add_t01_measure(db: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["measure", "add", "--db", db, *MEASURE])
    assert result.exit_code == 0, result.output
    months = pd.period_range("2024-11", "2026-10", freq="M")
    rows = "".join(f"T01,T01_SKIN,{m},{10 + i},40,\n" for i, m in enumerate(months))
    path = tmp_path / "skin.csv"
    path.write_text("team_id,indicator_id,period,numerator,denominator,comment\n" + rows)
    result = CliRunner().invoke(main, ["import", str(path), "--db", db])
    assert result.exit_code == 0, result.output


def test_adding_a_team_measure_changes_no_collaborative_rollup(demo_db: str,
                                                               tmp_path: Path) -> None:
    before = _rollups(demo_db)
    _add_t01_measure(demo_db, tmp_path)
    after = _rollups(demo_db)
    for name in before:
        assert after[name] == before[name], name
    assert "T01_SKIN" not in json.dumps(after)


def test_the_team_report_shows_its_own_measure_apart_and_other_teams_do_not(
        demo_db: str, tmp_path: Path) -> None:
    _add_t01_measure(demo_db, tmp_path)
    engine = open_engine(demo_db)
    t01 = briefs.team_report_data(engine, "T01", "2026-10")
    assert list(t01.own_headline["indicator_id"]) == ["T01_SKIN"]
    assert t01.own_headline["latest_value"].tolist() == [33 / 40]
    assert t01.own_headline["median"].tolist() == ["–"]  # no collaborative median
    assert "T01_SKIN" not in set(t01.headline["indicator_id"])
    assert [key for key, _ in t01.figures(own=True)] == ["T01_SKIN"]
    assert "T01_SKIN" not in [key for key, _ in t01.figures()]
    t02 = briefs.team_report_data(engine, "T02", "2026-10")
    assert t02.own_headline.empty and t02.figures(own=True) == []
    assert "no measure of its own" in t02.own_measures_note

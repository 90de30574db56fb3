"""The synthesis-meeting pack (workbench.briefs.synthesis, notebooks/synthesis.ipynb) on the
demo: it shows the same evidence as `workbench practices`, a wave's pack holds only that
wave's teams, a meeting in the past sees the journal as it was, and `workbench report
--notebook synthesis` writes it once for the collaborative."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from workbench import briefs
from workbench.cli import main
from workbench.errors import NotFoundError
from workbench.store import open_engine, read_teams


@pytest.mark.parametrize("period", ["", "2025-10"])
def test_the_pack_ranks_the_same_evidence_as_workbench_practices(demo_db: str, period: str):
    pack = briefs.synthesis_data(open_engine(demo_db), period, "")
    when = ["--period", period] if period else []
    result = CliRunner().invoke(main, ["practices", "--db", demo_db, "--json", *when])
    assert result.exit_code == 0, result.output
    cli = [(r["indicator_id"], r["change_id"], r["grade"], r["effect_pp"])
           for r in json.loads(result.output)]
    p = pack.practices
    effects = [None if pd.isna(e) else e for e in p["effect_pp"]]
    assert list(zip(p["indicator_id"], p["change_id"], p["grade"], effects,
                    strict=True)) == cli
    table = pack.ranked_table()
    assert table["change"].iloc[0] == f"{p['change_id'].iloc[0]} {p['change_name'].iloc[0]}"
    assert table["effect"].iloc[0] == (f"{p['effect_pp'].iloc[0]:+.1f} pts "
                                       f"({p['ci_low_pp'].iloc[0]:+.1f} to "
                                       f"{p['ci_high_pp'].iloc[0]:+.1f})")


def test_each_strong_or_promising_change_gets_a_small_multiple_of_its_lone_adopters(demo_db):
    pack = briefs.synthesis_data(open_engine(demo_db), "", "")
    shown = pack.shown()
    assert len(shown) and set(shown["grade"]) <= {"strong", "promising"}
    figures = pack.figures()
    assert len(figures) == len(shown)
    first = shown.iloc[0]
    panels = figures[0].children[1].children  # heading, then the grid of team panels
    teams = pack.aligned[(pack.aligned["change_id"] == first["change_id"])
                         & (pack.aligned["indicator_id"] == first["indicator_id"])]["team_id"]
    assert sorted(p[0].title.text for p in panels) == sorted(set(teams))
    together = {(t, c) for t, i, c in zip(pack.together["team_id"], pack.together[
        "indicator_id"], pack.together["change_id"], strict=True)
        if i == first["indicator_id"]}
    assert not {(t, first["change_id"]) for t in teams} & together


def test_a_wave_pack_holds_only_that_waves_teams(demo_db: str):
    engine = open_engine(demo_db)
    w2 = set(read_teams(engine).query("wave_id == 'W2'")["team_id"])
    pack = briefs.synthesis_data(engine, "", "W2")
    assert pack.title == "Synthesis meeting pack: what works, by Oct 2026, wave W2"
    assert set(pack.aligned["team_id"]) <= w2 and len(pack.aligned)
    assert pack.practices["teams_tested"].max() <= len(w2)
    with pytest.raises(NotFoundError, match="Unknown wave 'W9': use one of W1, W2."):
        briefs.synthesis_data(engine, "", "W9")


def test_a_meeting_in_the_past_sees_fewer_adoptions_than_today(demo_db: str):
    engine = open_engine(demo_db)
    then = briefs.synthesis_data(engine, "2025-10", "")
    now = briefs.synthesis_data(engine, "2026-10", "")
    assert str(then.aligned["period"].max()) <= "2025-10"
    assert then.practices["teams_adopted"].sum() < now.practices["teams_adopted"].sum()
    assert then.draft["guidance"].str.contains("What teams learned by 2025-10").any()


def test_the_draft_starts_from_the_package_version_in_use(demo_db: str):
    pack = briefs.synthesis_data(open_engine(demo_db), "", "")
    assert pack.draft["change_id"].tolist()[:10] == [f"C{i:02d}" for i in range(1, 11)]
    assert set(pack.draft["action"]) <= {"keep", "add", "drop"}
    kept = pack.draft_table().set_index("change_id").loc["C01"]
    assert kept["guidance"].startswith("The attending midwife draws up 10 IU oxytocin")
    assert kept["teams"]  # the teams whose evidence it rests on


@pytest.mark.slow
def test_workbench_report_writes_the_synthesis_pack_once_for_the_collaborative(
        demo_db: str, tmp_path: Path):
    out = tmp_path / "reports"
    result = CliRunner().invoke(main, ["report", "--db", demo_db, "--period", "2026-10",
                                       "--notebook", "synthesis", "--out", str(out)])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "2026-10" / "manifest.json").read_text())
    assert list(manifest["reports"]["synthesis"]) == ["collaborative"]
    html = (out / "2026-10" / "synthesis.html").read_text()
    assert "Synthesis meeting pack: what works, by Oct 2026" in html
    assert "Draft of the refined change package" in html
    assert html.count('class="wb-figure"') >= 1


def test_papermill_help_notebook_lists_the_synthesis_parameters_with_their_help():
    import subprocess
    import sys

    papermill = str(Path(sys.executable).with_name("papermill"))
    notebook = Path(__file__).resolve().parents[2] / "notebooks" / "synthesis.ipynb"
    result = subprocess.run([papermill, "--help-notebook", str(notebook)], capture_output=True,
                            text=True, check=True)
    for expected in ("period: str", "YYYY-MM of the meeting", "db_url: str", "wave: str",
                     "a wave code to look at that wave's teams only"):
        assert expected in result.stdout
    assert "Unable to parse" not in result.stderr

"""`workbench cycle`: the month's import, validation, reports and index in one command, on a
real copy of the demo database with real kernels (one module-wide run, then a rerun)."""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import insert

from workbench.cli import main
from workbench.reports.cycle import CycleResult, StageResult, teams_due_a_visit
from workbench.store import open_engine
from workbench.store import schema as s

PERIOD = "2026-10"
#: the demo's teams whose last visit is 28 days or more before 2026-11-01 (or never visited)
#: launch teams last visited 28 days or more before (not the graduates T18 and T19: their
#: coaching ended in 2026-04), and the spread wave's
DUE_ON_NOVEMBER_FIRST = ["T04", "T09", "T11", "T13", "T15", "T17", "T21", "T23",
                         "T26", "T27", "T29", "T30", "T34", "T35", "T40", "T42", "T44", "T45",
                         "T46", "T47"]


@pytest.fixture(scope="module")
def cycle_run(demo_db_master: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """`workbench cycle` with one good file (October again: nothing new) and one bad file,
    then the same command again."""
    folder = tmp_path_factory.mktemp("cycle")
    db = str(folder / "demo.db")
    shutil.copy(demo_db_master, db)
    good = folder / "october.csv"
    good.write_text("team_id,indicator_id,period,numerator,denominator\n"
                    "T01,AMTSL,2026-10,41,50\n", encoding="utf-8")
    bad = folder / "bad<script>.csv"
    bad.write_text("team_id,indicator_id,period,numerator,denominator\n"
                   "T02,AMTSL,2026-10,abc,50\n", encoding="utf-8")
    out = folder / "reports"
    command = ["cycle", "--db", db, "--period", PERIOD, "--import", str(good), "--import",
               str(bad), "--out", str(out), "--workers", "2", "--no-progress"]
    first = CliRunner().invoke(main, command)
    manifest = json.loads((out / PERIOD / "manifest.json").read_text())
    second = CliRunner().invoke(main, command)
    return {"db": db, "out": out, "dir": out / PERIOD, "first": first, "second": second,
            "manifest": manifest,
            "manifest2": json.loads((out / PERIOD / "manifest.json").read_text())}


def _stages(manifest: dict) -> dict[str, dict]:
    return {stage["name"]: stage for stage in manifest["cycle"]["stages"]}


def test_a_bad_import_file_fails_its_stage_and_every_later_stage_still_runs(
        cycle_run: dict) -> None:
    assert cycle_run["first"].exit_code == 1, cycle_run["first"].output
    stages = _stages(cycle_run["manifest"])
    assert {k: v["status"] for k, v in stages.items()} == {
        "import": "failed", "validate": "ok", "team_reports": "ok", "site_visit_briefs": "ok",
        "collaborative_summary": "ok"}
    assert stages["import"]["counts"] == {"files": 2, "failed files": 1, "new": 0,
                                          "revised": 1, "unchanged": 0}
    assert "row 2, column numerator: 'abc' is not a number" in stages["import"]["message"]
    assert stages["team_reports"]["counts"] == {"written": 48, "skipped": 0, "failed": 0}
    assert stages["site_visit_briefs"]["counts"] == {
        "written": len(DUE_ON_NOVEMBER_FIRST), "skipped": 0, "failed": 0}
    assert "Error: stage(s) failed: import;" in cycle_run["first"].output


def test_the_good_file_was_imported_and_its_value_is_in_the_teams_report(cycle_run: dict) -> None:
    page = (cycle_run["dir"] / "T01.html").read_text(encoding="utf-8")
    # 41 / 50, the value the cycle imported (the demo's October was 85.3%)
    assert re.search(r"Births receiving AMTSL</td><td[^>]*>82\.0%</td><td[^>]*>90\.0%</td>",
                     page)


def test_every_report_the_cycle_wrote_is_in_the_folder_with_bokehjs_once(cycle_run: dict) -> None:
    folder = cycle_run["dir"]
    reports = cycle_run["manifest"]["reports"]
    assert sorted(reports["site_visit_brief"]) == DUE_ON_NOVEMBER_FIRST
    assert list(reports["collaborative_summary"]) == ["collaborative"]
    for entries in reports.values():
        for entry in entries.values():
            assert (folder / entry["paths"]["html"]).is_file()
    assert len(list(folder.glob("bokeh-*.min.js"))) == 1
    assert not list(folder.glob("*.tmp")) and not list(folder.glob("*.ipynb"))


def test_the_index_shows_each_stage_escaped_and_links_the_reports(cycle_run: dict) -> None:
    page = (cycle_run["dir"] / "index.html").read_text(encoding="utf-8")
    assert "<h2>The month's cycle</h2>" in page
    assert '<td>import</td><td class="status-failed">failed</td>' in page
    assert '<td>team reports</td><td class="status-ok">ok</td>' in page
    assert "bad&lt;script&gt;.csv" in page and "bad<script>" not in page
    assert '<a href="T01.html">report</a>' in page
    assert '<a href="T04-site-visit-brief.html">report</a>' in page
    assert '<a href="collaborative-summary.html">report</a>' in page


def test_rerunning_the_cycle_resumes_skipping_every_report_already_current(
        cycle_run: dict) -> None:
    assert cycle_run["second"].exit_code == 1  # the bad file is still bad
    stages = _stages(cycle_run["manifest2"])
    assert stages["import"]["counts"]["unchanged"] == 1  # imported once, not twice
    assert stages["validate"]["counts"]["new flags"] == 0
    assert stages["team_reports"]["counts"] == {"written": 0, "skipped": 48, "failed": 0}
    assert stages["site_visit_briefs"]["counts"] == {
        "written": 0, "skipped": len(DUE_ON_NOVEMBER_FIRST), "failed": 0}
    assert stages["collaborative_summary"]["counts"] == {"written": 0, "skipped": 1, "failed": 0}


def test_a_team_is_due_a_visit_28_days_after_its_last_one(demo_db: str) -> None:
    assert teams_due_a_visit(open_engine(demo_db), "2026-11-01") == DUE_ON_NOVEMBER_FIRST
    engine = open_engine(demo_db)
    with engine.begin() as conn:
        conn.execute(insert(s.coaching_visits).values(
            team_id="T04", coach="tester", visit_date="2026-10-04", notes="", actions=[],
            created_at=datetime(2026, 10, 4, 12), author="tester"))
        conn.execute(insert(s.coaching_visits).values(
            team_id="T09", coach="tester", visit_date="2026-10-05", notes="", actions=[],
            created_at=datetime(2026, 10, 5, 12), author="tester"))
    due = teams_due_a_visit(engine, "2026-11-01")
    assert "T04" in due  # exactly 28 days before
    assert "T09" not in due  # 27 days before
    assert "T09" in teams_due_a_visit(engine, "2026-11-02")


@pytest.mark.parametrize(("statuses", "code"), [
    (["ok", "ok"], 0), (["ok", "failed"], 1), (["failed", "interrupted", "not run"], 130)])
def test_the_exit_code_says_whether_every_stage_succeeded(statuses: list, code: int) -> None:
    result = CycleResult(period=PERIOD, folder=Path("."), index_path=Path("index.html"),
                         seconds=0.0, stages=[StageResult(f"s{i}", st)
                                              for i, st in enumerate(statuses)])
    assert result.exit_code == code


def test_cycle_without_a_period_is_a_usage_error(demo_db: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["cycle", "--db", demo_db, "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "Missing option '--period'" in result.output


def test_ctrl_c_during_the_reports_exits_130_and_the_later_stages_are_not_run(
        demo_db: str, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    process = subprocess.Popen(
        [sys.executable, "-m", "workbench", "cycle", "--db", demo_db, "--period", PERIOD,
         "--out", str(out), "--workers", "1", "--no-progress"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    manifest = out / PERIOD / "manifest.json"
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if manifest.exists() and json.loads(manifest.read_text())["reports"].get(
                    "team_report", {}).get("T01", {}).get("status") == "ok":
                break
            time.sleep(0.1)
        else:
            pytest.fail("T01's report never finished")
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130, stderr[-2000:]
    assert "Traceback" not in stderr
    assert "Error: interrupted; the reports not written are marked 'interrupted'." in stderr
    data = json.loads(manifest.read_text())
    assert {k: v["status"] for k, v in _stages(data).items()} == {
        "import": "ok", "validate": "ok", "team_reports": "interrupted",
        "site_visit_briefs": "not run", "collaborative_summary": "not run"}
    statuses = {e["status"] for e in data["reports"]["team_report"].values()}
    assert statuses == {"ok", "interrupted"}
    assert len(data["reports"]["team_report"]) == 48


def test_a_graduated_team_is_not_due_a_visit_once_its_coaching_has_ended(demo_db: str) -> None:
    engine = open_engine(demo_db)
    assert "T18" in teams_due_a_visit(engine, "2026-03-29")  # still coached then
    due = teams_due_a_visit(engine, "2026-11-01")
    assert "T04" in due and "T18" not in due  # T18's coaching ended at its graduation
    assert "T18" not in teams_due_a_visit(engine, "2026-04-30")  # from its graduation day

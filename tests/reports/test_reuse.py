"""A site-visit brief shows its team report's data and charts, kept by the team report of the
same cycle (`workbench.briefs.reuse`): real kernels, the shipped notebooks, the demo database."""

from __future__ import annotations

import pickle
import re
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import insert

from workbench.briefs import reuse
from workbench.briefs.team_report import team_report_data
from workbench.i18n import use_language
from workbench.reports import batch as batch_module
from workbench.reports.batch import reuse_folder, run_reports
from workbench.store import open_engine
from workbench.store import schema as s

PERIOD = "2026-10"
TEAM = "T04"
MARKER = "<p>kept-chart-marker</p>"


def _normalised(html: str) -> str:
    """A page without what differs between two runs of the same report: bokeh's random ids,
    the charts' compressed documents (they hold the ids), the generation time."""
    html = re.sub(r'atob\("[^"]*"\)', "atob()", html)
    html = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "uuid", html)
    html = re.sub(r'id="[^"]*"', 'id=""', html)
    return re.sub(r"\d{1,2}:\d\d(:\d\d)?", "hh:mm", html)


def _brief(out: Path) -> str:
    return (out / PERIOD / f"{TEAM}-site-visit-brief.html").read_text(encoding="utf-8")


def test_the_batch_and_the_notebooks_name_the_same_variables() -> None:
    assert batch_module.KEEP_ENV == reuse.KEEP_ENV
    assert batch_module.REUSE_ENV == reuse.REUSE_ENV


@pytest.fixture(scope="module")
def kept(demo_db_master: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The team report of TEAM kept for its brief, the brief that read it, and the same
    brief written alone (nothing kept)."""
    import shutil

    folder = tmp_path_factory.mktemp("reuse")
    db = str(folder / "demo.db")
    shutil.copy(demo_db_master, db)
    out = folder / "cycle"
    report = run_reports(db, PERIOD, "team_report", teams=[TEAM], out_dir=out, progress=False,
                         keep_for=[TEAM])
    files = sorted(reuse_folder(out / PERIOD).glob("*.pkl"))
    with files[0].open("rb") as handle:
        content = pickle.load(handle)
    brief = run_reports(db, PERIOD, "site_visit_brief", teams=[TEAM], out_dir=out,
                        progress=False)
    alone = run_reports(db, PERIOD, "site_visit_brief", teams=[TEAM], out_dir=folder / "alone",
                        progress=False)
    return {"db": db, "out": out, "folder": folder, "files": files, "content": content,
            "report": report, "brief": brief, "alone": alone}


def test_the_team_report_keeps_its_data_and_charts_for_the_brief(kept: dict) -> None:
    assert [r.status for r in kept["report"].results] == ["ok"]
    assert [f.name[:len(TEAM) + 1] for f in kept["files"]] == [f"{TEAM}-"]
    content = kept["content"]
    assert (content["team_id"], content["period"], content["language"]) == (TEAM, PERIOD, "en")
    charts = content["outputs"]
    assert len(charts) == len(content["report"].figures()) > 0
    assert all("text/html" in data and metadata["workbench"]["figure"]
               for data, metadata in charts)


def test_a_brief_that_reads_the_kept_report_is_the_brief_written_alone(kept: dict) -> None:
    assert [r.status for r in kept["brief"].results] == ["ok"]
    assert [r.status for r in kept["alone"].results] == ["ok"]
    reused, alone = _brief(kept["out"]), _brief(kept["folder"] / "alone")
    assert reused.count("atob(") == alone.count("atob(") > 0
    assert _normalised(reused) == _normalised(alone)
    # read once: the file is gone
    assert not list(reuse_folder(kept["out"] / PERIOD).glob("*.pkl"))


def _keep_with_marker(db: str, out: Path) -> Path:
    """TEAM's report kept, its charts replaced by MARKER (to see whether a brief reads it)."""
    run_reports(db, PERIOD, "team_report", teams=[TEAM], out_dir=out, progress=False,
                keep_for=[TEAM], force=True)
    (path,) = reuse_folder(out / PERIOD).glob("*.pkl")
    content = pickle.loads(path.read_bytes())
    content["outputs"] = [({"text/html": MARKER, "text/plain": "marker"}, {})]
    path.write_bytes(pickle.dumps(content))
    return path


def test_a_brief_reads_the_kept_file_and_not_after_the_teams_data_changed(kept: dict) -> None:
    db, out = kept["db"], kept["folder"] / "marker"
    _keep_with_marker(db, out)
    run_reports(db, PERIOD, "site_visit_brief", teams=[TEAM], out_dir=out, progress=False)
    assert MARKER in _brief(out)  # the brief showed what was kept
    path = _keep_with_marker(db, out)
    with open_engine(db).begin() as conn:  # a new visit of the team: other data
        conn.execute(insert(s.coaching_visits).values(
            team_id=TEAM, visit_date="2026-10-20", coach="tester", notes="new",
            author="tester", created_at=datetime(2026, 10, 20, 9, 0)))
    run_reports(db, PERIOD, "site_visit_brief", teams=[TEAM], out_dir=out, progress=False,
                force=True)
    assert MARKER not in _brief(out)  # computed again: the kept file is for other data
    assert path.is_file()  # not read, so not removed (the cycle removes the folder)


def test_kept_report_is_only_for_its_team_month_and_language(
        demo_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = open_engine(demo_db)
    report = team_report_data(engine, TEAM, PERIOD)
    path = tmp_path / "kept.pkl"
    reuse._write(path, report, [({"text/html": MARKER}, {})])
    monkeypatch.setenv(reuse.REUSE_ENV, str(path))
    found = reuse.kept_report(TEAM, PERIOD)
    assert found is not None and found.extra["chart_outputs"] == [({"text/html": MARKER}, {})]
    assert team_report_data(engine, TEAM, PERIOD).extra.get("chart_outputs")
    assert reuse.kept_report("T05", PERIOD) is None
    assert reuse.kept_report(TEAM, "2026-09") is None
    with use_language("fr"):
        assert reuse.kept_report(TEAM, PERIOD) is None
    path.write_bytes(b"not a pickle")
    assert reuse.kept_report(TEAM, PERIOD) is None
    monkeypatch.delenv(reuse.REUSE_ENV)
    assert "chart_outputs" not in team_report_data(engine, TEAM, PERIOD).extra

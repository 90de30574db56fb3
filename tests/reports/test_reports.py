"""The batch report runner: real kernels, real notebooks, a real SQLite demo database.

Executions are few and small: one module-wide CLI batch (three teams, one failing) that most
tests read, plus short runs for resume, --force, the papermill engine and a killed batch.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import bokeh
import nbconvert
import nbformat
import pytest
from click.testing import CliRunner
from report_fixtures import write_summary_notebook, write_team_notebook
from store_damage import break_numerator
from sqlalchemy import insert, update

from workbench.cli import main
from workbench.reports.batch import run_reports
from workbench.reports.folder import safe_name
from workbench.store import open_engine
from workbench.store import schema as s

PERIOD = "2026-10"
XSS = "<script>alert(1)</script>"
ODD_TEAM = "../x y"
ODD_NAME = "<b>Odd & team</b>"
BOKEHJS_BANNER = "Copyright (c) Anaconda, Inc., and Bokeh Contributors"
BOKEHJS_FILE = f"bokeh-{bokeh.__version__}.min.js"
CSS_FILES = [f"nbconvert-{nbconvert.__version__}-{n}.css" for n in ("index", "theme-light")]


def _add_odd_team_and_xss_pdsa(db: str) -> None:
    engine = open_engine(db)
    now = datetime(2026, 10, 15, 9, 0)
    with engine.begin() as conn:
        conn.execute(insert(s.teams).values(team_id=ODD_TEAM, name=ODD_NAME, facility="",
                                            district="", region="", wave_id="W1", coach="",
                                            joined_period="2024-11"))
        conn.execute(insert(s.pdsa_cycles).values(
            team_id="T01", change_id="C01", cycle_number=99, title=XSS, objective=XSS,
            status="do", start_date="2026-10-01", author="tester", created_at=now,
            updated_at=now, version=1))


@pytest.fixture(scope="module")
def batch(demo_db_master: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """One CLI batch of the fixture notebook: T01, the odd team, then T02 which fails."""
    folder = tmp_path_factory.mktemp("batch")
    db = str(folder / "demo.db")
    shutil.copy(demo_db_master, db)
    _add_odd_team_and_xss_pdsa(db)
    notebook = write_team_notebook(folder / "nb", fail_team="T02")
    out = folder / "reports"
    result = CliRunner().invoke(main, [
        "report", "--db", db, "--period", PERIOD, "--notebook", str(notebook),
        "--teams", f"T01,{ODD_TEAM},T02", "--out", str(out), "--no-progress"])
    period_dir = out / PERIOD
    return {"db": db, "notebook": notebook, "out": out, "dir": period_dir, "cli": result,
            "manifest": json.loads((period_dir / "manifest.json").read_text())}


def _html(batch: dict, team: str) -> str:
    return (batch["dir"] / f"{safe_name(team)}.html").read_text(encoding="utf-8")


def test_a_failing_team_does_not_stop_the_others_and_the_cli_exits_1(batch: dict) -> None:
    result = batch["cli"]
    assert result.exit_code == 1, result.output
    entries = batch["manifest"]["reports"]["team_report"]
    assert {k: e["status"] for k, e in entries.items()} == {
        "T01": "ok", ODD_TEAM: "ok", "T02": "failed"}
    assert "Error: 1 report(s) failed: T02." in result.output
    assert re.search(r"^T02\s+failed\s+[\d.]+\s+RuntimeError: deliberate failure for T02 "
                     r"\(cell \d+\)$", result.output, re.MULTILINE)
    assert f"Index: {batch['dir'] / 'index.html'}" in result.output


def test_the_failed_notebook_is_kept_with_papermills_banner_and_the_failing_cell(
        batch: dict) -> None:
    error = batch["manifest"]["reports"]["team_report"]["T02"]["error"]
    assert error["ename"] == "RuntimeError"
    assert error["evalue"] == "deliberate failure for T02"
    assert "raise RuntimeError" in error["source"]
    nb = nbformat.read(batch["dir"] / "T02.ipynb", as_version=4)
    assert "papermill-error-cell-tag" in nb.cells[0].metadata["tags"]
    assert "An Exception was encountered" in nb.cells[0].source
    # papermill puts an anchor before the failing cell, then the banner on top
    assert 'id="papermill-error-cell"' in nb.cells[error["cell_index"] + 1].source
    assert "raise RuntimeError" in nb.cells[error["cell_index"] + 2].source
    page = _html(batch, "T02")
    assert "This report is incomplete" in page and "deliberate failure for T02" in page


def test_user_text_from_the_database_shows_as_text_not_markup(batch: dict) -> None:
    page = _html(batch, "T01")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert XSS not in page
    odd = _html(batch, ODD_TEAM)
    assert "&lt;b&gt;Odd &amp; team&lt;/b&gt;" in odd  # the cover escapes the team name
    assert ODD_NAME not in odd


def test_the_shipped_team_report_escapes_a_pdsa_title_and_self_contained_embeds_bokehjs_once(
        batch: dict, tmp_path: Path) -> None:
    result = run_reports(batch["db"], PERIOD, "team_report", teams=["T01"],
                         out_dir=tmp_path, progress=False, self_contained=True)
    assert [r.status for r in result.results] == ["ok"], result.results[0].error_summary
    page = (tmp_path / PERIOD / "T01.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert XSS not in page
    assert page.count(BOKEHJS_BANNER) == 1
    assert page.count('class="wb-figure"') >= 6
    assert len(page.encode()) < 2_000_000


def test_team_codes_become_safe_file_names_inside_the_period_folder(batch: dict) -> None:
    name = safe_name(ODD_TEAM)
    assert re.fullmatch(r"x-y-[0-9a-f]{6}", name)
    assert batch["manifest"]["reports"]["team_report"][ODD_TEAM]["paths"] == {
        "html": f"{name}.html"}
    assert sorted(p.name for p in batch["dir"].iterdir()
                  if not p.name.startswith(".collaborative-")) == sorted(
        ["T01.html", "T02.html", "T02.ipynb", f"{name}.html", "index.html", "manifest.json",
         BOKEHJS_FILE, *CSS_FILES])
    assert not (batch["out"].parent / "x y.html").exists()


@pytest.mark.parametrize(("code", "expected"), [
    ("T01", "T01"), ("team_7.a", "team_7.a"), ("CON", None), ("..", None), ("a/b", None),
    ("Équipe 3", None)])
def test_safe_names_keep_safe_codes_and_slug_the_rest_uniquely(code: str,
                                                               expected: str | None) -> None:
    name = safe_name(code)
    assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name)
    if expected is not None:
        assert name == expected
    else:
        assert name != code and re.search(r"-[0-9a-f]{6}$", name)
    assert safe_name("a b") != safe_name("a/b")


def test_a_later_teams_report_sees_nothing_of_an_earlier_teams_run(batch: dict) -> None:
    first, second = _html(batch, "T01"), _html(batch, ODD_TEAM)
    assert "leftovers: []" in first
    assert "leftovers: []" in second  # T01 ran first in the same kernel
    assert "probe_T01" not in second and "report for T01" not in second
    assert "report for ../x y" in second


def test_the_html_loads_bokehjs_from_its_folder_nothing_from_the_network_and_hides_code(
        batch: dict) -> None:
    page = _html(batch, "T01")
    assert BOKEHJS_BANNER not in page
    assert len(re.findall(rf'<script [^>]*src="{re.escape(BOKEHJS_FILE)}"', page)) == 1
    assert (batch["dir"] / BOKEHJS_FILE).read_text(encoding="utf-8").count(BOKEHJS_BANNER) == 1
    for css in CSS_FILES:  # nbconvert's style sheets: one copy in the folder, linked
        assert len(re.findall(rf'<link [^>]*href="{re.escape(css)}"', page)) == 1
        assert (batch["dir"] / css).stat().st_size > 10_000
    assert "Bokeh.embed.embed_items" in page
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=[\"']?(https?:)?//", page)
    assert "cdn.bokeh.org" not in page and "cdnjs.cloudflare.com" not in page
    assert "read_pdsa_cycles" not in page  # code cells are hidden
    assert "injected-parameters" not in page
    assert len(page.encode()) < 100_000


def test_the_index_links_every_report_with_its_status_escaped(batch: dict) -> None:
    page = (batch["dir"] / "index.html").read_text(encoding="utf-8")
    odd = safe_name(ODD_TEAM)
    assert f'<a href="{odd}.html">report</a>' in page
    assert '<a href="T01.html">report</a>' in page
    assert '<a href="T02.ipynb">notebook</a>' in page
    assert '<td class="status-failed">failed</td>' in page
    assert "3 reports, 1 failed." in page
    assert "&lt;b&gt;Odd &amp; team&lt;/b&gt;" in page and ODD_NAME not in page
    assert "RuntimeError: deliberate failure for T02" in page


def test_unchanged_reports_are_skipped_force_redoes_them_and_a_pdsa_change_redoes_one_team(
        demo_db: str, tmp_path: Path) -> None:
    notebook = write_team_notebook(tmp_path / "nb")
    out = tmp_path / "reports"

    def run(**kwargs: object) -> dict[str, str]:
        result = run_reports(demo_db, PERIOD, str(notebook), teams=["T01", "T03"],
                             out_dir=out, progress=False, **kwargs)
        return {r.team_id: r.status for r in result.results}

    assert run() == {"T01": "ok", "T03": "ok"}
    stamp = (out / PERIOD / "T03.html").stat().st_mtime_ns
    assert run() == {"T01": "skipped", "T03": "skipped"}
    with open_engine(demo_db).begin() as conn:
        conn.execute(update(s.pdsa_cycles).where(s.pdsa_cycles.c.team_id == "T01")
                     .values(updated_at=datetime(2026, 10, 30, 12, 0)))
    assert run() == {"T01": "ok", "T03": "skipped"}
    assert (out / PERIOD / "T03.html").stat().st_mtime_ns == stamp
    assert run(force=True, fmt="both") == {"T01": "ok", "T03": "ok"}
    assert (out / PERIOD / "T03.ipynb").is_file()


def test_two_workers_each_run_their_own_kernel(demo_db: str, tmp_path: Path) -> None:
    notebook = write_team_notebook(tmp_path / "nb")
    result = run_reports(demo_db, PERIOD, str(notebook), teams=["T01", "T02", "T03"],
                         out_dir=tmp_path / "out", workers=2, progress=False)
    assert [(r.team_id, r.status) for r in result.results] == [
        ("T01", "ok"), ("T02", "ok"), ("T03", "ok")]
    assert len({r.kernel_pid for r in result.results}) == 2
    assert os.getpid() not in {r.kernel_pid for r in result.results}


def test_a_notebook_without_team_id_runs_once_with_the_papermill_engine(
        demo_db: str, tmp_path: Path) -> None:
    notebook = write_summary_notebook(tmp_path / "nb")
    environment = dict(os.environ)
    result = run_reports(demo_db, PERIOD, str(notebook), out_dir=tmp_path / "out",
                         engine="papermill", progress=False)
    assert [(r.team_id, r.status) for r in result.results] == [(None, "ok")]
    assert result.results[0].paths == {"html": "collaborative-summary.html"}
    page = (tmp_path / "out" / PERIOD / "collaborative-summary.html").read_text()
    assert "48 teams in 2026-10" in page
    # the batch's environment was for its kernels only: this process is as it was, so a
    # report computed here later reads the current data, not a batch's kept figures
    assert dict(os.environ) == environment


@pytest.mark.parametrize(("args", "message"), [
    (["--period", "2026-13"], "Error: Invalid value for '--period': '2026-13' is not a month; "
                              "write it as YYYY-MM (year 1900 or later), e.g. 2025-06."),
    (["--period", "2030-01"], "Error: No data for 2030-01: the database holds 2024-11 to "
                              "2026-10; pick a month in that range."),
    (["--period", PERIOD, "--teams", "T01,T99"],
     "Error: Unknown team code(s): T99. Known codes: T01, T02, T03, T04, T05, T06, T07, T08, "
     "T09, T10, T11, T12, …."),
    (["--period", PERIOD, "--notebook", "monthly"],
     "Error: Unknown notebook 'monthly': use one of team_report, site_visit_brief, "
     "collaborative_summary, synthesis, or the path of an .ipynb file."),
])
def test_report_rejects_bad_input_with_a_clear_error(demo_db: str, tmp_path: Path,
                                                     args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["report", "--db", demo_db, "--out", str(tmp_path), *args])
    assert result.exit_code == 2 if "Invalid value" in message else result.exit_code == 1
    assert message in result.output
    assert not (tmp_path / PERIOD).exists()


def _batch_where_t02_hangs(db: str, tmp_path: Path, workers: int
                           ) -> tuple[Path, Path, list[str]]:
    """(notebook, out folder, `workbench report` command) of a batch of T01, T02, T03 in
    which T02's notebook sleeps for 5 minutes when WB_TEST_HANG=T02."""
    notebook = write_team_notebook(tmp_path / "nb")
    nb = nbformat.read(notebook, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(
        "import os, time\nif team_id == os.environ.get('WB_TEST_HANG'):\n    time.sleep(300)"))
    nbformat.write(nb, notebook)
    out = tmp_path / "reports"
    command = [sys.executable, "-m", "workbench", "report", "--db", db, "--period", PERIOD,
               "--notebook", str(notebook), "--teams", "T01,T02,T03", "--out", str(out),
               "--workers", str(workers), "--no-progress"]
    return notebook, out, command


def test_a_batch_killed_half_way_resumes_where_it_stopped(demo_db: str, tmp_path: Path) -> None:
    notebook, out, command = _batch_where_t02_hangs(demo_db, tmp_path, workers=1)
    process = subprocess.Popen(command, env={**os.environ, "WB_TEST_HANG": "T02"},
                               start_new_session=True, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    manifest = out / PERIOD / "manifest.json"
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if manifest.exists() and "T01" in json.loads(manifest.read_text())["reports"].get(
                    "team_report", {}):
                break
            time.sleep(0.2)
        else:
            pytest.fail("the first report never finished")
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # the batch and its kernel, mid-way through T02
        process.wait()
    entries = json.loads(manifest.read_text())["reports"]["team_report"]
    assert list(entries) == ["T01"]
    result = run_reports(demo_db, PERIOD, str(notebook), teams=["T01", "T02", "T03"],
                         out_dir=out, progress=False)
    assert {r.team_id: r.status for r in result.results} == {
        "T01": "skipped", "T02": "ok", "T03": "ok"}


def _hear_ctrl_c() -> None:
    """In the child: SIGINT as in a terminal (a shell's background job, as CI may be, starts
    its children with SIGINT ignored, and Python then never raises KeyboardInterrupt)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _is_kernel(process: object) -> bool:
    """Whether a child process is a Jupyter kernel (not a short-lived helper process)."""
    try:
        return "ipykernel_launcher" in " ".join(process.cmdline())  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - gone already: not a kernel we wait for
        return False


def test_ctrl_c_stops_a_two_worker_batch_at_once_and_leaves_no_kernel_running(
        demo_db: str, tmp_path: Path) -> None:
    psutil = pytest.importorskip("psutil")
    _, out, command = _batch_where_t02_hangs(demo_db, tmp_path, workers=2)
    process = subprocess.Popen(command, env={**os.environ, "WB_TEST_HANG": "T02"},
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                               preexec_fn=_hear_ctrl_c)
    manifest = out / PERIOD / "manifest.json"
    kernels: dict[int, object] = {}
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:  # T02 hangs in one kernel, T01 and T03 pass
            kernels.update((k.pid, k) for k in psutil.Process(process.pid).children(True)
                           if _is_kernel(k))
            if manifest.exists() and {"T01", "T03"} <= set(json.loads(
                    manifest.read_text())["reports"].get("team_report", {})):
                break
            time.sleep(0.2)
        else:
            pytest.fail("T01 and T03 never finished")
        assert len(kernels) == 2  # one per worker; the idle one may already have stopped
        assert psutil.Process(process.pid).children(True)  # T02's kernel: still sleeping
        process.send_signal(signal.SIGINT)  # what Ctrl-C sends (kernels have their own group)
        started = time.monotonic()
        _, stderr = process.communicate(timeout=60)
        assert time.monotonic() - started < 30
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130
    assert "Error: interrupted: 1 team_report report(s) not run; run the same command again " \
        "to do them" in stderr
    assert "Traceback" not in stderr and "Aborted" not in stderr
    assert not [k for k in kernels.values()
                if k.is_running() and k.status() != psutil.STATUS_ZOMBIE]
    entries = json.loads(manifest.read_text())["reports"]["team_report"]
    assert {k: e["status"] for k, e in entries.items()} == {
        "T01": "ok", "T02": "interrupted", "T03": "ok"}
    assert entries["T02"]["paths"] == {}
    assert not list((out / PERIOD).glob("T02*")) and not list((out / PERIOD).glob(".T02*"))
    index = (out / PERIOD / "index.html").read_text(encoding="utf-8")
    assert "3 reports, 0 failed, 1 not run (interrupted: run the command again)." in index
    assert '<td class="status-interrupted">not run (interrupted)</td>' in index


def test_the_papermill_engine_runs_two_workers_over_private_sockets(demo_db: str,
                                                                      tmp_path: Path) -> None:
    notebook = write_team_notebook(tmp_path / "nb")
    result = subprocess.run(
        [sys.executable, "-m", "workbench", "report", "--db", demo_db, "--period", PERIOD,
         "--notebook", str(notebook), "--teams", "T01,T02,T03", "--out", str(tmp_path / "out"),
         "--engine", "papermill", "--workers", "2", "--no-progress"],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "3 written, 0 unchanged (skipped), 0 failed" in result.stdout
    assert "TCP" not in result.stderr  # IPC transport: no ports to race for (papermill #511)


def test_ctrl_c_on_one_worker_exits_130_marks_the_rest_interrupted_and_a_rerun_does_them(
        demo_db: str, tmp_path: Path) -> None:
    notebook, out, command = _batch_where_t02_hangs(demo_db, tmp_path, workers=1)
    process = subprocess.Popen(command, env={**os.environ, "WB_TEST_HANG": "T02"},
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                               preexec_fn=_hear_ctrl_c)
    manifest = out / PERIOD / "manifest.json"
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if manifest.exists() and "T01" in json.loads(manifest.read_text())["reports"].get(
                    "team_report", {}):
                break
            time.sleep(0.2)
        else:
            pytest.fail("T01 never finished")
        time.sleep(1.0)  # T02 is sleeping in the kernel
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130, stderr[-2000:]
    assert "Traceback" not in stderr and "Aborted" not in stderr
    assert "2 team_report report(s) not run" in stderr
    entries = json.loads(manifest.read_text())["reports"]["team_report"]
    assert {k: e["status"] for k, e in entries.items()} == {
        "T01": "ok", "T02": "interrupted", "T03": "interrupted"}
    result = run_reports(demo_db, PERIOD, str(notebook), teams=["T01", "T02", "T03"],
                         out_dir=out, progress=False)
    assert {r.team_id: r.status for r in result.results} == {
        "T01": "skipped", "T02": "ok", "T03": "ok"}


def test_a_corrupt_stored_value_fails_only_its_teams_report_naming_the_record(
        demo_db: str, tmp_path: Path) -> None:
    break_numerator(demo_db, "T05", "PPH", "2026-09")  # text in a count column, as SQLite allows
    result = run_reports(demo_db, PERIOD, "team_report", teams=["T01", "T05"],
                         out_dir=tmp_path, progress=False)
    by_team = {r.team_id: r for r in result.results}
    assert by_team["T01"].status == "ok", by_team["T01"].error_summary
    assert by_team["T05"].status == "failed"
    assert by_team["T05"].error is not None
    assert by_team["T05"].error.ename == "StoreError"
    assert by_team["T05"].error.evalue == (
        "Stored numerator 'garbage' of team T05, indicator PPH, month 2026-09 is not a number: "
        "correct it as a new revision (workbench flags resolve … --action correct, or import "
        "the right count).")
    assert result.exit_code == 1


def test_each_report_records_its_cpu_and_the_manifest_holds_one_report_a_line(
        batch: dict) -> None:
    from workbench.reports.folder import manifest_text

    entries = batch["manifest"]["reports"]["team_report"]
    ok = [e for e in entries.values() if e["status"] == "ok"]
    assert len(ok) == 2
    for entry in ok:  # its kernel's CPU and the worker thread's, a real measurement
        assert 0.05 < entry["cpu_seconds"] < 10 * entry["seconds"] + 1, entry
    text = (batch["dir"] / "manifest.json").read_text(encoding="utf-8")
    assert json.loads(text) == batch["manifest"]
    lines = text.splitlines()
    assert sum(line.startswith('      "T01": {') for line in lines) == 1
    assert len(lines) < 20  # one line a report, not one a field
    odd = {"reports": {"a": {}, "b": {"k": {"z": "é"}}}, "cycle": {"x": [1, 2]}, "v": 1}
    assert json.loads(manifest_text(odd)) == odd
    assert json.loads(manifest_text({"reports": {}})) == {"reports": {}}

"""The analyst's journey on the command line: a batch of team reports, one team broken on
purpose, Ctrl-C half-way, the same command again.

`workbench report` (the command an analyst types, a child process in its own session) runs the
real team-report notebook for six demo teams, one of which has a stored numerator that is not
a number (text in a count column, as SQLite allows); Ctrl-C arrives once two reports are
written; the same command then finishes the batch. The run happens once (module fixture);
each test reads one thing the analyst sees.

The batch behaviour is NAME=cycle's (issue 12, "Analyst: reports and batches"): Ctrl-C
exits 130 with one line, reports not run are "interrupted" in the manifest and the index, a
corrupt stored value fails only its team's report and the failure names the record.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from store_damage import break_numerator

pytestmark = [pytest.mark.slow]

PERIOD = "2026-10"
TEAMS = ["T01", "T02", "T03", "T04", "T05", "T06"]
BROKEN = ("T05", "PPH", "2026-09")  # its newest numerator becomes 'garbage'
#: seconds a report batch of six teams may take on a loaded 2-core machine
BATCH_SECONDS = 600


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str


@dataclass
class Journey:
    out: Path
    interrupted: Run
    written_when_stopped: set[str]
    files_after_stop: list[Path]
    manifest_after_stop: dict
    index_after_stop: str
    rerun: Run
    manifest_after_rerun: dict
    index_after_rerun: str


def _hear_ctrl_c() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _break_one_value(db: str) -> None:
    break_numerator(db, *BROKEN)  # text in a count column, as SQLite allows


def _command(db: str, out: Path) -> list[str]:
    return [sys.executable, "-m", "workbench", "report", "--db", db, "--period", PERIOD,
            "--teams", ",".join(TEAMS), "--out", str(out), "--workers", "1", "--no-progress"]


def _entries(manifest: dict) -> dict:
    return manifest.get("reports", {}).get("team_report", {})


def _read(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


@pytest.fixture(scope="module")
def journey(demo_db_master: Path, tmp_path_factory: pytest.TempPathFactory) -> Journey:
    import shutil

    folder = tmp_path_factory.mktemp("analyst")
    db = str(folder / "demo.db")
    shutil.copy(demo_db_master, db)
    _break_one_value(db)
    out = folder / "reports"
    manifest = out / PERIOD / "manifest.json"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(_command(db, out), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=env,
                               start_new_session=True, preexec_fn=_hear_ctrl_c)
    try:
        deadline = time.monotonic() + BATCH_SECONDS
        written: set[str] = set()
        while time.monotonic() < deadline and process.poll() is None:
            written = {t for t, e in _entries(_read(manifest)).items()
                       if e.get("status") in ("ok", "failed")}
            if len(written) >= 2:
                break
            time.sleep(0.2)
        assert process.poll() is None, "the batch ended before Ctrl-C: " + process.stderr.read()
        process.send_signal(signal.SIGINT)  # Ctrl-C, as in the terminal
        stdout, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    stopped = Run(process.returncode, stdout, stderr)
    files = sorted((out / PERIOD).iterdir())
    after_stop = _read(manifest)
    index_stop = (out / PERIOD / "index.html").read_text(encoding="utf-8") if (
        out / PERIOD / "index.html").exists() else ""
    again = subprocess.run(_command(db, out), capture_output=True, text=True, env=env,
                           timeout=BATCH_SECONDS)
    return Journey(out, stopped, written, files, after_stop, index_stop,
                   Run(again.returncode, again.stdout, again.stderr), _read(manifest),
                   (out / PERIOD / "index.html").read_text(encoding="utf-8"))


def test_ctrl_c_stops_the_batch_half_way(journey: Journey) -> None:
    assert journey.interrupted.returncode != 0
    assert 2 <= len(journey.written_when_stopped) < len(TEAMS)
    done = {t for t, e in _entries(journey.manifest_after_stop).items()
            if e.get("status") in ("ok", "failed")}
    assert done < set(TEAMS), done  # some teams were never reached


def test_no_half_written_report_is_left_behind(journey: Journey) -> None:
    for path in journey.files_after_stop:
        if path.suffix == ".html":
            assert path.read_text(encoding="utf-8").rstrip().endswith("</html>"), path.name
    # a report is written to `.<name>.<random>.tmp` and renamed into place
    leftovers = [p.name for p in journey.files_after_stop if p.name.endswith(".tmp")]
    assert leftovers == []


def test_ctrl_c_exits_130_with_one_line_and_no_traceback(journey: Journey) -> None:
    stopped = journey.interrupted
    assert stopped.returncode == 130, stopped.stderr[-2000:]
    assert "Traceback" not in stopped.stderr and "Aborted" not in stopped.stderr
    assert "DeadKernelError" not in stopped.stderr
    assert "report(s) not run; run the same command again" in stopped.stderr


def test_the_index_lists_the_reports_not_run_as_interrupted(journey: Journey) -> None:
    statuses = {t: e["status"] for t, e in _entries(journey.manifest_after_stop).items()}
    assert set(statuses) == set(TEAMS)
    assert "interrupted" in statuses.values()
    assert "not run (interrupted)" in journey.index_after_stop


def test_the_rerun_finishes_the_batch_and_exits_1_naming_the_failed_report(
        journey: Journey) -> None:
    rerun = journey.rerun
    assert rerun.returncode == 1, rerun.stderr[-2000:]
    assert "Error:" in rerun.stderr and "report(s) failed" in rerun.stderr
    assert BROKEN[0] in rerun.stderr.split("failed:")[-1]
    statuses = {t: e["status"] for t, e in _entries(journey.manifest_after_rerun).items()}
    assert set(statuses) == set(TEAMS)
    assert set(statuses.values()) <= {"ok", "skipped", "failed"}


def test_only_the_broken_team_fails_and_the_others_are_written(journey: Journey) -> None:
    statuses = {t: e["status"] for t, e in _entries(journey.manifest_after_rerun).items()}
    assert [t for t, st in statuses.items() if st == "failed"] == [BROKEN[0]]
    for team in TEAMS:
        if team != BROKEN[0]:
            assert (journey.out / PERIOD / f"{team}.html").exists(), team


def test_the_broken_teams_failure_names_team_indicator_month_and_column(
        journey: Journey) -> None:
    team, indicator, month = BROKEN
    entry = _entries(journey.manifest_after_rerun)[team]
    said = json.dumps(entry) + journey.index_after_rerun
    assert (f"Stored numerator 'garbage' of team {team}, indicator {indicator}, month {month} "
            "is not a number") in said

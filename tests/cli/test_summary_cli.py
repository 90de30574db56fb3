"""`workbench summary` and `collaborative_rollup` on real SQLite databases."""

from __future__ import annotations

import datetime as dt
import gc
import json
import sys

import pytest
from click.testing import CliRunner

from workbench.briefs.summary import ROLLUP_KEYS, collaborative_rollup
from workbench.cli import main
from workbench.rollup.status import SIGNALS
from workbench.store import add_revisions, open_engine, schema

JANUARY = dt.datetime(2025, 2, 5, 9, 0)   # when the data were first entered


def _run(*args: str):
    return CliRunner().invoke(main, ["summary", *args])


@pytest.fixture
def small_db(empty_db: str) -> str:
    """The template collaborative (T01 wave 1, T02 wave 2 joined 2024-10) with 3 months of
    AMTSL and PPH, two assessments, and a correction entered after the first data."""
    rows = []
    for period, (a1, a2, p1, p2) in {"2024-11": (6, 5, 2, 1), "2024-12": (7, 6, 1, 1),
                                     "2025-01": (9, 8, 1, 0)}.items():
        rows += [{"team_id": "T01", "indicator_id": "AMTSL", "period": period,
                  "numerator": a1, "denominator": 10},
                 {"team_id": "T02", "indicator_id": "AMTSL", "period": period,
                  "numerator": a2, "denominator": 10},
                 {"team_id": "T01", "indicator_id": "PPH", "period": period,
                  "numerator": p1, "denominator": 20},
                 {"team_id": "T02", "indicator_id": "PPH", "period": period,
                  "numerator": p2, "denominator": 20}]
    engine = open_engine(empty_db)
    with engine.begin() as conn:
        add_revisions(conn, rows, source="import", created_at=JANUARY)
        add_revisions(conn, [{"team_id": "T02", "indicator_id": "AMTSL", "period": "2025-01",
                              "numerator": 10, "denominator": 10}],
                      source="correction", reason="recount", created_at=JANUARY.replace(month=3))
        conn.execute(schema.assessments.insert(), [
            {"team_id": "T01", "period": "2025-01", "score": 3.5, "assessor_type": "faculty",
             "assessor": "coach", "created_at": JANUARY},
            {"team_id": "T01", "period": "2025-01", "score": 4.0, "assessor_type": "self",
             "assessor": "team", "created_at": JANUARY},
        ])
    engine.dispose()
    return empty_db


def test_summary_json_has_every_rollup_of_the_latest_month(small_db: str):
    result = _run("--db", small_db, "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert list(out) == ["collaborative", "period", "indicators", "time_to_target", "waves",
                         "assessments", "status_matrix", "most_improved", "spread",
                         "sustainability", "slipping"]
    assert out["collaborative"] == "Essential Obstetric and Newborn Care Collaborative"
    assert out["period"] == "2025-01"
    amtsl, pph, oxy = out["indicators"]
    assert (amtsl["indicator_id"], pph["indicator_id"], oxy["indicator_id"]) == (
        "AMTSL", "PPH", "OXY_STOCK")
    assert amtsl["teams_reporting"] == 2 and amtsl["teams_at_target"] == 1   # 1.0 >= 0.95
    assert amtsl["pooled_value"] == pytest.approx(0.95)                       # 19/20
    assert pph["pooled_value"] == pytest.approx(0.025) and pph["teams_at_target"] == 1  # <= 0.02
    assert oxy["teams_reporting"] == 0 and oxy["pooled_value"] is None        # NaN -> null
    assert len(out["status_matrix"]) == 6
    assert out["assessments"][0]["mean_difference"] == pytest.approx(0.5)
    best = [r["team_id"] for r in out["most_improved"] if r["indicator_id"] == "AMTSL"]
    assert best == []   # three months: no month after the baseline yet


def test_summary_period_and_as_of_reproduce_an_earlier_view(small_db: str):
    result = _run("--db", small_db, "--period", "2024-12", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["period"] == "2024-12"
    assert out["indicators"][0]["pooled_value"] == pytest.approx(13 / 20)
    before = json.loads(_run("--db", small_db, "--as-of", "2025-02-28", "--json").stdout)
    assert before["indicators"][0]["pooled_value"] == pytest.approx(17 / 20)  # before the fix
    assert before["assessments"][0]["self_n"] == 1
    early = json.loads(_run("--db", small_db, "--as-of", "2025-01-01", "--json").stdout)
    assert early["period"] is None and early["assessments"] == []


def test_summary_text_names_the_collaborative_month_and_sections(small_db: str):
    result = _run("--db", small_db)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == ("Essential Obstetric and Newborn Care Collaborative — reporting month "
                        "2025-01")
    for heading in ("Indicators this month", "Status matrix: signals on team charts",
                    "Most improved teams (gain from baseline, percentage points)",
                    "Assessment scale (latest month)"):
        assert heading in lines


def test_summary_text_reads_in_french(small_db: str):
    result = CliRunner().invoke(main, ["summary", "--db", small_db],
                                env={"WORKBENCH_LANG": "fr"})
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == ("Essential Obstetric and Newborn Care Collaborative — mois de rapport "
                        "2025-01")
    for heading in ("Indicateurs ce mois-ci", "Matrice des statuts : signaux sur les cartes "
                    "des équipes", "Équipes les plus améliorées (gain depuis la référence, "
                    "points de pourcentage)", "Échelle d'évaluation (dernier mois)"):
        assert heading in lines
    assert "Indicators this month" not in result.stdout
    assert "plus haut est mieux" in result.stdout
    assert lines[-1] == ("  2025-01 : moyenne de l’encadrement 3,50 (n=1, 0\u00a0% à ≥ 4) ; "
                         "moyenne de l’auto-évaluation 4,00 (n=1) ; auto − encadrement +0,50")


def test_summary_refuses_a_period_that_is_not_a_month(small_db: str):
    result = _run("--db", small_db, "--period", "2025-13")
    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == (
        "Error: Invalid value for '--period': '2025-13' is not a month; write it as YYYY-MM "
        "(year 1900 or later), e.g. 2025-06.")


def test_summary_refuses_an_as_of_that_is_not_a_time(small_db: str):
    result = _run("--db", small_db, "--as-of", "yesterday")
    assert result.exit_code == 1
    assert result.output == (
        "Error: as-of 'yesterday' is not a date or time; write it as YYYY-MM-DD or "
        "YYYY-MM-DDTHH:MM, e.g. 2025-06-30T12:00.\n")


def test_summary_of_a_missing_database_says_how_to_create_one(tmp_path):
    missing = tmp_path / "nowhere.db"
    result = _run("--db", str(missing), "--json")
    assert result.exit_code == 1
    assert result.output == (
        f"Error: no workbench database at {missing}. Create one with "
        "`workbench init --db PATH --config collaborative.yaml` or `workbench demo`.\n")


def test_collaborative_rollup_of_the_demo_covers_every_team_indicator_and_wave(demo_db: str):
    frames = collaborative_rollup(open_engine(demo_db))
    assert tuple(frames) == ROLLUP_KEYS
    assert str(frames["context"].loc[0, "period"]) == "2026-10"
    assert len(frames["indicators"]) == 6
    assert frames["indicators"]["teams_reporting"].between(1, 48).all()
    matrix = frames["status_matrix"]
    assert len(matrix) == 48 * 6
    assert set(matrix["signal"]) <= set(SIGNALS)
    waves = frames["waves"]
    assert {"W1", "W2", "W3"} <= set(waves["wave_id"])
    w2 = waves[(waves["wave_id"] == "W2") & (waves["indicator_id"] == "AMTSL")]
    assert w2["months_since_joining"].max() == 14   # joined 2025-08, reporting 2026-10
    assert (frames["most_improved"].groupby("indicator_id").size() <= 5).all()


def test_summary_json_of_the_demo_for_an_earlier_month(demo_db: str):
    result = _run("--db", demo_db, "--period", "2025-07", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["period"] == "2025-07"
    # wave 2 joins in 2025-08: in 2025-07 only wave 1 is in the matrix
    assert len(out["status_matrix"]) == len({r["team_id"] for r in out["status_matrix"]}) * 6
    assert {r["wave_id"] for r in out["status_matrix"]} == {"W1"}


def test_a_period_without_data_is_an_error_not_an_empty_summary(demo_db):
    from click.testing import CliRunner

    from workbench.cli import main

    result = CliRunner().invoke(main, ["summary", "--db", demo_db, "--period", "2019-01"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: no data for 2019-01: the collaborative's data run "
                                    "from 2024-11 to 2026-10")


def test_the_objects_alive_before_the_summary_are_frozen_only_while_it_runs():
    from workbench.cli.batch_memory import older_objects_frozen

    before = gc.get_freeze_count()
    with older_objects_frozen():
        assert gc.get_freeze_count() > before + 1000  # the modules' objects, at least
    assert gc.get_freeze_count() == 0


def test_freed_memory_is_kept_where_the_c_library_is_glibc():
    import platform

    from workbench.cli.batch_memory import keep_freed_memory

    on_glibc = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"
    assert keep_freed_memory() is on_glibc

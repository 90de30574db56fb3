"""The batch's collaborative figures (`collaborative_figures`: the latest month and the median
of each indicator and month) are the same after they were moved onto the roll-ups' one-scan
read of the measurements (issue 14): on the demo (deterministic) they equal, value for value,
those captured from the implementation before (`tests/briefs/data/
collaborative_figures_demo48.csv.gz`; the 300- and 2,000-team demos were compared the same
way when the change was made), and a stored count that is not a number is still left out of
its month's median instead of failing every team's report.

When the demo or the figures change on purpose, capture them again from
`collaborative_figures(open_engine(<the default demo>))`: a `# latest YYYY-MM` line, then
`period,indicator_id,median` rows, the medians as `repr` of the float.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
from store_damage import break_numerator

from workbench.briefs.tables import _valid
from workbench.briefs.team_report import collaborative_figures
from workbench.store import open_engine, read_measurements

GOLDEN = Path(__file__).parent / "data" / "collaborative_figures_demo48.csv.gz"


def _golden() -> tuple[str, dict[tuple[str, str], float]]:
    lines = gzip.decompress(GOLDEN.read_bytes()).decode().splitlines()
    latest = lines[0].removeprefix("# latest ")
    rows = [line.split(",") for line in lines[2:]]
    return latest, {(period, ind): float(value) for period, ind, value in rows}


def _as_dict(medians: pd.Series) -> dict[tuple[str, str], float]:
    return {(str(period), str(ind)): float(value) for (period, ind), value in medians.items()}


def test_the_demos_collaborative_figures_are_those_captured_before_the_one_scan_read(
        demo_db_master: Path) -> None:
    latest, medians = collaborative_figures(open_engine(str(demo_db_master)))
    expected_latest, expected = _golden()
    assert str(latest) == expected_latest == "2026-10"
    assert len(expected) == 144  # 6 indicators x 24 months
    assert _as_dict(medians) == expected  # exact floats, every key
    assert medians.index.names == ["period", "indicator_id"]
    assert str(medians.index.levels[0].dtype) == "period[M]"


def test_a_count_that_is_not_a_number_is_left_out_of_its_months_median_only(
        demo_db: str) -> None:
    engine = open_engine(demo_db)
    rows = read_measurements(engine)
    sept = pd.Period("2026-09", freq="M")
    others = rows[(rows["indicator_id"] == "PPH") & (rows["period"] == sept)
                  & (rows["team_id"] != "T05")]
    without_t05 = float(_valid(others)["value"].median())
    break_numerator(engine, "T05", "PPH", "2026-09")  # text in a count column, as SQLite allows
    latest, medians = collaborative_figures(engine)
    got = _as_dict(medians)
    expected_latest, expected = _golden()
    assert str(latest) == expected_latest
    assert got[("2026-09", "PPH")] == without_t05
    assert without_t05 != expected[("2026-09", "PPH")]  # T05's value did count before
    del got[("2026-09", "PPH")], expected[("2026-09", "PPH")]
    assert got == expected

"""The collaborative YAML: every kind of mistake gives one line naming file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.errors import ConfigError
from workbench.ingest.collaborative import DEFAULT_SETTINGS, init_collaborative, load_collaborative
from workbench.store import read_collaborative, read_indicators, read_teams

TEMPLATE = Path(__file__).resolve().parents[2] / "templates" / "collaborative.yaml"

# line numbers matter: the expected errors below name them
GOOD = """\
collaborative:
  name: "AMTSL collaborative"
  start_period: "2024-01"
  aims:
    - aim: "90% AMTSL"
      indicator: AMTSL
      target: 0.9
indicators:
  - code: AMTSL
    name: "Births receiving AMTSL"
    type: process
    target: 0.9
  - code: PPH
    name: "Postpartum haemorrhage"
    type: outcome
    direction: decrease
waves:
  - code: W1
    start_period: "2024-01"
teams:
  - code: T01
    name: "Kabale District Hospital"
    wave: W1
  - code: T02
    name: "Maziba Health Centre IV"
    wave: W1
    joined: "2024-04"
settings:
  late_entry_days: 45
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "collab.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_file_loads_with_defaults_filled_in(tmp_path: Path) -> None:
    loaded = load_collaborative(_write(tmp_path, GOOD))
    assert [i["indicator_id"] for i in loaded["indicators"]] == ["AMTSL", "PPH"]
    pph = loaded["indicators"][1]
    assert (pph["kind"], pph["chart"], pph["multiplier"], pph["direction"]) == (
        "proportion", "p", 100.0, "decrease")
    assert [t["joined_period"] for t in loaded["teams"]] == ["2024-01", "2024-04"]
    assert loaded["collaborative"]["settings"] == {**DEFAULT_SETTINGS, "late_entry_days": 45}
    assert loaded["collaborative"]["aims"] == [
        {"aim": "90% AMTSL", "indicator_id": "AMTSL", "target": 0.9, "by": None}]


def test_the_shipped_template_initialises_a_database(tmp_path: Path) -> None:
    engine = init_collaborative(str(tmp_path / "t.db"), TEMPLATE)
    assert read_teams(engine)["team_id"].tolist() == ["T01", "T02"]
    assert read_indicators(engine)["indicator_id"].tolist() == ["AMTSL", "PPH", "OXY_STOCK"]
    assert read_collaborative(engine)["settings"]["verification_band"] == [0.9, 1.1]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param('  name: "AMTSL collaborative"', '  name "AMTSL collaborative"',
                     "line 3: not valid YAML (mapping values are not allowed here). Check "
                     "indentation and quoting there.", id="bad-yaml-syntax"),
        pytest.param('    name: "Postpartum haemorrhage"\n', "",
                     "line 13, indicators[1].name: is required", id="missing-key"),
        pytest.param("direction: decrease", "direction: down",
                     "line 16, indicators[1].direction: must be one of increase, decrease, "
                     "not 'down'", id="wrong-choice"),
        pytest.param("type: outcome", "type: result",
                     "line 15, indicators[1].type: must be one of process, outcome, input, "
                     "not 'result'", id="wrong-type-choice"),
        pytest.param("    wave: W1\n    joined", "    wave: W2\n    joined",
                     "line 26, teams[1].wave: unknown wave 'W2'; waves defined: W1",
                     id="unknown-wave"),
        pytest.param("  - code: PPH", "  - code: AMTSL",
                     "line 13, indicators[1].code: indicator code 'AMTSL' is used twice",
                     id="duplicate-indicator-code"),
        pytest.param("  - code: T02", "  - code: T01",
                     "line 24, teams[1].code: team code 'T01' is used twice",
                     id="duplicate-team-code"),
        pytest.param('joined: "2024-04"', 'joined: "2024-13"',
                     "line 27, teams[1].joined: '2024-13' is not a month; write it as YYYY-MM "
                     "(year 1900 or later), e.g. 2025-06", id="bad-period"),
        pytest.param('joined: "2024-04"', 'joined: "0000-04"',
                     "line 27, teams[1].joined: '0000-04' is not a month; write it as YYYY-MM "
                     "(year 1900 or later), e.g. 2025-06", id="year-0000"),
        pytest.param('start_period: "2024-01"\n  aims', 'start_period: "Jan 2024"\n  aims',
                     "line 3, collaborative.start_period: 'Jan 2024' is not a month; write it as "
                     "YYYY-MM (year 1900 or later), e.g. 2025-06", id="bad-start-period"),
        pytest.param("    target: 0.9\n  - code: PPH", "    target: 90\n  - code: PPH",
                     "line 12, indicators[0].target: a proportion's target is between 0 and 1 "
                     "(0.9 for 90 %), not 90", id="target-as-percent"),
        pytest.param("  late_entry_days: 45", "  late_days: 45",
                     "line 29, settings.late_days: unknown setting; known: "
                     + ", ".join(sorted(DEFAULT_SETTINGS)), id="unknown-setting"),
        pytest.param("      indicator: AMTSL", "      indicator: AMSTL",
                     "line 6, collaborative.aims[0].indicator: unknown indicator 'AMSTL'",
                     id="aim-unknown-indicator"),
        pytest.param("    type: outcome\n", "    type: outcome\n    name: again\n",
                     "line 16, indicators[1].name: the key appears twice; keep one.",
                     id="duplicate-key"),
        pytest.param("waves:\n  - code: W1\n", "waves: W1\n  - code: W1\n",
                     "line 18: not valid YAML (mapping values are not allowed here). Check "
                     "indentation and quoting there.", id="list-written-as-scalar"),
    ],
)
def test_each_mistake_gives_one_line_with_file_line_and_key(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    assert old in GOOD
    path = _write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(ConfigError) as err:
        load_collaborative(path)
    assert str(err.value) == f"{path}, {expected}"
    assert "\n" not in str(err.value)
    assert err.value.file == str(path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("", ": the file is empty. Start from templates/collaborative.yaml.",
                     id="empty-file"),
        pytest.param("# only a comment\n",
                     ": the file is empty. Start from templates/collaborative.yaml.",
                     id="only-comments"),
        pytest.param("- a\n- b\n", ", line 1: the top level must be a mapping with keys "
                     "collaborative, indicators, waves, teams", id="top-level-list"),
        pytest.param(GOOD.replace("teams:", "squads:"), ", line 1, teams: is required",
                     id="missing-section"),
        pytest.param(GOOD.replace("indicators:\n", "indicators: 3\n", 1).split("  - code: AMTSL")[0]
                     + "waves: []\nteams: []\n", ", line 8, indicators: must be a list, not 3",
                     id="section-not-a-list"),
    ],
)
def test_whole_file_mistakes_name_the_file(tmp_path: Path, text: str, expected: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_collaborative(path)
    assert str(err.value) == f"{path}{expected}"


def test_a_missing_file_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError) as err:
        load_collaborative(path)
    assert str(err.value) == f"{path}: file not found. Start from templates/collaborative.yaml."


def test_init_with_a_broken_file_creates_no_database(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD.replace("direction: decrease", "direction: down"))
    with pytest.raises(ConfigError):
        init_collaborative(str(tmp_path / "new.db"), path)
    assert not (tmp_path / "new.db").exists()

"""The notebook extension in a real IPython shell: `%load_ext workbench`, `%workbench …`,
and the rich HTML of teams, indicators, team cards and SPC results."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from IPython.core.interactiveshell import InteractiveShell

from workbench.notebook import extension
from workbench.notebook.reprs import Indicator, Team, sparkline_svg
from workbench.spc.qic import qic
from workbench.store import open_engine, read_flags

SCRIPT = "<script>alert('x')</script>"


@pytest.fixture
def ip():
    """The IPython shell with the extension loaded; unloaded (and disconnected) afterwards."""
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "workbench")
    yield shell
    shell.run_line_magic("unload_ext", "workbench")


def magic(shell: InteractiveShell, line: str):
    return shell.run_line_magic("workbench", line)


def test_load_ext_registers_the_workbench_line_magic(ip):
    assert "workbench" in ip.magics_manager.magics["line"]


def test_unload_ext_forgets_the_magic_and_the_connection(demo_db, capsys):
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "workbench")
    magic(shell, f"connect {demo_db}")
    shell.run_line_magic("unload_ext", "workbench")
    assert "workbench" not in shell.magics_manager.magics["line"]
    assert extension.STATE.engine is None


def test_connect_prints_the_collaborative_its_teams_and_months(ip, demo_db, capsys):
    assert magic(ip, f"connect {demo_db}") is None
    out = capsys.readouterr()
    assert out.out == (f"Connected to sqlite:///{demo_db}: EONC Improvement Collaborative (demo) "
                       "— 48 teams (T01 … T48), 6 indicators, 24 months (2024-11 to 2026-10).\n")
    assert out.err == ""
    assert str(extension.engine().url) == f"sqlite:///{demo_db}"


def test_connect_takes_a_url_and_lists_few_teams_in_full(ip, empty_db, capsys):
    magic(ip, f"connect sqlite:///{empty_db}")
    assert "2 teams (T01, T02), 3 indicators, no data yet." in capsys.readouterr().out


def test_team_before_connect_prints_one_error_line(ip, capsys):
    assert magic(ip, "team T01") is None
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err == ("Error: not connected to a workbench database; run "
                       "`%workbench connect PATH_OR_URL` first.\n")


def test_unknown_team_prints_one_error_line_listing_the_codes(ip, demo_db, capsys):
    magic(ip, f"connect {demo_db}")
    capsys.readouterr()
    assert magic(ip, "team T99") is None
    assert capsys.readouterr().err == "Error: unknown team 'T99'; the teams are T01 … T48.\n"


def test_a_missing_database_file_prints_one_error_line(ip, tmp_path, capsys):
    missing = tmp_path / "nope.db"
    magic(ip, f"connect {missing}")
    assert capsys.readouterr().err == (
        f"Error: no workbench database at {missing}. Create one with `workbench init --db PATH "
        "--config collaborative.yaml` or `workbench demo`.\n")
    assert extension.STATE.engine is None


def test_a_bad_url_prints_one_error_line_and_keeps_the_old_connection(ip, demo_db, capsys):
    magic(ip, f"connect {demo_db}")
    magic(ip, "connect nosuchdb://host/x")
    err = capsys.readouterr().err
    assert err.startswith("Error: cannot use database URL 'nosuchdb://host/x': ")
    assert err.count("\n") == 1
    assert str(extension.engine().url) == f"sqlite:///{demo_db}"


def test_unknown_subcommand_and_wrong_arguments_print_usage(ip, capsys):
    magic(ip, "frobnicate")
    magic(ip, "team")
    assert capsys.readouterr().err == (
        "Error: unknown subcommand 'frobnicate'; use connect, team, indicator, status or help.\n"
        "Error: usage: %workbench team TEAM_CODE [YYYY-MM]\n")


def test_help_lists_the_subcommands_and_the_forms(ip, capsys):
    magic(ip, "help")
    text = capsys.readouterr().out
    for word in ("%workbench connect", "%workbench team T01", "%workbench status",
                 "workbench.widgets", "PDSACycleForm", "ValidationQueue"):
        assert word in text
    ip.run_cell("import workbench.widgets as w; forms = w.__all__")
    assert "MonthlyDataForm" in ip.user_ns["forms"]


def test_status_prints_the_counts(ip, demo_db, capsys):
    magic(ip, f"connect {demo_db}")
    capsys.readouterr()
    magic(ip, "status")
    lines = capsys.readouterr().out.splitlines()
    assert re.fullmatch(r"teams\s+48", lines[1])
    assert any(re.fullmatch(r"indicators\s+6", line) for line in lines)
    assert any(re.fullmatch(r"last period\s+2026-10", line) for line in lines)


def test_team_card_shows_indicators_sparklines_signals_pdsas_and_flags(ip, demo_db, capsys):
    from workbench.records.pdsa import PDSACycle, save_cycle
    from workbench.validate.run import run_validation

    engine = open_engine(demo_db)
    run_validation(engine)
    flags = read_flags(engine, status="open")
    team_id = flags["team_id"].value_counts().index[0]
    save_cycle(engine, PDSACycle(team_id=team_id, change_id="C01", cycle_number=9,
                                 title=SCRIPT, objective="learn",
                                 questions=[{"question": "q?", "prediction": "p"}]))
    magic(ip, f"connect {demo_db}")
    card = magic(ip, f"team {team_id}")
    html = card._repr_html_()
    assert capsys.readouterr().err == ""
    assert card.team.team_id == team_id
    assert f"<h3>{card.team.label}</h3>" in html
    for name in ("Births receiving AMTSL", "Postpartum haemorrhage", "Days oxytocin in stock"):
        assert name in html
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" class="wb-sparkline"') == 6
    assert "<polyline points=" in html
    assert "ordinary month-to-month variation" in html or "centre line" in html
    assert SCRIPT not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "Oxytocin drawn up before the birth" in html
    mine = flags[flags["team_id"] == team_id]
    assert f"Open flags ({len(mine)})" in html
    for rule in set(mine["rule_code"]):
        assert f'<td class="wb-nw">{rule}</td>' in html
    assert "<script" not in html.lower().replace("&lt;script", "")


def test_team_card_sparkline_holds_the_last_twelve_months_of_values(demo_db):
    from workbench.store import read_measurements

    extension.connect(demo_db)
    try:
        card = extension.team_card("T03", "2026-06")
    finally:
        extension.STATE.engine = None
    line = next(x for x in card.lines if x.indicator.indicator_id == "AMTSL")
    assert line.months == tuple(str(p) for p in pd.period_range("2025-07", "2026-06", freq="M"))
    m = read_measurements(open_engine(demo_db), team_ids=["T03"], indicator_ids=["AMTSL"])
    june = m.loc[m["period"] == pd.Period("2026-06", "M"), "value"].iloc[0]
    assert line.recent[-1] == pytest.approx(june)
    assert line.latest == f"{june * 100:.1f}%"


def test_team_and_indicator_helpers_return_records_with_escaped_html(demo_db):
    extension.connect(demo_db)
    try:
        team, pph = extension.team("T01"), extension.indicator("PPH")
        with pytest.raises(Exception, match="unknown indicator 'NOPE'; the indicators are "):
            extension.indicator("NOPE")
    finally:
        extension.STATE.engine = None
    assert isinstance(team, Team) and team.team_id == "T01" and team.wave_id == "W1"
    assert isinstance(pph, Indicator) and pph.target == pytest.approx(0.03)
    assert pph.target_text == "≤ 3.0%"
    assert "<th>Target</th><td>≤ 3.0% (lower is better)</td>" in pph._repr_html_()
    odd = Team.from_row({"team_id": "T9", "name": SCRIPT, "wave_id": float("nan")})
    assert odd.wave_id is None
    assert SCRIPT not in odd._repr_html_() and "&lt;script&gt;" in odd._repr_html_()


def test_spc_result_html_summarises_every_series_once_the_extension_is_loaded(ip):
    # 24 points, 12 below then 12 above the median: one crossing, a run of 12 (Anhøj: a run
    # longer than round(log2 24) + 3 = 8 or fewer than qbinom(0.05, 23, 0.5) = 8 crossings)
    data = pd.DataFrame({"x": range(1, 25), "y": [1.0] * 12 + [5.0] * 12, "series": "<b>ward</b>"})
    formatted, _ = ip.display_formatter.format(qic(data, "run", series="series"))
    html = formatted["text/html"]
    assert "run chart, rules anhoej-qicharts2-0.8.1, 1 series, 24 points" in html
    assert ("<td>&lt;b&gt;ward&lt;/b&gt;</td><td>1</td><td>24</td><td>12 / 8</td>"
            "<td>1 / 8</td><td>yes</td><td>0</td>") in html


def test_spc_result_has_no_html_of_its_own_after_unload_ext():
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "workbench")
    shell.run_line_magic("unload_ext", "workbench")
    result = qic(pd.DataFrame({"x": [1, 2, 3], "y": [1.0, 2.0, 3.0]}), "run")
    formatted, _ = shell.display_formatter.format(result)
    assert "text/html" not in formatted and "SPCResult" in formatted["text/plain"]


def test_sparkline_is_pure_svg_with_gaps_a_target_line_and_an_escaped_title():
    svg = sparkline_svg([0.5, 0.6, None, 0.8, 0.9], target=0.7, label="A<B")
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"') and svg.endswith("</svg>")
    assert svg.count("<polyline") == 2
    assert 'stroke-dasharray="3,2"' in svg
    assert "<title>A&lt;B</title>" in svg
    assert 'fill="#1a7f37"' in svg  # the last point is above its target
    assert "script" not in svg
    assert "no data" in sparkline_svg([None, float("nan")])

"""Report data on the demo collaborative: numbers traceable to the store, teams isolated."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench import briefs
from workbench.store import open_engine, read_measurements, read_pdsa_cycles, read_teams


@pytest.fixture
def validated_demo(demo_db: str):
    from workbench.validate.run import run_validation

    engine = open_engine(demo_db)
    run_validation(engine)
    return engine


def test_headline_numbers_equal_those_computed_from_read_measurements(demo_db: str):
    engine = open_engine(demo_db)
    report = briefs.team_report_data(engine, "T03", "2026-06")
    m = read_measurements(engine)
    june, may = pd.Period("2026-06", "M"), pd.Period("2026-05", "M")
    for row in report.headline.itertuples(index=False):
        mine = m[(m["team_id"] == "T03") & (m["indicator_id"] == row.indicator_id)]
        now = mine.loc[mine["period"] == june, "value"].iloc[0]
        before = mine.loc[mine["period"] == may, "value"].iloc[0]
        first3 = mine.sort_values("period").head(3)
        baseline = first3["numerator"].sum() / first3["denominator"].sum()
        month = m[(m["period"] == june) & (m["indicator_id"] == row.indicator_id)]
        month = month[(month["numerator"] <= month["denominator"]) & (month["numerator"] >= 0)
                      & np.isfinite(month["value"])]
        assert row.latest_value == pytest.approx(now)
        assert row.change_month_value == pytest.approx(now - before)
        assert row.change_baseline_value == pytest.approx(now - baseline)
        assert row.median_value == pytest.approx(month["value"].median())
        assert row.latest == f"{now * 100:.1f}%"


def test_a_correction_of_another_team_changes_the_collaborative_median_at_once(demo_db: str):
    # the median is cached per kernel, keyed by the state of the measurements
    from workbench.store import add_revisions

    engine = open_engine(demo_db)
    before = briefs.team_report_data(engine, "T01", "2026-10").headline.set_index(
        "indicator_id")["median_value"]
    m = read_measurements(engine)
    month = m[(m["period"] == pd.Period("2026-10", "M")) & (m["indicator_id"] == "AMTSL")]
    others = month[month["team_id"] != "T01"]
    with engine.begin() as conn:  # every other team reports 0 %: the median drops
        add_revisions(conn, [{"team_id": t, "indicator_id": "AMTSL", "period": "2026-10",
                              "numerator": 0, "denominator": d}
                             for t, d in zip(others["team_id"], others["denominator"],
                                             strict=True)],
                      source="correction", author="tester", reason="test")
    after = briefs.team_report_data(engine, "T01", "2026-10").headline.set_index(
        "indicator_id")["median_value"]
    assert before["AMTSL"] > 0.5 and after["AMTSL"] == 0.0
    assert after.drop("AMTSL").equals(before.drop("AMTSL"))


def test_report_ignores_data_after_its_period(demo_db: str):
    report = briefs.team_report_data(open_engine(demo_db), "T01", "2025-06")
    assert report.spc["period"].max() == pd.Period("2025-06", "M")
    assert report.period_label == "Jun 2025"
    assert (report.events["date"] <= pd.Timestamp("2025-06-30 23:59")).all()


def test_empty_period_means_the_latest_month_in_the_data(demo_db: str):
    report = briefs.team_report_data(open_engine(demo_db), "T01", "")
    assert str(report.period) == "2026-10"


def test_a_bad_period_is_refused_with_the_format_to_use(demo_db: str):
    from workbench.errors import ValidationFailed

    with pytest.raises(ValidationFailed, match="write it as YYYY-MM"):
        briefs.team_report_data(open_engine(demo_db), "T01", "June")


def test_team_b_report_data_contain_nothing_of_team_a(demo_db: str):
    engine = open_engine(demo_db)
    teams = read_teams(engine).set_index("team_id")
    report = briefs.team_report_data(engine, "T02", "2026-10")
    a_cycles = set(read_pdsa_cycles(engine, team_id="T01")["cycle_id"])
    frames = [report.spc, report.events, report.pdsa_in_flight, report.pdsa_finished,
              report.open_flags, report.recounts, report.assessments, report.headline]
    for frame in frames:
        if "team_id" in frame:
            assert set(frame["team_id"].dropna()) <= {"T02"}
        if "cycle_id" in frame:
            assert not set(frame["cycle_id"]) & a_cycles
        text = frame.astype(str).to_string()
        assert "T01" not in text
        assert teams.loc["T01", "name"] not in text
    assert report.last_visit["team_id"] == "T02"


def test_site_visit_brief_lists_an_injected_data_flag_to_recount(validated_demo):
    from workbench.demo.build import read_injections

    inj = read_injections(validated_demo, kind="numerator_exceeds_denominator").iloc[0]
    brief = briefs.site_visit_brief_data(validated_demo, inj["team_id"], "2026-11-05")
    flags = brief.flags_to_verify
    hit = flags[(flags["indicator_id"] == inj["indicator_id"])
                & (flags["period"] == inj["period"])]
    assert "numerator-exceeds-denominator" in set(hit["rule_code"])
    row = hit[hit["rule_code"] == "numerator-exceeds-denominator"].iloc[0]
    assert row["recount"].startswith(f"{pd.Period(inj['period'], 'M').strftime('%b %Y')}: count")
    name = brief.report.indicators.set_index("indicator_id").loc[inj["indicator_id"], "name"]
    assert row["indicator"] == name  # names, not codes
    assert any(f"Data flag on {name} for" in q for q in brief.questions)


def test_site_visit_brief_flags_pdsas_without_a_status_change_for_45_days(demo_db: str):
    engine = open_engine(demo_db)
    cycles = read_pdsa_cycles(engine)
    open_cycle = cycles[cycles["status"] != "closed"].iloc[0]
    team = open_cycle["team_id"]
    later = (pd.Timestamp(open_cycle["updated_at"]) + pd.Timedelta(days=60)).strftime("%Y-%m-%d")
    brief = briefs.site_visit_brief_data(engine, team, later)
    assert int(open_cycle["cycle_id"]) in set(brief.stalled_pdsas["cycle_id"])
    assert (brief.stalled_pdsas["days_unchanged"] > briefs.STALLED_DAYS).all()
    assert any("has not moved on" in q for q in brief.questions)


def test_collaborative_summary_uses_the_rollup_and_names_teams_needing_attention(demo_db: str):
    summary = briefs.collaborative_summary_data(open_engine(demo_db), "2026-10")
    assert len(summary.overview) == 6
    assert summary.rollup["indicators"]["teams_reporting"].max() == 48
    assert set(summary.attention["team_id"]) <= set(summary.teams["team_id"])
    assert summary.attention["why"].str.len().gt(0).all()


def test_changes_say_better_or_worse_by_the_indicators_direction(demo_db: str):
    engine = open_engine(demo_db)
    report = briefs.team_report_data(engine, "T03", "2026-06")
    directions = dict(zip(report.indicators["indicator_id"], report.indicators["direction"],
                          strict=True))
    for row in report.headline.itertuples(index=False):
        delta = row.change_month_value
        good = (delta > 0) == (directions[row.indicator_id] == "increase")
        assert row.vs_last_month == (f"{delta * 100:+.1f} pts, "
                                     f"{'better' if good else 'worse'}"), row.indicator_id
    brief = briefs.site_visit_brief_data(engine, "T03", "2026-07-01")
    pph = brief.changes[brief.changes["indicator_id"] == "PPH"].iloc[0]
    assert pph["change"].endswith(", better" if pph["change_value"] < 0 else ", worse")

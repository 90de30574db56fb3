"""Change package versions in the store (workbench.store.packages): v1 is recorded with the
collaborative, a new version is one transaction that names what it keeps, adds and drops
(with the reason), versions are never edited, a wave joins with a version; on SQLite and on
PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.errors import NotFoundError, ValidationFailed
from workbench.ingest.collaborative import init_collaborative
from workbench.learning.package import package_diff
from workbench.store import (
    join_wave,
    open_engine,
    read_package,
    read_package_versions,
    save_package_version,
)

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "templates" / "collaborative.yaml"


def _v2_rows() -> list[dict]:
    return [
        {"change_id": "C01", "action": "keep", "guidance": "Draw it up at full dilatation; "
         "ask T03 how.", "provenance": {"teams": ["T03"], "reason": "kept: strong"}},
        {"change_id": "C03", "action": "drop", "guidance": "", "provenance": {
            "teams": [], "reason": "abandoned by all 5 teams that tested it"}},
        {"change_id": "T01-I1", "action": "add", "guidance": "Post the balance on Fridays.",
         "provenance": {"teams": ["T01", "T04"], "reason": "team innovation tested by 2 teams"}},
    ]


def test_the_demo_has_its_launch_package_as_v1_and_every_wave_joins_with_it(demo_db: str):
    engine = open_engine(demo_db)
    versions = read_package_versions(engine)
    assert versions[["version", "label", "changes", "waves"]].to_dict("records") == [
        {"version": 1, "label": "v1", "changes": 10, "waves": ["W1", "W2"]},
        {"version": 2, "label": "v2", "changes": 10, "waves": ["W3"]}]  # the demo's synthesis
    v1 = read_package(engine, "v1")
    assert v1["change_id"].tolist() == [f"C{i:02d}" for i in range(1, 11)]
    assert set(v1["action"]) == {"launch"} and v1["in_package"].all()
    assert v1.iloc[0]["guidance"].startswith("The attending midwife draws up 10 IU oxytocin")


def test_a_new_version_keeps_adds_and_drops_with_provenance_and_v1_is_unchanged(demo_db: str):
    engine = open_engine(demo_db)
    before = read_package(engine, 1)
    number = save_package_version(engine, _v2_rows(), author="ana",
                                  reason="synthesis meeting, LS3", period="2025-10")
    assert number == 3  # the demo holds v1 and its synthesis meeting's v2
    assert read_package(engine, 1).equals(before)
    v3 = read_package(engine)  # the latest
    assert v3[["change_id", "in_package", "action"]].values.tolist() == [
        ["C01", True, "keep"], ["C03", False, "drop"], ["T01-I1", True, "add"]]
    row = read_package_versions(engine).iloc[-1]
    assert (row["label"], row["author"], row["period"], row["changes"], row["waves"]) == (
        "v3", "ana", "2025-10", 2, [])
    diff = package_diff(read_package(engine, 1), v3).set_index("change_id")
    assert diff.loc["C03", "difference"] == "dropped"
    assert diff.loc["C03", "provenance"]["reason"] == "abandoned by all 5 teams that tested it"
    assert diff.loc["T01-I1", "difference"] == "added"
    assert diff.loc["C01", "difference"] == "guidance rewritten"
    assert (diff["difference"] == "dropped").sum() == 9  # C02, C04 … C10 are not in v2 either


@pytest.mark.parametrize(("rows", "message"), [
    ([{"change_id": "C99", "action": "keep"}],
     "row 1: change 'C99' is not a change idea of this collaborative; add it first."),
    ([{"change_id": "C01", "action": "keep"}, {"change_id": "C02", "action": "remove"}],
     "row 2 (C02): action must be keep, add or drop, not 'remove'."),
    ([{"change_id": "C01", "action": "keep"}, {"change_id": "C01", "action": "drop"}],
     "change(s) C01 appear twice; keep one row each."),
])
def test_a_bad_version_is_refused_whole_and_nothing_is_saved(demo_db: str, rows, message):
    engine = open_engine(demo_db)
    with pytest.raises(ValidationFailed) as err:
        save_package_version(engine, rows, reason="meeting", period=None)
    assert str(err.value) == message
    assert read_package_versions(engine)["version"].tolist() == [1, 2]


def test_a_version_needs_a_reason(demo_db: str):
    with pytest.raises(ValidationFailed, match="a package version needs a reason"):
        save_package_version(open_engine(demo_db), _v2_rows(), reason=" ", period=None)


def test_a_wave_joins_with_a_version_and_unknown_ones_are_named(demo_db: str):
    engine = open_engine(demo_db)
    save_package_version(engine, _v2_rows(), reason="synthesis", period="2025-10")
    assert join_wave(engine, "W2", "v3") == 3  # the demo holds v1 and v2 (W3 joined with it)
    assert read_package_versions(engine)["waves"].tolist() == [["W1"], ["W3"], ["W2"]]
    with pytest.raises(NotFoundError, match=r"Unknown package version 'v4': use v1 to v3\."):
        join_wave(engine, "W2", "v4")
    with pytest.raises(NotFoundError, match=r"Unknown wave 'W9': use one of W1, W2, W3\."):
        join_wave(engine, "W9", 1)


@pytest.mark.postgres
def test_versions_on_postgresql(pg_url: str):
    engine = init_collaborative(pg_url, TEMPLATE)
    assert read_package_versions(engine)[["label", "changes"]].values.tolist() == [["v1", 1]]
    number = save_package_version(engine, [
        {"change_id": "C01", "action": "keep", "guidance": "g", "provenance": {"teams": []}}],
        reason="synthesis", period="2024-06")
    assert number == 2
    assert read_package(engine, "v2")["in_package"].tolist() == [True]
    engine.dispose()


def test_saving_a_version_is_for_facilitators_analysts_and_admins_and_is_audited(demo_db):
    from workbench.errors import PermissionDenied
    from workbench.store import add_user, read_audit

    engine = open_engine(demo_db)
    add_user(engine, "root", ["admin"], acting="tester")
    add_user(engine, "fay", ["facilitator"], acting="root")
    add_user(engine, "tom", ["team_member"], teams=["T02"], acting="root")
    with pytest.raises(PermissionDenied, match="saving a change package version"):
        save_package_version(engine, _v2_rows(), author="tom", reason="synthesis", period=None)
    assert read_package_versions(engine)["version"].tolist() == [1, 2]
    assert save_package_version(engine, _v2_rows(), author="fay", reason="synthesis",
                                period="2025-10") == 3
    join_wave(engine, "W2", 3, user="fay")
    audit = read_audit(engine)
    rows = audit[audit["action"].str.startswith("package.") & (audit["user"] == "fay")]
    assert rows[["user", "action", "table_name", "row_id"]].values.tolist() == [
        ["fay", "package.save", "package_versions", "3"], ["fay", "package.join", "waves", "W2"]]

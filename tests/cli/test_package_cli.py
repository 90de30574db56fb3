"""`workbench package` on the demo: list, draft (the synthesis pack's), save as v2, diff,
show, join; errors are one line and change nothing."""

from __future__ import annotations

import json

from click.testing import CliRunner

from workbench import briefs
from workbench.cli import main
from workbench.store import open_engine, read_package_versions


def _run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, ["package", *args])


def test_without_a_subcommand_package_lists_the_versions(demo_db: str):
    result = _run("--db", demo_db)
    assert result.exit_code == 0, result.output
    v1, v2 = result.output.splitlines()  # the demo's synthesis meeting recorded v2
    assert v1.startswith("v1    10 changes  W1, W2       ")
    assert v1.endswith("the launch package (the collaborative's definition)")
    assert v2.startswith("v2    10 changes  W3           ")
    assert v2.endswith(", synthesis 2025-10: synthesis meeting at learning session 3 "
                       "(2025-11-12): the evidence to 2025-10")


def test_the_draft_is_the_synthesis_packs_and_save_records_it_as_the_next_version(
        demo_db: str):
    result = _run("draft", "--db", demo_db, "--period", "2025-10", "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    pack = briefs.synthesis_data(open_engine(demo_db), "2025-10", "")
    assert payload["saved_version"] is None
    assert [(r["change_id"], r["action"], r["guidance"]) for r in payload["changes"]] == list(
        zip(pack.draft["change_id"], pack.draft["action"], pack.draft["guidance"], strict=True))
    saved = _run("draft", "--db", demo_db, "--period", "2025-10", "--save", "--reason",
                 "synthesis meeting, learning session 3", "--user", "ana")
    assert saved.exit_code == 0, saved.output
    assert saved.output.rstrip().endswith("Saved as v3.")  # the demo holds v1 and v2
    listed = _run("--db", demo_db, "list", "--json")
    v3 = json.loads(listed.output)[-1]
    assert (v3["label"], v3["author"], v3["period"], v3["reason"]) == (
        "v3", "ana", "2025-10", "synthesis meeting, learning session 3")
    diff = _run("--db", demo_db, "diff", "v1", "v3", "--json")
    rows = json.loads(diff.output)
    assert {r["difference"] for r in rows} == {"guidance rewritten"}
    assert all("What teams learned by 2025-10" in r["after"] for r in rows)
    shown = _run("show", "v3", "--db", demo_db)
    assert shown.output.startswith("C01      keep    Oxytocin drawn up before the birth\n")


def test_save_without_a_reason_is_refused_and_saves_nothing(demo_db: str):
    result = _run("draft", "--db", demo_db, "--save")
    assert result.exit_code == 1
    assert result.output == ('Error: --save needs --reason (e.g. --reason "synthesis meeting '
                             'of 2025-10"); nothing was saved.\n')
    assert len(read_package_versions(open_engine(demo_db))) == 2  # the demo's v1 and v2


def test_a_wave_joins_with_a_version_and_an_unknown_version_is_one_error_line(demo_db: str):
    assert _run("join", "W2", "v1", "--db", demo_db).output == "Wave W2 joins with package v1.\n"
    result = _run("join", "W2", "v3", "--db", demo_db)
    assert (result.exit_code, result.output) == (
        1, "Error: Unknown package version 'v3': use v1 to v2.\n")
    result = _run("diff", "v1", "v3", "--db", demo_db)
    assert (result.exit_code, result.output) == (
        1, "Error: Unknown package version 'v3': use v1 to v2.\n")


def test_every_package_command_has_help_with_an_example():
    for sub in ([], ["list"], ["show"], ["diff"], ["draft"], ["join"]):
        result = CliRunner().invoke(main, ["package", *sub, "--help"])
        assert result.exit_code == 0 and "Example: workbench package" in result.output, sub


def test_show_reads_in_french(demo_db: str):
    english = _run("show", "v1", "--db", demo_db)
    french = CliRunner().invoke(main, ["package", "show", "v1", "--db", demo_db],
                                env={"WORKBENCH_LANG": "fr"})
    assert english.exit_code == 0 and french.exit_code == 0, french.output
    first = english.output.splitlines()[0].split()
    assert first[:2] == ["C01", "launch"]
    assert french.output.splitlines()[0].split()[:2] == ["C01", "lancement"]
    assert "provenance : " in french.output and "provenance: " not in french.output

"""`workbench users` and `workbench audit` end to end (exact texts)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from workbench.cli import main


def run(*args, env=None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env)


def test_users_add_list_remove_and_the_audit_of_it(empty_db):
    assert run("users", "list", "--db", empty_db).output.startswith("No users: single-user mode")
    first = run("users", "add", "root", "--role", "admin", "--db", empty_db)
    assert first.exit_code == 0 and first.output == "Added: root is an admin.\n"
    added = run("users", "add", "amina", "--role", "coach", "--teams", "T01,T02", "--db",
                empty_db, "--user", "root")
    assert added.output == "Added: amina is a coach for T01, T02.\n"
    listed = json.loads(run("users", "list", "--db", empty_db, "--json").output)
    assert [(u["name"], u["roles"], u["teams"]) for u in listed] == [
        ("amina", ["coach"], ["T01", "T02"]), ("root", ["admin"], [])]
    removed = run("users", "remove", "amina", "--reason", "left", "--db", empty_db,
                  "--user", "root")
    assert removed.exit_code == 0, removed.output
    assert "(removed)" in run("users", "list", "--all", "--db", empty_db).output
    log = json.loads(run("audit", "--db", empty_db, "--user", "root", "--json").output)
    assert [(r["action"], r["row_id"]) for r in log] == [("user.add", "amina"),
                                                         ("user.remove", "amina")]
    text = run("audit", "--db", empty_db).output.splitlines()
    assert len(text) == 3 and " tester " in text[0] and "user.add" in text[0]


def test_a_refused_command_says_who_may_and_exits_1(empty_db):
    run("users", "add", "root", "--role", "admin", "--db", empty_db)
    run("users", "add", "amina", "--role", "coach", "--teams", "T01", "--db", empty_db,
        "--user", "root")
    refused = run("users", "add", "bob", "--role", "admin", "--db", empty_db, "--user", "amina")
    assert refused.exit_code == 1
    assert refused.output == ("Error: amina is a coach for T01; managing users needs an "
                              "admin\n")
    hub = run("users", "add", "bob", "--role", "admin", "--db", empty_db, "--user", "root",
              env={"JUPYTERHUB_USER": "amina"})  # under a hub, --user cannot change who acts
    assert hub.exit_code == 1 and hub.output.startswith("Error: amina is a coach")


def test_audit_since_must_be_a_day(empty_db):
    bad = run("audit", "--db", empty_db, "--since", "12/01/2026")
    assert bad.exit_code == 1
    assert bad.output == ("Error: --since '12/01/2026' is not a date; write YYYY-MM-DD, e.g. "
                          "--since 2026-12-01.\n")
    assert run("audit", "--db", empty_db, "--since", "2999-01-01").output == (
        "No writes recorded since 2999-01-01.\n")


def test_an_import_needs_an_analyst_and_is_in_the_audit_log(empty_db, tmp_path):
    run("users", "add", "root", "--role", "admin", "--db", empty_db)
    run("users", "add", "amina", "--role", "coach", "--teams", "T01", "--db", empty_db,
        "--user", "root")
    run("users", "add", "ana", "--role", "analyst", "--db", empty_db, "--user", "root")
    path = tmp_path / "month.csv"
    path.write_text("team_id,indicator_id,period,numerator,denominator\n"
                    "T01,AMTSL,2024-01,40,50\n", encoding="utf-8")
    refused = run("import", path, "--db", empty_db, "--user", "amina")
    assert refused.exit_code == 1
    assert refused.output.splitlines()[-1] == (
        "Error: amina is a coach for T01; importing data needs an analyst or an admin")
    assert run("import", path, "--db", empty_db, "--user", "amina", "--dry-run").exit_code == 0
    done = run("import", path, "--db", empty_db, "--user", "ana")
    assert done.exit_code == 0, done.output
    log = json.loads(run("audit", "--db", empty_db, "--user", "ana", "--json").output)
    assert [(r["action"], r["table_name"], r["details"]["new"]) for r in log] == [
        ("import", "import_batches", 1)]


def test_a_validation_run_needs_a_validator_analyst_or_admin_and_is_audited(empty_db):
    run("users", "add", "root", "--role", "admin", "--db", empty_db)
    run("users", "add", "tom", "--role", "team_member", "--teams", "T01", "--db", empty_db,
        "--user", "root")
    run("users", "add", "vera", "--role", "validator", "--db", empty_db, "--user", "root")
    refused = run("validate", "--db", empty_db, "--user", "tom")
    assert refused.exit_code == 1
    assert refused.output.splitlines()[-1] == (
        "Error: tom is a team member for T01; running data validation needs a validator, an "
        "analyst, or an admin")
    assert json.loads(run("audit", "--db", empty_db, "--user", "tom", "--json").output) == []
    done = run("validate", "--db", empty_db, "--user", "vera")
    assert done.exit_code == 0, done.output
    log = json.loads(run("audit", "--db", empty_db, "--user", "vera", "--json").output)
    assert [(r["action"], r["table_name"]) for r in log] == [("validate", "flags")]

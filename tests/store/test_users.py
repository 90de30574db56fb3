"""Users, roles and the audit log in the store; the acting user decided in one function."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.errors import NotFoundError, PermissionDenied, ValidationFailed
from workbench.store import (
    add_user,
    authorize,
    current_user,
    get_user,
    known_user,
    list_users,
    open_engine,
    read_audit,
    remove_user,
    users_defined,
)

TEMPLATE = Path(__file__).resolve().parents[2] / "templates" / "collaborative.yaml"


def test_the_hub_user_is_the_acting_user_whatever_else_is_given(monkeypatch):
    monkeypatch.setenv("WORKBENCH_USER", "os-level")
    assert current_user() == "os-level"
    assert current_user("cli-name") == "cli-name"
    monkeypatch.setenv("JUPYTERHUB_USER", "amina")
    assert current_user("someone-else") == "amina"


def test_a_name_typed_in_a_browser_session_comes_last(monkeypatch):
    """The session's name is only what someone said: every name a server or person gave
    explicitly comes first (a cookie left by another server on the host names nobody there)."""
    monkeypatch.delenv("WORKBENCH_USER", raising=False)
    monkeypatch.delenv("JUPYTERHUB_USER", raising=False)
    assert known_user(session="Nurse Okello") == "Nurse Okello"
    assert known_user("Bo", session="Nurse Okello") == "Bo"
    monkeypatch.setenv("WORKBENCH_USER", "amina")
    assert known_user(session="Nurse Okello") == "amina"
    monkeypatch.setenv("JUPYTERHUB_USER", "hubuser")
    assert known_user(session="Nurse Okello") == "hubuser"


def test_the_first_user_must_be_an_admin(empty_db):
    engine = open_engine(empty_db)
    with pytest.raises(PermissionDenied, match="the first user must be an admin"):
        add_user(engine, "amina", ["coach"], teams=["T01"])
    assert not users_defined(engine)
    add_user(engine, "root", ["admin"])
    assert users_defined(engine)


def test_only_an_admin_adds_users_once_there_are_users(empty_db):
    engine = open_engine(empty_db)
    add_user(engine, "root", ["admin"])
    add_user(engine, "amina", ["coach"], teams=["T01", "T02"], acting="root")
    with pytest.raises(PermissionDenied) as refused:
        add_user(engine, "x", ["analyst"], acting="amina")
    assert str(refused.value) == ("amina is a coach for T01, T02; managing users needs an "
                                  "admin")


@pytest.mark.parametrize("roles, teams, message", [
    ([], [], "give a role; use --role with one of team_member, coach"),
    (["boss"], [], "unknown role(s) boss; use --role with one of"),
    (["coach"], [], "a coach acts for teams: give them with --teams T01,T02"),
    (["team_member"], ["T99"], "unknown team(s) T99; list the codes"),
])
def test_a_bad_user_is_refused_with_the_fix(empty_db, roles, teams, message):
    engine = open_engine(empty_db)
    add_user(engine, "root", ["admin"])
    with pytest.raises(ValidationFailed) as refused:
        add_user(engine, "amina", roles, teams=teams, acting="root")
    assert str(refused.value).startswith(message)
    assert list(list_users(engine)["name"]) == ["root"]


def test_remove_deactivates_and_keeps_the_history(empty_db):
    engine = open_engine(empty_db)
    add_user(engine, "root", ["admin"])
    add_user(engine, "amina", ["coach"], teams=["T01"], acting="root")
    removed = remove_user(engine, "amina", reason="left", acting="root")
    assert not removed.active and removed.roles == ("coach",)
    assert list(list_users(engine)["name"]) == ["root"]
    assert list(list_users(engine, include_removed=True)["active"]) == [False, True]
    with engine.connect() as conn, pytest.raises(PermissionDenied,
                                                  match="^amina's account was removed on "):
        authorize(conn, "amina", "monthly_data", "T01")
    assert list(read_audit(engine)["action"]) == ["user.add", "user.add", "user.remove"]
    again = add_user(engine, "amina", ["team_member"], teams=["T02"], acting="root")
    assert again.active and read_audit(engine)["action"].iloc[-1] == "user.restore"


def test_the_last_admin_cannot_be_removed(empty_db):
    engine = open_engine(empty_db)
    add_user(engine, "root", ["admin"])
    with pytest.raises(ValidationFailed, match="root is the last admin"):
        remove_user(engine, "root", acting="root")
    with pytest.raises(NotFoundError):
        remove_user(engine, "nobody", acting="root")


def test_audit_filters_by_user_and_day(empty_db):
    engine = open_engine(empty_db)
    add_user(engine, "root", ["admin"], acting="tester")
    add_user(engine, "vera", ["validator"], acting="root")
    assert list(read_audit(engine, user="root")["row_id"]) == ["vera"]
    assert read_audit(engine, since="2999-01-01").empty
    with pytest.raises(ValidationFailed, match="--since 'yesterday' is not a date"):
        read_audit(engine, since="yesterday")


@pytest.mark.postgres
def test_users_roles_and_audit_on_postgresql(pg_url):
    from workbench.ingest.collaborative import init_collaborative

    engine = init_collaborative(pg_url, TEMPLATE)
    add_user(engine, "root", ["admin"])
    add_user(engine, "amina", ["coach"], teams=["T01"], acting="root")
    assert get_user(engine, "amina").teams == ("T01",)
    with engine.connect() as conn:
        authorize(conn, "amina", "visit", "T01")
        with pytest.raises(PermissionDenied, match="recording a coaching visit to T02"):
            authorize(conn, "amina", "visit", "T02")
    remove_user(engine, "amina", acting="root")
    assert list(read_audit(engine)["action"]) == ["user.add", "user.add", "user.remove"]
    engine.dispose()

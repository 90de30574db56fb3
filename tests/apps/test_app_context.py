"""The apps' query-string helper: what a request asks for, every bad value reported."""

from __future__ import annotations

import pytest

from workbench.apps.context import SESSION_ENV, AppContext, app_context, parse_query, session_user


def test_team_user_as_of_and_presentation_are_read_from_the_query_string() -> None:
    context = parse_query("?team=T01&user=Ann%20Coach&as_of=2026-06-30&presentation=1")
    assert context == AppContext(team="T01", user="Ann Coach", as_of="2026-06-30",
                                 presentation=True)


@pytest.mark.parametrize(("query", "problem"), [
    ("team=<script>", "team='<script>' is not a team code such as T01; it was ignored."),
    ("as_of=yesterday", "as_of='yesterday' is not a date written YYYY-MM-DD, e.g. 2026-06-30; "
                        "it was ignored."),
    ("period=2026-13", "period: '2026-13' is not a month; write it as YYYY-MM (year 1900 or "
                       "later), e.g. 2025-06; it was ignored."),
    ("period=0000-01", "period: '0000-01' is not a month; write it as YYYY-MM (year 1900 or "
                       "later), e.g. 2025-06; it was ignored."),
    ("presentation=maybe", "presentation='maybe' is not yes or no; use presentation=1."),
])
def test_a_malformed_value_is_dropped_and_named(query: str, problem: str) -> None:
    context = parse_query(query)
    assert context.problems == (problem,)
    assert context.team is None and context.as_of is None and context.presentation is False


def test_every_problem_is_reported_at_once() -> None:
    assert len(parse_query("team=%%%&as_of=x&period=y").problems) == 3


def test_unknown_keys_and_empty_values_are_ignored() -> None:
    assert parse_query("foo=bar&team=&voila-template=lab") == AppContext()


def test_checked_drops_a_team_that_is_not_in_the_collaborative() -> None:
    context = parse_query("team=T99&indicator=AMTSL").checked(teams={"T01"}, indicators={"AMTSL"})
    assert context.team is None and context.indicator == "AMTSL"
    assert context.problems == ("unknown team 'T99' in the address; pick one from the list "
                                "instead.",)


def test_outside_voila_the_context_is_the_default_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VOILA_PREHEAT", raising=False)
    monkeypatch.delenv("QUERY_STRING", raising=False)
    assert app_context() == AppContext()


def test_in_a_kernel_started_per_request_the_query_string_comes_from_the_environment(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOILA_PREHEAT", "False")
    monkeypatch.setenv("QUERY_STRING", "team=T02&user=Bo")
    assert app_context() == AppContext(team="T02", user="Bo")


def test_a_user_in_the_address_becomes_the_author_unless_jupyterhub_says_who(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUERY_STRING", "user=Bo")
    app_context()
    import os

    assert os.environ["WORKBENCH_USER"] == "Bo"
    monkeypatch.setenv("JUPYTERHUB_USER", "hubuser")
    monkeypatch.setenv("QUERY_STRING", "user=Eve")
    app_context()
    assert os.environ["WORKBENCH_USER"] == "Bo"


@pytest.mark.parametrize(("header", "expected"), [
    ("Nurse%20Okello", "Nurse Okello"),  # percent-encoded by the app handler
    ("Am%C3%A9lie", "Amélie"),
    ("%3Cscript%3E", None),  # not a name: dropped
    ("x" * 81, None),  # too long
    ("", None),
])
def test_the_session_s_name_comes_from_the_header_voila_puts_in_the_environment(
        header: str, expected: str | None) -> None:
    assert session_user({SESSION_ENV: header}) == expected


def test_the_app_context_carries_the_session_s_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUERY_STRING", "team=T02")
    monkeypatch.setenv(SESSION_ENV, "Nurse%20Okello")
    assert app_context() == AppContext(team="T02", session_user="Nurse Okello")

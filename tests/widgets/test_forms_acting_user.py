"""The forms act as the one acting user: under JupyterHub the hub's user, whatever is passed."""

from __future__ import annotations

from workbench.widgets.monthly_data import MonthlyDataForm


def test_under_a_hub_a_form_acts_as_the_hub_user(empty_db, monkeypatch):
    assert MonthlyDataForm(empty_db, team_id="T01", user="Ann").user == "Ann"
    monkeypatch.setenv("JUPYTERHUB_USER", "tom")
    assert MonthlyDataForm(empty_db, team_id="T01", user="Ann").user == "tom"

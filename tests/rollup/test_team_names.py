"""How teams are named (`workbench.rollup.names.team_labels`): names, with the code where
names repeat, or beside every name when asked; the apps' old import path still works."""

from __future__ import annotations

import pandas as pd

from workbench.rollup.names import team_labels

TEAMS = pd.DataFrame({"team_id": ["T1", "T2", "T3", "T4"],
                      "name": ["Kisoro", "Kisoro", " Bufumbira ", None]})


def test_names_with_the_code_only_where_names_repeat() -> None:
    assert team_labels(TEAMS) == {"T1": "Kisoro (T1)", "T2": "Kisoro (T2)", "T3": "Bufumbira",
                                  "T4": "T4"}


def test_codes_beside_every_name_when_asked() -> None:
    assert team_labels(TEAMS, codes=True) == {"T1": "Kisoro (T1)", "T2": "Kisoro (T2)",
                                              "T3": "Bufumbira (T3)", "T4": "T4"}


def test_the_apps_import_the_same_rule() -> None:
    from workbench.apps import team_pages

    assert team_pages.team_labels is team_labels

"""How teams are named on pages and charts: `team_labels` (the one rule; the learning-session
app, the snapshot and the collaborative summary call it)."""

from __future__ import annotations

import pandas as pd

__all__ = ["team_labels"]


def team_labels(teams: pd.DataFrame, *, codes: bool = False) -> dict[str, str]:
    """Each team's name as people say it, by team code; a team without a name is its code.

    The code is added only where names repeat ("Kisoro HC (T07)"), so that every label is
    unique; with `codes=True` it is added to every name ("Kisoro HC (T07)"), for pages read
    beside lists of codes (the collaborative summary's small multiples)."""
    names = teams["name"].fillna("").astype(str).str.strip()
    ids = teams["team_id"].astype(str)
    named = names != ""
    names = names.where(named, ids)
    counts = names.value_counts()
    return {str(code): (f"{name} ({code})" if (codes and has_name) or counts[name] > 1
                        else name)
            for code, name, has_name in zip(ids, names, named, strict=True)}

"""The change package as a versioned thing: the draft of the refined package a synthesis meeting
starts from, and the differences between two versions.

`draft_package(current, evidence_practices, stories, innovations, abandoned, period)` keeps
every change of the current version, adds the team innovations other teams took up
(`workbench.learning.synthesis.innovations_taken_up`), drops the ideas every team abandoned
(`abandoned_everywhere`) and rewrites each kept change's guidance with what the collaborative
learned: its grade and effect per indicator and the teams that can tell the story. Each row
carries its provenance (which teams' evidence, and why it is kept, added or dropped).

`package_diff(a, b)` lists what changed from version `a` to version `b`: changes added,
dropped, and guidance rewritten.

A draft is a proposal for people to edit; the store keeps the versions they save. Pure:
frames in, frames out.
"""

from __future__ import annotations

from typing import Any, cast

import pandas as pd

from workbench.learning.evidence import GRADES

__all__ = ["DIFF_COLUMNS", "DRAFT_COLUMNS", "draft_package", "package_diff"]

DRAFT_COLUMNS = ["change_id", "name", "action", "grade", "guidance", "provenance"]
DIFF_COLUMNS = ["change_id", "name", "difference", "before", "after", "provenance"]


def _by_change(practices: pd.DataFrame) -> dict[str, list[dict[str, Any]]]:
    """Each change's rows of `practices`, the best grade first (then by indicator)."""
    rank = {g: i for i, g in enumerate(GRADES)}
    ordered = practices.assign(_r=practices["grade"].map(rank)).sort_values(
        ["change_id", "_r", "indicator_id"])
    out: dict[str, list[dict[str, Any]]] = {}
    for r in _records(ordered):
        out.setdefault(str(r["change_id"]), []).append(r)
    return out


def _lessons(change_id: str, practices: dict[str, list[dict[str, Any]]],
             stories: dict[tuple[str, str], list[str]]) -> tuple[str, str, list[str]]:
    """(best grade, the sentence of what was learned, the teams whose evidence it rests on);
    `practices` is `_by_change(...)`."""
    rows = practices.get(change_id, [])
    if not rows:
        return ("not tested", "Not tested by any team yet.", [])
    parts: list[str] = []
    teams: list[str] = []
    for r in rows:
        told = stories.get((change_id, str(r["indicator_id"])), [])
        teams += [t for t in told if t not in teams]
        if r["grade"] in ("strong", "promising"):
            ask = f"; ask {', '.join(told)} how they did it" if told else ""
            parts.append(f"{r['grade']} on {r['indicator_id']} ({r['effect_pp']:+.1f} pts "
                         f"against non-adopters, {r['teams_adopted']} of {r['teams_tested']} "
                         f"teams adopted{ask})")
        else:
            parts.append(f"{r['grade']} on {r['indicator_id']}")
    text = "; ".join(parts)
    return (str(rows[0]["grade"]), text[:1].upper() + text[1:] + ".", teams)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return cast("list[dict[str, Any]]", frame.to_dict("records"))


def draft_package(current: pd.DataFrame, practices: pd.DataFrame, stories: pd.DataFrame,
                  innovations: pd.DataFrame, abandoned: pd.DataFrame, change_ideas: pd.DataFrame,
                  *, period: str) -> pd.DataFrame:
    """The refined package proposed by the evidence up to `period` (see the module docstring).

    `current`: the current version's changes (change_id, name, guidance); `practices`:
    `Evidence.practices`; `stories`: `storytellers(...)`; `innovations`, `abandoned`: the
    frames of `workbench.learning.synthesis`; `change_ideas`: every idea (descriptions)."""
    told = {(str(r["change_id"]), str(r["indicator_id"])): [str(t) for t in r["teams"]]
            for r in _records(stories)}
    dropping = dict(zip(abandoned["change_id"], abandoned["teams_tested"], strict=False))
    lessons = _by_change(practices)
    rows: list[dict[str, Any]] = []
    for ch in _records(current):
        change_id = str(ch["change_id"])
        grade, lesson, teams = _lessons(change_id, lessons, told)
        if change_id in dropping:
            n = int(dropping[change_id])
            rows.append({"change_id": change_id, "name": ch["name"], "action": "drop",
                         "grade": grade, "guidance": str(ch["guidance"]),
                         "provenance": {"teams": [], "reason":
                                        f"abandoned by all {n} team{'s' if n != 1 else ''} "
                                        f"that tested it (synthesis {period})"}})
            continue
        base = str(ch["guidance"]).split(" What teams learned")[0].strip()
        rows.append({"change_id": change_id, "name": ch["name"], "action": "keep",
                     "grade": grade,
                     "guidance": f"{base} What teams learned by {period}: {lesson}".strip(),
                     "provenance": {"teams": teams, "reason": f"kept: {grade}"}})
    descriptions = dict(zip(change_ideas["change_id"], change_ideas["description"],
                            strict=False))
    in_current = set(current["change_id"].astype(str))
    for inn in _records(innovations):
        change_id = str(inn["change_id"])
        if change_id in in_current:
            continue
        grade, lesson, _teams = _lessons(change_id, lessons, told)
        others = [str(t) for t in inn["other_teams"]]
        rows.append({"change_id": change_id, "name": inn["name"], "action": "add",
                     "grade": grade,
                     "guidance": f"{descriptions.get(change_id, '')} Started by "
                                 f"{inn['origin_team']}, taken up by {', '.join(others)}. "
                                 f"{lesson}".strip(),
                     "provenance": {"teams": [str(inn["origin_team"]), *others], "reason":
                                    f"team innovation tested by {inn['teams_tested']} teams "
                                    f"(synthesis {period})"}})
    return pd.DataFrame(rows, columns=DRAFT_COLUMNS)


def _members(version: pd.DataFrame) -> pd.DataFrame:
    if "in_package" in version.columns:
        return version[version["in_package"].astype(bool)]
    return version


def package_diff(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """From version `a` to version `b` (each: change_id, name, guidance, provenance; with an
    `in_package` column, rows False are changes the version dropped, kept for their reason):
    rows `added`, `dropped` and `guidance rewritten`, in change order. A dropped change's
    provenance is `b`'s reason for dropping it when `b` records one."""
    before = {str(r["change_id"]): r for r in _records(_members(a))}
    after = {str(r["change_id"]): r for r in _records(_members(b))}
    reasons = {str(r["change_id"]): r["provenance"] for r in _records(b)}
    rows = []
    for change_id in sorted(set(before) | set(after)):
        old, new = before.get(change_id), after.get(change_id)
        if old is None and new is not None:
            rows.append({"change_id": change_id, "name": new["name"], "difference": "added",
                         "before": "", "after": new["guidance"],
                         "provenance": new["provenance"]})
        elif new is None and old is not None:
            rows.append({"change_id": change_id, "name": old["name"], "difference": "dropped",
                         "before": old["guidance"], "after": "",
                         "provenance": reasons.get(change_id, old["provenance"])})
        elif old is not None and new is not None and old["guidance"] != new["guidance"]:
            rows.append({"change_id": change_id, "name": new["name"],
                         "difference": "guidance rewritten", "before": old["guidance"],
                         "after": new["guidance"], "provenance": new["provenance"]})
    return pd.DataFrame(rows, columns=DIFF_COLUMNS)

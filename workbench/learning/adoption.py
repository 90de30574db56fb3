"""Who tested and adopted which change: one row per team × change idea × linked indicator.

From the PDSA journal (`pdsa_cycles`): a team *tested* a change when it has any cycle of it;
its *decision* is the act decision of its latest closed cycle (adopt, adapt, abandon);
`adopted_period` is the month of its first `adopt`; the change is expected to act on an
indicator from `effect_start` = adoption month + `lag` (default 1: the month after the
decision, as the charts start a new phase). Changes one team adopted with effect starts
within `together_months` of each other on the same indicator are *adopted together*
(`adopted_with`): their effects cannot be told apart, so `workbench.learning.evidence`
reports them as a combination and never credits one of them alone.

Pure: frames in, frames out.
"""

from __future__ import annotations

from typing import Any, SupportsInt, cast

import numpy as np
import pandas as pd

__all__ = ["ADOPTION_COLUMNS", "team_adoptions"]

ADOPTION_COLUMNS = ["team_id", "change_id", "indicator_id", "cycles", "cycles_to_decision",
                    "decision", "first_test", "adopted_period", "months_to_adoption",
                    "effect_start", "adopted_with"]


def _as_list(value: Any) -> list[str]:
    if isinstance(value, list | tuple | np.ndarray):
        return [str(v) for v in value]
    return []


def _period(value: Any) -> pd.Period | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value == "":
        return None
    return pd.Period(str(value)[:10], freq="M")


def _linked(cycles: pd.DataFrame, change_ideas: pd.DataFrame) -> pd.DataFrame:
    """One row per cycle × indicator it acts on (linked, else its change idea's)."""
    idea_inds = dict(zip(change_ideas["change_id"], change_ideas["indicator_ids"].map(_as_list),
                         strict=False)) if len(change_ideas) else {}
    rows = []
    for cyc in cycles.itertuples(index=False):
        for ind in _as_list(cyc.linked_indicators) or idea_inds.get(cyc.change_id, []):
            rows.append({"team_id": cyc.team_id, "change_id": cyc.change_id,
                         "indicator_id": ind,
                         "cycle_number": int(cast(SupportsInt, cyc.cycle_number)),
                         "start": _period(cyc.start_date), "end": _period(cyc.end_date),
                         "decision": cyc.act_decision if cyc.act_decision else None})
    return pd.DataFrame(rows, columns=["team_id", "change_id", "indicator_id", "cycle_number",
                                       "start", "end", "decision"])


def team_adoptions(cycles: pd.DataFrame, change_ideas: pd.DataFrame, *, lag: int = 1,
                   together_months: int = 1) -> pd.DataFrame:
    """Per team × change × indicator: cycles, cycles up to the first decision, the latest
    decision, first test month, adoption month, months from first test to adoption, the
    month the effect is expected from, and the other changes adopted together with it."""
    links = _linked(cycles, change_ideas)
    if links.empty:
        return pd.DataFrame(columns=ADOPTION_COLUMNS)
    links = links.sort_values(["team_id", "change_id", "indicator_id", "cycle_number"])
    out = []
    for (team, change, ind), g in links.groupby(["team_id", "change_id", "indicator_id"],
                                                 sort=True):
        decided = g[g["decision"].notna()]
        adopt = decided[decided["decision"] == "adopt"]
        first_test = g["start"].dropna().min() if g["start"].notna().any() else None
        adopted = adopt["end"].dropna().min() if len(adopt) and adopt["end"].notna().any() \
            else None
        months = (adopted.ordinal - first_test.ordinal
                  if not pd.isna(adopted) and not pd.isna(first_test) else None)
        out.append({
            "team_id": team, "change_id": change, "indicator_id": ind, "cycles": len(g),
            "cycles_to_decision": (int(decided["cycle_number"].iloc[0]) if len(decided)
                                   else None),
            "decision": decided["decision"].iloc[-1] if len(decided) else None,
            "first_test": first_test, "adopted_period": adopted,
            "months_to_adoption": months,
            "effect_start": None if pd.isna(adopted) else adopted + lag,
        })
    frame = pd.DataFrame(out, columns=ADOPTION_COLUMNS[:-1])
    frame["adopted_with"] = _together(frame, together_months)
    return frame[ADOPTION_COLUMNS]


def _together(frame: pd.DataFrame, months: int) -> list[list[str]]:
    """For each adopted row, the other changes the team adopted on the same indicator with
    effect starts within `months`."""
    starts = frame["effect_start"].map(lambda p: np.nan if pd.isna(p) else p.ordinal)
    out: list[list[str]] = [[] for _ in range(len(frame))]
    adopted = frame[starts.notna()].assign(_o=starts[starts.notna()])
    for _key, g in adopted.groupby(["team_id", "indicator_id"]):
        for i, row in g.iterrows():
            near = g[(g.index != i) & ((g["_o"] - row["_o"]).abs() <= months)]
            out[frame.index.get_loc(i)] = sorted(near["change_id"].astype(str))
    return out

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

from functools import lru_cache
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
    return _month(str(value)[:10])


@lru_cache(maxsize=4096)
def _month(day: str) -> pd.Period:
    return pd.Period(day, freq="M")


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
    key = ["team_id", "change_id", "indicator_id"]
    links = links.sort_values([*key, "cycle_number"], kind="stable").reset_index(drop=True)
    links["_start"] = [np.nan if pd.isna(p) else p.ordinal for p in links["start"]]
    links["_end"] = [np.nan if pd.isna(p) else p.ordinal for p in links["end"]]
    groups = links.groupby(key, sort=True)
    decided = links[links["decision"].notna()].groupby(key, sort=True)
    adopt = links[(links["decision"] == "adopt")].groupby(key, sort=True)["_end"].min()
    g = pd.DataFrame({"cycles": groups.size(), "first": groups["_start"].min()})
    g = g.join(pd.DataFrame({"to_decision": decided["cycle_number"].first(),
                             "decision": decided["decision"].last()})).join(
        adopt.rename("adopted"))
    counts = g["cycles"].to_numpy(np.int64)
    firsts = g["first"].to_numpy(float)
    adopts = g["adopted"].to_numpy(float)
    to_decision = g["to_decision"].to_numpy(float)
    decisions = [None if pd.isna(d) else str(d) for d in g["decision"]]
    out = []
    for k, (team, change, ind) in enumerate(g.index):
        first_test, adopted = _from_ordinal(firsts[k]), _from_ordinal(adopts[k])
        out.append({
            "team_id": team, "change_id": change, "indicator_id": ind,
            "cycles": int(counts[k]),
            "cycles_to_decision": None if np.isnan(to_decision[k]) else int(to_decision[k]),
            "decision": decisions[k], "first_test": first_test, "adopted_period": adopted,
            "months_to_adoption": (int(adopts[k] - firsts[k])
                                   if adopted is not None and first_test is not None else None),
            "effect_start": None if adopted is None else adopted + lag,
        })
    frame = pd.DataFrame(out, columns=ADOPTION_COLUMNS[:-1])
    frame["adopted_with"] = _together(frame, together_months)
    return frame[ADOPTION_COLUMNS]


def _from_ordinal(value: float) -> pd.Period | None:
    return None if np.isnan(value) else _month_of(int(value))


@lru_cache(maxsize=4096)
def _month_of(ordinal: int) -> pd.Period:
    return pd.Period(ordinal=ordinal, freq="M")


def _together(frame: pd.DataFrame, months: int) -> list[list[str]]:
    """For each adopted row, the other changes the team adopted on the same indicator with
    effect starts within `months`."""
    out: list[list[str]] = [[] for _ in range(len(frame))]
    starts = [np.nan if pd.isna(p) else p.ordinal for p in frame["effect_start"]]
    adopted = frame[["team_id", "indicator_id", "change_id"]].assign(
        _o=starts, _i=np.arange(len(frame)))
    adopted = adopted[adopted["_o"].notna()]
    pairs = adopted.merge(adopted, on=["team_id", "indicator_id"], suffixes=("", "_other"))
    pairs = pairs[(pairs["_i"] != pairs["_i_other"])
                  & ((pairs["_o"] - pairs["_o_other"]).abs() <= months)]
    for i, other in pairs.groupby("_i")["change_id_other"]:
        out[cast(int, i)] = sorted(other.astype(str))
    return out

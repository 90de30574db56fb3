"""Who tested and adopted which change: one row per team × change idea × linked indicator.

From the PDSA journal (`pdsa_cycles`): a team *tested* a change when it has any cycle of it;
its *decision* is the act decision of its latest closed cycle (adopt, adapt, abandon);
`adopted_period` is the month of its first `adopt`; the change is expected to act on an
indicator from `effect_start` = adoption month + `lag` (default 1: the month after the
decision, as the charts start a new phase). Changes one team adopted with effect starts
within `together_months` of each other on the same indicator are *adopted together*
(`adopted_with`): their effects cannot be told apart, so `workbench.learning.evidence`
reports them as a combination and never credits one of them alone.

Everything is computed by frame operations on the journal exploded to one row per cycle ×
indicator (no Python loop over teams or cycles but the parsing of each distinct date once), so
a national collaborative's journal costs about what the demo's does.

Pure: frames in, frames out.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["ADOPTION_COLUMNS", "team_adoptions"]

ADOPTION_COLUMNS = ["team_id", "change_id", "indicator_id", "cycles", "cycles_to_decision",
                    "decision", "first_test", "adopted_period", "months_to_adoption",
                    "effect_start", "adopted_with"]
_KEY = ["team_id", "change_id", "indicator_id"]
_NAT = np.iinfo(np.int64).min  # pandas' missing value of an int64-backed Period array
_MONTH = pd.PeriodDtype("M")


def _as_list(value: Any) -> list[str]:
    if isinstance(value, list | tuple | np.ndarray):
        return [str(v) for v in value]
    return []


@lru_cache(maxsize=4096)
def _ordinal(day: str) -> int:
    return int(pd.Period(day, freq="M").ordinal)


def _month_ordinals(values: pd.Series) -> np.ndarray:
    """The month ordinal of each date (its first 10 characters: 'YYYY-MM-DD' or 'YYYY-MM'),
    NaN where there is none (missing or empty); each distinct date parsed once."""
    codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)
    parsed = np.array([np.nan if u == "" else float(_ordinal(str(u)[:10])) for u in uniques]
                      + [np.nan], dtype=float)
    return parsed[codes]  # code -1 (missing) reads the trailing NaN


def _linked(cycles: pd.DataFrame, change_ideas: pd.DataFrame) -> pd.DataFrame:
    """One row per cycle × indicator it acts on (linked, else its change idea's), with the
    months of its start and end as ordinals (NaN: none) and its decision (None: none yet)."""
    idea_inds = dict(zip(change_ideas["change_id"], change_ideas["indicator_ids"].map(_as_list),
                         strict=False)) if len(change_ideas) else {}
    inds = [_as_list(linked) or idea_inds.get(change, [])
            for linked, change in zip(cycles["linked_indicators"], cycles["change_id"],
                                      strict=True)]
    rows = np.repeat(np.arange(len(cycles)), [len(i) for i in inds])
    picked = cycles.iloc[rows]
    decision = picked["act_decision"].astype(object)
    return pd.DataFrame({
        "team_id": picked["team_id"].to_numpy(), "change_id": picked["change_id"].to_numpy(),
        "indicator_id": [ind for each in inds for ind in each],
        "cycle_number": picked["cycle_number"].to_numpy(np.int64),
        "start": _month_ordinals(picked["start_date"]),
        "end": _month_ordinals(picked["end_date"]),
        "decision": decision.where(decision.notna() & (decision != ""), None).to_numpy(),
    })


def _months(ordinals: np.ndarray) -> pd.arrays.PeriodArray:
    """Monthly Periods from float ordinals (NaN -> NaT)."""
    values = np.where(np.isnan(ordinals), _NAT, np.nan_to_num(ordinals)).astype(np.int64)
    return pd.arrays.PeriodArray(values, dtype=_MONTH)


def _whole(values: np.ndarray) -> np.ndarray:
    """Counts as int64 when none is missing, else float64 with NaN (as a column of ints and
    Nones reads)."""
    return values.astype(np.int64) if not np.isnan(values).any() else values


def team_adoptions(cycles: pd.DataFrame, change_ideas: pd.DataFrame, *, lag: int = 1,
                   together_months: int = 1) -> pd.DataFrame:
    """Per team × change × indicator (sorted by them): cycles, cycles up to the first
    decision, the latest decision, first test month, adoption month, months from first test
    to adoption, the month the effect is expected from, and the other changes adopted
    together with it (sorted)."""
    links = _linked(cycles, change_ideas)
    if links.empty:
        return pd.DataFrame(columns=ADOPTION_COLUMNS)
    links = links.sort_values([*_KEY, "cycle_number"], kind="stable").reset_index(drop=True)
    groups = links.groupby(_KEY, sort=True)
    decided = links[links["decision"].notna()].groupby(_KEY, sort=True)
    adopt = links[links["decision"] == "adopt"].groupby(_KEY, sort=True)["end"].min()
    g = pd.DataFrame({"cycles": groups.size(), "first": groups["start"].min()})
    g = g.join(pd.DataFrame({"to_decision": decided["cycle_number"].first(),
                             "decision": decided["decision"].last()})).join(
        adopt.rename("adopted"))
    first = g["first"].to_numpy(float)
    adopted = g["adopted"].to_numpy(float)
    keys = g.index.to_frame(index=False)
    frame = pd.DataFrame({
        "team_id": keys["team_id"].astype(str), "change_id": keys["change_id"].astype(str),
        "indicator_id": keys["indicator_id"].astype(str),
        "cycles": g["cycles"].to_numpy(np.int64),
        "cycles_to_decision": _whole(g["to_decision"].to_numpy(float)),
        "decision": pd.Series(g["decision"].to_numpy(object), dtype="str"),
        "first_test": _months(first), "adopted_period": _months(adopted),
        "months_to_adoption": _whole(adopted - first),
        "effect_start": _months(adopted + lag),
    })
    frame["adopted_with"] = _together(frame, together_months)
    return frame[ADOPTION_COLUMNS]


def _together(frame: pd.DataFrame, months: int) -> list[list[str]]:
    """For each adopted row, the other changes the team adopted on the same indicator with
    effect starts within `months` (sorted)."""
    out: list[list[str]] = [[] for _ in range(len(frame))]
    starts = frame["effect_start"].array.asi8
    adopted = frame[["team_id", "indicator_id", "change_id"]].assign(
        _o=starts, _i=np.arange(len(frame)))[starts != _NAT]
    pairs = adopted.merge(adopted, on=["team_id", "indicator_id"], suffixes=("", "_other"))
    pairs = pairs[(pairs["_i"] != pairs["_i_other"])
                  & ((pairs["_o"] - pairs["_o_other"]).abs() <= months)]
    if len(pairs):
        pairs = pairs.sort_values(["_i", "change_id_other"], kind="stable")
        grouped = pairs.groupby("_i", sort=True)["change_id_other"].agg(list)
        for i, other in zip(grouped.index, grouped, strict=True):
            out[int(i)] = [str(c) for c in other]
    return out

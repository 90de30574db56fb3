"""The PDSA cycles as chart annotations (`pdsa_events`), once per linked indicator.

Pure pandas (no I/O, no HTML). `workbench.rollup.series.team_charts` draws them under the
data and `adoption_phases` starts a new phase after each `adopt` decision; the learning
session and the data-quality rules read the same events. Re-exported by
`workbench.rollup.series`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, SupportsInt, cast

import numpy as np
import pandas as pd

from workbench.rollup.base import sort_codes

__all__ = ["EVENT_COLUMNS", "pdsa_events", "text_or_blank"]

EVENT_COLUMNS = ["team_id", "indicator_id", "cycle_id", "date", "period", "kind", "label",
                 "detail", "change_id", "change_name", "cycle_number", "title"]


def text_or_blank(value: object) -> str:
    """'' for None / NaN / NA / NaT (pandas 3 stores missing text as NaN), else str(value)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    return str(value)


def _texts(values: pd.Series) -> list[str]:
    """`text_or_blank` of each value (a text column's missing values filled at once)."""
    if isinstance(values.dtype, pd.StringDtype):
        filled: list[str] = values.fillna("").tolist()
        return filled
    return [text_or_blank(v) for v in values.tolist()]


def _link_key(value: object) -> tuple[Any, ...]:
    """A cycle's linked indicators as a hashable key (() when it has none)."""
    if isinstance(value, (list, tuple)):
        return tuple(value)
    if isinstance(value, np.ndarray):
        return tuple(value.tolist())
    return ()


def _objects(values: list[Any]) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _codes(values: np.ndarray) -> np.ndarray:
    """Integer codes of `values` (equal values, one code; missing values one code too)."""
    codes, _ = pd.factorize(values, use_na_sentinel=False)
    out: np.ndarray = np.asarray(codes, dtype=np.int64)
    return out


def _numbered(codes: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the number of its combination of `codes` (integer codes >= 0, arrays of one
    length), and the first row of each combination."""
    key = np.zeros(len(codes[0]), dtype=np.int64)
    for code in codes:
        key = key * (int(code.max(initial=0)) + 1) + code
    number = np.asarray(pd.factorize(key)[0], dtype=np.int64)  # in order of appearance
    highest = np.maximum.accumulate(number)
    first = np.flatnonzero(number > np.r_[-1, highest[:-1]])
    return number, first


def _built(codes: Sequence[np.ndarray], values: Sequence[np.ndarray],
           build: Callable[..., str]) -> np.ndarray:
    """`build(*values)` of each row, as an object array, called once per distinct
    combination of `codes` (the integer codes of the values, or of what they are made of):
    48,000 cycles hold a few dozen titles and a dozen changes."""
    if not len(codes[0]):
        return np.empty(0, dtype=object)
    number, first = _numbered(codes)
    built = np.empty(len(first), dtype=object)
    for at, i in enumerate(first.tolist()):
        built[at] = build(*(value[i] for value in values))
    out: np.ndarray = built[number]
    return out


def _cycle_texts(cycles: pd.DataFrame, change_ideas: pd.DataFrame | None
                 ) -> tuple[tuple[np.ndarray, list[list[str]]], dict[str, np.ndarray],
                            list[dict[str, np.ndarray]]]:
    """Per cycle: its indicators (linked, else its change idea's: the number of its list
    and the distinct lists) and its texts (change_id, change name, title); and per kind of
    event (start, then decision), the date, kind, label, detail and cycle position of each
    cycle that has one (`pdsa_events`). Each text is built once per distinct combination
    of its parts (48,000 cycles hold a few dozen titles and a dozen changes), found by the
    integer codes of the parts (each column's texts hashed once)."""
    ideas: dict[str, str] = {}
    idea_inds: dict[str, list[str]] = {}
    if change_ideas is not None and len(change_ideas):
        ideas = dict(zip(change_ideas["change_id"], change_ideas["name"], strict=False))
        idea_inds = dict(zip(change_ideas["change_id"],
                             change_ideas["indicator_ids"].map(_as_list), strict=False))
    change = _objects(cycles["change_id"].tolist())
    links = _objects([tuple(v) if type(v) is list else _link_key(v)  # most are lists
                      for v in cycles["linked_indicators"].tolist()])
    change_code = _codes(change)
    link_number, first = _numbered([_codes(links), change_code])
    ind_lists = [[str(v) for v in links[i]] or idea_inds.get(change[i], [])
                 for i in first.tolist()]
    names = _built([change_code], [change],
                   lambda c: text_or_blank(ideas.get(c)) or text_or_blank(c))
    title = _objects(_texts(cycles["title"]))
    titles = np.where(title != "", title, names)
    title_code = _codes(title) * (int(change_code.max(initial=0)) + 1) + change_code
    number = _objects(cycles["cycle_number"].tolist())
    base_code = _numbered([change_code, _codes(number)])[0]
    bases = _built([base_code], [change, number], lambda c, n: f"{c} cycle {n}")
    start, end, act = (_objects(_texts(cycles[c]))
                       for c in ("start_date", "end_date", "act_decision"))
    counts = np.array([len(i) for i in ind_lists], dtype=np.int64)[link_number]
    started = (start != "") & (counts > 0)
    decided = (act != "") & (end != "") & (counts > 0)
    # one block of rows per kind: the cycle's start, then its decision (on the end date)
    at = np.flatnonzero(started)
    texts = [{"date": start[at], "kind": np.full(len(at), "start", dtype=object),
              "label": _built([base_code[at]], [bases[at]], lambda b: f"{b} start"),
              "detail": _built([title_code[at]], [titles[at], names[at]],
                               lambda t, n: f"PDSA started: {t} ({n})"),
              "cycle": at}]
    at = np.flatnonzero(decided)
    act_code = _codes(act[at])
    texts.append({"date": end[at], "kind": act[at],
                  "label": _built([base_code[at], act_code], [bases[at], act[at]],
                                  lambda b, a: f"{b} {a}"),
                  "detail": _built([act_code, title_code[at]], [act[at], titles[at], names[at]],
                                   lambda a, t, n: f"{a.capitalize()}: {t} ({n})"),
                  "cycle": at})
    return (link_number, ind_lists), {"change": change, "names": names, "titles": titles}, texts


def _as_list(value: object) -> list[str]:
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    if isinstance(value, np.ndarray):
        return [str(v) for v in value.tolist()]
    return []


def pdsa_events(cycles: pd.DataFrame | None,
                change_ideas: pd.DataFrame | None = None) -> pd.DataFrame:
    """Chart annotations from PDSA cycles: a `start` at each start date and the act decision
    (`adopt` / `adapt` / `abandon`) at the end date, once per linked indicator.

    A cycle with no linked indicators is drawn on the indicators of its change idea.
    `label` is short (for the chart); `detail` is the longer hover text. Text is raw user
    text: escaping is the renderer's job (bokeh hover and `workbench.notebook.render` escape it).

    Rows are sorted by team, indicator and date; events on the same date keep the order of
    the cycles, a start before its cycle's decision, the indicators in the cycle's order. The
    texts are built once per cycle and the rows repeated per indicator as arrays (48,000
    cycles give 180,000 events at 2,000 teams).
    """
    if cycles is None or cycles.empty:
        return pd.DataFrame(columns=EVENT_COLUMNS)
    (link_number, ind_lists), per_cycle_texts, texts = _cycle_texts(cycles, change_ideas)
    change, names, titles = (per_cycle_texts[k] for k in ("change", "names", "titles"))
    widest = max((len(i) for i in ind_lists), default=0)
    inds = np.full((len(ind_lists), widest + 1), None, dtype=object)  # distinct lists, padded
    for number, listed in enumerate(ind_lists):
        inds[number, :len(listed)] = listed
    counts = np.array([len(i) for i in ind_lists], dtype=np.int64)[link_number]
    cycle_at = np.concatenate([np.asarray(t["cycle"], dtype=np.int64) for t in texts])
    if not len(cycle_at):
        return pd.DataFrame(columns=EVENT_COLUMNS)
    kind_of = np.repeat([0, 1], [len(t["cycle"]) for t in texts])
    per_row = counts[cycle_at]
    row = np.repeat(np.arange(len(cycle_at)), per_row)  # each event once per indicator
    ind_pos = np.arange(len(row)) - np.repeat(np.cumsum(per_row) - per_row, per_row)
    cycles_of = cycle_at[row]
    flat_inds = inds[link_number[cycles_of], ind_pos]

    def column(values: list[Any] | np.ndarray) -> np.ndarray:
        out: np.ndarray = np.asarray(values, dtype=object)[row]
        return out

    def per_cycle(values: list[Any] | np.ndarray) -> np.ndarray:
        out: np.ndarray = np.asarray(values, dtype=object)[cycles_of]
        return out

    texts_of = {key: np.concatenate([np.asarray(t[key], dtype=object) for t in texts])
                for key in ("date", "kind", "label", "detail")}
    date_code, distinct = pd.factorize(texts_of["date"])  # each date parsed once
    stamps = pd.Series([pd.Timestamp(d) for d in distinct])
    events = pd.DataFrame({
        "team_id": per_cycle(cycles["team_id"].tolist()), "indicator_id": flat_inds,
        "cycle_id": _integers(cycles["cycle_id"], cycle_at)[row],
        "date": stamps.take(date_code[row]).reset_index(drop=True), "period": None,
        "kind": column(texts_of["kind"]), "label": column(texts_of["label"]),
        "detail": column(texts_of["detail"]), "change_id": per_cycle(change),
        "change_name": per_cycle(names),
        "cycle_number": _integers(cycles["cycle_number"], cycle_at)[row],
        "title": per_cycle(titles)})
    events["period"] = events["date"].dt.to_period("M")
    # sorted by the codes of each cycle's team and of each distinct list's indicators
    team = sort_codes(pd.Series(cycles["team_id"].tolist()))[0][cycles_of]
    in_list = inds[:, :widest]
    present = np.flatnonzero(~pd.isna(in_list).ravel())
    in_lists = np.zeros(in_list.size, dtype=np.int64)
    in_lists[present] = sort_codes(pd.Series(in_list.ravel()[present].tolist()))[0]
    indicator = in_lists.reshape(in_list.shape)[link_number[cycles_of], ind_pos]
    stamp = events["date"].to_numpy(dtype="datetime64[us]").view(np.int64).copy()
    stamp[events["date"].isna().to_numpy()] = np.iinfo(np.int64).max  # NaT last, as sorted
    order = np.lexsort((ind_pos, kind_of[row], cycles_of, stamp, indicator, team))
    return events.take(order).reset_index(drop=True)


def _integers(values: pd.Series, at: np.ndarray) -> np.ndarray:
    """`int()` of the values at positions `at` (of the cycles that give events), as int64."""
    if pd.api.types.is_integer_dtype(values.dtype):
        taken: np.ndarray = values.to_numpy(dtype=np.int64)[at]
        return taken
    items = values.tolist()
    return np.array([int(cast(SupportsInt, items[i])) for i in at.tolist()], dtype=np.int64)

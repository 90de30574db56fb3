"""The PDSA cycles as chart annotations (`pdsa_events`), once per linked indicator.

Pure pandas (no I/O, no HTML). `workbench.rollup.series.team_charts` draws them under the
data and `adoption_phases` starts a new phase after each `adopt` decision; the learning
session and the data-quality rules read the same events. Re-exported by
`workbench.rollup.series`.
"""

from __future__ import annotations

import math
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


def _as_list(value: object) -> list[str]:
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    if isinstance(value, np.ndarray):
        return [str(v) for v in value.tolist()]
    return []


def _cycle_texts(cycles: pd.DataFrame, change_ideas: pd.DataFrame | None
                 ) -> tuple[list[list[str]], dict[str, list[Any]], list[dict[str, list[Any]]]]:
    """Per cycle: its indicators (linked, else its change idea's) and its texts (change_id,
    change name, title); and per kind of event (start, then decision), the date, kind,
    label, detail and cycle position of each cycle that has one (`pdsa_events`)."""
    ideas: dict[str, str] = {}
    idea_inds: dict[str, list[str]] = {}
    if change_ideas is not None and len(change_ideas):
        ideas = dict(zip(change_ideas["change_id"], change_ideas["name"], strict=False))
        idea_inds = dict(zip(change_ideas["change_id"],
                             change_ideas["indicator_ids"].map(_as_list), strict=False))
    change = cycles["change_id"].tolist()
    inds = [_as_list(linked) or idea_inds.get(c, []) for linked, c in
            zip(cycles["linked_indicators"].tolist(), change, strict=True)]
    names = [text_or_blank(ideas.get(c)) or text_or_blank(c) for c in change]
    titles = [t or n for t, n in zip(_texts(cycles["title"]), names, strict=True)]
    numbers = cycles["cycle_number"].tolist()
    bases = [f"{c} cycle {n}" for c, n in zip(change, numbers, strict=True)]
    start, end, act = (_texts(cycles[c]) for c in ("start_date", "end_date", "act_decision"))
    counts = np.fromiter(map(len, inds), dtype=np.int64, count=len(inds))
    started = np.array([bool(s) for s in start], dtype=bool) & (counts > 0)
    decided = np.array([bool(a and e) for a, e in zip(act, end, strict=True)],
                       dtype=bool) & (counts > 0)
    # one block of rows per kind: the cycle's start, then its decision (on the end date)
    texts: list[dict[str, list[Any]]] = []
    for kind_rows, with_act in ((started, False), (decided, True)):
        at = np.flatnonzero(kind_rows).tolist()
        texts.append({
            "date": [end[i] if with_act else start[i] for i in at],
            "kind": [act[i] if with_act else "start" for i in at],
            "label": [f"{bases[i]} {act[i] if with_act else 'start'}" for i in at],
            "detail": [f"{act[i].capitalize()}: {titles[i]} ({names[i]})" if with_act
                       else f"PDSA started: {titles[i]} ({names[i]})" for i in at],
            "cycle": at})
    return inds, {"change": change, "names": names, "titles": titles}, texts


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
    inds, per_cycle_texts, texts = _cycle_texts(cycles, change_ideas)
    change, names, titles = (per_cycle_texts[k] for k in ("change", "names", "titles"))
    counts = np.fromiter(map(len, inds), dtype=np.int64, count=len(inds))
    cycle_at = np.concatenate([np.asarray(t["cycle"], dtype=np.int64) for t in texts])
    if not len(cycle_at):
        return pd.DataFrame(columns=EVENT_COLUMNS)
    kind_of = np.repeat([0, 1], [len(t["cycle"]) for t in texts])
    per_row = counts[cycle_at]
    row = np.repeat(np.arange(len(cycle_at)), per_row)  # each event once per indicator
    ind_pos = np.arange(len(row)) - np.repeat(np.cumsum(per_row) - per_row, per_row)
    flat_inds = np.array([i for t in texts for c in t["cycle"] for i in inds[c]],
                         dtype=object)
    cycles_of = cycle_at[row]

    def column(values: list[Any] | np.ndarray) -> np.ndarray:
        out: np.ndarray = np.asarray(values, dtype=object)[row]
        return out

    def per_cycle(values: list[Any]) -> np.ndarray:
        out: np.ndarray = np.asarray(values, dtype=object)[cycles_of]
        return out

    texts_of = {key: np.concatenate([np.asarray(t[key], dtype=object) for t in texts])
                for key in ("date", "kind", "label", "detail")}
    dates = pd.Series(texts_of["date"][row])
    distinct = pd.Series(dates.unique())  # each date parsed once, then looked up
    stamps = pd.Series([pd.Timestamp(d) for d in distinct], index=distinct)
    events = pd.DataFrame({
        "team_id": per_cycle(cycles["team_id"].tolist()), "indicator_id": flat_inds,
        "cycle_id": _integers(cycles["cycle_id"], cycle_at)[row],
        "date": dates.map(stamps), "period": None,
        "kind": column(texts_of["kind"]), "label": column(texts_of["label"]),
        "detail": column(texts_of["detail"]), "change_id": per_cycle(change),
        "change_name": per_cycle(names),
        "cycle_number": _integers(cycles["cycle_number"], cycle_at)[row],
        "title": per_cycle(titles)})
    events["period"] = events["date"].dt.to_period("M")
    team, _ = sort_codes(events["team_id"])
    indicator, _ = sort_codes(events["indicator_id"])
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

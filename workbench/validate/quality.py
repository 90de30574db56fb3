"""How well the rules find real problems: precision and recall against a known truth.

The demo collaborative records the data problems it injects (`workbench.demo.read_injections`),
so the validation rules can be scored on it the way a validator experiences them:

- **precision**: of the open flags on a team × indicator × month, the share that point at an
  injected problem (each flag a validator reviews that is a real problem);
- **recall**: of the injected problems, the share that at least one open flag points at.

A flag points at a problem when both name the same team, indicator and month. Pure: frames
in, a dict out.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["detection_quality"]

_KEY = ["team_id", "indicator_id", "period"]


def _keys(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.dropna(subset=_KEY).astype({c: str for c in _KEY})


def detection_quality(flags: pd.DataFrame, truth: pd.DataFrame) -> dict[str, Any]:
    """Precision and recall of the open `flags` against `truth` (rows with team_id,
    indicator_id, period and kind), overall, by rule (precision) and by kind (recall)."""
    open_flags = _keys(flags[flags["status"] == "open"])
    truth = _keys(truth)
    known = truth[_KEY].drop_duplicates().assign(_real=True)
    judged = open_flags.merge(known, on=_KEY, how="left")
    real = judged["_real"].eq(True)
    flagged = open_flags[_KEY].drop_duplicates().assign(_found=True)
    found = truth.merge(flagged, on=_KEY, how="left")["_found"].eq(True).to_numpy()
    by_rule = {str(rule): {"flags": int(len(group)), "real": int(real[group.index].sum())}
               for rule, group in judged.groupby("rule_code", sort=True)}
    by_kind = {str(kind): {"injected": int(len(group)), "found": int(found[group.index].sum())}
               for kind, group in truth.reset_index(drop=True).groupby("kind", sort=True)}
    return {
        "flags": int(len(judged)), "flags_real": int(real.sum()),
        "precision": round(float(real.mean()), 3) if len(judged) else None,
        "injected": int(len(truth)), "found": int(found.sum()),
        "recall": round(float(found.mean()), 3) if len(truth) else None,
        "by_rule": by_rule, "by_kind": by_kind,
    }

"""Reads the report view-models need beyond the plain tables (`workbench.store.records`).

`measurements_state` fingerprints the measurements (the key of a cache of collaborative
aggregates); `read_pdsa_history` reads the versions of PDSA cycles (the site-visit brief
finds stalled cycles in them). SQL on the schema lives in `workbench.store` only.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
from sqlalchemy import Connection, Engine, func, select

from workbench.store import schema as s
from workbench.store.measurements import _conn

__all__ = ["PDSA_HISTORY_COLUMNS", "measurements_state", "read_pdsa_history"]

PDSA_HISTORY_COLUMNS = ["cycle_id", "version", "status", "created_at"]


def measurements_state(bind: Engine | Connection) -> tuple[str, ...]:
    """A fingerprint of `measurement_revisions` (append-only: any change adds rows): row
    count, last revision id and time, sums of numerators and denominators, as text."""
    mr = s.measurement_revisions
    query = select(func.count(), func.max(mr.c.revision_id), func.max(mr.c.created_at),
                   func.sum(mr.c.numerator), func.sum(mr.c.denominator))
    with _conn(bind) as conn:
        row = conn.execute(query).one()
    return tuple(str(v) for v in row)


def read_pdsa_history(bind: Engine | Connection, cycle_ids: Iterable[int]) -> pd.DataFrame:
    """The versions of these PDSA cycles, oldest first per cycle: cycle_id, version, status
    (from the version's snapshot; None when absent), created_at."""
    ids = [int(c) for c in cycle_ids]
    if not ids:
        return pd.DataFrame(columns=PDSA_HISTORY_COLUMNS)
    h = s.pdsa_history
    query = (select(h.c.cycle_id, h.c.version, h.c.snapshot, h.c.created_at)
             .where(h.c.cycle_id.in_(ids)).order_by(h.c.cycle_id, h.c.version))
    with _conn(bind) as conn:
        rows = conn.execute(query).all()
    return pd.DataFrame([(r.cycle_id, r.version, (r.snapshot or {}).get("status"),
                          r.created_at) for r in rows], columns=PDSA_HISTORY_COLUMNS)

"""Reading measurement revisions in bulk for validation (`workbench.validate`).

`revisions_frame(conn, period)` returns every revision up to `period`, oldest first, with the
text keys factorised once: `team_id`, `indicator_id`, `source` are categoricals, `period` is
text, and three int64 columns sort like the text keys — `_month` (year·12 + month − 1),
`_series` (team × indicator) and `_key` (team × indicator × month) — so the rules group and
de-duplicate on integers. On SQLite the rows go straight from the DBAPI cursor into a numpy
structured array (no per-row Python objects beyond the cells); other backends use SQLAlchemy
Core.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, cast

import numpy as np
import pandas as pd
from sqlalchemy import Connection, select

from workbench.rollup.series import pdsa_events
from workbench.store import schema as s

__all__ = ["month_number", "fetch_revisions", "revisions_frame", "adoption_starts"]

_REV_NAMES = ["revision_id", "team_id", "indicator_id", "period", "numerator", "denominator",
              "source", "batch_id", "created_at"]
_REV_DTYPE = np.dtype([("revision_id", "i8"), ("team_id", "O"), ("indicator_id", "O"),
                       ("period", "O"), ("numerator", "f8"), ("denominator", "f8"),
                       ("source", "O"), ("batch_id", "f8"), ("created_at", "O")])


def month_number(period: str) -> int:
    """'YYYY-MM' as a month number (year·12 + month − 1)."""
    return int(period[:4]) * 12 + int(period[5:7]) - 1


def fetch_revisions(conn: Connection, period: str | None) -> np.ndarray:
    """Every revision up to `period`, oldest first, as a structured array (one bulk read)."""
    mr = s.measurement_revisions
    if conn.dialect.name == "sqlite":  # straight from the cursor into numpy: no row objects
        sql = ("SELECT revision_id, team_id, indicator_id, period, IFNULL(numerator, 'nan'), "
               "IFNULL(denominator, 'nan'), source, IFNULL(batch_id, 'nan'), created_at "
               "FROM measurement_revisions" + (" WHERE period <= ?" if period else "")
               + " ORDER BY revision_id")
        dbapi = conn.connection.dbapi_connection
        assert dbapi is not None  # an open Connection always holds its DBAPI connection
        cursor = dbapi.cursor()
        try:
            cursor.execute(sql, (period,) if period else ())
            return np.fromiter(cast("Iterable[Any]", cursor), dtype=_REV_DTYPE)
        finally:
            cursor.close()
    query = select(*[mr.c[n] for n in _REV_NAMES]).order_by(mr.c.revision_id)
    if period:
        query = query.where(mr.c.period <= period)
    rows = conn.execute(query).all()
    out = np.empty(len(rows), dtype=_REV_DTYPE)
    column: Sequence[Any]
    for name, column in zip(_REV_NAMES, zip(*rows, strict=True) if rows else [],
                            strict=False):
        if name in ("numerator", "denominator", "batch_id"):
            column = [np.nan if v is None else v for v in column]
        elif name == "created_at":
            column = [v if isinstance(v, str) else v.strftime("%Y-%m-%d %H:%M:%S.%f")
                      for v in column]
        out[name] = column
    return out


def revisions_frame(conn: Connection, period: str | None) -> pd.DataFrame:
    """The revisions frame: codes are factorised once, and `_month` (month number), `_series`
    (team × indicator) and `_key` (team × indicator × month) are int64 columns sorting like
    the text keys, so grouping and de-duplication hash integers instead of strings."""
    arr = fetch_revisions(conn, period)
    t_codes, t_names = pd.factorize(arr["team_id"], sort=True)
    i_codes, i_names = pd.factorize(arr["indicator_id"], sort=True)
    p_codes, p_names = pd.factorize(arr["period"], sort=True)
    s_codes, s_names = pd.factorize(arr["source"], sort=True)
    p_names = np.asarray(p_names, dtype=object)
    months = np.array([month_number(p) for p in p_names], dtype=np.int64)
    month = months[p_codes] if len(arr) else np.zeros(0, dtype=np.int64)
    series = t_codes.astype(np.int64) * max(len(i_names), 1) + i_codes
    span = int(months.max() - months.min() + 1) if len(months) else 1
    low = int(months.min()) if len(months) else 0
    return pd.DataFrame({
        "revision_id": arr["revision_id"],
        "team_id": pd.Categorical.from_codes(t_codes, categories=pd.Index(t_names, dtype=object)),
        "indicator_id": pd.Categorical.from_codes(i_codes,
                                                  categories=pd.Index(i_names, dtype=object)),
        "period": pd.Series(p_names[p_codes] if len(arr) else [], dtype=object),
        "numerator": arr["numerator"], "denominator": arr["denominator"],
        "source": pd.Categorical.from_codes(s_codes, categories=pd.Index(s_names, dtype=object)),
        "batch_id": arr["batch_id"],
        "created_at": pd.Series(arr["created_at"], dtype=object),
        "_month": month, "_series": series, "_key": series * span + (month - low),
    })


def adoption_starts(cycles: pd.DataFrame, change_ideas: pd.DataFrame) -> pd.DataFrame:
    """(team_id, indicator_id, period): the month after each PDSA cycle closed with `adopt`,
    per indicator it acts on — from the charts' own events (`workbench.rollup.series.
    pdsa_events`), so validation and the charts agree on where a new phase may begin."""
    cols = ["team_id", "indicator_id", "period"]
    events = pdsa_events(cycles, change_ideas)
    adopted = events[events["kind"] == "adopt"]
    if adopted.empty:
        return pd.DataFrame(columns=cols)
    out = pd.DataFrame({"team_id": adopted["team_id"].astype(str),
                        "indicator_id": adopted["indicator_id"].astype(str),
                        "period": [str(p + 1) for p in adopted["period"]]})
    return out.drop_duplicates().reset_index(drop=True)

"""Exports: tidy measurements (and more) as CSV, guarded against spreadsheet formula injection."""

from __future__ import annotations

import csv
import io
from typing import Any, TextIO

import pandas as pd
from sqlalchemy import Engine

from workbench.store import read_measurements

__all__ = ["neutralise_cell", "measurements_frame", "write_csv"]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula gets a leading `'`; numbers stay numbers.

    OWASP CSV injection guidance: cells beginning with = + - @ tab or carriage return.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def measurements_frame(engine: Engine, as_of: str | None = None) -> pd.DataFrame:
    """The tidy export: team_id, indicator_id, period as YYYY-MM, numerator, denominator."""
    frame = read_measurements(engine, as_of=as_of)
    out = frame[["team_id", "indicator_id", "period", "numerator", "denominator"]].copy()
    out["period"] = out["period"].astype(str)
    return out


def write_csv(frame: pd.DataFrame, out: TextIO | None = None) -> str | None:
    """Write a frame as CSV with every text cell neutralised; whole numbers print without `.0`."""
    buffer = out or io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(frame.columns)
    for row in frame.itertuples(index=False):
        writer.writerow([_fmt(v) for v in row])
    return buffer.getvalue() if out is None else None


def _fmt(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        if value != value:
            return ""
        if value.is_integer():
            return int(value)
        return repr(value)
    return neutralise_cell(value)

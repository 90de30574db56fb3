"""JSON text of frames of records, written column by column: the very bytes `echo_json`
writes for `{key: rollup_records(frame), …}` (json.dumps, indent 2, NaN as null, numpy as
Python, periods and timestamps as text), at a fraction of the cost.

`json.dumps(indent=2)` runs Python's pure encoder value by value (the C encoder is used only
without indent): at 2,000 teams `workbench summary --json` is 28 MB, 1.1 s of encoding.
Here every column becomes a list of JSON literals in a few vectorised passes (a column of
text is encoded once per distinct value), and each row is laid out with one template.
A value of another kind (a list, a dict, a Decimal …) is written by `json.dumps` itself and
indented where it sits, so the text never depends on which path wrote it; a frame with
repeated column names is written by `json.dumps` whole.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from json.encoder import encode_basestring_ascii
from typing import Any

import numpy as np
import pandas as pd

from workbench.cli.options import _clean

__all__ = ["json_literal", "column_literals", "records_json", "payload_json"]

_FLOAT_SPECIAL = {math.inf: "Infinity", -math.inf: "-Infinity"}


def json_literal(value: Any, indent: int = 0) -> str:
    """One value as `echo_json` writes it, nested `indent` spaces deep (NaN: null)."""
    value = _clean(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    kind = type(value)
    if kind is str:
        return str(encode_basestring_ascii(value))
    if kind is int:
        return int.__repr__(value)
    if kind is float:
        return _FLOAT_SPECIAL.get(value) or float.__repr__(value)
    text = json.dumps(value, indent=2, default=str)
    return text.replace("\n", "\n" + " " * indent) if indent else text


def _floats(values: np.ndarray) -> list[str]:
    """`float.__repr__` of each value (NaN: null, ±inf: ±Infinity), each distinct value
    written once (a frame's floats repeat: targets, thresholds, months); a column holding
    -0.0, which equals 0.0 but is written "-0.0", is written value by value."""
    with np.errstate(invalid="ignore"):
        negative_zero = bool((np.signbit(values) & (values == 0)).any())
    if negative_zero or len(values) < 64:
        return _each_float(values)
    codes, distinct = pd.factorize(values)  # NaN: code -1
    table = np.array([*_each_float(np.asarray(distinct, dtype=np.float64)), "null"],
                     dtype=object)
    out: list[str] = table[codes].tolist()
    return out


def _each_float(values: np.ndarray) -> list[str]:
    texts = list(map(float.__repr__, values.tolist()))
    odd = np.flatnonzero(~np.isfinite(values))
    for i in odd.tolist():
        v = float(values[i])
        texts[i] = "null" if math.isnan(v) else _FLOAT_SPECIAL[v]
    return texts


def _by_distinct(column: pd.Series, indent: int, as_text: bool) -> list[str] | None:
    """Literals through the distinct values (each encoded once); None when a distinct value
    is not text (it is then written value by value). `as_text`: periods and timestamps,
    written as their text (what `rollup_records` does)."""
    try:
        codes, uniques = pd.factorize(column)
    except TypeError:  # a list or a dict in the column
        return None
    if as_text:
        distinct = [str(encode_basestring_ascii(str(v))) for v in uniques]
    else:
        values = list(uniques)
        if not all(type(v) is str for v in values):  # 1, 1.0 and True are one value here
            return None
        distinct = [str(encode_basestring_ascii(v)) for v in values]
    distinct.append("null")  # code -1: missing
    table = np.array(distinct, dtype=object)
    out: list[str] = table[codes].tolist()
    return out


def column_literals(frame: pd.DataFrame, position: int, indent: int = 0) -> list[str]:
    """The JSON literal of every value of column `position` of `frame`, exactly as
    `echo_json(rollup_records(frame))` writes them (`indent`: where the values sit)."""
    column = frame.iloc[:, position]
    dtype = column.dtype
    if isinstance(dtype, np.dtype):
        if dtype == np.bool_:
            out: list[str] = np.where(column.to_numpy(), "true", "false").tolist()
            return out
        if dtype.kind in "iu":
            return list(map(int.__repr__, column.tolist()))
        if dtype.kind == "f":
            return _floats(column.to_numpy(dtype=np.float64))
        if dtype.kind == "M":
            return _by_distinct(column, indent, as_text=True) or []
    if isinstance(dtype, pd.PeriodDtype) or pd.api.types.is_datetime64_any_dtype(column):
        return _by_distinct(column, indent, as_text=True) or []
    fast = _by_distinct(column, indent, as_text=False)  # text, object, category …
    if fast is not None:
        return fast
    from workbench.briefs.summary import rollup_records  # the reference, value by value

    name = str(frame.columns[position])
    return [json_literal(row[name], indent) for row in rollup_records(frame.iloc[:, [position]])]


def records_json(frame: pd.DataFrame, indent: int) -> str:
    """`rollup_records(frame)` as the JSON array `echo_json` writes at `indent` spaces."""
    if not len(frame) or not len(frame.columns):  # rollup_records: no row without a column
        return "[]"
    names = [str(c) for c in frame.columns]
    if len(set(names)) < len(names):  # a dict per row keeps the last of each name
        from workbench.briefs.summary import rollup_records

        return json_literal(rollup_records(frame), indent)
    pad, inner = " " * (indent + 2), " " * (indent + 4)
    keys = [str(encode_basestring_ascii(n)) for n in names]
    columns = [column_literals(frame, i, indent + 4) for i in range(len(names))]
    # the rows' text as one list of pieces, each column laid into its places (a slice
    # assignment), then joined once: per row `{`, each key and its literal, `}`
    n, width = len(frame), 2 * len(names)
    pieces: list[str] = [""] * (n * width)
    pieces[0::width] = [f"\n{pad}}},\n{pad}{{\n{inner}{keys[0]}: "] * n
    pieces[0] = f"{pad}{{\n{inner}{keys[0]}: "
    for at, literals in enumerate(columns):
        pieces[2 * at + 1::width] = literals
        if at + 1 < len(names):
            pieces[2 * at + 2::width] = [f",\n{inner}{keys[at + 1]}: "] * n
    return "[\n" + "".join(pieces) + "\n" + pad + "}\n" + " " * indent + "]"


def payload_json(values: Mapping[str, Any], frames: Mapping[str, pd.DataFrame]) -> str:
    """The text of `echo_json({**values, **{k: rollup_records(f) for k, f in frames}})`:
    a JSON object of plain values first, then one array of records per frame."""
    items = [f"  {encode_basestring_ascii(str(k))}: {json_literal(v, 2)}"
             for k, v in values.items()]
    items += [f"  {encode_basestring_ascii(str(k))}: {records_json(f, 2)}"
              for k, f in frames.items()]
    return "{\n" + ",\n".join(items) + "\n}" if items else "{}"

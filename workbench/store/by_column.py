"""SQLite reads column by column: each column of a query's rows comes back as one text (an
aggregate), decoded at once, instead of one Python tuple per row.

SQLite answers an aggregate over 700,000 rows in about the time of its own scan; what the
driver adds on top of a row read (a tuple and an object per value, each made and typed one at
a time) is most of a large read's cost. These readers give exactly the values the row read
gives, or None when the data holds something they cannot give exactly (the caller then reads
the rows): SQL on the schema stays in `workbench.store`, built with SQLAlchemy Core.

- `revision_columns`: the measurement revisions of a query as arrays (revision ids, team,
  indicator and month as codes into their sorted distinct texts, counts as whole numbers),
  for `workbench.store.reads.read_current_measurements`;
- `table_frame`: a table's rows as `read_table` frames them (SQLAlchemy's result processing,
  e.g. JSON and timestamps, applied once per column), for `workbench.store.records`.
"""

from __future__ import annotations

import datetime as dt
import json
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import as_strided
from sqlalchemy import (
    Column,
    Connection,
    Float,
    Integer,
    LargeBinary,
    Text,
    and_,
    case,
    cast,
    func,
    select,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import JSON

__all__ = ["RevisionColumns", "revision_columns", "table_frame"]

#: a count that is NULL; one that is a number but not a whole number of 0 or more (a
#: fraction, a negative number: the row read is then the only exact one); and a text
NULL_COUNT, INEXACT_COUNT, TEXT_COUNT = -1, -2, -3


@dataclass(frozen=True)
class RevisionColumns:
    """Measurement revisions as arrays, row for row: `revision_id`; `codes[i]` of each text
    column into its sorted distinct values `texts[i]` (team, indicator, month);
    `numerator`, `denominator` as whole numbers, `NULL_COUNT` for NULL, `TEXT_COUNT` for a
    text."""

    revision_id: np.ndarray
    codes: tuple[np.ndarray, ...]
    texts: tuple[np.ndarray, ...]
    numerator: np.ndarray
    denominator: np.ndarray


def _count_text(column: Any) -> ColumnElement[Any]:
    """A count as the whole number it holds; NULL_COUNT for NULL, TEXT_COUNT for a text,
    INEXACT_COUNT for anything else that is not a whole number of 0 or more (SQLite orders
    any text after numbers; a text is never equal to its cast)."""
    whole = and_(column >= 0, column == cast(column, Integer))
    return case((column.is_(None), NULL_COUNT), (whole, cast(column, Integer)),
                (func.typeof(column) == "text", TEXT_COUNT), else_=INEXACT_COUNT)


def revision_columns(conn: Connection, query_of: Callable[[Any], Any], id_column: Any,
                     text_columns: Sequence[Any], numerator: Any, denominator: Any
                     ) -> RevisionColumns | None:
    """The rows `query_of(select(...))` selects (its WHERE clauses), column by column: one
    aggregate row on SQLite (a count stored as a text is TEXT_COUNT: the caller decides).
    None when there are no rows, a text holds the separator (a comma), a count is a number
    but not a whole number of 0 or more, or SQLite cannot make the aggregate (a text longer
    than its SQLITE_MAX_LENGTH: the rows are then read)."""
    aggregates: list[ColumnElement[Any]] = [func.count(), *(
        cast(func.group_concat(column), LargeBinary) for column in (
            id_column, _count_text(numerator), _count_text(denominator), *text_columns))]
    try:
        row = conn.execute(query_of(select(*aggregates))).one()
    except DBAPIError:  # e.g. a text longer than SQLite's SQLITE_MAX_LENGTH: read the rows
        return None
    n = int(row[0])
    if not n:
        return None
    ids, numerators, denominators = (_integers(text, n) for text in row[1:4])
    if ids is None or numerators is None or denominators is None:
        return None
    if (numerators == INEXACT_COUNT).any() or (denominators == INEXACT_COUNT).any():
        return None
    codes, texts = [], []
    for data in row[4:]:  # UTF-8 bytes (a BLOB: no Python text made of them, then encoded)
        found = _same_width_codes(data, n) or _short_codes(data, n)
        if found is None:
            values = data.decode("utf-8").split(",")
            if len(values) != n:  # a text with a comma in it
                return None
            found = pd.factorize(np.array(values, dtype=object), sort=True)
        codes.append(found[0])
        texts.append(np.asarray(found[1], dtype=object))
    return RevisionColumns(ids, tuple(codes), tuple(texts), numerators, denominators)


def _same_width_codes(data: bytes, n: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Codes into the sorted distinct texts of n comma-separated texts of one width of up to
    8 bytes (team codes like T0001, months YYYY-MM), read as bytes: each text an integer of
    its bytes (big-endian: integers sort as the texts sort by code point). None when the
    texts are not that."""
    width, rest = divmod(len(data) + 1, n)
    if rest or not 2 <= width <= 9:
        return None
    table = np.frombuffer(data + b",", dtype=np.uint8).reshape(n, width)
    if (table[:, -1] != ord(",")).any() or (table[:, :-1] == ord(",")).any():
        return None  # not n texts of one width
    padded = np.zeros((n, 8), dtype=np.uint8)
    padded[:, :width - 1] = table[:, :-1]
    codes, distinct = pd.factorize(padded.view(">u8").ravel().astype(np.uint64), sort=True)
    texts = [value.to_bytes(8, "big")[:width - 1].decode("utf-8")
             for value in distinct.tolist()]
    return codes, np.array(texts, dtype=object)


def _short_codes(data: bytes, n: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Codes into the sorted distinct texts of n comma-separated texts of up to 16 bytes
    each, of any widths (indicator codes), read as bytes: each text padded with zero bytes
    to 16, two big-endian integers (they sort as the texts sort by code point; a shorter
    text before the longer texts it begins). None when the texts are not that, or hold a
    zero byte (padding could not be told from it)."""
    if b"\0" in data:
        return None
    raw = np.frombuffer(data + bytes(16), dtype=np.uint8)
    ends = np.flatnonzero(raw == ord(","))
    if len(ends) != n - 1:  # a text with a comma in it
        return None
    starts = np.zeros(n, dtype=np.int64)
    starts[1:] = ends + 1
    lengths = np.append(ends, len(data)) - starts
    if lengths.max() > 16:
        return None
    windows = as_strided(raw, shape=(len(data) + 1, 16), strides=(1, 1), writeable=False)
    padded = windows[starts]  # the 16 bytes from each text's start, then zeros past its end
    np.multiply(padded, np.arange(16) < lengths[:, None], out=padded)
    words = padded.view(">u8").astype(np.uint64)
    high, high_distinct = pd.factorize(words[:, 0], sort=True)
    low, low_distinct = pd.factorize(words[:, 1], sort=True)
    codes, distinct = pd.factorize(high * len(low_distinct) + low, sort=True)
    first = np.zeros(len(distinct), dtype=np.int64)  # a row of each text
    first[codes] = np.arange(n)
    texts = [bytes(row).rstrip(b"\0").decode("utf-8") for row in padded[first]]
    return codes, np.array(texts, dtype=object)


def _integers(text: bytes | str | None, n: int) -> np.ndarray | None:
    """The n comma-separated integers of an aggregate, or None when they are not that."""
    if text is None:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy warns, and stops, at what is not a number
        try:
            values = np.fromstring(text, dtype=np.int64, sep=",")
        except (ValueError, DeprecationWarning):
            return None
    return values if len(values) == n else None


def table_frame(conn: Connection, columns: Sequence[Column[Any]],
                conditions: Sequence[ColumnElement[bool]], order_by: Sequence[Column[Any]]
                ) -> pd.DataFrame | None:
    """The frame `pd.DataFrame(rows, columns=…)` of the rows of `columns` where every one of
    `conditions` holds, ordered by `order_by` (ending in a unique key), each value as
    SQLAlchemy's result processing gives it: read on SQLite as one JSON array per column
    (`json_group_array`: integers, reals, texts and NULLs keep their type) and sorted here, as
    SQLite's BINARY collation sorts (by code point). None when the table has no such rows, a
    real's text is not the real itself (more than 15 significant digits), a value is a BLOB,
    or an order column holds NULLs or values of several types."""
    dialect = conn.dialect
    keys = [column.key for column in columns]
    if dialect.name != "sqlite" or not columns or any(c.key not in keys for c in order_by):
        return None
    reals = [column for column in columns if isinstance(column.type, Float)]
    query = select(func.count(), *(func.json_group_array(column) for column in columns),
                   *(_inexact(column) for column in reals))  # in the same scan
    query = query.where(*conditions)
    try:
        row = conn.execute(query).one()
    except DBAPIError:  # a BLOB: JSON cannot hold it (the row read can)
        return None
    n = int(row[0])
    if not n:
        return None
    processors = [column.type.dialect_impl(dialect).result_processor(dialect, None)
                  for column in columns]
    values = [_decoded(text, n, isinstance(column.type, Integer) and processor is None)
              for text, column, processor in zip(row[1:], columns, processors, strict=False)]
    kinds = [pd.api.types.infer_dtype(column, skipna=True) for column in values]
    if any(kind not in _WITHOUT_REALS + _WITH_REALS for kind in kinds):
        return None  # texts mixed with numbers: the row read
    inexact = dict(zip((column.key for column in reals), row[1 + len(columns):], strict=True))
    with_reals = [c for c, kind in zip(columns, kinds, strict=True) if kind in _WITH_REALS]
    if any(inexact.get(c.key) for c in with_reals) or not _reals_exact(
            conn, [c for c in with_reals if c.key not in inexact], conditions):
        return None
    for i, (column, processor) in enumerate(zip(columns, processors, strict=True)):
        if processor is not None:
            values[i] = _processed(values[i], processor, isinstance(column.type, JSON))
    order = _order(values, [keys.index(column.key) for column in order_by])
    if order is None:
        return None
    return pd.DataFrame({key: _typed(column[order]) for key, column in zip(keys, values,
                                                                          strict=True)},
                        columns=keys, copy=False)


def _decoded(text: str, n: int, integers: bool) -> np.ndarray:
    """The n values of a JSON array: of a column of integers (no result processing) read by
    numpy when they are all that (int64), else each value as `json.loads` gives it."""
    if integers:
        found = _integers(text[1:-1], n)
        if found is not None:
            return found
    return np.fromiter(json.loads(text), dtype=object, count=n)


def _typed(values: np.ndarray) -> Any:
    """The column as a frame types a list of these values: integers as int64, reals as
    float64, texts as str, typed here in one step when they are all of one kind (no NULL)."""
    if isinstance(values, pd.arrays.DatetimeArray):  # `_processed` typed it
        return values
    kind = pd.api.types.infer_dtype(values, skipna=False)
    if kind == "integer":
        return values.astype(np.int64)
    if kind == "floating":
        return values.astype(np.float64)
    if kind == "string":
        return pd.array(values, dtype="str")
    return values.tolist()  # NULLs, timestamps, JSON values …: the frame's own typing


#: what `pd.api.types.infer_dtype` says of a column of reals and integers, and of one
#: without reals (other mixtures are read row by row)
_WITH_REALS, _WITHOUT_REALS = ("floating", "mixed-integer-float"), ("string", "integer", "empty")


def _inexact(column: Column[Any]) -> ColumnElement[Any]:
    """Whether a real of the column is not the real its text gives (SQLite writes a real
    with 15 significant digits: more are lost), of all rows (SQLite reads each text back)."""
    return func.max(cast(cast(column, Text), Float) != column)


def _reals_exact(conn: Connection, columns: Sequence[Column[Any]],
                 conditions: Sequence[ColumnElement[bool]]) -> bool:
    """Whether every real of these columns is the real its JSON text gives (`_inexact`)."""
    if not columns:
        return True
    query = select(*(_inexact(column) for column in columns)).where(*conditions)
    return not any(conn.execute(query).one())


def _processed(values: np.ndarray, processor: Callable[[Any], Any], is_json: bool
               ) -> np.ndarray:
    """`processor` of each value, each distinct value processed once. JSON texts that repeat
    are checked one distinct text at a time (the error of the row read, if any), then decoded
    in one step, so that each row gets objects of its own (a list is not shared by rows):
    where each distinct value is a scalar, or a list or object of scalars, each row gets a
    copy of it instead (the same value: its scalars cannot change); mostly distinct ones are
    decoded one by one, as the row read does. Naive datetimes (no NULL) come typed as a frame
    types them (datetime64[us]), each distinct one converted once."""
    if is_json and len(set(values.tolist())) * 4 > len(values):  # mostly distinct texts
        return np.fromiter((processor(value) for value in values.tolist()), dtype=object,
                           count=len(values))
    kind = pd.api.types.infer_dtype(values, skipna=False)
    if kind in ("string", "integer"):
        codes, distinct = pd.factorize(values)  # one type, no NULL: no 1 == 1.0 == True
        done = np.empty(len(distinct), dtype=object)
        done[:] = [processor(value) for value in distinct]
        if not is_json and all(type(value) is dt.datetime and value.tzinfo is None
                               for value in done):  # typed as a frame types them, once each
            return pd.array(done.tolist()).take(codes)  # type: ignore[no-any-return]
        processed = done.take(codes)
    else:
        seen: dict[tuple[type, Any], Any] = {}
        for value in values.tolist():
            key = (type(value), value)
            if key not in seen:
                seen[key] = processor(value)
        processed = np.fromiter((seen[(type(v), v)] for v in values.tolist()), dtype=object,
                                count=len(values))
    if is_json and (kind == "string" or pd.api.types.infer_dtype(values, skipna=True) in (
            "string", "empty")):  # texts and NULLs (SQLite's JSON holds no NaN)
        once: Iterable[Any] = done if kind == "string" else seen.values()
        if all(_flat(value) for value in once):  # a copy of its own per row
            return np.fromiter((value.copy() if isinstance(value, (list, dict)) else value
                                for value in processed.tolist()), dtype=object,
                               count=len(values))
        texts = values if kind == "string" else np.where(pd.isna(values), "null", values)
        decoded = json.loads("[" + ",".join(texts.tolist()) + "]")
        if len(decoded) == len(values):  # each text one JSON value (each was decoded above)
            return np.fromiter(decoded, dtype=object, count=len(values))
    return processed


#: the types of JSON scalars (`_flat`)
_SCALARS = (str, int, float, bool, type(None))


def _flat(value: Any) -> bool:
    """Whether a decoded JSON value is a scalar, or a list or an object of scalars only."""
    if isinstance(value, list):
        return all(type(item) in _SCALARS for item in value)
    if isinstance(value, dict):
        return all(type(item) in _SCALARS for item in value.values())
    return type(value) in _SCALARS


def _order(values: list[np.ndarray], keys: Sequence[int]) -> np.ndarray | None:
    """The row order of ORDER BY these columns (by code point for texts), or None when a key
    column holds NULLs or values of more than one type."""
    sort_keys = []
    for i in reversed(keys):  # np.lexsort: the last key is the primary one
        kind = pd.api.types.infer_dtype(values[i], skipna=False)
        if kind == "integer":
            sort_keys.append(values[i].astype(np.int64))
        elif kind in ("string", "floating"):
            sort_keys.append(pd.factorize(values[i], sort=True)[0])
        else:
            return None
    return np.lexsort(sort_keys) if sort_keys else np.arange(len(values[0]))

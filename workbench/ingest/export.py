"""Exports: measurements, flags, PDSA cycles and visits as CSV or xlsx; DHIS2 dataValueSets.

Every text cell is neutralised against spreadsheet formula injection (OWASP "CSV injection":
cells beginning with = + - @ tab or carriage return get a leading `'`), in CSV and in xlsx,
where the cell is also written explicitly as a text cell. Numbers stay numbers. A spreadsheet
may also start a cell inside the text: after a line break, or after a `;`, `,`, tab or `|`
when it splits the file with another separator than ours (semicolon locales); a formula
character there gets a `'` too. CSV rows end with CRLF (RFC 4180), so a field holding any
line break is quoted and can never start a row of its own.

The measurements export is the tidy import layout (team_id, indicator_id, period, numerator,
denominator, comment), so an export imports again as a no-op; the import reads a leading `'`
before = + - @ (what the guard added) as the spreadsheet's text mark (`restore_cell`).

`--as-of` reproduces what was known then: measurements use the latest revision created up to
that time; flags, PDSA cycles and visits are those created up to then (in their current state).
It is read by `workbench.model.parse_as_of`: a time that is not one, or whose month is outside
the collaborative's calendar, is refused with the fix.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any, TextIO, cast

import pandas as pd
from sqlalchemy import Engine

from workbench.errors import N_, WorkbenchError
from workbench.ingest.mapping import Mapping
from workbench.model import parse_as_of
from workbench.store import (
    current_revisions,
    read_calendar,
    read_flags,
    read_pdsa_cycles,
    read_visits,
)

__all__ = ["EXPORTS", "neutralise_cell", "restore_cell", "measurements_frame", "export_frame",
           "write_csv", "write_xlsx", "dhis2_data_value_set"]

EXPORTS = ("measurements", "flags", "pdsa", "visits")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: where a spreadsheet may start a new cell or line inside our text: line breaks (Excel's and
#: Unicode's), and the separators of other locales' CSV (`;`, `,`, tab, `|`)
_BREAK = "\r\n\t;,|\x0b\x0c\x85\u2028\u2029"
#: what a spreadsheet skips before reading a formula: spaces (LibreOffice "trim spaces"), an
#: opening quote of a quoted cell, a byte-order mark
_SKIPPED = " \"\ufeff"
#: a formula character right after a break (a quote or a byte-order mark between allowed),
#: or after spaces too — there `+` or `-` before a plain number (`x, -3`) is left alone
_INNER_FORMULA = re.compile(
    f"([{_BREAK}][\"\ufeff]*)([=+\\-@])"
    f"|([{_BREAK}][{_SKIPPED}]*)([=@]|[+\\-](?![0-9.]+(?:[{_BREAK}]|$)))")
_INNER_MARK = re.compile(f"([{_BREAK}][{_SKIPPED}]*)'([=+\\-@])")
_LEADING = re.compile(f"^[{_SKIPPED}]*([=@\\t\\r]|[+\\-](?![0-9.]+$))|^[=+\\-@\\t\\r]")


def _mark(match: re.Match[str]) -> str:
    head = match.group(1) if match.group(1) is not None else match.group(3)
    char = match.group(2) if match.group(2) is not None else match.group(4)
    return f"{head}'{char}"


def neutralise_cell(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula gets a leading `'`; numbers stay numbers.

    OWASP CSV injection guidance: cells beginning with = + - @ tab or carriage return (also
    after spaces or a byte-order mark); and the same characters after a line break or a
    separator inside the text, a quote or spaces between them allowed (`note\r=1+1`,
    `a;=1+1`, `a;"=1+1`, `a; =1+1`), where a spreadsheet may start a new cell. A plain
    number after a space (`x, -3`) is not a formula and stays as written.
    """
    if not isinstance(value, str):
        return value
    value = _INNER_FORMULA.sub(_mark, value)
    if _LEADING.match(value):
        return "'" + value
    return value


def restore_cell(value: Any) -> Any:
    """The inverse of `neutralise_cell` for imported text: `'=1+1` is `=1+1` and `a;'=1+1` is
    `a;=1+1` (the `'` is a spreadsheet's text mark, not part of the value); anything else is
    unchanged."""
    if not isinstance(value, str):
        return value
    if value.startswith("'") and _LEADING.match(value[1:]):
        value = value[1:]
    return _INNER_MARK.sub(r"\1\2", value)


def _as_of(engine: Engine, as_of: str | None) -> str | None:
    """`--as-of` checked (`workbench.model.parse_as_of` against the calendar), as ISO text."""
    if as_of is None:
        return None
    return parse_as_of(as_of, read_calendar(engine)).isoformat()


def measurements_frame(engine: Engine, as_of: str | None = None) -> pd.DataFrame:
    """The tidy export: team_id, indicator_id, period as YYYY-MM, numerator, denominator and
    the current revision's comment — the import layout, so it imports again unchanged."""
    current = current_revisions(engine, as_of=_as_of(engine, as_of))
    current = current[current["numerator"].notna() | current["denominator"].notna()]
    out = current[["team_id", "indicator_id", "period", "numerator", "denominator",
                   "comment"]].reset_index(drop=True)
    out = out.astype({"period": str, "numerator": float, "denominator": float})
    out["comment"] = out["comment"].fillna("").astype(str)
    return out


def _created_by(frame: pd.DataFrame, as_of: str | None) -> pd.DataFrame:
    if as_of is None or frame.empty:
        return frame
    cut = pd.Timestamp(as_of)
    if cut.tzinfo is not None:
        cut = cut.tz_convert("UTC").tz_localize(None)
    return frame[pd.to_datetime(frame["created_at"]) <= cut]


def _jsonish(frame: pd.DataFrame) -> pd.DataFrame:
    """List/dict columns become JSON text so a spreadsheet cell can hold them."""
    out = frame.copy()
    for column in out.columns:
        if out[column].map(lambda v: isinstance(v, list | dict)).any():
            out[column] = out[column].map(
                lambda v: json.dumps(v, ensure_ascii=False) if isinstance(v, list | dict) else v)
    return out


def export_frame(engine: Engine, what: str, as_of: str | None = None) -> pd.DataFrame:
    """The frame behind `workbench export WHAT`."""
    as_of = _as_of(engine, as_of)
    if what == "measurements":
        return measurements_frame(engine, as_of)
    if what == "flags":
        return _jsonish(_created_by(read_flags(engine), as_of))
    if what == "pdsa":
        return _jsonish(_created_by(read_pdsa_cycles(engine), as_of))
    if what == "visits":
        return _jsonish(_created_by(read_visits(engine), as_of))
    raise WorkbenchError(N_("unknown export {what!r}; choose one of {EXPORTS}."),
                         params={"what": what, "EXPORTS": ', '.join(EXPORTS)})


def write_csv(frame: pd.DataFrame, out: TextIO | None = None) -> str | None:
    """Write a frame as CSV with every text cell neutralised; whole numbers print without `.0`."""
    buffer = io.StringIO() if out is None else None
    target: TextIO = out if out is not None else cast(io.StringIO, buffer)
    writer = csv.writer(target, lineterminator="\r\n")  # a field with \r or \n is quoted
    writer.writerow([neutralise_cell(str(c)) for c in frame.columns])
    for row in frame.itertuples(index=False):
        writer.writerow([_fmt(v) for v in row])
    return buffer.getvalue() if buffer is not None else None


def _fmt(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        if value != value:
            return ""
        if value.is_integer():
            return int(value)
        return repr(value)
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return neutralise_cell(value)


def _cell(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and value != value:
        return None
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, str):
        return neutralise_cell(value)
    return value


def write_xlsx(frame: pd.DataFrame, path: str | Path, sheet: str = "export") -> Path:
    """Write a frame as one sheet; text cells neutralised and typed as text, numbers as numbers."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    ws = book.active
    ws.title = sheet[:31]
    ws.append([neutralise_cell(str(c)) for c in frame.columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in frame.itertuples(index=False):
        values = [_cell(v) for v in row]
        ws.append(values)
        for cell, value in zip(ws[ws.max_row], values, strict=True):
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever the text
    ws.freeze_panes = "A2"
    path = Path(path)
    book.save(path)
    return path


def dhis2_data_value_set(engine: Engine, mapping: Mapping, *, as_of: str | None = None,
                         only_corrections: bool = False) -> dict[str, Any]:
    """Current values as a DHIS2 dataValueSets JSON payload through a mapping (reference §1a).

    Each indicator part must map to exactly one operand (`de` or `de.coc`); parts mapped to a
    sum of operands cannot be split back and raise an error naming them. Values are strings,
    periods `yyyyMM`, org units from the mapping; a correction carries its reason as `comment`.
    With `only_corrections`, only keys whose current revision is a correction are exported.
    """
    if mapping.source != "dhis2":
        raise WorkbenchError(N_("{path} is a {source} mapping; DHIS2 export needs a dhis2 "
                                "mapping (source: dhis2)."),
                             params={"path": mapping.path, "source": mapping.source})
    ops = mapping.operands
    counts = ops.groupby(["indicator_id", "part"]).size()
    summed = counts[counts > 1]
    if len(summed):
        names = ", ".join(f"{i}.{p}" for i, p in summed.index)
        raise WorkbenchError(N_("{names} map to several data elements in {path}; a sum cannot be "
                                "exported back. Map each part to one de.coc for export."),
                             params={"names": names, "path": mapping.path})
    cur = current_revisions(engine, as_of=_as_of(engine, as_of))
    if only_corrections:
        cur = cur[cur["source"] == "correction"]
    org_unit = mapping.org_unit_of()
    values = []
    for op in ops.itertuples(index=False):
        rows = cur[cur["indicator_id"] == op.indicator_id]
        for rec in rows.itertuples(index=False):
            number = getattr(rec, str(op.part))
            if number is None or number != number:
                continue
            value: dict[str, Any] = {
                "dataElement": op.data_element,
                "period": str(rec.period).replace("-", ""),
                "orgUnit": org_unit.get(str(rec.team_id), str(rec.team_id)),
                "value": str(int(number)) if float(number).is_integer() else str(number),
                "storedBy": rec.author,
                "comment": rec.reason or rec.comment or "",
                "followup": False,
            }
            if isinstance(op.category_option_combo, str) and op.category_option_combo:
                value["categoryOptionCombo"] = op.category_option_combo
            values.append(value)
    values.sort(key=lambda v: (v["orgUnit"], v["period"], v["dataElement"]))
    return {"dataValues": values}

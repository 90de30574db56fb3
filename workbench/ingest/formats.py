"""Import readers: each source format becomes tidy candidate rows (team_id, indicator_id, period,
numerator, denominator, comment and the file's row number), not yet checked.

`detect_format` tells the format from the file name and its first line; `_read_tidy_csv` and
`_read_xlsx` read the tidy layout, `_dhis2_values_json` / `_dhis2_values_csv` with `_from_dhis2`
read DHIS2 dataValueSets through a mapping, `_from_kobo` KoboToolbox / ODK Central exports.
A file that cannot be read at all raises `_Failed` with its failures frame. Checking the rows
is `workbench.ingest.checks`; the import itself is `workbench.ingest`.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench.i18n import N_
from workbench.i18n import gettext as _
from workbench.ingest.cells import (
    _concat,
    blank_mask,
    check_counts,
    failures_frame,
    normalise_periods,
)
from workbench.ingest.export import restore_cell
from workbench.ingest.mapping import Mapping, normalise_column
from workbench.model import parse_counts, shown

__all__ = ["FORMATS", "KEY", "TIDY", "DHIS2_CSV_COLUMNS", "XLSX_MAX_ROWS", "XLSX_MAX_COLUMNS",
           "detect_format"]

FORMATS = ("auto", "csv", "xlsx", "dhis2-json", "dhis2-csv", "kobo")
KEY = ["team_id", "indicator_id", "period"]
TIDY = ["team_id", "indicator_id", "period", "numerator", "denominator"]
DHIS2_CSV_COLUMNS = ["dataelement", "period", "orgunit", "categoryoptioncombo",
                     "attributeoptioncombo", "value", "storedby", "lastupdated", "comment",
                     "followup", "deleted"]


class _Failed(Exception):
    """Internal: the file cannot be read at all (carries a failures frame)."""

    def __init__(self, failures: pd.DataFrame) -> None:
        super().__init__("unreadable file")
        self.failures = failures


def _one(row: Any, column: str, reason: str, value: Any, message: str) -> _Failed:
    return _Failed(failures_frame([{"row": row, "column": column, "reason": reason,
                                    "value": value, "message": message}]))


_SAVE_AS_UTF8 = N_("save it as 'CSV UTF-8' (Excel) or UTF-8 and import again")


def _text(data: bytes) -> str:
    """The file as text: UTF-8, with or without a byte-order mark (Excel's 'CSV UTF-8')."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _one(1, "", "encoding-error", "UTF-16",
                   _("the file is UTF-16 text, not UTF-8; {save}").format(
                     save=_(_SAVE_AS_UTF8)))
    if b"\x00" in data[:4096]:
        raise _one(1, "", "encoding-error", "byte 0x00",
                   _("the file is not text (it holds NUL bytes); export the data as "
                     "CSV and import that"))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise _one(line, "", "encoding-error", f"byte 0x{data[exc.start]:02x}",
                   _("the file is not UTF-8 text (byte 0x{value:02x} on line {line}); "
                     "{save}").format(
                     value=data[exc.start], line=line, save=_(_SAVE_AS_UTF8))) from exc


def _sniff_delimiter(text: str) -> str:
    header = text.split("\n", 1)[0]
    return ";" if header.count(";") > header.count(",") else ","


def detect_format(path: str | Path, data: bytes, mapping: Mapping | None) -> str:
    """The format from the file name and its first line."""
    suffix = Path(path).suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    data = data.removeprefix(b"\xef\xbb\xbf")  # UTF-8's byte-order mark
    if not data.strip():
        raise _one(1, "", "empty-file", None, _("the file is empty; export it again"))
    if suffix == ".json" or data.lstrip()[:1] == b"{":
        return "dhis2-json"
    head = data[:4096].decode("utf-8", errors="replace").split("\n", 1)[0].lower()
    names = [normalise_column(n.strip().strip('"')) for n in head.replace(";", ",").split(",")]
    if "team_id" in names and "indicator_id" in names:
        return "csv"
    if mapping is not None and mapping.source == "kobo":
        return "kobo"
    if names and names[0].startswith("dataele"):
        return "dhis2-csv"
    if mapping is not None:
        return "dhis2-csv"
    raise _one(1, "", "unknown-format", head[:60],
               _("cannot tell the format from the header; a tidy CSV starts with "
                 "team_id, indicator_id, period, numerator, denominator — or give --format"))


def _csv_problem(text: str, delimiter: str) -> _Failed:
    """The first line Python's strict CSV reader refuses (an unterminated quote …), as a
    failure naming the line."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    try:
        for _row in reader:
            pass
    except csv.Error as exc:
        return _one(reader.line_num, "", "bad-csv", None,
                    _("line {line} cannot be read as CSV ({exc}); a quote that opens a cell "
                      "must close it — fix the quotes or export the file again").format(
                          line=reader.line_num, exc=exc))
    return _one(None, "", "bad-csv", None, _("the file cannot be read as CSV; export "
                                             "it again"))


def _read_csv(text: str, **options: Any) -> pd.DataFrame:
    """`pandas.read_csv` of text, every cell as text; a file that is not CSV raises `_Failed`
    naming the line."""
    delimiter = options.pop("sep", ",")
    try:
        frame: pd.DataFrame = pd.read_csv(io.StringIO(text), dtype=str, sep=delimiter,
                                          keep_default_na=False, **options)
        return frame
    except pd.errors.EmptyDataError as exc:
        raise _one(1, "", "empty-file", None, _("the file is empty; export it again")) from exc
    except (pd.errors.ParserError, csv.Error) as exc:
        raise _csv_problem(text, delimiter) from exc


def _duplicate_names(names: list[str], row: int) -> None:
    """A header naming a column twice is refused (which one would be the data?)."""
    seen: dict[str, int] = {}
    failures = []
    for i, name in enumerate(names, start=1):
        if name and name in seen:
            failures.append({"row": row, "column": name, "reason": "duplicate-column",
                             "value": None,
                             "message": _("column {name} appears twice in the header "
                                          "(columns {value} and {i}); keep one").format(
                                          name=shown(name), value=seen[name], i=i)})
        seen.setdefault(name, i)
    if failures:
        raise _Failed(failures_frame(failures))


def _read_tidy_csv(text: str) -> pd.DataFrame:
    delimiter = _sniff_delimiter(text)
    header = next(csv.reader([text.split("\n", 1)[0]], delimiter=delimiter), [])
    names = [h.strip().lower() for h in header]
    _duplicate_names(names, 1)
    missing = [c for c in TIDY if c not in names]
    if missing:
        raise _Failed(failures_frame([{
            "row": 1, "column": c, "reason": "missing-column", "value": None,
            "message": _("column {column!r} is missing; the header must be team_id, "
                         "indicator_id, period, numerator, denominator (comment is "
                         "optional)").format(column=c)}
            for c in missing]))
    # every cell as text: the counts are parsed by the count rule (`workbench.model`), not by
    # pandas, which would read 'true' as 1 and '1e3' as 1000
    frame = _read_csv(text, sep=delimiter, skipinitialspace=True)
    if len(frame.columns) != len(names):
        raise _csv_problem(text, delimiter)
    frame.columns = names
    frame["row"] = np.arange(2, len(frame) + 2)
    frame["comment"] = frame["comment"].map(restore_cell) if "comment" in frame else ""
    return frame[["row", *TIDY, "comment"]]


#: The largest data table an xlsx import reads: rows after the header (blank rows not
#: counted) and columns. A sheet is read row by row (openpyxl read-only, its declared
#: dimension ignored), so a file declaring A1:XFD1048576 allocates nothing.
XLSX_MAX_ROWS = 500_000
XLSX_MAX_COLUMNS = 100
_HEADER_ROWS = 40  # the header row is looked for in the first rows of each sheet


def _sheet_rows(sheet: Any) -> Any:
    """The rows of a read-only sheet as value tuples, one column past the limit, lazily."""
    if hasattr(sheet, "reset_dimensions"):
        sheet.reset_dimensions()  # the declared dimension may be A1:XFD1048576: not trusted
    return sheet.iter_rows(values_only=True, max_col=XLSX_MAX_COLUMNS + 1)


def _header_row(sheet: Any) -> tuple[int, list[str]] | None:
    """(row number, lower-case names) of the first row naming team_id and period."""
    for i, cells in enumerate(_sheet_rows(sheet), start=1):
        if i > _HEADER_ROWS:
            return None
        names = [str(c).strip().lower() if c is not None else "" for c in cells]
        if "team_id" in names and "period" in names:
            while names and not names[-1]:
                names.pop()
            return i, names
    return None


def _xlsx_body(sheet: Any, header: int, width: int) -> tuple[list[int], list[list[Any]]]:
    """The row numbers and cells (`width` each) of the non-blank rows under the header; past
    the limits a `_Failed`."""
    numbers: list[int] = []
    body: list[list[Any]] = []
    for i, cells in enumerate(_sheet_rows(sheet), start=1):
        if i <= header or cells.count(None) == len(cells):  # blank rows cost nothing
            continue
        if len(cells) > XLSX_MAX_COLUMNS and cells[XLSX_MAX_COLUMNS] is not None:
            raise _one(i, "", "too-many-columns", None,
                       _("the sheet {title!r} has cells past column "
                         "{XLSX_MAX_COLUMNS}; the data table has at most {XLSX_MAX_COLUMNS} "
                         "columns: delete the cells on the right").format(
                         title=sheet.title, XLSX_MAX_COLUMNS=XLSX_MAX_COLUMNS))
        if len(body) == XLSX_MAX_ROWS:
            raise _one(i, "", "too-many-rows", None,
                       _("the sheet {title!r} has more than {XLSX_MAX_ROWS:,} data "
                         "rows; split it into several workbooks or import a CSV file").format(
                         title=sheet.title, XLSX_MAX_ROWS=XLSX_MAX_ROWS))
        numbers.append(i)
        body.append(list(cells[:width]) + [None] * (width - len(cells)))
    return numbers, body


def _read_xlsx(path: Path) -> pd.DataFrame:
    import zipfile

    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, TypeError) as exc:
        raise _one(None, "", "bad-file", path.name,
                   _("not a readable .xlsx workbook ({exc}); save it from Excel as "
                     ".xlsx").format(exc=exc)) from exc
    try:
        found = [(sheet, header) for sheet in book.worksheets
                 if (header := _header_row(sheet)) is not None]
        if not found:
            raise _one(1, "", "missing-column", None,
                       _("no sheet has a header row with team_id, indicator_id, "
                         "period, numerator, denominator; use `workbench template xlsx` to make "
                         "the workbook"))
        if len(found) > 1:
            titles = " and ".join(repr(sheet.title) for sheet, _ in found[:2])
            raise _one(None, "", "several-data-sheets", None,
                       _("the sheets {titles} both have a data header; import one "
                         "sheet at a time: move the rows into one sheet or save each sheet as "
                         "its own file").format(titles=titles))
        sheet, (row, names) = found[0]
        _duplicate_names(names, row)
        missing = [c for c in TIDY if c not in names]
        if missing:
            raise _Failed(failures_frame([{
                "row": row, "column": c, "reason": "missing-column", "value": None,
                "message": _("column {column!r} is missing from the header row").format(
                    column=c)} for c in missing]))
        numbers, body = _xlsx_body(sheet, row, len(names))
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError) as exc:  # a damaged sheet
        raise _one(None, "", "bad-file", path.name,
                   _("not a readable .xlsx workbook ({exc}); save it from Excel as "
                     ".xlsx").format(exc=exc)) from exc
    finally:
        book.close()
    frame = pd.DataFrame(body, columns=names, dtype=object)
    frame["row"] = np.array(numbers, dtype=np.int64)
    frame["comment"] = frame["comment"].map(restore_cell) if "comment" in frame else ""
    frame = frame[["row", *TIDY, "comment"]]
    keep = ~(frame[TIDY].isna().all(axis=1))
    out: pd.DataFrame = frame[keep].reset_index(drop=True)
    return out


def _dhis2_values_json(text: str) -> pd.DataFrame:
    try:
        doc = json.loads(text)
    except RecursionError as exc:
        raise _one(None, "", "bad-json", None,
                   _("the JSON is nested too deeply to be a DHIS2 data value set; "
                     "export the data value set again")) from exc
    except json.JSONDecodeError as exc:
        raise _one(exc.lineno, "", "bad-json", None,
                   _("not valid JSON ({msg} at line {lineno}, column {colno}); export "
                     "the data value set again").format(
                     msg=exc.msg, lineno=exc.lineno, colno=exc.colno)) from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("dataValues"), list):
        raise _one(None, "dataValues", "bad-json", None,
                   _("a DHIS2 data value set is an object with a dataValues array"))
    values = pd.DataFrame(doc["dataValues"], dtype=object)
    for top in ("period", "orgUnit", "attributeOptionCombo"):  # set-level defaults
        if top not in values:
            values[top] = doc.get(top)
        elif doc.get(top) is not None:
            values[top] = values[top].where(values[top].notna(), doc.get(top))
    rename = {"dataElement": "dataelement", "orgUnit": "orgunit",
              "categoryOptionCombo": "categoryoptioncombo",
              "attributeOptionCombo": "attributeoptioncombo"}
    values = values.rename(columns=rename)
    values["row"] = np.arange(1, len(values) + 1)
    return values


def _dhis2_values_csv(text: str) -> pd.DataFrame:
    reader = _read_csv(text, header=None, skiprows=1)
    width = min(reader.shape[1], len(DHIS2_CSV_COLUMNS))
    values = reader.iloc[:, :width].copy()
    values.columns = DHIS2_CSV_COLUMNS[:width]
    values["row"] = np.arange(2, len(values) + 2)
    return values


_TRUE = {"true", "t", "1"}


def _from_dhis2(values: pd.DataFrame, mapping: Mapping) -> tuple[pd.DataFrame, pd.DataFrame,
                                                                   int]:
    """DHIS2 data values -> tidy candidate rows (summing mapped operands), failures, ignored."""
    for column in ("dataelement", "period", "orgunit", "categoryoptioncombo",
                   "attributeoptioncombo", "value", "comment", "deleted"):
        if column not in values:
            values[column] = None
    values = values.astype({c: object for c in values.columns if c != "row"})
    deleted = values["deleted"].astype(str).str.strip().str.lower().isin(_TRUE)
    ignored = int(deleted.sum())
    values = values[~deleted]
    coc = values["categoryoptioncombo"].where(~blank_mask(values["categoryoptioncombo"]),
                                              "default")
    values = values.assign(categoryoptioncombo=coc.astype(str),
                           dataelement=values["dataelement"].astype(str).str.strip())
    ops = mapping.operands
    matched = values.merge(ops, left_on="dataelement", right_on="data_element", how="inner")
    matched = matched[matched["category_option_combo"].isna()
                      | (matched["category_option_combo"] == matched["categoryoptioncombo"])]
    unmapped = ~values["row"].isin(matched["row"])
    parts = []
    if unmapped.any():
        if mapping.unmapped_data_elements == "error":
            parts.append(pd.DataFrame({
                "row": values["row"][unmapped], "column": "dataElement",
                "reason": "unmapped-data-element", "value": values["dataelement"][unmapped],
                "message": [_("data element {element}.{combo} is not in the mapping {path}; "
                              "add it or set unmapped_data_elements: ignore").format(
                                  element=de, combo=c, path=mapping.path) for de, c in
                            zip(values["dataelement"][unmapped],
                                values["categoryoptioncombo"][unmapped], strict=True)]}))
        else:
            ignored += int(unmapped.sum())
    rows = matched["row"]
    period, f_period = normalise_periods(matched["period"], rows)
    number, f_value = check_counts(matched["value"], rows, "value")
    parts += [f_period, f_value]
    matched = matched.assign(period=period, value=number,
                             team_id=matched["orgunit"].astype(str).map(mapping.team_of))
    # conflicting duplicates within the import: one operand value twice, different values
    operand = ["dataelement", "categoryoptioncombo", "attributeoptioncombo", "orgunit",
               "period", "indicator_id", "part"]
    keyed = matched.astype({"attributeoptioncombo": str})
    dup = keyed.duplicated(operand, keep=False)
    if dup.any():
        spread = keyed[dup].groupby(operand, dropna=False)["value"].transform("nunique")
        conflict = spread[spread > 1].index
        if len(conflict):
            first = keyed.loc[conflict].groupby(operand, dropna=False)["row"].transform("min")
            parts.append(pd.DataFrame({
                "row": keyed.loc[conflict, "row"], "column": "value", "reason": "duplicate-key",
                "value": values.set_index("row").loc[keyed.loc[conflict, "row"], "value"].values,
                "message": [_("{element}.{combo} for {unit} {period} is given again with a "
                              "different value (first on row {first}); keep one").format(
                                  element=de, combo=c, unit=ou, period=pe, first=f)
                            for de, c, ou, pe, f in
                            zip(keyed.loc[conflict, "dataelement"],
                                keyed.loc[conflict, "categoryoptioncombo"],
                                keyed.loc[conflict, "orgunit"], keyed.loc[conflict, "period"],
                                first, strict=True)]}))
        matched = matched[~keyed.duplicated(operand, keep="first")]
    matched = matched.astype({"comment": object})
    grouped = matched.groupby(["team_id", "indicator_id", "period", "part"], dropna=False).agg(
        value=("value", lambda v: v.sum(min_count=1)), row=("row", "min"),
        orgunit=("orgunit", "first"),
        comment=("comment", lambda c: "; ".join(sorted({x.strip() for x in c
                                                         if isinstance(x, str) and x.strip()}))))
    grouped = grouped.reset_index()
    key = ["team_id", "indicator_id", "period"]
    num = grouped[grouped["part"] == "numerator"].drop(columns="part")
    den = grouped[grouped["part"] == "denominator"].drop(columns="part")
    out = num.merge(den, on=key, how="outer", suffixes=("_n", "_d"))
    out["numerator"] = out["value_n"]
    out["denominator"] = out["value_d"]
    out["row"] = out[["row_n", "row_d"]].min(axis=1).astype(int)
    out["orgunit"] = out["orgunit_n"].where(out["orgunit_n"].notna(), out["orgunit_d"])
    out["comment"] = [
        "; ".join(x for x in dict.fromkeys((a if isinstance(a, str) else "",
                                            b if isinstance(b, str) else "")) if x)
        for a, b in zip(out["comment_n"], out["comment_d"], strict=True)]
    # DHIS2 does not store zeros of most data elements (zeroIsSignificant=false): a numerator
    # absent where the denominator came is 0 (DHIS2 missingValueStrategy NEVER_SKIP).
    out["numerator"] = out["numerator"].where(out["row_n"].notna() | out["denominator"].isna(),
                                              0.0)
    out = out[["row", *key, "numerator", "denominator", "comment", "orgunit"]]
    return out, _concat(parts), ignored


def _from_kobo(text: str, mapping: Mapping) -> pd.DataFrame:
    delimiter = _sniff_delimiter(text)
    header = next(csv.reader([text.split("\n", 1)[0]], delimiter=delimiter), [])
    _duplicate_names([normalise_column(h) for h in header], 1)
    frame = _read_csv(text, sep=delimiter)
    by_name = {normalise_column(c): c for c in frame.columns}
    wanted = {**{k: v for k, v in mapping.kobo.items()},
              **{f"{r.indicator_id}|{r.part}": r.column for r in mapping.columns.itertuples()}}
    missing = sorted({str(v) for v in wanted.values() if v not in by_name})
    if missing:
        raise _Failed(failures_frame([{
            "row": 1, "column": m, "reason": "missing-column", "value": None,
            "message": _("column {m} named in {path} is not in the export; check the "
                         "question name (group/question)").format(
                         m=shown(m), path=mapping.path)} for m in missing]))
    rows = np.arange(2, len(frame) + 2)
    team = frame[by_name[mapping.kobo["team"]]].str.strip().map(mapping.team_of)
    period = frame[by_name[mapping.kobo["period"]]].str.strip()
    period = period.where(~period.str.match(r"^\d{4}-\d{2}-\d{2}"), period.str[:7])
    comment = (frame[by_name[mapping.kobo["comment"]]] if "comment" in mapping.kobo
               else pd.Series("", index=frame.index))
    pieces = []
    for indicator, parts in mapping.columns.groupby("indicator_id", sort=False):
        piece = pd.DataFrame({"row": rows, "team_id": team.values, "indicator_id": indicator,
                              "period": period.values, "comment": comment.values})
        for part in ("numerator", "denominator"):
            cols = parts.loc[parts["part"] == part, "column"].tolist()
            if not cols:
                piece[part] = None
            elif len(cols) == 1:
                piece[part] = frame[by_name[cols[0]]].values
            else:  # several questions summed: check each by the count rule, then add
                piece[part] = _summed_counts([frame[by_name[c]] for c in cols]).values
        pieces.append(piece)
    return pd.concat(pieces, ignore_index=True)


def _summed_counts(columns: list[pd.Series]) -> pd.Series:
    """The sum of several count columns; where a part is refused by the count rule, that
    part's text instead (so the check names it); blank where any part is blank."""
    total = pd.Series(0.0, index=columns[0].index)
    refused = pd.Series(None, index=columns[0].index, dtype=object)
    for column in columns:
        count, reason, _ = parse_counts(column)
        refused = refused.where(refused.notna() | reason.isna(), column)
        total = total + count  # NaN where this part is blank (or refused)
    return total.astype(object).where(refused.isna(), refused)

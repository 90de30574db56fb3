"""Imports: a file becomes measurement revisions in one transaction — all rows or none.

Formats (`fmt`): `csv` (tidy: team_id, indicator_id, period, numerator, denominator[,
comment]), `xlsx` (the data-entry workbook of `workbench template xlsx`, or any sheet with
those headers), `dhis2-json` and `dhis2-csv` (dataValueSets, data-quality reference §1a; the
CSV is positional and its header row is ignored), `kobo` (KoboToolbox / ODK Central CSV
exports, reference §5). DHIS2 and Kobo need a mapping file (`workbench.mapping`).

Checking is lazy, pandera-style: every problem in the file is collected into one failures
frame (row, column, reason, value, message, severity — `workbench.checks`) and raised as
`IngestError(failure_cases=...)`; nothing is written. Reason codes: encoding-error, bad-file,
bad-json, unknown-format, missing-column, empty-file, unknown-team, unknown-indicator,
bad-period, future-period, not-a-number, not-an-integer, negative-count, incomplete-pair,
duplicate-key (the same key twice with different values: DHIS2's "conflicting duplicates"),
unmapped-data-element (only with `unmapped_data_elements: error`).

Numerator > denominator is *not* an import error: data from existing systems comes in and the
validator reviews it as a flag (`workbench.validate`).

A clean file is compared with the current revisions: each key is new, revised or unchanged;
only new and revised keys get a revision, so importing the same file twice is a no-op for the
measurements. A key whose current revision is a reviewed correction (source "correction",
`workbench flags resolve --action correct`) is never overwritten: an imported value that differs
is `kept_correction` — counted, listed in `ImportResult.kept_corrections` (key, corrected value,
imported value) and not written — so re-importing an old file cannot silently undo a review.
Every (non-dry-run) import records an `import_batches` row with its summary.
Rows whose numerator and denominator are both blank are skipped (a month not reported).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine

from workbench.checks import (
    _concat,
    blank_mask,
    check_counts,
    failures_frame,
    normalise_periods,
)
from workbench.errors import IngestError
from workbench.mapping import Mapping, load_mapping, normalise_column
from workbench.store import current_user, read_indicators, read_teams, utcnow
from workbench.store import schema as s

__all__ = ["FORMATS", "ImportResult", "detect_format", "read_candidates", "import_file",
           "current_values", "fetch_tuples"]

FORMATS = ("auto", "csv", "xlsx", "dhis2-json", "dhis2-csv", "kobo")
KEY = ["team_id", "indicator_id", "period"]
TIDY = ["team_id", "indicator_id", "period", "numerator", "denominator"]
DHIS2_CSV_COLUMNS = ["dataelement", "period", "orgunit", "categoryoptioncombo",
                     "attributeoptioncombo", "value", "storedby", "lastupdated", "comment",
                     "followup", "deleted"]
_CHUNK = 50_000


@dataclass
class ImportResult:
    """What an import did (or, with dry_run, would do)."""

    file: str
    format: str
    rows: int  # data rows read (before blanks were skipped)
    new: int
    revised: int
    unchanged: int
    blank: int
    ignored: int  # DHIS2 values of unmapped data elements, deleted values
    batch_id: int | None
    dry_run: bool
    kept_correction: int = 0  # keys whose current value is a reviewed correction: not written
    kept_corrections: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Failed(Exception):
    """Internal: the file cannot be read at all (carries a failures frame)."""

    def __init__(self, failures: pd.DataFrame) -> None:
        super().__init__("unreadable file")
        self.failures = failures


def _one(row: Any, column: str, reason: str, value: Any, message: str) -> _Failed:
    return _Failed(failures_frame([{"row": row, "column": column, "reason": reason,
                                    "value": value, "message": message}]))


# ---------------------------------------------------------------- reading files

def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise _one(line, "", "encoding-error", f"byte 0x{data[exc.start]:02x}",
                   f"the file is not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line}); "
                   "save it as 'CSV UTF-8' (Excel) or UTF-8 and import again") from exc


def _sniff_delimiter(text: str) -> str:
    header = text.split("\n", 1)[0]
    return ";" if header.count(";") > header.count(",") else ","


def detect_format(path: str | Path, data: bytes, mapping: Mapping | None) -> str:
    """The format from the file name and its first line."""
    suffix = Path(path).suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
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
               "cannot tell the format from the header; a tidy CSV starts with team_id, "
               "indicator_id, period, numerator, denominator — or give --format")


def _read_tidy_csv(text: str) -> pd.DataFrame:
    delimiter = _sniff_delimiter(text)
    header = next(csv.reader([text.split("\n", 1)[0]], delimiter=delimiter), [])
    names = [h.strip().lower() for h in header]
    missing = [c for c in TIDY if c not in names]
    if missing:
        raise _Failed(failures_frame([{
            "row": 1, "column": c, "reason": "missing-column", "value": None,
            "message": f"column {c!r} is missing; the header must be team_id, indicator_id, "
                       "period, numerator, denominator (comment is optional)"}
            for c in missing]))
    common = {"sep": delimiter, "keep_default_na": False, "skipinitialspace": True}
    try:  # fast path: the counts are clean numbers
        frame = pd.read_csv(io.StringIO(text), dtype={**{h: str for h in header},
                                                      **{h: float for h in header
                                                         if h.strip().lower() in
                                                         ("numerator", "denominator")}},
                            na_values=[""], **common)
    except (ValueError, TypeError):
        frame = pd.read_csv(io.StringIO(text), dtype=str, **common)
    frame.columns = names
    frame["row"] = np.arange(2, len(frame) + 2)
    if "comment" not in frame:
        frame["comment"] = ""
    return frame[["row", *TIDY, "comment"]]


def _read_xlsx(path: Path) -> pd.DataFrame:
    import zipfile

    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise _one(None, "", "bad-file", path.name,
                   f"not a readable .xlsx workbook ({exc}); save it from Excel as .xlsx") from exc
    try:
        sheets = [book["Data entry"]] if "Data entry" in book.sheetnames else book.worksheets
        for sheet in sheets:
            rows = list(sheet.iter_rows(values_only=True))
            for i, cells in enumerate(rows[:40]):
                names = [str(c).strip().lower() if c is not None else "" for c in cells]
                if "team_id" in names and "period" in names:
                    missing = [c for c in TIDY if c not in names]
                    if missing:
                        raise _Failed(failures_frame([{
                            "row": i + 1, "column": c, "reason": "missing-column", "value": None,
                            "message": f"column {c!r} is missing from the header row"}
                            for c in missing]))
                    body = [list(r) + [None] * (len(names) - len(r)) for r in rows[i + 1:]]
                    frame = pd.DataFrame(body, columns=names, dtype=object)
                    frame["row"] = np.arange(i + 2, i + 2 + len(frame))
                    if "comment" not in frame:
                        frame["comment"] = ""
                    frame = frame[["row", *TIDY, "comment"]]
                    keep = ~(frame[TIDY].isna().all(axis=1))
                    return frame[keep].reset_index(drop=True)
        raise _one(1, "", "missing-column", None,
                   "no sheet has a header row with team_id, indicator_id, period, numerator, "
                   "denominator; use `workbench template xlsx` to make the workbook")
    finally:
        book.close()


def _dhis2_values_json(text: str) -> pd.DataFrame:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _one(exc.lineno, "", "bad-json", None,
                   f"not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}); "
                   "export the data value set again") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("dataValues"), list):
        raise _one(None, "dataValues", "bad-json", None,
                   "a DHIS2 data value set is an object with a dataValues array")
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
    reader = pd.read_csv(io.StringIO(text), header=None, skiprows=1, dtype=str,
                         keep_default_na=False)
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
                "message": [f"data element {de}.{c} is not in the mapping {mapping.path}; add "
                            "it or set unmapped_data_elements: ignore" for de, c in
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
                "message": [f"{de}.{c} for {ou} {pe} is given again with a different value "
                            f"(first on row {f}); keep one" for de, c, ou, pe, f in
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
    frame = pd.read_csv(io.StringIO(text), sep=_sniff_delimiter(text), dtype=str,
                        keep_default_na=False)
    by_name = {normalise_column(c): c for c in frame.columns}
    wanted = {**{k: v for k, v in mapping.kobo.items()},
              **{f"{r.indicator_id}|{r.part}": r.column for r in mapping.columns.itertuples()}}
    missing = sorted({v for v in wanted.values() if v not in by_name})
    if missing:
        raise _Failed(failures_frame([{
            "row": 1, "column": m, "reason": "missing-column", "value": None,
            "message": f"column {m!r} named in {mapping.path} is not in the export; check the "
                       "question name (group/question)"} for m in missing]))
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
            else:  # several questions summed: check each, then add
                nums = [pd.to_numeric(frame[by_name[c]], errors="coerce") for c in cols]
                piece[part] = sum(nums).values
        pieces.append(piece)
    return pd.concat(pieces, ignore_index=True)


# ---------------------------------------------------------------- checking

def _check_tidy(frame: pd.DataFrame, teams: pd.DataFrame, indicators: pd.DataFrame,
                latest: str, numeric_done: bool = False,
                team_column: str = "team_id") -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Checks on tidy candidates; returns clean rows, failures and the count of blank rows."""
    parts = []
    blank = blank_mask(frame["numerator"]) & blank_mask(frame["denominator"])
    n_blank = int(blank.sum())
    frame = frame[~blank]
    rows = frame["row"]
    num_blank = blank_mask(frame["numerator"])
    den_blank = blank_mask(frame["denominator"])
    if not numeric_done:
        num, f_num = check_counts(frame["numerator"], rows, "numerator")
        den, f_den = check_counts(frame["denominator"], rows, "denominator")
        parts += [f_num, f_den]
        period, f_period = normalise_periods(frame["period"], rows, latest=latest)
        parts.append(f_period)
        frame = frame.assign(numerator=num, denominator=den, period=period)
    else:
        future = frame["period"].notna() & (frame["period"] > latest)
        if future.any():
            parts.append(pd.DataFrame({
                "row": rows[future], "column": "period", "reason": "future-period",
                "value": frame["period"][future],
                "message": "the period is after the current month; check the year and month"}))
    team = _stripped(frame["team_id"])
    indicator = _stripped(frame["indicator_id"])
    frame = frame.assign(team_id=team, indicator_id=indicator)
    known_teams = set(teams["team_id"])
    bad_team = ~team.isin(known_teams)
    if bad_team.any():
        hint = ", ".join(sorted(known_teams)[:8]) + (" …" if len(known_teams) > 8 else "")
        shown = frame["orgunit"][bad_team] if "orgunit" in frame else team[bad_team]
        parts.append(pd.DataFrame({
            "row": rows[bad_team], "column": team_column, "reason": "unknown-team",
            "value": shown.values,
            "message": [f"team {t!r} is not in this collaborative (teams: {hint}); fix the code"
                        + (" or map the org unit in the mapping file" if team_column != "team_id"
                           else "")
                        for t in shown]}))
    kinds = dict(zip(indicators["indicator_id"], indicators["kind"], strict=True))
    kind = indicator.map(kinds)
    bad_ind = kind.isna()
    if bad_ind.any():
        parts.append(pd.DataFrame({
            "row": rows[bad_ind], "column": "indicator_id", "reason": "unknown-indicator",
            "value": indicator[bad_ind].values,
            "message": [f"indicator {i!r} is not defined (indicators: {', '.join(kinds)}); fix "
                        "the code" for i in indicator[bad_ind]]}))
    paired = kind.isin(["proportion", "rate", "mean"])
    half = paired & (num_blank != den_blank)
    if half.any():
        missing = np.where(num_blank[half], "numerator", "denominator")
        parts.append(pd.DataFrame({
            "row": rows[half], "column": missing, "reason": "incomplete-pair", "value": None,
            "message": [f"{m} is missing; {i} needs both numerator and denominator (DHIS2 "
                        "compulsory pair)" for m, i in zip(missing, indicator[half],
                                                             strict=True)]}))
    key_code = _key_codes(frame)
    dup = key_code.duplicated(keep=False)
    if dup.any():
        sub = frame[dup]
        key_groups = sub.groupby(KEY, dropna=False)
        spread = key_groups["numerator"].transform("nunique", dropna=False) + \
            key_groups["denominator"].transform("nunique", dropna=False)
        first = key_groups["row"].transform("min")
        conflict = spread > 2
        if conflict.any():
            c = sub[conflict]
            parts.append(pd.DataFrame({
                "row": c["row"], "column": "numerator", "reason": "duplicate-key",
                "value": [f"{n:g}/{d:g}" for n, d in zip(c["numerator"], c["denominator"],
                                                         strict=True)],
                "message": [f"{t} {i} {p} appears more than once with different values (first "
                            f"on row {f}); keep one row" for t, i, p, f in
                            zip(c["team_id"], c["indicator_id"], c["period"], first[conflict],
                                strict=True)]}))
        frame = frame[~key_code.duplicated(keep="first")]
    return frame, _concat(parts), n_blank


def _stripped(raw: pd.Series) -> pd.Series:
    """Codes as stripped text, computed on the distinct values only (fast on big files)."""
    codes, uniques = pd.factorize(raw, use_na_sentinel=False)
    clean = np.array([str(u).strip() for u in uniques], dtype=object)
    return pd.Series(clean[codes], index=raw.index, dtype=object)


def _key_codes(frame: pd.DataFrame) -> pd.Series:
    """One int64 per team × indicator × period, for fast duplicate detection."""
    out = np.zeros(len(frame), dtype=np.int64)
    for column in KEY:
        codes, uniques = pd.factorize(frame[column], use_na_sentinel=False)
        out = out * (len(uniques) + 1) + codes
    return pd.Series(out, index=frame.index)


def read_candidates(path: str | Path, engine: Engine, fmt: str = "auto",
                    mapping: str | Path | Mapping | None = None
                    ) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Parse and check a file: (clean tidy rows, failures frame, info {format, rows, blank …}).

    Clean rows have row, team_id, indicator_id, period (YYYY-MM), numerator, denominator,
    comment. The failures frame is empty when the file is clean.
    """
    path = Path(path)
    if fmt not in FORMATS:
        raise IngestError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}.")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError(f"{path}: cannot read the file ({exc.strerror}).", file=str(path)) \
            from exc
    mapping_obj = load_mapping(mapping) if isinstance(mapping, str | Path) else mapping
    info: dict[str, Any] = {"file": str(path), "sha256": hashlib.sha256(data).hexdigest(),
                            "ignored": 0}
    teams = read_teams(engine)
    indicators = read_indicators(engine)
    latest = str(pd.Timestamp.now().to_period("M"))
    try:
        fmt = detect_format(path, data, mapping_obj) if fmt == "auto" else fmt
        info["format"] = fmt
        if fmt in ("dhis2-json", "dhis2-csv", "kobo") and mapping_obj is None:
            raise IngestError(
                f"{path.name} is a {fmt} file: give --mapping MAP.yaml mapping its data "
                "elements and org units to indicators and teams (start from "
                "templates/dhis2_mapping.yaml).", file=str(path))
        if fmt == "xlsx":
            raw = _read_xlsx(path)
        else:
            text = _text(data)
            if not text.strip():
                raise _one(1, "", "empty-file", None, "the file is empty; export it again")
            if fmt == "csv":
                raw = _read_tidy_csv(text)
            elif fmt == "kobo":
                raw = _from_kobo(text, mapping_obj)  # type: ignore[arg-type]
            else:
                values = (_dhis2_values_json(text) if fmt == "dhis2-json"
                          else _dhis2_values_csv(text))
                info["rows"] = len(values)
                raw, failures, info["ignored"] = _from_dhis2(values, mapping_obj)  # type: ignore
                clean, more, info["blank"] = _check_tidy(raw, teams, indicators, latest,
                                                         numeric_done=True, team_column="orgUnit")
                return clean, _sorted(_concat([failures, more])), info
        info["rows"] = len(raw)
        clean, failures, info["blank"] = _check_tidy(raw, teams, indicators, latest)
    except _Failed as exc:
        info.setdefault("format", fmt)
        return pd.DataFrame(columns=["row", *TIDY, "comment"]), exc.failures, info
    return clean, _sorted(failures), info


def _sorted(failures: pd.DataFrame) -> pd.DataFrame:
    if failures.empty:
        return failures
    failures = failures.drop_duplicates(["row", "column", "reason", "message"])
    order = pd.to_numeric(failures["row"], errors="coerce")
    return failures.assign(_o=order).sort_values(["_o", "column"], kind="stable") \
        .drop(columns="_o").reset_index(drop=True)


# ---------------------------------------------------------------- writing

def fetch_tuples(conn: Connection, sql: str, params: tuple = ()) -> list[tuple]:
    """Plain tuples straight from the DBAPI cursor (SQLAlchemy Rows are slow to frame in bulk).

    `sql` uses `?` placeholders; they become `%s` on drivers with that paramstyle.
    """
    if conn.dialect.paramstyle in ("format", "pyformat"):
        sql = sql.replace("?", "%s")
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql, params)
        return cursor.fetchall()
    finally:
        cursor.close()


def current_values(conn: Connection | Engine) -> pd.DataFrame:
    """Current numerator, denominator, comment, revision_id and source of every key (fast)."""
    sql = ("SELECT m.team_id, m.indicator_id, m.period, m.numerator, m.denominator, m.comment, "
           "m.revision_id, m.source FROM measurement_revisions m JOIN (SELECT max(revision_id) "
           "AS rid FROM measurement_revisions GROUP BY team_id, indicator_id, period) l "
           "ON m.revision_id = l.rid")
    if isinstance(conn, Engine):
        with conn.connect() as c:
            rows = fetch_tuples(c, sql)
    else:
        rows = fetch_tuples(conn, sql)
    return pd.DataFrame.from_records(
        rows, columns=["team_id", "indicator_id", "period", "numerator", "denominator",
                       "comment", "revision_id", "source"])


def _classify(clean: pd.DataFrame, current: pd.DataFrame) -> tuple[pd.Series, pd.DataFrame]:
    """new | revised | unchanged | kept_correction for each clean row, and the current rows.

    A key whose current revision is a reviewed correction (source "correction") is never
    overwritten by an import: different values are `kept_correction`, equal values unchanged
    (the comment does not count there).
    """
    if current.empty:
        return pd.Series("new", index=clean.index), current
    merged = clean[KEY].merge(current, on=KEY, how="left", suffixes=("", "_cur"),
                              validate="one_to_one")
    merged.index = clean.index
    exists = merged["revision_id"].notna()

    def same(a: pd.Series, b: pd.Series) -> pd.Series:
        a = a.astype(float)
        b = b.astype(float)
        return (a == b) | (a.isna() & b.isna())

    values = (same(clean["numerator"], merged["numerator"])
              & same(clean["denominator"], merged["denominator"]))
    equal = values & (clean["comment"].fillna("").astype(str)
                      == merged["comment"].fillna("").astype(str))
    corrected = merged["source"] == "correction"
    status = np.where(~exists, "new", np.where(equal, "unchanged", "revised"))
    status = np.where(corrected, np.where(values, "unchanged", "kept_correction"), status)
    return pd.Series(status, index=clean.index), merged


def _kept(clean: pd.DataFrame, merged: pd.DataFrame, kept: pd.Series) -> list[dict[str, Any]]:
    def num(v: Any) -> float | None:
        return None if pd.isna(v) else float(v)

    return [{"team_id": t, "indicator_id": i, "period": p,
             "corrected": {"numerator": num(cn), "denominator": num(cd), "revision_id": int(r)},
             "imported": {"numerator": num(n), "denominator": num(d), "row": int(row)}}
            for t, i, p, n, d, row, cn, cd, r in zip(
                clean["team_id"][kept], clean["indicator_id"][kept], clean["period"][kept],
                clean["numerator"][kept], clean["denominator"][kept], clean["row"][kept],
                merged["numerator"][kept], merged["denominator"][kept],
                merged["revision_id"][kept], strict=True)]


def _insert_revisions(conn: Connection, rows: pd.DataFrame, *, source: str, author: str,
                      batch_id: int, progress: Callable[[int, int], None] | None) -> None:
    """Bulk insert: raw executemany on SQLite, Core executemany elsewhere; chunked."""
    now = utcnow()
    total = len(rows)
    num = rows["numerator"].astype(float)
    den = rows["denominator"].astype(float)
    columns = {
        "team_id": rows["team_id"].astype(str).tolist(),
        "indicator_id": rows["indicator_id"].astype(str).tolist(),
        "period": rows["period"].astype(str).tolist(),
        "numerator": num.astype(object).where(num.notna(), None).tolist(),
        "denominator": den.astype(object).where(den.notna(), None).tolist(),
        "comment": rows["comment"].fillna("").astype(str).tolist(),
    }
    sqlite = conn.dialect.name == "sqlite"
    if sqlite and total > _CHUNK:  # a bigger page cache for index inserts (this connection)
        conn.exec_driver_sql("PRAGMA cache_size=-262144")
    stamp = now.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else now
    sql = ("INSERT INTO measurement_revisions (team_id, indicator_id, period, numerator, "
           "denominator, source, batch_id, flag_id, author, created_at, reason, comment) "
           "VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, '', ?)")
    for start in range(0, total, _CHUNK):
        stop = min(start + _CHUNK, total)
        chunk = zip(columns["team_id"][start:stop], columns["indicator_id"][start:stop],
                    columns["period"][start:stop], columns["numerator"][start:stop],
                    columns["denominator"][start:stop], columns["comment"][start:stop],
                    strict=True)
        if sqlite:
            conn.exec_driver_sql(sql, [(t, i, p, n, d, source, batch_id, author, stamp, c)
                                       for t, i, p, n, d, c in chunk])
        else:
            conn.execute(s.measurement_revisions.insert(), [
                {"team_id": t, "indicator_id": i, "period": p, "numerator": n,
                 "denominator": d, "source": source, "batch_id": batch_id, "flag_id": None,
                 "author": author, "created_at": stamp, "reason": "", "comment": c}
                for t, i, p, n, d, c in chunk])
        if progress is not None:
            progress(stop, total)


def import_file(engine: Engine, path: str | Path, *, fmt: str = "auto",
                mapping: str | Path | Mapping | None = None, dry_run: bool = False,
                author: str | None = None,
                progress: Callable[[int, int], None] | None = None) -> ImportResult:
    """Import a file in one transaction; raises IngestError (with failure_cases) if unclean."""
    path = Path(path)
    clean, failures, info = read_candidates(path, engine, fmt, mapping)
    if len(failures):
        n = len(failures)
        rows = failures["row"].nunique(dropna=False)
        first = failures.iloc[0]
        where = f"row {first['row']}, " if pd.notna(first["row"]) else ""
        column = f"column {first['column']}: " if first["column"] else ""
        raise IngestError(
            f"{path.name}: {n} problem{'s' if n != 1 else ''} in {rows} "
            f"row{'s' if rows != 1 else ''}; nothing was imported. First: {where}{column}"
            f"{first['message']}. Fix every listed problem and import again.",
            file=str(path), failure_cases=failures)
    source = {"dhis2-json": "dhis2", "dhis2-csv": "dhis2", "kobo": "kobo"}.get(
        info["format"], "import")
    author = author or current_user()
    with engine.begin() as conn:
        status, merged = _classify(clean, current_values(conn))
        counts = status.value_counts()
        kept = status == "kept_correction"
        result = ImportResult(
            file=path.name, format=info["format"], rows=int(info.get("rows", len(clean))),
            new=int(counts.get("new", 0)), revised=int(counts.get("revised", 0)),
            unchanged=int(counts.get("unchanged", 0)), blank=int(info.get("blank", 0)),
            ignored=int(info.get("ignored", 0)), batch_id=None, dry_run=dry_run,
            kept_correction=int(kept.sum()),
            kept_corrections=_kept(clean, merged, kept) if kept.any() else [])
        if dry_run:
            return result
        summary = {k: v for k, v in result.to_dict().items()
                   if k in ("rows", "new", "revised", "unchanged", "blank", "ignored",
                            "kept_correction", "kept_corrections")}
        batch_id = conn.execute(s.import_batches.insert().values(
            file_name=path.name, format=info["format"], sha256=info["sha256"], author=author,
            created_at=utcnow(), summary=summary)).inserted_primary_key[0]
        result.batch_id = int(batch_id)
        changed = clean[status.isin(["new", "revised"]).values]
        _insert_revisions(conn, changed, source=source, author=author, batch_id=batch_id,
                          progress=progress)
    return result

"""Import checks: a file's candidate rows checked lazily, every problem in one failures frame.

`read_candidates` reads a file with the reader of its format (`workbench.ingest.formats`) and
checks the tidy rows (`_check_tidy`: blank rows skipped, counts, periods, known teams and
indicators, complete pairs, conflicting duplicate keys). Reason codes are listed in
`workbench.ingest`, which writes the clean rows.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from workbench.errors import IngestError
from workbench.i18n import N_
from workbench.i18n import gettext as _
from workbench.ingest.cells import (
    _concat,
    blank_mask,
    check_calendar,
    check_counts,
    failures_frame,
    normalise_periods,
)
from workbench.ingest.formats import (
    FORMATS,
    KEY,
    TIDY,
    _dhis2_values_csv,
    _dhis2_values_json,
    _Failed,
    _from_dhis2,
    _from_kobo,
    _one,
    _read_tidy_csv,
    _read_xlsx,
    _text,
    detect_format,
)
from workbench.ingest.mapping import Mapping, load_mapping
from workbench.model import Calendar
from workbench.model import shown as cut
from workbench.store import read_calendar, read_indicators, read_teams

__all__ = ["read_candidates"]

#: The message of a DHIS2 compulsory pair with one half missing, by the missing half.
_HALF_MISSING = {
    "numerator": N_("numerator is missing; {indicator} needs both numerator and denominator "
                    "(DHIS2 compulsory pair)"),
    "denominator": N_("denominator is missing; {indicator} needs both numerator and "
                      "denominator (DHIS2 compulsory pair)"),
}


def _other_teams_measures(indicators: pd.DataFrame, rows: pd.Series, team: pd.Series,
                          indicator: pd.Series) -> pd.DataFrame:
    """Rows of a team's own measure (`workbench measure add`) sent for another team."""
    owned = indicators.loc[indicators["team_id"].notna(), ["indicator_id", "team_id"]] \
        if "team_id" in indicators else pd.DataFrame()
    if owned.empty:
        return failures_frame()
    owner = indicator.map(dict(zip(owned["indicator_id"], owned["team_id"], strict=True)))
    bad = owner.notna() & (owner != team)
    if not bad.any():
        return failures_frame()
    return pd.DataFrame({
        "row": rows[bad], "column": "team_id", "reason": "other-team-measure",
        "value": team[bad].values,
        "message": [_("indicator {indicator} is team {team}'s own measure; only {team} reports "
                      "it (fix the team code, or add a measure of this team's own with "
                      "workbench measure add)").format(indicator=cut(i), team=o)
                    for i, o in zip(indicator[bad], owner[bad], strict=True)]})


def _check_tidy(frame: pd.DataFrame, teams: pd.DataFrame, indicators: pd.DataFrame,
                calendar: Calendar, numeric_done: bool = False,
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
        period, f_period = normalise_periods(frame["period"], rows, calendar=calendar)
        parts.append(f_period)
        frame = frame.assign(numerator=num, denominator=den, period=period)
    else:  # DHIS2: counts and periods were read before the operands were summed
        parts.append(check_calendar(frame["period"], frame["period"], rows, calendar))
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
            "message": [(_("team {team} is not in this collaborative (teams: {teams}); fix the "
                           "code") if team_column == "team_id" else
                         _("team {team} is not in this collaborative (teams: {teams}); fix the "
                           "code or map the org unit in the mapping file")).format(
                             team=cut(t), teams=hint)
                        for t in shown]}))
    kinds = dict(zip(indicators["indicator_id"], indicators["kind"], strict=True))
    kind = indicator.map(kinds)
    bad_ind = kind.isna()
    if bad_ind.any():
        parts.append(pd.DataFrame({
            "row": rows[bad_ind], "column": "indicator_id", "reason": "unknown-indicator",
            "value": indicator[bad_ind].values,
            "message": [_("indicator {indicator} is not defined (indicators: {indicators}); "
                          "fix the code").format(indicator=cut(i), indicators=", ".join(kinds))
                        for i in indicator[bad_ind]]}))
    parts.append(_other_teams_measures(indicators, rows, team, indicator))
    paired = kind.isin(["proportion", "rate", "mean"])
    half = paired & (num_blank != den_blank)
    if half.any():
        missing = np.where(num_blank[half], "numerator", "denominator")
        parts.append(pd.DataFrame({
            "row": rows[half], "column": missing, "reason": "incomplete-pair", "value": None,
            "message": [_(_HALF_MISSING[m]).format(indicator=i)
                        for m, i in zip(missing, indicator[half], strict=True)]}))
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
                "message": [_("{team} {indicator} {period} appears more than once with "
                              "different values (first on row {first}); keep one row").format(
                                  team=t, indicator=i, period=p, first=f)
                            for t, i, p, f in
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
        raise IngestError(N_("unknown format {fmt!r}; use one of {formats}."),
                          params={"fmt": fmt, "formats": ", ".join(FORMATS)})
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError(N_("{path}: cannot read the file ({reason})."),
                          params={"path": str(path), "reason": exc.strerror},
                          file=str(path)) from exc
    mapping_obj = load_mapping(mapping) if isinstance(mapping, str | Path) else mapping
    info: dict[str, Any] = {"file": str(path), "sha256": hashlib.sha256(data).hexdigest(),
                            "ignored": 0, "format": fmt}
    teams = read_teams(engine)
    indicators = read_indicators(engine)
    calendar = read_calendar(engine)
    try:
        raw, failures, numeric_done = _read_raw(path, data, fmt, mapping_obj, info)
        info.setdefault("rows", len(raw))
        clean, more, info["blank"] = _check_tidy(
            raw, teams, indicators, calendar, numeric_done=numeric_done,
            team_column="orgUnit" if numeric_done else "team_id")
    except _Failed as exc:
        return pd.DataFrame(columns=["row", *TIDY, "comment"]), exc.failures, info
    return clean, _sorted(_concat([failures, more])), info


def _read_raw(path: Path, data: bytes, fmt: str, mapping: Mapping | None,
              info: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame, bool]:
    """The file's tidy candidate rows by its format's reader: (rows, the reader's own
    failures, whether counts and periods were already read — DHIS2 sums operands first)."""
    binary = fmt == "xlsx" or (fmt == "auto" and path.suffix.lower() in (".xlsx", ".xlsm"))
    text = "" if binary else _text(data)
    fmt = detect_format(path, data, mapping) if fmt == "auto" else fmt
    info["format"] = fmt
    if fmt in ("dhis2-json", "dhis2-csv", "kobo") and mapping is None:
        raise IngestError(
            N_("{name} is a {fmt} file: give --mapping MAP.yaml mapping its data elements and "
               "org units to indicators and teams (start from templates/dhis2_mapping.yaml)."),
            params={"name": path.name, "fmt": fmt}, file=str(path))
    if fmt == "xlsx":
        return _read_xlsx(path), failures_frame(), False
    if not text.strip():
        raise _one(1, "", "empty-file", None, _("the file is empty; export it again"))
    if fmt == "csv":
        return _read_tidy_csv(text), failures_frame(), False
    assert mapping is not None  # checked above for every format that needs one
    if fmt == "kobo":
        return _from_kobo(text, mapping), failures_frame(), False
    values = _dhis2_values_json(text) if fmt == "dhis2-json" else _dhis2_values_csv(text)
    info["rows"] = len(values)
    raw, failures, info["ignored"] = _from_dhis2(values, mapping)
    return raw, failures, True


def _sorted(failures: pd.DataFrame) -> pd.DataFrame:
    if failures.empty:
        return failures
    failures = failures.drop_duplicates(["row", "column", "reason", "message"])
    order = pd.to_numeric(failures["row"], errors="coerce")
    return failures.assign(_o=order).sort_values(["_o", "column"], kind="stable") \
        .drop(columns="_o").reset_index(drop=True)


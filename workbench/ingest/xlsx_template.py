"""The data-entry workbook: one sheet per team for the months to report, importable back.

`write_template(engine, team_id, out, months=12, period=None)` writes, from the look in
templates/data_entry_xlsx.yaml: a title and the team, the instructions, a table of the
indicators with their numerator and denominator definitions, then the data table (header row
team_id, period, indicator_id, indicator, numerator, denominator, comment) with one row per
indicator for each of the `months` months up to `period` (default: the current month minus
one). Months already in the workbench are filled in and locked (the sheet is protected);
empty months are open, with data validation (whole numbers >= 0). `workbench import` reads the
sheet back (`workbench.ingest`); unchanged rows are a no-op.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from sqlalchemy import Engine

from workbench.paths import templates_dir
from workbench.store import get_team, read_indicators, read_measurements

__all__ = ["STYLE_FILE", "load_style", "write_template"]

STYLE_FILE = "data_entry_xlsx.yaml"


def load_style(path: str | Path | None = None) -> dict[str, Any]:
    """The workbook look (templates/data_entry_xlsx.yaml)."""
    path = Path(path) if path else templates_dir() / STYLE_FILE
    look: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return look


def write_template(engine: Engine, team_id: str, out: str | Path, *, months: int = 12,
                   period: str | None = None, style: dict[str, Any] | None = None) -> Path:
    """Write the team's data-entry workbook; returns the path."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill, Protection
    from openpyxl.worksheet.datavalidation import DataValidation

    look = style or load_style()
    team = get_team(engine, team_id)
    indicators = read_indicators(engine)
    last = pd.Period(period, "M") if period else pd.Timestamp.now().to_period("M") - 1
    first = max(last - (months - 1), pd.Period(team["joined_period"], "M"))
    periods = [str(p) for p in pd.period_range(first, last, freq="M")]
    data = read_measurements(engine, team_ids=[team_id])
    data["period"] = data["period"].astype(str)
    known = {(r.indicator_id, r.period): r for r in data.itertuples(index=False)}

    def font(name: str) -> Font:
        return Font(**look["fonts"][name])

    def fill(name: str) -> PatternFill:
        return PatternFill("solid", fgColor=look["fills"][name])

    book = Workbook()
    ws = book.active
    ws.title = look["sheet_name"]
    ws["A1"] = look["title"]
    ws["A1"].font = font("title")
    ws["A2"] = f"Team {team_id}: {team['name']} ({team['district']})"
    ws["A3"] = " ".join(str(look["instructions"]).split())
    ws["A3"].alignment = Alignment(wrap_text=True, vertical="top")
    ws.merge_cells("A3:G3")
    ws.row_dimensions[3].height = 45
    row = 5
    for label, col in (("indicator", 1), ("name", 2), ("numerator counts", 4),
                       ("denominator counts", 6)):
        ws.cell(row, col, label).font = font("header")
        ws.cell(row, col).fill = fill("header")
    for ind in indicators.itertuples(index=False):
        row += 1
        ws.cell(row, 1, ind.indicator_id)
        ws.cell(row, 2, ind.name)
        ws.cell(row, 4, ind.numerator_definition).font = font("definition")
        ws.cell(row, 6, ind.denominator_definition).font = font("definition")
        for col in range(1, 8):
            ws.cell(row, col).fill = fill("definitions")
    row += 2
    columns = look["columns"]
    header_row = row
    for j, column in enumerate(columns, start=1):
        cell = ws.cell(row, j, column["header"])
        cell.font = font("header")
        cell.fill = fill("header")
        ws.column_dimensions[cell.column_letter].width = column["width"]
    counts = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0",
                            allow_blank=True, showErrorMessage=True,
                            errorTitle="Whole number",
                            error="Enter a whole number of events, 0 or more.")
    ws.add_data_validation(counts)
    keys = [c["key"] for c in columns]
    for p in periods:
        for ind in indicators.itertuples(index=False):
            row += 1
            have = known.get((ind.indicator_id, p))
            values = {"team_id": team_id, "period": p, "indicator_id": ind.indicator_id,
                      "indicator": ind.name,
                      "numerator": _int(have.numerator) if have is not None else None,
                      "denominator": _int(have.denominator) if have is not None else None,
                      "comment": None}
            for j, key in enumerate(keys, start=1):
                cell = ws.cell(row, j, values[key])
                if key in ("team_id", "period", "indicator_id", "indicator"):
                    cell.data_type = "s"
                    cell.number_format = "@"
                open_cell = have is None and key in ("numerator", "denominator", "comment")
                cell.protection = Protection(locked=not open_cell)
                cell.fill = fill("input" if open_cell else "locked")
                if open_cell and key != "comment":
                    counts.add(cell.coordinate)
    ws.freeze_panes = ws.cell(header_row + 1, 1)
    ws.protection.sheet = True
    if look.get("protect_password"):
        ws.protection.password = look["protect_password"]
    out = Path(out)
    book.save(out)
    return out


def _int(value: Any) -> Any:
    if value is None or value != value:
        return None
    return int(value) if float(value).is_integer() else float(value)

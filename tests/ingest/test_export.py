"""Exports: CSV and xlsx guarded against formula injection, numbers stay numbers; DHIS2 JSON."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from openpyxl import load_workbook

from workbench.errors import WorkbenchError
from workbench.ingest.export import (
    dhis2_data_value_set,
    export_frame,
    neutralise_cell,
    restore_cell,
    write_csv,
    write_xlsx,
)
from workbench.ingest.mapping import load_mapping
from workbench.store import add_revisions, open_engine, utcnow
from workbench.store import schema as s


@pytest.fixture
def db(empty_db):
    engine = open_engine(empty_db)
    with engine.begin() as conn:
        add_revisions(conn, [
            {"team_id": "T01", "indicator_id": "AMTSL", "period": "2024-01", "numerator": 40,
             "denominator": 50, "comment": "=HYPERLINK(\"http://evil\",\"x\")"},
            {"team_id": "T01", "indicator_id": "PPH", "period": "2024-01", "numerator": 2,
             "denominator": 50}], source="import")
        conn.execute(s.coaching_visits.insert().values(
            team_id="T01", coach="@coach", visit_date="2024-02-01", notes="-1+1 cmd|' /C calc'!A0",
            actions=[{"action": "+recount"}], author="c", created_at=utcnow()))
    return engine


@pytest.mark.parametrize(("value", "expected"), [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t'=1"), ("normal", "normal"), (12, 12), (-3.5, -3.5),
    ("note\r=1+1", "note\r'=1+1"), ("note\n+1", "note\n'+1"), ("a;=1+1", "a;'=1+1"),
    ("a,@x", "a,'@x"), ("a|-1", "a|'-1"), ("well-known", "well-known"), ("x, -3", "x, -3"),
    # a space, a quote or a byte-order mark between the separator and the formula (LibreOffice
    # trims spaces on import), other line breaks, leading spaces
    ("a; =1+1", "a; '=1+1"), ('a;"=1+1', "a;\"'=1+1"), ("x, -2+3+cmd|' /C calc'!A0",
                                                        "x, '-2+3+cmd|' /C calc'!A0"),
    ("a\u2028=1", "a\u2028'=1"), ("a\x0b@x", "a\x0b'@x"), ("note\r\n =1", "note\r\n '=1"),
    (" =1+1", "' =1+1"), ("\ufeff=1", "'\ufeff=1"), (" -3", " -3"), ("e-mail: a@b", "e-mail: a@b")])
def test_neutralise_cell(value, expected):
    assert neutralise_cell(value) == expected
    assert restore_cell(neutralise_cell(value)) == value


@pytest.mark.parametrize(("value", "expected"), [
    ("'=1+1", "=1+1"), ("'@x", "@x"), ("'hello", "'hello"), ("it's", "it's"), ("'", "'"),
    ("", ""), (None, None)])
def test_an_imported_text_mark_before_a_formula_character_is_dropped(value, expected):
    assert restore_cell(value) == expected


def test_csv_export_neutralises_text_and_keeps_numbers(db):
    frame = export_frame(db, "visits")
    text = write_csv(frame)
    assert "'@coach" in text and "'-1+1 cmd" in text
    out = write_csv(export_frame(db, "measurements"))
    assert out.splitlines()[:2] == [
        "team_id,indicator_id,period,numerator,denominator,comment",
        'T01,AMTSL,2024-01,40,50,"\'=HYPERLINK(""http://evil"",""x"")"']


def test_a_line_break_in_a_csv_field_never_starts_a_row_with_a_live_formula():
    import csv
    import io

    frame = pd.DataFrame({"visit_id": [1], "notes": ["note\r=1+1"], "coach": ["a;=1+1"]})
    text = write_csv(frame)
    assert text == 'visit_id,notes,coach\r\n1,"note\r\'=1+1",a;\'=1+1\r\n'
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows == [["visit_id", "notes", "coach"], ["1", "note\r'=1+1", "a;'=1+1"]]


def test_xlsx_export_cells_are_text_never_formulas_and_numbers_are_numbers(db, tmp_path):
    path = write_xlsx(export_frame(db, "visits"), tmp_path / "v.xlsx", sheet="visits")
    ws = load_workbook(path).active
    header = [c.value for c in ws[1]]
    row = {h: c for h, c in zip(header, ws[2], strict=True)}
    assert row["coach"].value == "'@coach" and row["coach"].data_type == "s"
    assert row["notes"].value.startswith("'-1+1")
    assert row["visit_id"].data_type == "n" and row["visit_id"].value == 1
    path = write_xlsx(export_frame(db, "measurements"), tmp_path / "m.xlsx")
    ws = load_workbook(path).active
    assert [c.value for c in ws[2]] == ["T01", "AMTSL", "2024-01", 40, 50,
                                        "'=HYPERLINK(\"http://evil\",\"x\")"]
    assert ws["F2"].data_type == "s"
    assert ws["D2"].data_type == "n"


def test_export_as_of_hides_later_revisions(db):
    assert len(export_frame(db, "measurements", as_of="2024-02-01")) == 0
    assert len(export_frame(db, "measurements")) == 2


def test_dhis2_export_through_the_mapping(db, tmp_path):
    path = tmp_path / "map.yaml"
    path.write_text("source: dhis2\norg_units: {OU1: T01}\nindicators:\n  AMTSL:\n"
                    "    numerator: deA.coc1\n    denominator: deB\n", encoding="utf-8")
    payload = dhis2_data_value_set(db, load_mapping(path))
    assert [(v["dataElement"], v.get("categoryOptionCombo"), v["period"], v["orgUnit"],
             v["value"]) for v in payload["dataValues"]] == [
        ("deA", "coc1", "202401", "OU1", "40"), ("deB", None, "202401", "OU1", "50")]
    summed = tmp_path / "sum.yaml"
    summed.write_text("source: dhis2\nindicators:\n  AMTSL:\n    numerator: [a, b]\n"
                      "    denominator: c\n", encoding="utf-8")
    with pytest.raises(WorkbenchError, match="AMTSL.numerator map to several data elements"):
        dhis2_data_value_set(db, load_mapping(summed))


NASTY = ["=1+1", "note\r=1+1", "note\n+1", "a;=1+1", "a; =1+1", 'a;"=1+1', "a|-1+1", "a\t@x",
         "x,\r\n=HYPERLINK(\"http://evil\")", "a, @SUM(1)", "\ufeff=1", " =1", "a\u2028=1",
         "x, -2+3+cmd|' /C calc'!A0"]


@pytest.mark.parametrize("separator", [",", ";", "\t", "|"])
def test_no_cell_of_the_csv_export_starts_a_formula_whatever_a_spreadsheet_splits_on(separator):
    """Read the export as a spreadsheet in another locale would: rows on any line break,
    cells on `separator`, spaces and quotes trimmed. No cell may begin with = + - @."""
    import csv
    import io

    text = write_csv(pd.DataFrame({"note": NASTY, "other": NASTY[::-1]}))
    for line in re.split("[\r\n\x0b\x0c\x85\u2028\u2029]", text):
        for cells in csv.reader([line], delimiter=separator):
            for cell in cells:
                shown = cell.strip(' "\ufeff')
                assert not shown.startswith(("=", "+", "-", "@")), (separator, line, cell)
    # and the export still reads back to the same values
    back = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    assert [restore_cell(v) for v in back["note"]] == NASTY

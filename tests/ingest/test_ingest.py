"""Imports: every format in, every failure listed at once, all rows or none."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from workbench.errors import IngestError
from workbench.ingest.importer import import_file
from workbench.ingest.xlsx_template import write_template
from workbench.store import open_engine, read_measurements, read_revisions, read_table
from workbench.store import schema as s

TIDY = "team_id,indicator_id,period,numerator,denominator,comment\n"


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_text(text, encoding=encoding)
    return path


def _current(db: str) -> list[tuple]:
    frame = read_measurements(open_engine(db))
    return sorted((r.team_id, r.indicator_id, str(r.period), r.numerator, r.denominator)
                  for r in frame.itertuples())


def test_tidy_csv_imports_new_then_revised_then_unchanged(empty_db, tmp_path):
    engine = open_engine(empty_db)
    first = _write(tmp_path / "a.csv", TIDY + "T01,AMTSL,2024-01,40,50,\nT01,PPH,2024-01,2,50,\n")
    result = import_file(engine, first)
    assert (result.new, result.revised, result.unchanged) == (2, 0, 0)
    second = _write(tmp_path / "b.csv", TIDY + "T01,AMTSL,2024-01,41,50,\nT01,PPH,2024-01,2,50,\n"
                    "T02,AMTSL,2024-10,5,9,\n")
    result = import_file(engine, second)
    assert (result.new, result.revised, result.unchanged) == (1, 1, 1)
    assert _current(empty_db) == [("T01", "AMTSL", "2024-01", 41.0, 50.0),
                                  ("T01", "PPH", "2024-01", 2.0, 50.0),
                                  ("T02", "AMTSL", "2024-10", 5.0, 9.0)]
    history = read_revisions(engine, "T01", "AMTSL", "2024-01")
    assert history["numerator"].tolist() == [40.0, 41.0]  # the original stays readable


def test_reimporting_the_same_file_writes_no_revision(empty_db, tmp_path):
    engine = open_engine(empty_db)
    path = _write(tmp_path / "a.csv", TIDY + "T01,AMTSL,2024-01,40,50,note\n")
    import_file(engine, path)
    again = import_file(engine, path)
    assert (again.new, again.revised, again.unchanged) == (0, 0, 1)
    assert len(read_revisions(engine)) == 1
    batches = read_table(engine, s.import_batches)
    assert len(batches) == 2 and batches["summary"].iloc[1]["unchanged"] == 1


def test_dry_run_counts_and_writes_nothing(empty_db, tmp_path):
    engine = open_engine(empty_db)
    path = _write(tmp_path / "a.csv", TIDY + "T01,AMTSL,2024-01,40,50,\n")
    result = import_file(engine, path, dry_run=True)
    assert result.new == 1 and result.batch_id is None
    assert read_revisions(engine).empty and read_table(engine, s.import_batches).empty


BROKEN = [
    ("unknown-team", "T99,AMTSL,2024-01,1,2,", "team_id"),
    ("unknown-indicator", "T01,NOPE,2024-01,1,2,", "indicator_id"),
    ("bad-period", "T01,AMTSL,2024-13,1,2,", "period"),
    ("outside-calendar", "T01,AMTSL,2999-01,1,2,", "period"),
    ("outside-calendar", "T01,AMTSL,2023-12,1,2,", "period"),
    ("not-a-number", "T01,AMTSL,2024-02,4x,5,", "numerator"),
    ("not-an-integer", "T01,AMTSL,2024-03,4,5.5,", "denominator"),
    ("negative-count", "T01,AMTSL,2024-04,-4,5,", "numerator"),
    ("incomplete-pair", "T01,AMTSL,2024-05,4,,", "denominator"),
    ("bad-period", "T01,AMTSL,0000-01,1,2,", "period"),
    ("not-a-number", 'T01,AMTSL,2024-06,"1,000",2000,', "numerator"),
    ("not-a-number", "T01,AMTSL,2024-07,true,2,", "numerator"),
]


@pytest.mark.parametrize(("reason", "line", "column"), BROKEN)
def test_each_broken_row_gets_its_reason_code_and_nothing_is_written(empty_db, tmp_path, reason,
                                                                     line, column):
    engine = open_engine(empty_db)
    path = _write(tmp_path / "bad.csv", TIDY + "T01,PPH,2024-01,1,9,\n" + line + "\n")
    with pytest.raises(IngestError) as info:
        import_file(engine, path)
    failures = info.value.failure_cases
    assert failures[["row", "column", "reason"]].values.tolist() == [[3, column, reason]]
    assert "nothing was imported" in str(info.value)
    assert read_revisions(engine).empty


def test_every_failure_in_a_file_is_listed_at_once(empty_db, tmp_path):
    path = _write(tmp_path / "bad.csv", TIDY + "\n".join(line for _, line, _ in BROKEN) + "\n")
    with pytest.raises(IngestError) as info:
        import_file(open_engine(empty_db), path)
    failures = info.value.failure_cases
    assert sorted(failures["reason"]) == sorted(reason for reason, _, _ in BROKEN)
    assert set(failures.columns) >= {"row", "column", "reason", "value", "message"}
    n = len(BROKEN)
    assert str(info.value).startswith(f"bad.csv: {n} problems in {n} rows; nothing was imported.")


def test_conflicting_duplicates_in_one_file_are_an_error(empty_db, tmp_path):
    path = _write(tmp_path / "dup.csv", TIDY + "T01,AMTSL,2024-01,4,5,\nT01,AMTSL,2024-01,3,5,\n"
                  "T01,PPH,2024-01,1,5,\nT01,PPH,2024-01,1,5,\n")
    with pytest.raises(IngestError) as info:
        import_file(open_engine(empty_db), path)
    failures = info.value.failure_cases
    assert failures[["row", "reason"]].values.tolist() == [[2, "duplicate-key"],
                                                           [3, "duplicate-key"]]


def test_wrong_encoding_missing_column_and_empty_file_have_reason_codes(empty_db, tmp_path):
    engine = open_engine(empty_db)
    latin = tmp_path / "latin.csv"
    latin.write_bytes((TIDY + "T01,AMTSL,2024-01,4,5,sage-femme réunion\n").encode("latin-1"))
    missing = _write(tmp_path / "missing.csv", "team_id,indicator_id,period,numerator\n")
    empty = _write(tmp_path / "empty.csv", "")
    for path, reason in ((latin, "encoding-error"), (missing, "missing-column"),
                         (empty, "empty-file")):
        with pytest.raises(IngestError) as info:
            import_file(engine, path, fmt="csv")
        assert info.value.failure_cases["reason"].tolist() == [reason]
    with pytest.raises(IngestError) as info:
        import_file(engine, latin)
    assert "save it as 'CSV UTF-8'" in info.value.failure_cases["message"].iloc[0]


def test_blank_months_are_skipped_not_errors(empty_db, tmp_path):
    path = _write(tmp_path / "a.csv", TIDY + "T01,AMTSL,2024-01,,,\nT01,AMTSL,2024-02,3,4,\n")
    result = import_file(open_engine(empty_db), path)
    assert (result.new, result.blank) == (1, 1)


MAPPING = """\
source: dhis2
org_units: {DiszpKrYNg8: T01, g8upMTyEZGZ: T02}
indicators:
  AMTSL:
    numerator: [f7n9E0hX8qk.male, f7n9E0hX8qk.female]
    denominator: Ix2HsbDMLea
  PPH:
    numerator: eY5ehpbEsB7
    denominator: Ix2HsbDMLea
"""


def _dv(de, pe, ou, coc, value, **extra):
    return {"dataElement": de, "period": pe, "orgUnit": ou, "categoryOptionCombo": coc,
            "attributeOptionCombo": "HllvX50cXC0", "value": value, "storedBy": "admin",
            "created": "2024-02-05T10:00:00.000", "lastUpdated": "2024-02-05T10:00:00.000",
            "followup": False, **extra}


def test_dhis2_json_sums_category_option_combos_and_ignores_unmapped(empty_db, tmp_path):
    mapping = _write(tmp_path / "map.yaml", MAPPING)
    doc = {"dataSet": "pBOMPrpg1QX", "completeDate": "2024-02-05", "dataValues": [
        _dv("f7n9E0hX8qk", "202401", "DiszpKrYNg8", "male", "20", comment="checked"),
        _dv("f7n9E0hX8qk", "202401", "DiszpKrYNg8", "female", "21"),
        _dv("Ix2HsbDMLea", "202401", "DiszpKrYNg8", "male", "25"),
        _dv("Ix2HsbDMLea", "202401", "DiszpKrYNg8", "female", "25"),
        _dv("eY5ehpbEsB7", "202401", "DiszpKrYNg8", "", "1"),
        _dv("f7n9E0hX8qk", "202401", "DiszpKrYNg8", "male", "99", deleted=True),
        # births only: DHIS2 does not store zero numerators, so both numerators are 0
        _dv("Ix2HsbDMLea", "202410", "g8upMTyEZGZ", "", "9"),
        _dv("xxxxxxxxxxx", "202401", "DiszpKrYNg8", "", "5"),
    ]}
    path = _write(tmp_path / "values.json", json.dumps(doc))
    result = import_file(open_engine(empty_db), path, mapping=mapping)
    assert result.format == "dhis2-json" and result.ignored == 2
    assert _current(empty_db) == [("T01", "AMTSL", "2024-01", 41.0, 50.0),
                                  ("T01", "PPH", "2024-01", 1.0, 50.0),
                                  ("T02", "AMTSL", "2024-10", 0.0, 9.0),
                                  ("T02", "PPH", "2024-10", 0.0, 9.0)]
    revs = read_revisions(open_engine(empty_db), "T01", "AMTSL")
    assert revs["comment"].tolist() == ["checked"] and revs["source"].tolist() == ["dhis2"]


def test_dhis2_csv_is_positional_and_its_errors_name_the_rows(empty_db, tmp_path):
    mapping = _write(tmp_path / "map.yaml", MAPPING)
    header = "dataelelement,period,orgunit,catoptcombo,attroptcombo,value,strby,lstupd,cmt,flwup\n"
    good = _write(tmp_path / "good.csv", header
                  + "f7n9E0hX8qk,202402,DiszpKrYNg8,male,,3,admin,,,false\n"
                  + "f7n9E0hX8qk,202402,DiszpKrYNg8,female,,4,admin,,,false\n"
                  + "Ix2HsbDMLea,202402,DiszpKrYNg8,,,9,admin,,,\n")
    result = import_file(open_engine(empty_db), good, mapping=mapping)
    assert result.format == "dhis2-csv" and result.new == 2
    bad = _write(tmp_path / "bad.csv", header
                 + "f7n9E0hX8qk,2024W5,DiszpKrYNg8,male,,3,admin,,,\n"
                 + "f7n9E0hX8qk,202403,UNKNOWNOU,male,,3,admin,,,\n"
                 + "Ix2HsbDMLea,202403,DiszpKrYNg8,,,x,admin,,,\n"
                 + "Ix2HsbDMLea,202404,DiszpKrYNg8,,,9,admin,,,\n"
                 + "Ix2HsbDMLea,202404,DiszpKrYNg8,,,10,admin,,,\n")
    with pytest.raises(IngestError) as info:
        import_file(open_engine(empty_db), bad, mapping=mapping, fmt="dhis2-csv")
    got = info.value.failure_cases[["row", "column", "reason"]].values.tolist()
    assert [2, "period", "bad-period"] in got
    assert [3, "orgUnit", "unknown-team"] in got
    assert [4, "value", "not-a-number"] in got
    assert [6, "value", "duplicate-key"] in got
    assert len(read_revisions(open_engine(empty_db))) == 2


def test_dhis2_file_without_mapping_is_a_clear_error(empty_db, tmp_path):
    path = _write(tmp_path / "values.json", json.dumps({"dataValues": []}))
    with pytest.raises(IngestError, match="give --mapping MAP.yaml"):
        import_file(open_engine(empty_db), path)


def test_kobo_and_odk_exports_import_through_a_mapping(empty_db, tmp_path):
    mapping = _write(tmp_path / "kobo.yaml", "source: kobo\nkobo: {team: grp/facility, period: "
                     "month}\norg_units: {KAB-01: T01}\nindicators:\n  AMTSL: {numerator: "
                     "amtsl/given, denominator: amtsl/births}\n")
    kobo = _write(tmp_path / "kobo.csv",
                  "start;end;grp/facility;month;amtsl/given;amtsl/births;_id;_uuid;"
                  "_submission_time;_validation_status\n"
                  "2024-02-01;2024-02-01;KAB-01;2024-01;30;40;1;u1;2024-02-01T10:00:00;\n")
    odk = _write(tmp_path / "odk.csv",
                 "SubmissionDate,meta-instanceID,grp-facility,month,amtsl-given,amtsl-births,KEY,"
                 "ReviewState\n2024-03-02,uuid:1,T02,2024-02-15,5,9,uuid:1,approved\n")
    engine = open_engine(empty_db)
    assert import_file(engine, kobo, mapping=mapping).new == 1
    assert import_file(engine, odk, mapping=mapping, fmt="kobo").new == 1
    assert _current(empty_db) == [("T01", "AMTSL", "2024-01", 30.0, 40.0),
                                  ("T02", "AMTSL", "2024-02", 5.0, 9.0)]


def test_xlsx_template_round_trip(empty_db, tmp_path):
    engine = open_engine(empty_db)
    import_file(engine, _write(tmp_path / "a.csv", TIDY + "T01,AMTSL,2024-01,40,50,\n"))
    out = write_template(engine, "T01", tmp_path / "T01.xlsx", months=2, period="2024-02")
    book = load_workbook(out)
    ws = book["Data entry"]
    assert ws.protection.sheet
    header = next(i for i, r in enumerate(ws.iter_rows(values_only=True), 1) if r[0] == "team_id")
    rows = {(ws.cell(r, 2).value, ws.cell(r, 3).value): r for r in range(header + 1,
                                                                        ws.max_row + 1)}
    old = rows[("2024-01", "AMTSL")]
    assert (ws.cell(old, 5).value, ws.cell(old, 6).value) == (40, 50)
    assert ws.cell(old, 5).protection.locked
    new = rows[("2024-02", "AMTSL")]
    assert not ws.cell(new, 5).protection.locked
    assert any(f"E{new}" in str(dv.sqref) for dv in ws.data_validations.dataValidation)
    ws.cell(new, 5).value, ws.cell(new, 6).value = 44, 52
    ppH = rows[("2024-02", "PPH")]
    ws.cell(ppH, 5).value, ws.cell(ppH, 6).value = 1, 52
    book.save(out)
    result = import_file(engine, out)
    assert (result.format, result.new, result.unchanged) == ("xlsx", 2, 1)
    assert ("T01", "AMTSL", "2024-02", 44.0, 52.0) in _current(empty_db)


def test_xlsx_errors_name_spreadsheet_rows(empty_db, tmp_path):
    engine = open_engine(empty_db)
    out = write_template(engine, "T01", tmp_path / "T01.xlsx", months=1, period="2024-02")
    book = load_workbook(out)
    ws = book.active
    header = next(i for i, r in enumerate(ws.iter_rows(values_only=True), 1) if r[0] == "team_id")
    ws.cell(header + 1, 5).value = "lots"
    ws.cell(header + 1, 6).value = 10
    book.save(out)
    with pytest.raises(IngestError) as info:
        import_file(engine, out)
    assert info.value.failure_cases[["row", "column", "reason"]].values.tolist() == [
        [header + 1, "numerator", "not-a-number"]]


def test_killed_import_leaves_the_database_as_before(empty_db, tmp_path):
    engine = open_engine(empty_db)
    import_file(engine, _write(tmp_path / "a.csv", TIDY + "T01,AMTSL,2024-01,40,50,\n"))
    # 110,000 rows = three insert chunks of 50,000: the import reports "wrote 50000/…" with the
    # transaction open and 60,000 rows still to write, and is killed right then
    # 23 months of the collaborative's calendar (2024-02 to 2025-12) × 1,600 teams × 3
    # indicators
    teams = ["T01", "T02", *(f"X{i:04d}" for i in range(3, 1601))]
    with engine.begin() as conn:
        conn.execute(s.teams.insert(), [{"team_id": t, "name": t, "joined_period": "2024-01"}
                                        for t in teams[2:]])
    months = [f"{y:04d}-{m:02d}" for y in (2024, 2025) for m in range(1, 13)]
    big = pd.DataFrame({"period": months}).merge(
        pd.DataFrame({"team_id": teams}), how="cross").merge(
        pd.DataFrame({"indicator_id": ["AMTSL", "PPH", "OXY_STOCK"]}), how="cross")
    big = big[big["period"] != "2024-01"].head(110_000)
    big["numerator"], big["denominator"], big["comment"] = 1, 2, "imported"
    path = tmp_path / "BIG.csv"
    big[["team_id", "indicator_id", "period", "numerator", "denominator", "comment"]].to_csv(
        path, index=False)
    before = sqlite3.connect(empty_db).execute(
        "SELECT count(*), max(revision_id) FROM measurement_revisions").fetchone()
    proc = subprocess.Popen([sys.executable, "-m", "workbench", "import", str(path), "--db",
                             empty_db], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, "WORKBENCH_USER": "tester"})
    line = proc.stderr.readline().decode()  # blocks until the first chunk is written
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert line.startswith("wrote 50000/110000 revisions"), line + proc.stderr.read().decode()
    assert proc.returncode == -signal.SIGKILL
    con = sqlite3.connect(empty_db)
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    after = con.execute("SELECT count(*), max(revision_id) FROM measurement_revisions").fetchone()
    assert after == before
    assert con.execute("SELECT count(*) FROM import_batches").fetchone() == (1,)


def test_year_0000_is_refused_by_every_reader_with_the_one_period_message(empty_db, tmp_path):
    message = ("is not a month; write it as YYYY-MM (year 1900 or later), e.g. 2025-06")
    engine = open_engine(empty_db)
    dhis2 = _write(tmp_path / "values.csv",
                   "dataelement,period,orgunit,catoptcombo,attroptcombo,value\n"
                   "Ix2HsbDMLea,000001,DiszpKrYNg8,,,9\n")
    kobo_map = _write(tmp_path / "kobo.yaml", "source: kobo\nkobo: {team: facility, period: "
                      "month}\norg_units: {KAB-01: T01}\nindicators:\n  AMTSL: {numerator: "
                      "given, denominator: births}\n")
    kobo = _write(tmp_path / "kobo.csv", "facility,month,given,births\nKAB-01,0000-01-05,3,4\n")
    tidy = _write(tmp_path / "tidy.csv", TIDY + "T01,AMTSL,0000-01,1,2,\n")
    for path, mapping, shown in ((dhis2, _write(tmp_path / "map.yaml", MAPPING), "'000001'"),
                                 (kobo, kobo_map, "'0000-01'"), (tidy, None, "'0000-01'")):
        with pytest.raises(IngestError) as info:
            import_file(engine, path, mapping=mapping)
        failures = info.value.failure_cases
        assert failures[["column", "reason"]].values.tolist() == [["period", "bad-period"]]
        assert failures["message"].iloc[0] == f"{shown} {message}"
    assert read_revisions(engine).empty

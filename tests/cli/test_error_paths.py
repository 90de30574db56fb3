"""Bad files and broken databases end in one `Error: …` line that says what to do, never in a
traceback: each case is a real file given to the real command (issue 17)."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook

from workbench.cli import main

HEADER = "team_id,indicator_id,period,numerator,denominator\n"
MAPPING = ("source: dhis2\norg_units: {OU1: T01}\nindicators:\n  AMTSL:\n    numerator: deA\n"
           "    denominator: deB\n")


def _text(text: str, name: str = "data.csv", encoding: str = "utf-8") -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(text.encode(encoding))
        return path
    return make


def _bytes(data: bytes, name: str) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(data)
        return path
    return make


def _xlsx(*sheets: list[list[object]], name: str = "data.xlsx",
          dimension: str | None = None) -> Callable[[Path], Path]:
    """A workbook with one sheet per list of rows; `dimension` rewrites the first sheet's
    declared dimension (what a crafted file may claim) and adds a cell at its far corner."""
    def make(folder: Path) -> Path:
        book = Workbook()
        for i, rows in enumerate(sheets):
            sheet = book.active if i == 0 else book.create_sheet(f"Sheet {i + 1}")
            for row in rows:
                sheet.append(row)
        path = folder / name
        book.save(path)
        if dimension:
            with zipfile.ZipFile(path) as z:
                files = {n: z.read(n) for n in z.namelist()}
            xml = files["xl/worksheets/sheet1.xml"]
            xml = re.sub(rb'<dimension ref="[^"]*" ?/>', f'<dimension ref="{dimension}"/>'
                         .encode(), xml)
            corner = dimension.split(":")[1]
            row = re.sub(r"\D", "", corner)
            xml = xml.replace(b"</sheetData>", f'<row r="{row}"><c r="{corner}" t="inlineStr">'
                              f'<is><t>x</t></is></c></row></sheetData>'.encode())
            files["xl/worksheets/sheet1.xml"] = xml
            with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
                for n, data in files.items():
                    z.writestr(n, data)
        return path
    return make


TIDY_ROWS = [["team_id", "indicator_id", "period", "numerator", "denominator"],
             ["T01", "AMTSL", "2024-01", 1, 2]]

#: (case, the file, the command after `workbench`, the Error line's start)
IMPORTS = [
    ("unterminated quote", _text(HEADER + 'T01,AMTSL,2024-01,"1,2\n'), [],
     "Error: data.csv: 1 problem in 1 row; nothing was imported. First: row 2, line 2 cannot "
     "be read as CSV (unexpected end of data); a quote that opens a cell must close it"),
    ("duplicate header", _text(HEADER.rstrip() + ",period\nT01,AMTSL,2024-01,1,2,2024-02\n"),
     [], "Error: data.csv: 1 problem in 1 row; nothing was imported. First: row 1, column "
         "period: column 'period' appears twice in the header (columns 3 and 6); keep one."),
    ("duplicate header in a workbook", _xlsx([[*TIDY_ROWS[0], "numerator"], TIDY_ROWS[1]]), [],
     "Error: data.xlsx: 1 problem in 1 row; nothing was imported. First: row 1, column "
     "numerator: column 'numerator' appears twice in the header (columns 4 and 6)"),
    ("second data sheet", _xlsx(TIDY_ROWS, TIDY_ROWS), [],
     "Error: data.xlsx: 1 problem in 1 row; nothing was imported. First: the sheets 'Sheet' "
     "and 'Sheet 2' both have a data header; import one sheet at a time"),
    ("cells past the column limit", _xlsx([*TIDY_ROWS, ["T01", "AMTSL", "2024-02", 1, 2,
                                                        *([None] * 95), "x"]]), [],
     "Error: data.xlsx: 1 problem in 1 row; nothing was imported. First: row 3, the sheet "
     "'Sheet' has cells past column 100"),
    ("not a workbook", _bytes(b"PK\x03\x04 broken", "data.xlsx"), [],
     "Error: data.xlsx: 1 problem in 1 row; nothing was imported. First: not a readable .xlsx "
     "workbook"),
    ("DHIS2 JSON with only weekly periods",
     _text(json.dumps({"dataValues": [
         {"dataElement": "deA", "period": "2024W5", "orgUnit": "OU1", "value": "3"},
         {"dataElement": "deB", "period": "2024W6", "orgUnit": "OU1", "value": "4"}]}),
         "values.json"), ["--mapping", "MAP"],
     "Error: values.json: 2 problems in 2 rows; nothing was imported. First: row 1, column "
     "period: '2024W5' is not a month"),
    ("DHIS2 CSV with only weekly periods",
     _text("dataelement,period,orgunit,catoptcombo,attroptcombo,value\n"
           "deA,2024W5,OU1,,,3\ndeB,2024W5,OU1,,,4\n", "values.csv"), ["--mapping", "MAP"],
     "Error: values.csv: 2 problems in 2 rows; nothing was imported. First: row 2, column "
     "period: '2024W5' is not a month"),
    ("deeply nested JSON", _text('{"dataValues": ' + "[" * 100_000 + "]" * 100_000 + "}",
                                 "values.json"), ["--mapping", "MAP"],
     "Error: values.json: 1 problem in 1 row; nothing was imported. First: the JSON is nested "
     "too deeply to be a DHIS2 data value set"),
    ("empty file", _text(""), [],
     "Error: data.csv: 1 problem in 1 row; nothing was imported. First: row 1, the file is "
     "empty; export it again."),
    ("UTF-16 file", _text(HEADER + "T01,AMTSL,2024-01,1,2\n", encoding="utf-16"), [],
     "Error: data.csv: 1 problem in 1 row; nothing was imported. First: row 1, the file is "
     "UTF-16 text, not UTF-8; save it as 'CSV UTF-8' (Excel) or UTF-8 and import again."),
    ("binary file", _bytes(bytes(range(256)) * 4, "data.csv"), [],
     "Error: data.csv: 1 problem in 1 row; nothing was imported. First: row 1, the file is "
     "not text (it holds NUL bytes)"),
    ("Latin-1 file", _text(HEADER + "T01,AMTSL,2024-01,1,2,\nT01,AMTSL,2024-02,1,2,Kabalé\n",
                           encoding="latin-1"), [],
     "Error: data.csv: 1 problem in 1 row; nothing was imported. First: row 3, the file is not "
     "UTF-8 text (byte 0xe9 on line 3)"),
]


def _assert_one_error_line(result, start: str) -> None:  # type: ignore[no-untyped-def]
    """Exit 1 (or click's 2 for a bad option), no traceback, the last line the Error line."""
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1, result.output
    assert lines[0].startswith(start), lines[0]
    assert result.output.rstrip("\n").endswith(lines[0])


@pytest.mark.parametrize(("case", "make", "extra", "expected"), IMPORTS,
                         ids=[c[0] for c in IMPORTS])
def test_a_bad_import_file_ends_in_one_error_line(empty_db, tmp_path, case, make, extra,
                                                  expected):
    path = make(tmp_path)
    (tmp_path / "map.yaml").write_text(MAPPING, encoding="utf-8")
    extra = [str(tmp_path / "map.yaml") if a == "MAP" else a for a in extra]
    result = CliRunner().invoke(main, ["import", str(path), "--db", empty_db, *extra],
                                catch_exceptions=False)
    assert result.exit_code == 1
    _assert_one_error_line(result, expected)


def test_a_workbook_declaring_a_huge_dimension_is_read_row_by_row(empty_db, tmp_path):
    """A 5 KB xlsx declaring A1:XFD1048576 with a cell in that corner: the old reader built
    a million rows of 16,384 cells (killed by the kernel). Run in a child process limited to
    1.5 GB of address space so that a regression fails here instead of exhausting the
    machine."""
    path = _xlsx(TIDY_ROWS, dimension="A1:XFD1048576")(tmp_path)
    assert path.stat().st_size < 10_000
    limit = ("import resource, runpy, sys; resource.setrlimit(resource.RLIMIT_AS, "
             "(1_500_000_000, 1_500_000_000)); sys.argv = ['workbench'] + sys.argv[1:]; "
             "runpy.run_module('workbench', run_name='__main__')")
    done = subprocess.run([sys.executable, "-c", limit, "import", str(path), "--db", empty_db,
                           "--dry-run"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines()[-1] == ("Would import data.xlsx (xlsx): 1 new, 0 revised, "
                                            "0 unchanged.")


def test_utf8_with_a_byte_order_mark_imports(empty_db, tmp_path):
    """The format the encoding message recommends ('CSV UTF-8' from Excel) is accepted."""
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + (HEADER + "T01,AMTSL,2024-01,1,2\n").encode())
    result = CliRunner().invoke(main, ["import", str(path), "--db", empty_db],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == ("Imported bom.csv (csv) as batch 1: 1 new, "
                                              "0 revised, 0 unchanged.")


SPC = [
    ("empty file", _text(""), "Error: data.csv: the file is empty; give a CSV file with a "
                              "header naming x and y."),
    ("UTF-16 file", _text("x,y\n1,2\n", encoding="utf-16"),
     "Error: data.csv: the file is UTF-16 text, not UTF-8; save it as 'CSV UTF-8' (Excel) or "
     "UTF-8 and try again."),
    ("binary file", _bytes(bytes(range(128, 256)) * 4, "data.csv"),
     "Error: data.csv: the file is not UTF-8 text (byte 0x80 on line 1)"),
    ("NUL bytes", _bytes(b"x,y\n1,\x002\n", "data.csv"),
     "Error: data.csv: the file is not text (it holds NUL bytes)"),
    ("unterminated quote", _text('x,y\n1,"2\n'), "Error: data.csv: not a readable CSV file"),
]


@pytest.mark.parametrize(("case", "make", "expected"), SPC, ids=[c[0] for c in SPC])
def test_spc_on_a_file_it_cannot_read_ends_in_one_error_line(tmp_path, case, make, expected):
    result = CliRunner().invoke(main, ["spc", str(make(tmp_path))], catch_exceptions=False)
    assert result.exit_code == 1
    _assert_one_error_line(result, expected)


def test_spc_reads_utf8_with_a_byte_order_mark(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbfx,y\n" + b"".join(f"{i},{i % 3}\n".encode()
                                                      for i in range(1, 13)))
    result = CliRunner().invoke(main, ["spc", str(path), "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["series"][0]["chart"] == "run"


def _checkpointed(db: str) -> bytes:
    """The database file with everything written to it (no -wal file left beside it)."""
    con = sqlite3.connect(db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    for extra in ("-wal", "-shm"):
        Path(db + extra).unlink(missing_ok=True)
    return Path(db).read_bytes()


def _not_a_database(db: str) -> str:
    _checkpointed(db)
    Path(db).write_bytes(b"this is not a SQLite database " * 200)
    return db


def _truncated(db: str) -> str:
    Path(db).write_bytes(_checkpointed(db)[:3000])
    return db


def _read_only(db: str) -> str:
    """A database opened read-only (SQLite's URI form; tests may run as root, whom file
    permissions do not stop)."""
    return f"sqlite:///file:{db}?mode=ro&uri=true"


DATABASES = [
    ("not a database", _not_a_database, ["status"],
     "Error: cannot open database sqlite:///DB: file is not a database. Point --db at a "
     "workbench database, or restore it from a backup."),
    ("truncated", _truncated, ["status"],
     "Error: cannot open database sqlite:///DB: database disk image is malformed. Point --db "
     "at a workbench database, or restore it from a backup."),
    ("read-only: validate", _read_only, ["validate"],
     "Error: the database is read-only (attempt to write a readonly database); nothing was "
     "written."),
    ("read-only: import", _read_only, ["import", "FILE"],
     "Error: the database is read-only (attempt to write a readonly database); nothing was "
     "written."),
]


@pytest.mark.parametrize(("case", "spoil", "command", "expected"), DATABASES,
                         ids=[c[0] for c in DATABASES])
def test_a_broken_or_read_only_database_ends_in_one_error_line(empty_db, tmp_path, case, spoil,
                                                               command, expected):
    data = tmp_path / "in.csv"
    data.write_text(HEADER + "T01,AMTSL,2024-01,1,2\n", encoding="utf-8")
    before = _checkpointed(empty_db) if case.startswith("read-only") else None
    db = spoil(empty_db)
    args = [str(data) if a == "FILE" else a for a in command]
    result = CliRunner().invoke(main, [args[0], *args[1:], "--db", db], catch_exceptions=False)
    assert result.exit_code == 1
    _assert_one_error_line(result, expected.replace("DB", empty_db))
    if before is not None:
        assert Path(empty_db).read_bytes() == before


def test_a_database_locked_past_the_busy_timeout_ends_in_one_error_line(empty_db):
    """Another process holds SQLite's write lock longer than the busy timeout (10 s)."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys, time\n"
         f"c = sqlite3.connect({empty_db!r}, isolation_level=None)\n"
         "c.execute('BEGIN EXCLUSIVE'); print('locked', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        started = time.monotonic()
        result = CliRunner().invoke(main, ["validate", "--db", empty_db],
                                    catch_exceptions=False)
        assert time.monotonic() - started >= 9  # it waited for the lock first
    finally:
        holder.kill()
        holder.wait()
    assert result.exit_code == 1
    _assert_one_error_line(result, "Error: the database is busy: another write (an import, a "
                                   "save or a review) held it past the wait (database is "
                                   "locked). Nothing was written; try again")


@pytest.mark.parametrize("command", [
    ["export", "measurements", "--out", "OUT/missing/data.csv"],
    ["export", "flags", "--format", "xlsx", "--out", "OUT/missing/flags.xlsx"],
    ["template", "xlsx", "--team", "T01", "--out", "OUT/missing/T01.xlsx"],
])
def test_out_into_a_missing_folder_ends_in_one_error_line(empty_db, tmp_path, command):
    args = [a.replace("OUT", str(tmp_path)) for a in command]
    result = CliRunner().invoke(main, [*args, "--db", empty_db], catch_exceptions=False)
    assert result.exit_code == 2
    _assert_one_error_line(result, f"Error: Invalid value for '--out': folder "
                                   f"'{tmp_path / 'missing'}' does not exist; create it first "
                                   "or choose another path.")
    assert not (tmp_path / "missing").exists()


def test_export_as_of_garbage_ends_in_one_error_line(empty_db):
    result = CliRunner().invoke(main, ["export", "measurements", "--db", empty_db, "--as-of",
                                       "garbage"], catch_exceptions=False)
    assert result.exit_code == 1
    _assert_one_error_line(result, "Error: as-of: 'garbage' is not a time; write it as "
                                   "YYYY-MM-DD or YYYY-MM-DDTHH:MM (year 1900 or later)")


def test_a_copy_of_the_database_is_untouched_by_a_refused_import(empty_db, tmp_path):
    """Every refusal above changes nothing: the database file is byte-for-byte the same."""
    copy = tmp_path / "copy.db"
    shutil.copy(empty_db, copy)
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + 'T01,AMTSL,2024-01,"1,2\n', encoding="utf-8")
    before = copy.read_bytes()
    result = CliRunner().invoke(main, ["import", str(bad), "--db", str(copy)],
                                catch_exceptions=False)
    assert result.exit_code == 1
    assert copy.read_bytes() == before


# ----------------------------------------------------------------- YAML limits, long values

BILLION_LAUGHS = "a: &a [" + ", ".join(['"lol"'] * 9) + "]\n" + "".join(
    f"{n}: &{n} [" + ", ".join([f"*{p}"] * 9) + "]\n" for p, n in zip("abcdefgh", "bcdefghi",
                                                                     strict=True))


@pytest.mark.parametrize(("case", "text", "expected"), [
    ("alias bomb", BILLION_LAUGHS,
     "the file expands to more than 200,000 values (YAML aliases *name repeat a block each "
     "time); a collaborative definition is far smaller: remove the aliases."),
    ("alias inside itself", "a: &a [*a]\n",
     "the YAML is nested too deeply (an alias inside its own block?); remove the aliases "
     "(*name) there."),
    ("python object", "collaborative: !!python/object/apply:os.system ['echo hacked']\n",
     "collaborative: must be a dict, not ['echo hacked']"),  # a tag builds nothing
])
def test_init_refuses_a_yaml_bomb_in_one_line_and_creates_nothing(tmp_path, case, text,
                                                                 expected):
    config = tmp_path / "bomb.yaml"
    config.write_text(text, encoding="utf-8")
    db = tmp_path / "new.db"
    done = subprocess.run(  # a child limited to 1.5 GB, so a regression cannot exhaust the host
        [sys.executable, "-c", "import resource, runpy, sys; resource.setrlimit("
         "resource.RLIMIT_AS, (1_500_000_000, 1_500_000_000)); sys.argv = ['workbench'] + "
         "sys.argv[1:]; runpy.run_module('workbench', run_name='__main__')",
         "init", "--db", str(db), "--config", str(config)],
        capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr[-2000:]
    assert "Traceback" not in done.stderr and "hacked" not in done.stdout
    assert done.stderr.startswith(f"Error: {config}") and expected in done.stderr
    assert done.stderr.count("\n") == 1
    assert not db.exists()


def test_a_huge_value_is_cut_in_the_error_line(empty_db, tmp_path):
    path = tmp_path / "big.csv"
    path.write_text(HEADER + "T" * 1_000_000 + ",AMTSL,2024-01,1,2\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["import", str(path), "--db", empty_db],
                                catch_exceptions=False)
    assert result.exit_code == 1
    error = result.output.splitlines()[-1]
    assert error.startswith("Error: big.csv: 1 problem in 1 row; nothing was imported. First: "
                            "row 2, column team_id: team 'TTTT")
    assert "…' is not in this collaborative" in error and len(error) < 400
    assert len(result.output) < 2_000  # the failure table cuts the value too


def test_a_long_error_keeps_its_start_and_its_fix():
    from workbench.cli import MAX_ERROR_LINE, error_line

    line = error_line("start " + "x" * 5000 + " fix it")
    assert len(line) <= MAX_ERROR_LINE + 3
    assert line.startswith("start xxx") and line.endswith("xxx fix it") and " … " in line
    assert error_line("two\nlines") == "two lines"

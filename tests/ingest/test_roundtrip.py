"""Whatever the store holds, the product can export and import again: `export measurements`
then `import` of that file is a no-op (no new revision, the same current values) — for any
database the product's own commands make (a property test), and for the demo."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from workbench.ingest.collaborative import init_collaborative
from workbench.ingest.export import export_frame, write_csv, write_xlsx
from workbench.ingest.importer import import_file
from workbench.store import open_engine, read_revisions
from workbench.validate.flags import list_flags, resolve_flag
from workbench.validate.run import run_validation

TEMPLATE = Path(__file__).resolve().parents[2] / "templates" / "collaborative.yaml"
KEYS = [(t, i, f"2024-{m:02d}") for t in ("T01", "T02") for i in ("AMTSL", "PPH", "OXY_STOCK")
        for m in range(1, 7)]


def _count_text(n: int) -> st.SearchStrategy[str]:
    return st.sampled_from([str(n), f" {n} ", f"{n}.0", f"+{n}"])


_counts = st.integers(0, 400).flatmap(_count_text)
_comments = st.text(alphabet=st.sampled_from(list("ab Zé1=+-@,;'\"\n\t")), max_size=10)
_row = st.tuples(st.sampled_from(KEYS), _counts, _counts, _comments)
_batch = st.lists(_row, min_size=1, max_size=12, unique_by=lambda r: r[0])


def _csv(rows: list[tuple]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["team_id", "indicator_id", "period", "numerator", "denominator", "comment"])
    writer.writerows([[*key, num, den, comment] for key, num, den, comment in rows])
    return buffer.getvalue()


def _build(folder: Path, batches: list[list[tuple]], corrections: int) -> Engine:
    """`init` from the template, one import per batch, then corrections through the queue."""
    engine = init_collaborative(str(folder / "collab.db"), TEMPLATE)
    for k, batch in enumerate(batches):
        path = folder / f"batch{k}.csv"
        path.write_text(_csv(batch), encoding="utf-8")
        import_file(engine, path, author="importer")
    if corrections:
        run_validation(engine)
        flags = list_flags(engine, status="open")
        flags = flags[flags["period"].notna() & flags["indicator_id"].notna()]
        for flag_id in flags["flag_id"].head(corrections):
            resolve_flag(engine, int(flag_id), "correct", "recounted", user="validator",
                         numerator=0, denominator=1)  # valid for every rule, missing months too
    return engine


def _assert_reimport_is_a_no_op(engine: Engine, path: Path) -> None:
    before = read_revisions(engine)
    current = export_frame(engine, "measurements")
    result = import_file(engine, path, author="reimport")
    assert (result.new, result.revised, result.kept_correction) == (0, 0, 0)
    assert result.unchanged == len(current)
    pd.testing.assert_frame_equal(read_revisions(engine), before)
    pd.testing.assert_frame_equal(export_frame(engine, "measurements"), current)


def _export_csv(engine: Engine, path: Path) -> Path:
    path.write_text(write_csv(export_frame(engine, "measurements")) or "", encoding="utf-8")
    return path


# no shrinking: each example builds a database, and a failure is shown as generated (shrinking
# one took five minutes); 12 examples keep the test under 30 s
@settings(max_examples=12, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(batches=st.lists(_batch, min_size=1, max_size=3), corrections=st.integers(0, 2))
def test_export_then_import_of_any_database_the_product_makes_is_a_no_op(
        batches: list[list[tuple]], corrections: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        engine = _build(folder, batches, corrections)
        _assert_reimport_is_a_no_op(engine, _export_csv(engine, folder / "export.csv"))
        xlsx = write_xlsx(export_frame(engine, "measurements"), folder / "export.xlsx")
        _assert_reimport_is_a_no_op(engine, xlsx)
        engine.dispose()


def test_export_then_import_of_the_demo_is_a_no_op(demo_db: str, tmp_path: Path) -> None:
    engine = open_engine(demo_db)
    assert len(export_frame(engine, "measurements")) > 3000
    _assert_reimport_is_a_no_op(engine, _export_csv(engine, tmp_path / "demo.csv"))
    xlsx = write_xlsx(export_frame(engine, "measurements"), tmp_path / "demo.xlsx")
    _assert_reimport_is_a_no_op(engine, xlsx)

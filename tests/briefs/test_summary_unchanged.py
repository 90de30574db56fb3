"""`workbench summary --json` gives the same answer after the read paths and roll-ups were
made faster (issue 14, item 7): the output on the demo (deterministic) is compared, key by key
and row by row, with the output captured before the optimisation
(`tests/briefs/data/summary_demo48.json.gz`). The 300-team demo was compared the same way by
hand (`benchmarks/bench_scale.py --check-against FILE`).

When the demo or a roll-up is changed on purpose, capture the output again::

    .venv/bin/workbench demo --no-serve --db /tmp/d48.db --force
    .venv/bin/workbench summary --db /tmp/d48.db --period 2026-10 --json \
        | gzip -9n > tests/briefs/data/summary_demo48.json.gz
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from click.testing import CliRunner

from workbench.cli import main as cli

GOLDEN = Path(__file__).parent / "data" / "summary_demo48.json.gz"


def test_summary_json_on_the_demo_is_the_answer_captured_before_the_optimisation(
        demo_db_master: Path) -> None:
    result = CliRunner().invoke(cli, ["summary", "--db", str(demo_db_master), "--period",
                                      "2026-10", "--json"])
    assert result.exit_code == 0, result.output
    now = json.loads(result.output)
    before = json.loads(gzip.decompress(GOLDEN.read_bytes()))
    assert list(now) == list(before)
    for key, rows in before.items():
        if not isinstance(rows, list):
            assert now[key] == rows, key
            continue
        assert len(now[key]) == len(rows), key
        for i, (got, expected) in enumerate(zip(now[key], rows, strict=True)):
            assert got == expected, f"{key} row {i}"


def test_summary_json_text_is_byte_for_byte_the_same(demo_db_master: Path) -> None:
    result = CliRunner().invoke(cli, ["summary", "--db", str(demo_db_master), "--period",
                                      "2026-10", "--json"])
    assert result.output.encode() == gzip.decompress(GOLDEN.read_bytes())

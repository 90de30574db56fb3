"""Chart axes in the reader's language (issue 16): in French the percent ticks read `87 %`
and number ticks `1 234,5` (Babel's symbols); in English bokeh's own `0%` formatter stays.

The French formatter is JavaScript (bokeh runs it in the browser): it is run here in Node.js
on real tick values and compared with the library's own `format_percent` / `format_count`."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import pandas as pd
import pytest
from bokeh.models import CustomJSTickFormatter, NumeralTickFormatter

from workbench.charts import data as cd
from workbench.charts import series as charts
from workbench.i18n import format_count, format_percent, use_language

INDICATOR = {"indicator_id": "AMTSL", "name": "Births receiving AMTSL", "chart": "p",
             "multiplier": 100.0, "target": 0.9, "direction": "increase", "unit": "%"}
COUNT = {"indicator_id": "BIRTHS", "name": "Births", "chart": "c", "multiplier": 1.0,
         "target": None, "direction": "increase", "unit": "births"}


def _measurements(indicator: str, scale: float) -> pd.DataFrame:
    periods = pd.period_range("2024-11", periods=18, freq="M")
    den = pd.Series([40.0 + (i * 7) % 23 for i in range(18)])
    num = (den * 0.7).round()
    return pd.DataFrame({"team_id": "T01", "indicator_id": indicator, "period": periods,
                         "numerator": num * scale, "denominator": den,
                         "value": num / den if scale == 1 else num * scale})


def _run_ticks(formatter: CustomJSTickFormatter, ticks: list[float]) -> list[str]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed: the tick formatter's JavaScript cannot run")
    args = json.dumps(dict(formatter.args))
    code = json.dumps(formatter.code)
    script = (f"const args = {args};\n"
              f"const fn = new Function(...Object.keys(args), 'tick', {code});\n"
              f"console.log(JSON.stringify({json.dumps(ticks)}.map("
              "t => fn(...Object.values(args), t))));")
    done = subprocess.run([node, "-e", script], capture_output=True, text=True, check=True,
                          timeout=60)
    return list(json.loads(done.stdout))


def _formatter(indicator: dict[str, Any], scale: float, language: str) -> Any:
    with use_language(language):
        spc = cd.spc_frame(_measurements(indicator["indicator_id"], scale),
                           pd.DataFrame([indicator]))
        return charts.control_chart(spc, indicator).yaxis[0].formatter


def test_french_percent_ticks_read_like_babel() -> None:
    formatter = _formatter(INDICATOR, 1, "fr")
    assert isinstance(formatter, CustomJSTickFormatter)
    ticks = [0.0, 0.25, 0.5, 0.873, 1.0]
    with use_language("fr"):
        expected = [format_percent(round(t * 100) / 100, 0) for t in ticks]
    assert _run_ticks(formatter, ticks) == expected
    assert expected[3] == "87\u00a0%"


def test_french_number_ticks_read_like_babel() -> None:
    formatter = _formatter(COUNT, 100, "fr")
    assert isinstance(formatter, CustomJSTickFormatter)
    ticks = [0.0, 2.5, 1234.0, 12345.5, -3.0]
    with use_language("fr"):
        expected = [format_count(t) for t in ticks]
    assert _run_ticks(formatter, ticks) == expected
    assert expected[2] == "1\u202f234" and expected[3] == "12\u202f345,5"


def test_english_keeps_bokehs_formatters() -> None:
    formatter = _formatter(INDICATOR, 1, "en")
    assert isinstance(formatter, NumeralTickFormatter) and formatter.format == "0%"
    assert not isinstance(_formatter(COUNT, 100, "en"), CustomJSTickFormatter)

"""`signal_status` groups the chart rows by an integer per series, assembled from the team and
indicator codes in the order they first appear: its answer must not depend on that order.

Random charts (hypothesis) are judged once as given and once with their rows shuffled and the
codes renamed so that first appearance and sort order disagree; the two frames must be the
same, row for row, once the codes are renamed back.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.rollup.series import spc_frame
from workbench.rollup.status import signal_status

INDICATORS = pd.DataFrame({"indicator_id": ["A", "B"], "direction": ["increase", "decrease"],
                           "chart": ["p", "run"], "kind": ["proportion", "proportion"]})


def _measurements(seed: int, teams: int, months: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for t in range(teams):
        level = rng.uniform(0.2, 0.8)
        for ind in ("A", "B"):
            for k in range(months):
                den = int(rng.integers(5, 40))
                drift = 0.3 if rng.random() < 0.3 and k > months // 2 else 0.0
                num = int(rng.binomial(den, min(0.95, level + drift)))
                if rng.random() < 0.05:
                    continue  # a month not reported
                rows.append((f"T{t:02d}", ind, pd.Period("2024-01", "M") + k, num, den,
                             num / den))
    return pd.DataFrame(rows, columns=["team_id", "indicator_id", "period", "numerator",
                                       "denominator", "value"])


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31), teams=st.integers(1, 6), months=st.integers(1, 30))
def test_signal_status_does_not_depend_on_row_order_or_code_order(seed: int, teams: int,
                                                                 months: int):
    spc = spc_frame(_measurements(seed, teams, months), INDICATORS)
    expected = signal_status(spc, INDICATORS)
    rename = {f"T{t:02d}": f"Z{teams - t:02d}" for t in range(teams)}  # reversed sort order
    back = {v: k for k, v in rename.items()}
    shuffled = spc.sample(frac=1.0, random_state=seed % 1000).assign(
        team_id=lambda f: f["team_id"].map(rename))
    got = signal_status(shuffled, INDICATORS).assign(team_id=lambda f: f["team_id"].map(back))
    got = got.sort_values(["indicator_id", "team_id"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert set(expected["signal"]) <= {"improvement", "concern", "no signal",
                                       "not enough data"}

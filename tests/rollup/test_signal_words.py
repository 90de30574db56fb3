"""The signal status in words (`rollup.status`): built once per distinct phrase and sentence
for thousands of series (issue 14 item 7), it says for each row what `_words` says of it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.i18n import use_language
from workbench.rollup.status import _RULES, _all_words, _words

OCT = pd.Period("2026-10", freq="M")
SEP = pd.Period("2026-09", freq="M")
_COLUMNS = ["signal", "rule", "period", "astronomical", "last_side", "shift", "longest_run",
            "longest_run_max", "crossings", "n_crossings", "n_useful", "n_crossings_min",
            "move", "n_points"]
ROWS = [
    ("improvement", "astronomical point", OCT, True, 1.0, False, 5, 8, False, 9, 20, 6, 0.1,
     20),
    ("concern", "shift, crossings", OCT, False, -1.0, True, 10, 8, True, 1, 20, 6, -0.1, 20),
    ("improvement", "astronomical point, shift", SEP, True, -1.0, True, 9, 8, False, 7, 24, 8,
     0.2, 24),
    ("improvement", "crossings", OCT, False, 0.0, False, 4, 8, True, 3, 24, 8, 0.0, 24),
    ("concern", "shift, crossings", OCT, False, -1.0, True, 10, 8, True, 1, 20, 6, -0.1, 20),
    ("no signal", "", OCT, False, 1.0, False, 3, 8, False, 10, 20, 6, 0.0, 20),
    ("not enough data", "", OCT, False, 0.0, False, 2, 6, False, 3, 5, 1, 0.0, 5),
    ("concern", "shift", OCT, False, 1.0, True, 9, 8, False, 8, 20, 6, 0.3, 20),
]


def frame() -> pd.DataFrame:
    out = pd.DataFrame(ROWS, columns=_COLUMNS)
    for column in ("longest_run", "longest_run_max", "n_crossings", "n_crossings_min"):
        out[column] = out[column].astype("Int64")
    return out


def test_each_signal_and_rule_is_worded_as_the_rule_says() -> None:
    words = _all_words(frame())
    assert words == [
        "improvement (astronomical point): Oct 2026 is above the upper control limit",
        "concern (shift, crossings): 10 months in a row on one side of the centre line (more "
        "than 8 is unlikely by chance); the months cross the centre line 1 time in 20 (fewer "
        "than 6 is unlikely by chance); the later months of the phase are lower than the "
        "earlier ones",
        "improvement (astronomical point, shift): Sep 2026 is below the lower control limit; "
        "9 months in a row on one side of the centre line (more than 8 is unlikely by chance)",
        "improvement (crossings): the months cross the centre line 3 times in 24 (fewer than 8 "
        "is unlikely by chance)",
        "concern (shift, crossings): 10 months in a row on one side of the centre line (more "
        "than 8 is unlikely by chance); the months cross the centre line 1 time in 20 (fewer "
        "than 6 is unlikely by chance); the later months of the phase are lower than the "
        "earlier ones",
        "no signal: ordinary month-to-month variation",
        "not enough data: 5 month(s) in the current phase, 8 needed",
        "concern (shift): 9 months in a row on one side of the centre line (more than 8 is "
        "unlikely by chance); the later months of the phase are higher than the earlier ones",
    ]


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_words_of_many_rows_are_those_of_each_row_alone(language: str) -> None:
    out = frame()
    with use_language(language):
        together = _all_words(out)
        alone = [_words({**row, "latest_period": row["period"]})
                 for row in out.to_dict("records")]
    assert together == alone
    if language == "fr":
        assert together[0] != "improvement (astronomical point): Oct 2026 is above the upper " \
            "control limit"


def test_the_rules_that_fired_are_named_in_order_by_their_code() -> None:
    assert list(_RULES) == ["", "crossings", "shift", "shift, crossings", "astronomical point",
                            "astronomical point, crossings", "astronomical point, shift",
                            "astronomical point, shift, crossings"]
    assert _RULES[np.array([True, False, True]) @ np.array([4, 2, 1])] == \
        "astronomical point, crossings"

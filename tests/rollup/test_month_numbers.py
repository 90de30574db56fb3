"""Month numbers back to months (`rollup.base.from_ordinals`): built from the ordinals at
once, missing numbers NaT."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.rollup.base import from_ordinals, to_periods
from workbench.rollup.series import _monthly


def test_month_numbers_become_monthly_periods_and_nan_becomes_nat() -> None:
    out = from_ordinals(np.array([pd.Period("2024-03", "M").ordinal, np.nan,
                                  pd.Period("1999-12", "M").ordinal]))
    assert str(out.dtype) == "period[M]"
    assert isinstance(out.index, pd.RangeIndex)
    assert out.isna().tolist() == [False, True, False]
    assert [str(out[0]), str(out[2])] == ["2024-03", "1999-12"]


def test_no_month_numbers_give_an_empty_column_of_months() -> None:
    out = from_ordinals([])
    assert str(out.dtype) == "period[M]" and len(out) == 0


def test_monthly_periods_are_taken_as_they_are_and_others_converted() -> None:
    months = pd.Series(pd.PeriodIndex(["2024-03", None, "1999-12"], freq="M"))
    assert to_periods(months) is months  # no copy, no parse: already monthly
    assert _monthly(months).asi8.tolist() == months.array.asi8.tolist()
    days = pd.Series(pd.PeriodIndex(["2024-03-31", "1999-12-01"], freq="D"))
    assert to_periods(days).astype(str).tolist() == ["2024-03", "1999-12"]
    texts = pd.Series(["2024-03", "1999-12"])
    assert to_periods(texts).astype(str).tolist() == ["2024-03", "1999-12"]
    assert _monthly(texts).astype(str).tolist() == ["2024-03", "1999-12"]

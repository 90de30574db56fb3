"""Runs analysis with the Anhøj rules (spc-rules.md §2.4), per segment (series, part).

Critical values: longest_run_max = round(log2 n) + 3 (Schilling 2012); n_crossings_min =
qbinom(0.05, n - 1, 0.5) (Chen 2010). A run longer than the first or fewer crossings than
the second is a signal (Anhøj 2014, 2015; qicharts2 0.8.1 `runs.analysis`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from workbench.spc.kernels import BoolArray, FloatArray, IntArray, runs_of, seg_count

__all__ = ["RunsAnalysis", "anhoej_critical_values", "critical_values", "runs_analysis"]


@lru_cache(maxsize=8)
def _critical_table(n_max: int) -> tuple[FloatArray, FloatArray]:
    n = np.arange(n_max + 1, dtype=np.float64)
    longest = (np.round(np.log2(np.maximum(n, 1.0))) + 3).astype(np.float64)
    crossings = _qbinom_half(0.05, n_max)
    longest[0] = crossings[0] = np.nan
    return longest, crossings


def _qbinom_half(p: float, n_max: int) -> FloatArray:
    """qbinom(p, n - 1, 0.5) for n = 0..n_max: the smallest c with P(Bin(n-1, ½) <= c) >= p.

    Exact in log space (no scipy import: it costs seconds in every fresh kernel); checked against
    the reference table for n = 1..1000 in the tests.
    """
    log_fact = np.concatenate(([0.0], np.cumsum(np.log(np.arange(1, n_max + 1)))))
    out = np.zeros(n_max + 1)
    for n in range(2, n_max + 1):
        m = n - 1
        k = np.arange(m + 1)
        pmf = np.exp(log_fact[m] - log_fact[k] - log_fact[m - k] - m * np.log(2.0))
        out[n] = int(np.searchsorted(np.cumsum(pmf), p * (1 - 64 * np.finfo(float).eps)))
    return out


def critical_values(n_useful: IntArray) -> tuple[FloatArray, FloatArray]:
    """(longest_run_max, n_crossings_min) for each count of useful observations (n >= 1)."""
    top = int(n_useful.max()) if len(n_useful) else 0
    longest, crossings = _critical_table(max(1024, 1 << top.bit_length()))
    return longest[n_useful], crossings[n_useful]


def anhoej_critical_values(n: int | Iterable[int]) -> pd.DataFrame:
    """Anhøj critical values for `n` useful observations (reference §2.4.4).

    longest_run_max = round(log2 n) + 3 (Schilling 2012); n_crossings_min =
    qbinom(0.05, n - 1, 0.5) (Chen 2010), the smallest c with P(Binomial(n-1, ½) <= c) >= 0.05.
    A run longer than longest_run_max or fewer crossings than n_crossings_min is a signal.
    n < 1 gives missing values (reference §2.4.6).

    >>> anhoej_critical_values(24).iloc[0].tolist()
    [24, 8, 8]
    """
    given = [n] if isinstance(n, int | np.integer) else list(n)
    values = np.atleast_1d(np.asarray(given, dtype=np.int64))
    longest, crossings = critical_values(np.maximum(values, 0))
    return pd.DataFrame({
        "n_useful": values,
        "longest_run_max": pd.array(np.where(values > 0, longest, np.nan), dtype="Int64"),
        "n_crossings_min": pd.array(np.where(values > 0, crossings, np.nan), dtype="Int64"),
    })


@dataclass
class RunsAnalysis:
    """The runs analysis of every segment, and which points it used."""

    n_obs: IntArray
    n_useful: IntArray
    longest_run: pd.arrays.IntegerArray
    longest_run_max: pd.arrays.IntegerArray
    n_crossings: pd.arrays.IntegerArray
    n_crossings_min: pd.arrays.IntegerArray
    runs_signal: BoolArray
    #: Runs per segment (crossings + 1; 0 without useful points).
    n_runs: IntArray
    #: Per point: included, not missing and not on the centre line.
    useful: BoolArray


def _nullable(values: FloatArray | IntArray, has: BoolArray) -> pd.arrays.IntegerArray:
    out: pd.arrays.IntegerArray = pd.array(np.where(has, values, np.nan), dtype="Int64")
    return out


def runs_analysis(y: FloatArray, cl: FloatArray, include: BoolArray, seg: IntArray,
                  n_seg: int) -> RunsAnalysis:
    """Anhøj rules per segment over the included points against the chart's own CL.

    Points on the centre line and missing points are dropped (§2.4.1); a signal is a run
    longer than round(log2 n)+3 or fewer crossings than qbinom(0.05, n-1, 0.5) (§2.4.5);
    n_useful = 0 gives missing numbers and no signal (§2.4.6).
    """
    with np.errstate(invalid="ignore"):
        sign = np.sign(y - cl)
    useful = include & (sign != 0) & ~np.isnan(sign)
    n_useful = seg_count(useful, seg, n_seg)
    _, _, _, n_runs, longest = runs_of(sign[useful], seg[useful], n_seg)
    longest_max, crossings_min = critical_values(n_useful)
    has = n_useful > 0
    crossings = np.maximum(n_runs - 1, 0)
    signal = has & ((longest > longest_max) | (crossings < crossings_min))
    return RunsAnalysis(
        n_obs=seg_count(include, seg, n_seg), n_useful=n_useful,
        longest_run=_nullable(longest, has), longest_run_max=_nullable(longest_max, has),
        n_crossings=_nullable(crossings, has), n_crossings_min=_nullable(crossings_min, has),
        runs_signal=signal, n_runs=np.where(has, n_runs, 0), useful=useful)

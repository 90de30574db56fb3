"""Limits of the IHI runs rule ("too few or too many runs"), published and exact.

A *run* is a sequence of useful points (not on the median) on the same side of the centre
line; runs = crossings + 1. The IHI rule compares the number of runs with a lower and an
upper limit that depend on the number of useful observations n. Two sources, two named
rule sets (`qic(rules=...)`):

- ``ihi`` — `IHI_RUNS_TABLE`: the table as published by Perla, Provost & Murray 2011,
  "The run chart: a simple analytical tool for learning from variation in healthcare
  processes", BMJ Qual Saf 20:46-51, Table 1 ("Table for checking for too many or too few
  runs on a run chart"), which cites Swed & Eisenhart 1943 (Ann. Math. Statist. 14:66-87),
  about 5 % risk, for 10..60 useful observations. The values are transcribed as the
  workbench has always used them; they were not re-checked against a printed copy here.
- ``ihi-exact`` — `exact_runs_limits`: the same rule computed from the exact distribution of
  the number of runs (Swed & Eisenhart 1943) with the n useful points split as evenly as
  possible above and below the median (n1 = ⌊n/2⌋, n2 = ⌈n/2⌉) and 2.5 % in each tail:
  `lower` is the smallest r with P(R <= r) > 0.025 and `upper` the largest r with
  P(R >= r) > 0.025, so that fewer runs than `lower` (or more than `upper`) happen by chance
  at most 2.5 % of the time. It applies from n = 10 upwards, with no upper bound.

The published table differs from the exact limits at 16 values of n (`TABLE_DIFFERS_AT`):
11, 12, 17, 20, 22, 23, 25, 29, 32, 37, 41, 43, 53, 55, 57 and 59 — e.g. n = 20: table
6..16, exact 7..15; n = 41: table 16..27, exact 15..28.
"""

from __future__ import annotations

from functools import lru_cache
from math import lgamma

import numpy as np

from workbench.spc.kernels import FloatArray, IntArray

__all__ = [
    "EXACT_TAIL",
    "IHI_RUNS_TABLE",
    "MIN_USEFUL",
    "TABLE_DIFFERS_AT",
    "exact_runs_limits",
    "runs_limits",
]

# Key: number of useful observations; value: (lower, upper) number of runs.
IHI_RUNS_TABLE: dict[int, tuple[int, int]] = {
    10: (3, 9), 11: (3, 10), 12: (3, 11), 13: (4, 11), 14: (4, 12), 15: (5, 12),
    16: (5, 13), 17: (5, 13), 18: (6, 14), 19: (6, 15), 20: (6, 16), 21: (7, 16),
    22: (7, 17), 23: (7, 17), 24: (8, 18), 25: (8, 18), 26: (9, 19), 27: (10, 19),
    28: (10, 20), 29: (10, 20), 30: (11, 21), 31: (11, 22), 32: (11, 23), 33: (12, 23),
    34: (12, 24), 35: (13, 24), 36: (13, 25), 37: (13, 25), 38: (14, 26), 39: (14, 26),
    40: (15, 27), 41: (16, 27), 42: (16, 28), 43: (17, 28), 44: (17, 29), 45: (17, 30),
    46: (17, 31), 47: (18, 31), 48: (18, 32), 49: (19, 32), 50: (19, 33), 51: (20, 33),
    52: (20, 34), 53: (21, 34), 54: (21, 35), 55: (22, 35), 56: (22, 36), 57: (23, 36),
    58: (23, 37), 59: (24, 38), 60: (24, 38),
}
TABLE_DIFFERS_AT = (11, 12, 17, 20, 22, 23, 25, 29, 32, 37, 41, 43, 53, 55, 57, 59)
MIN_USEFUL = 10
EXACT_TAIL = 0.025

_TABLE = np.full((61, 2), np.nan)
for _n, _limits in IHI_RUNS_TABLE.items():
    _TABLE[_n] = _limits


def _log_comb(n: IntArray, k: IntArray) -> FloatArray:
    """log C(n, k), -inf where k < 0 or k > n."""
    lg = np.vectorize(lgamma, otypes=[np.float64])
    ok = (k >= 0) & (k <= n)
    nn, kk = np.where(ok, n, 0), np.where(ok, k, 0)
    out: FloatArray = np.where(ok, lg(nn + 1.0) - lg(kk + 1.0) - lg(nn - kk + 1.0), -np.inf)
    return out


def _runs_pmf(n1: int, n2: int) -> FloatArray:
    """P(R = r) for r = 0..n1+n2: runs among n1 points above and n2 below (Swed–Eisenhart)."""
    r = np.arange(n1 + n2 + 1, dtype=np.int64)
    k = r // 2
    a, b = np.full_like(r, n1 - 1), np.full_like(r, n2 - 1)
    even = np.log(2.0) + _log_comb(a, k - 1) + _log_comb(b, k - 1)
    odd = np.logaddexp(_log_comb(a, k - 1) + _log_comb(b, k), _log_comb(a, k) + _log_comb(b, k - 1))
    log_ways = np.where(r % 2 == 0, even, odd)
    log_ways[r < 2] = -np.inf
    total = _log_comb(np.array([n1 + n2]), np.array([n1]))[0]
    pmf: FloatArray = np.exp(log_ways - total)
    return pmf


@lru_cache(maxsize=256)
def exact_runs_limits(n: int) -> tuple[int, int]:
    """(lower, upper) number of runs for n useful observations from the exact distribution
    (module doc); fewer than `lower` or more than `upper` runs is a signal.

    >>> exact_runs_limits(20)
    (7, 15)
    """
    n1 = n // 2
    pmf = _runs_pmf(n1, n - n1)
    # a tiny tolerance so that sums of exact binomial ratios equal to 2.5 % count as equal
    tail = EXACT_TAIL * (1 + 1e-9)
    lower = int(np.flatnonzero(np.cumsum(pmf) > tail)[0])
    upper = int(np.flatnonzero(np.cumsum(pmf[::-1]) > tail)[0])
    return lower, n - upper


def runs_limits(n_useful: IntArray, exact: bool) -> tuple[FloatArray, FloatArray]:
    """Lower and upper limits per segment; NaN where the rule does not apply (module doc)."""
    n = np.asarray(n_useful, dtype=np.int64)
    if not exact:
        in_table = (n >= MIN_USEFUL) & (n <= 60)
        rows = _TABLE[np.clip(n, 0, 60)]
        return (np.where(in_table, rows[:, 0], np.nan), np.where(in_table, rows[:, 1], np.nan))
    lower, upper = np.full(len(n), np.nan), np.full(len(n), np.nan)
    for value in np.unique(n[n >= MIN_USEFUL]).tolist():
        lower[n == value], upper[n == value] = exact_runs_limits(int(value))
    return lower, upper

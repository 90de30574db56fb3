"""numpy's transparent hugepages: off by default in workbench processes.

On Linux, numpy asks the kernel for transparent hugepages (`madvise(MADV_HUGEPAGE)`) for
every array of 4 MB or more. Where the kernel's hugepage policy is `madvise` with
`defrag` at `madvise` (Debian's and Ubuntu's default), the first touch of such an array
may stop to compact memory. The roll-ups of a 2,000-team collaborative make many
660,000-row temporaries: on the reference machine `workbench summary --json` spent 2.9 s
in the kernel, and 0.65 s with hugepages off, its user time unchanged
(benchmarks/bench_summary.py).

`prefer_small_pages` sets numpy's documented switch, `NUMPY_MADVISE_HUGEPAGE=0`, for this
process and for what it starts (report kernels, Voilà's kernels, Dask workers inherit the
environment). Whoever sets the variable themselves keeps their choice: `1` turns hugepages
back on for a machine where they pay.
"""

from __future__ import annotations

import os

__all__ = ["HUGEPAGE_VARIABLE", "prefer_small_pages"]

#: numpy's switch (read when numpy is imported): 0 = no madvise hugepage, 1 = madvise
HUGEPAGE_VARIABLE = "NUMPY_MADVISE_HUGEPAGE"


def prefer_small_pages() -> bool:
    """Turn numpy's hugepage advice off unless `NUMPY_MADVISE_HUGEPAGE` is set; return
    whether numpy now advises hugepages (the user's choice when they set it)."""
    choice = os.environ.setdefault(HUGEPAGE_VARIABLE, "0")
    try:
        enabled = int(choice) != 0
    except ValueError:  # numpy itself would fail on import; leave the process as it is
        return True
    try:
        from numpy._core.multiarray import (  # type: ignore[attr-defined]
            _set_madvise_hugepage,
        )
    except ImportError:  # another numpy: the variable still reaches child processes
        return enabled
    _set_madvise_hugepage(enabled)  # numpy read the variable at import, maybe before us
    return enabled

"""`workbench` turns numpy's hugepage advice off for itself and what it starts, unless the
user chose (workbench/hugepages.py).

Each case runs in a fresh interpreter, as the command does, and looks at the kernel's own
record of the advice: the `hg` flag (MADV_HUGEPAGE) on the mapping of a 16 MB array in
/proc/self/smaps.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from workbench.hugepages import HUGEPAGE_VARIABLE

pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/smaps"),
                                reason="reads Linux's /proc/self/smaps")

SCRIPT = textwrap.dedent("""
    import json, os, subprocess, sys
    import numpy as np
    from workbench.cli import main

    def advised():
        a = np.ones(2_000_000)  # 16 MB: numpy advises hugepages from 4 MB
        start = a.__array_interface__["data"][0] + a.nbytes // 2  # numpy advises the aligned inside
        flags, inside = "", False
        with open("/proc/self/smaps") as smaps:
            for line in smaps:
                head = line.split()[0]
                if "-" in head and not head.endswith(":"):
                    low, high = (int(x, 16) for x in head.split("-"))
                    inside = low <= start < high
                elif inside and head == "VmFlags:":
                    flags = line.split()[1:]
        return "hg" in flags

    before = advised()
    try:
        main(["--help"])
    except SystemExit:
        pass
    child = subprocess.run([sys.executable, "-c",
                            "import os; print(os.environ.get('NUMPY_MADVISE_HUGEPAGE'))"],
                           capture_output=True, text=True, check=True).stdout.strip()
    print(json.dumps({"before": before, "after": advised(), "child": child}))
""")


def _run(variable: str | None) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if k != HUGEPAGE_VARIABLE}
    if variable is not None:
        env[HUGEPAGE_VARIABLE] = variable
    done = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True,
                          text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_unset_the_command_turns_the_advice_off_for_itself_and_its_children() -> None:
    seen = _run(None)
    if not seen["before"]:
        pytest.skip("this kernel does not record numpy's hugepage advice (THP off?)")
    assert seen == {"before": True, "after": False, "child": "0"}


def test_a_user_who_set_the_variable_keeps_their_choice() -> None:
    assert _run("0") == {"before": False, "after": False, "child": "0"}
    on = _run("1")
    if not on["before"]:
        pytest.skip("this kernel does not record numpy's hugepage advice (THP off?)")
    assert on == {"before": True, "after": True, "child": "1"}

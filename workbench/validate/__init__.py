"""Data-quality validation: the rules, the data they read, flags and their review, verification
factors.
"""

from workbench.validate.run import (
    RULES,
    Context,
    find_flags,
    fingerprint,
    load_context,
    run_validation,
)

__all__ = [
    "RULES",
    "Context",
    "load_context",
    "find_flags",
    "run_validation",
    "fingerprint",
]

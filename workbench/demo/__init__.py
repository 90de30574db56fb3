"""The demo collaborative, generated deterministically from a seed."""

from workbench.demo.build import (
    DEMO_NOW,
    DEMO_PERIODS,
    INJECTION_COUNTS,
    INJECTION_KINDS,
    build_demo,
    demo_definition,
    demo_injections,
    read_injections,
)

__all__ = [
    "DEMO_NOW",
    "DEMO_PERIODS",
    "INJECTION_COUNTS",
    "INJECTION_KINDS",
    "build_demo",
    "demo_definition",
    "demo_injections",
    "read_injections",
]

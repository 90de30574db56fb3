"""The demo collaborative, generated deterministically from a seed."""

from workbench.demo.build import (
    DEFAULT_SIZE,
    DEMO_MARKER,
    DEMO_NOW,
    DEMO_PERIODS,
    INJECTION_COUNTS,
    INJECTION_KINDS,
    DemoSize,
    DemoTarget,
    ReplaceNotConfirmed,
    build_demo,
    demo_definition,
    demo_injections,
    demo_target,
    read_injections,
)

__all__ = [
    "DEMO_MARKER",
    "DEMO_NOW",
    "DEMO_PERIODS",
    "INJECTION_COUNTS",
    "INJECTION_KINDS",
    "DEFAULT_SIZE",
    "DemoSize",
    "DemoTarget",
    "ReplaceNotConfirmed",
    "build_demo",
    "demo_definition",
    "demo_injections",
    "demo_target",
    "read_injections",
]

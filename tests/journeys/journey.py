"""`step(page, name)`: what every journey does after each action.

`watch(page, journey)` starts recording the page's console errors and uncaught exceptions;
`step` takes a full-page screenshot to `tests/journeys/artifacts/<journey>/NN-<name>.png`
(ignored by git) and fails if the browser logged an error since the previous step, naming
the step and quoting the errors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["ARTIFACTS", "VIEWPORT", "console_errors", "step", "watch"]

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
#: what a projector shows; journeys may also resize to 1280×720
VIEWPORT = {"width": 1920, "height": 1080}


@dataclass
class _Watch:
    folder: Path
    errors: list[str] = field(default_factory=list)
    seen: int = 0  # errors already reported by a step
    steps: int = 0


_WATCHES: dict[int, _Watch] = {}


def watch(page: Any, journey: str) -> None:
    """Record the console errors of `page` from now on; screenshots go to a folder named
    after `journey` (emptied first, so a folder shows one run)."""
    folder = ARTIFACTS / re.sub(r"[^\w.-]+", "_", journey)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    state = _Watch(folder)
    _WATCHES[id(page)] = state
    page.on("console", lambda msg: state.errors.append(
        f"console: {msg.text} ({msg.location.get('url', '?')})") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: state.errors.append(f"uncaught: {exc}"))


def console_errors(page: Any) -> list[str]:
    """Every error the page logged since `watch`."""
    return list(_WATCHES[id(page)].errors)


def step(page: Any, name: str) -> Path:
    """Screenshot the page as step `name`; assert no console error since the last step.

    Returns the screenshot's path.
    """
    state = _WATCHES[id(page)]
    state.steps += 1
    slug = re.sub(r"[^\w.-]+", "-", name)
    path = state.folder / f"{state.steps:02d}-{slug}.png"
    page.screenshot(path=str(path), full_page=True)
    new, state.seen = state.errors[state.seen:], len(state.errors)
    assert not new, f"step {name!r}: the browser logged {len(new)} error(s): " + "; ".join(
        new[:10])
    return path

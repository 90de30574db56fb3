"""`step(page, name)`: what every journey does after each action.

`watch(page, journey)` starts recording the page's console errors and uncaught exceptions;
`step` takes a full-page screenshot to `tests/journeys/artifacts/<journey>/NN-<name>.png`
(ignored by git) and fails if the browser logged an error since the previous step, naming
the step and quoting the errors.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["ARTIFACTS", "VIEWPORT", "choose", "console_errors", "evaluate_until", "step", "watch"]

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


def choose(page: Any, description: str, label_part: str) -> None:
    """Pick, in the ipywidgets dropdown labelled `description`, the option whose label
    contains `label_part` (ipywidgets writes the spaces of option labels as no-break spaces)."""
    box = page.locator(".widget-dropdown", has=page.locator(f"label:text-is('{description}')"))
    select = box.locator("select")
    labels = select.evaluate("s => [...s.options].map(o => o.label)")
    select.select_option(label=next(lab for lab in labels
                                    if label_part in lab.replace("\xa0", " ")))


def evaluate_until(page: Any, script: str, ok: Callable[[Any], bool], timeout: float) -> Any:
    """What `script` evaluates to in the page once `ok` accepts it, or its last value after
    `timeout` seconds (the caller's assertion then says what the page showed instead)."""
    deadline = time.monotonic() + timeout
    shown = page.evaluate(script)
    while time.monotonic() < deadline and not ok(shown):
        page.wait_for_timeout(500)
        shown = page.evaluate(script)
    return shown

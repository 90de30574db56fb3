"""The default demo's story after the launch: the synthesis meeting records change package v2,
the spread wave joins with it.

`record_synthesis(engine, launch)` does what the facilitator does at learning session 3
(2025-11-12) with `workbench package draft --period 2025-10 --save --reason …`: the draft
of the refined package as a meeting at the end of `SYNTHESIS_MONTH` saw the evidence
(`workbench.learning.meeting.meeting_frames`, which `workbench.briefs.synthesis.synthesis_data`
calls for the pack and `package draft`, on every launch team's PDSA journal and data up to
2025-10 as `known_by` cuts them: the spread wave has none yet; read here from the store
without the report layer, so building the demo does not load the charts) saved as the next version
(`workbench.store.save_package_version`, by `content.FACILITATOR`, with each change's
provenance). It returns the version's number and its changes as the generator's ideas (with
their evidence grade) for the spread wave to test; `join_spread_wave` records that the wave
joins with it (`workbench.store.join_wave`, as `workbench package join W3 v2`).

`story_size(size)`: whether a demo of `size` has this story — the embedded demo's size only
(`DEFAULT_SIZE`). A demo of another size (`--teams N …`, for capacity planning) is the launch
collaborative alone: waves 1 and 2, package v1, no graduation, so its figures stay those of N
teams. A part of the generated demo (`workbench.demo`).
"""

from __future__ import annotations

from typing import Any, cast

import pandas as pd
from sqlalchemy import Engine

from workbench.demo import content
from workbench.demo.calendar import SYNTHESIS_MONTH
from workbench.demo.size import DEFAULT_SIZE, DemoSize
from workbench.demo.spread import SPREAD_WAVE, package_ideas
from workbench.demo.world import _World
from workbench.learning.meeting import meeting_frames, package_in_use
from workbench.learning.synthesis import known_by
from workbench.store import (
    collaborative_indicators,
    join_wave,
    read_change_ideas,
    read_collaborative_measurements,
    read_package,
    read_pdsa_cycles,
    save_package_version,
)

__all__ = ["SYNTHESIS_REASON", "join_spread_wave", "record_synthesis", "story_size"]

SYNTHESIS_REASON = "synthesis meeting at learning session 3 (2025-11-12): the evidence to 2025-10"


def story_size(size: DemoSize) -> bool:
    """Whether a demo of `size` has the synthesis, the spread wave and the graduations."""
    return size == DEFAULT_SIZE


def record_synthesis(engine: Engine, launch: _World) -> tuple[int, list[dict[str, Any]]]:
    """Save the synthesis meeting's package as the next version; (its number, its ideas)."""
    period = pd.Period(launch.cal.periods[SYNTHESIS_MONTH], freq="M")
    measurements, cycles = known_by(read_collaborative_measurements(engine),
                                    read_pdsa_cycles(engine), period)
    ideas = read_change_ideas(engine)
    meeting = meeting_frames(measurements, collaborative_indicators(engine), cycles, ideas,
                             package_in_use(read_package(engine), ideas), period=str(period))
    rows = cast("list[dict[str, Any]]", meeting.draft.to_dict("records"))
    version = save_package_version(engine, rows, author=content.FACILITATOR,
                                   reason=SYNTHESIS_REASON, period=str(period))
    grades = {str(r["change_id"]): str(r["grade"]) for r in rows}
    saved = cast("list[dict[str, Any]]", read_package(engine, version).to_dict("records"))
    return version, package_ideas(saved, grades, launch)


def join_spread_wave(engine: Engine, version: int) -> None:
    """The spread wave joins with package `version`."""
    join_wave(engine, SPREAD_WAVE, version, user=content.FACILITATOR)

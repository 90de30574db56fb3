"""The synthesis meeting's frames: everything the pack shows, from what the meeting knows.

`meeting_frames(measurements, indicators, cycles, change_ideas, current, period=...)` — from the
measurements and the PDSA journal as the meeting knows them (`workbench.learning.synthesis.
known_by`) and the changes of the package version in use (`package_in_use`): the evidence per
change idea × indicator (`workbench.learning.evidence.practice_evidence`, whose adoptions it
reuses), the teams that can tell each story, the adopters aligned on months since adoption
(those that adopted alone, as the estimate counts them), the team innovations taken up, the
changes abandoned everywhere, and the draft of the refined package
(`workbench.learning.package.draft_package`).

One function for every place that asks: the synthesis pack and `workbench package draft`
(`workbench.briefs.synthesis.synthesis_data`, which reads the store) and the demo's synthesis
meeting that records package v2 (`workbench.demo.story`, which reads the store without the
report layer).

Pure: frames in, frames out.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from workbench.learning.evidence import Evidence, practice_evidence
from workbench.learning.package import draft_package
from workbench.learning.synthesis import (
    abandoned_everywhere,
    aligned_values,
    innovations_taken_up,
    storytellers,
)

__all__ = ["MeetingFrames", "meeting_frames", "package_in_use"]


@dataclass
class MeetingFrames:
    """What `meeting_frames` returns."""

    evidence: Evidence
    stories: pd.DataFrame  # storytellers
    aligned: pd.DataFrame  # aligned_values of the adoptions made alone
    innovations: pd.DataFrame
    abandoned: pd.DataFrame
    draft: pd.DataFrame


def package_in_use(version: pd.DataFrame | None, change_ideas: pd.DataFrame) -> pd.DataFrame:
    """The changes (change_id, name, guidance) of a package `version` (rows of
    `read_package`: those in the package); with no version recorded (None), the package's
    change ideas with their descriptions as guidance."""
    if version is None:
        ideas = change_ideas[change_ideas["source"] == "package"]
        return pd.DataFrame({"change_id": ideas["change_id"], "name": ideas["name"],
                             "guidance": ideas["description"].fillna("")})
    return version.loc[version["in_package"], ["change_id", "name", "guidance"]]


def meeting_frames(measurements: pd.DataFrame, indicators: pd.DataFrame, cycles: pd.DataFrame,
                   change_ideas: pd.DataFrame, current: pd.DataFrame, *,
                   period: str) -> MeetingFrames:
    """The meeting's frames (see the module docstring); `period` ('YYYY-MM') names the
    meeting's month in the draft's guidance and provenance."""
    evidence = practice_evidence(measurements, indicators, cycles, change_ideas)
    adoptions = evidence.adoptions
    alone = adoptions[adoptions["adopted_with"].map(len) == 0]  # as the estimate counts them
    stories = storytellers(evidence.teams)
    innovations = innovations_taken_up(adoptions, change_ideas)
    abandoned = abandoned_everywhere(adoptions, change_ideas)
    draft = draft_package(current, evidence.practices, stories, innovations, abandoned,
                          change_ideas, period=period)
    return MeetingFrames(evidence=evidence, stories=stories,
                         aligned=aligned_values(measurements, alone), innovations=innovations,
                         abandoned=abandoned, draft=draft)

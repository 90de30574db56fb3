"""The learning-session app's "what is working" panel: the change ideas with the best evidence
for the selected indicator, their grade, their effect against non-adopters and the teams that
can tell the story.

The evidence is `workbench.learning.practice_evidence` on every team's data as the app has
loaded it (its "as of" date included), the teams are `workbench.learning.synthesis.
storytellers`, and the rows are formatted by `workbench.briefs.synthesis.evidence_rows` — the
same rows as the synthesis pack and `workbench practices`. Computing the evidence takes
seconds on a large collaborative, so it runs when the facilitator asks (the button), never
before the page is painted; afterwards an indicator change only picks other rows, and an
"as of" change recomputes it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as w
import pandas as pd

from workbench.briefs.synthesis import evidence_rows
from workbench.i18n import N_, TranslatedValues
from workbench.i18n import gettext as _
from workbench.learning import practice_evidence
from workbench.learning.synthesis import storytellers
from workbench.notebook.render import join, note, table

__all__ = ["PracticesPanel", "TOP"]

#: changes shown per indicator
TOP = 5
#: the panel's columns -> headers
COLUMNS = TranslatedValues({
    "change": N_("Change idea"), "grade": N_("Evidence"),
    "effect": N_("Effect vs non-adopters (95 % interval)"), "adopted": N_("Teams adopted"),
    "tested": N_("Teams tested"), "story": N_("Teams that can tell the story")})
CAVEAT = N_("Teams that adopted each change, their indicator after adoption against teams that "
            "had not adopted it over the same months: an association, not proof of cause.")
#: (measurements, indicators, cycles, change ideas) as the app holds them now
Frames = tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]


class PracticesPanel(w.VBox):  # type: ignore[misc]  # ipywidgets ships no types
    """`PracticesPanel(frames, guard)`: `frames()` gives the app's current data; `follow`
    redraws when an indicator or "as of" widget changes."""

    def __init__(self, frames: Callable[[], Frames], guard: Callable[..., Any]) -> None:
        self._frames = frames
        self._button = w.Button(description=_("Show what is working"), icon="lightbulb-o",
                                tooltip=_("Grade every change idea from the PDSA journal and "
                                          "the data (a few seconds)"),
                                layout=w.Layout(width="260px"))
        self._button.on_click(guard(lambda _b: self.compute()))
        self._html = w.HTML(note(_("Which change ideas are associated with improvement on "
                                   "this indicator: press the button.")))
        self._key: tuple[int, int] | None = None
        self._practices = pd.DataFrame()
        self._stories = pd.DataFrame()
        self._indicator = ""
        super().__init__([self._button, self._html])
        self.add_class("wb-practices")

    @property
    def computed(self) -> bool:
        return self._key is not None

    @property
    def html(self) -> str:
        return str(self._html.value)

    def follow(self, indicator: w.Dropdown, *reloads: w.Widget) -> None:
        """Show `indicator`'s rows when it changes; recompute after a change of `reloads`
        (observers added after the app's own, so the app has reloaded its data first)."""
        self._indicator = str(indicator.value)
        indicator.observe(lambda change: self.show(str(change["new"])), "value")
        for widget in reloads:
            widget.observe(lambda _change: self.compute() if self.computed else None, "value")

    def compute(self) -> None:
        """Grade every change idea from the app's current data, then show the indicator's."""
        measurements, indicators, cycles, ideas = self._frames()
        key = (id(measurements), id(cycles))
        if key != self._key:
            evidence = practice_evidence(measurements, indicators, cycles, ideas)
            self._practices, self._stories = evidence.practices, storytellers(evidence.teams)
            self._key = key
        self._button.layout.display = "none"
        self.show(self._indicator)

    def rows(self, indicator_id: str) -> pd.DataFrame:
        """The panel's rows for one indicator (best evidence first, at most `TOP`)."""
        return evidence_rows(self._practices, self._stories, indicator_id).head(TOP)

    def show(self, indicator_id: str) -> None:
        self._indicator = indicator_id
        if not self.computed:
            return
        rows = self.rows(indicator_id)
        self._html.value = join(
            table(rows, dict(COLUMNS), empty=_("No change idea linked to this indicator has "
                                               "been tested yet.")),
            note(_(CAVEAT)))

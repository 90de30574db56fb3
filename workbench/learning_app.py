"""The learning-session app (placeholder while workbench.charts lands)."""

from __future__ import annotations

from workbench.app_context import AppContext
from workbench.apps import WorkbenchApp

__all__ = ["LearningSessionApp"]


class LearningSessionApp(WorkbenchApp):
    title = "Learning session"
    uses_team = False

    def _show(self, context: AppContext) -> None:
        pass

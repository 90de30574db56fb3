"""The apps as the notebooks of `voila_apps/` build them: one function per app.

Each app notebook is three cells::

    from workbench.apps.builders import app_context, build_coach_app
    app = build_coach_app()          # loads the data while the kernel waits in the pool
    app.present(app_context())       # waits for the request (?team=T01), shows the app

Each builder imports its app when called, so an app's kernel loads only what that app uses.
"""

from __future__ import annotations

import ipywidgets as w
from sqlalchemy import Engine

from workbench.apps.base import WorkbenchApp, build_app
from workbench.apps.context import app_context

__all__ = [
    "app_context",
    "build_coach_app",
    "build_data_entry_app",
    "build_learning_session_app",
    "build_pdsa_journal_app",
    "build_validation_queue_app",
]


def build_pdsa_journal_app(engine: Engine | str | None = None) -> WorkbenchApp | w.Widget:
    """The QI team's PDSA journal: plan, do, study, act cycles of one team (`?team=`)."""
    from workbench.apps.forms import PDSAJournalApp

    return build_app(PDSAJournalApp, engine)


def build_data_entry_app(engine: Engine | str | None = None) -> WorkbenchApp | w.Widget:
    """Monthly numerator/denominator entry for one team (`?team=T01&period=2026-10`)."""
    from workbench.apps.forms import DataEntryApp

    return build_app(DataEntryApp, engine)


def build_coach_app(engine: Engine | str | None = None) -> WorkbenchApp | w.Widget:
    """The coach's app: the site-visit brief, then the coaching-visit form (`?team=`)."""
    from workbench.apps.forms import CoachApp

    return build_app(CoachApp, engine)


def build_validation_queue_app(engine: Engine | str | None = None) -> WorkbenchApp | w.Widget:
    """The validator's queue of flags (`?user=Ann&team=T03`)."""
    from workbench.apps.forms import ValidationQueueApp

    return build_app(ValidationQueueApp, engine)


def build_learning_session_app(engine: Engine | str | None = None) -> WorkbenchApp | w.Widget:
    """The facilitator's live results of every team (`?indicator=AMTSL&as_of=2026-06-30`)."""
    from workbench.apps.learning_session import LearningSessionApp

    return build_app(LearningSessionApp, engine)

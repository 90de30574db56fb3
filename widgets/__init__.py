"""Forms (ipywidgets) for JupyterLab and Voilà: thin faces over the `workbench` library.

Each form is one `VBox` subclass built as `Form(db_or_engine, team_id=None, user=None, ...)`
with a `.refresh()`; it validates through the library, shows every problem next to its field,
saves in one transaction and says what it saved. Importing needs no browser.
"""

from .coaching_visit import CoachingVisitForm
from .monthly_data import MonthlyDataForm
from .pdsa_form import PDSACycleForm
from .self_assessment import SelfAssessmentForm
from .validation_queue import ValidationQueue

__all__ = ["PDSACycleForm", "MonthlyDataForm", "CoachingVisitForm", "ValidationQueue",
           "SelfAssessmentForm"]

"""What works, and spreading it: evidence per change idea from PDSA cycles and measurements.

- `workbench.learning.adoption` — who tested and adopted which change, and when;
- `workbench.learning.effect`   — before/after shifts of one team's indicator, judged by the
  Anhøj runs rules;
- `workbench.learning.evidence` — per change idea × indicator: teams, pooled effect against
  non-adopters with an interval, and an evidence grade in plain words.

Pure analytics: frames in, frames out; never the store, charts or HTML.
"""

from workbench.learning.adoption import team_adoptions
from workbench.learning.evidence import (
    GRADES,
    PRACTICE_COLUMNS,
    Evidence,
    grade_evidence,
    pooled_effect,
    practice_evidence,
)

__all__ = ["GRADES", "PRACTICE_COLUMNS", "Evidence", "grade_evidence", "pooled_effect",
           "practice_evidence", "team_adoptions"]

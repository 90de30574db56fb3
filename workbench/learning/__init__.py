"""What works, and spreading it: evidence per change idea from PDSA cycles and measurements.

- `workbench.learning.adoption` — who tested and adopted which change, and when;
- `workbench.learning.effect`   — before/after shifts of one team's indicator, judged by the
  Anhøj runs rules;
- `workbench.learning.evidence` — per change idea × indicator: teams, pooled effect against
  non-adopters with an interval, and an evidence grade in plain words;
- `workbench.learning.synthesis` — what a synthesis meeting looks at besides the grades: the
  teams that can tell the story, adopters aligned on months since adoption, innovations taken
  up, changes abandoned everywhere, the journal as a meeting at a month's end knew it;
- `workbench.learning.package` — the draft of the refined change package, and the
  differences between two versions;
- `workbench.learning.meeting` — every frame of the synthesis meeting at once (the pack, the
  draft `workbench package draft` saves, the demo's package v2);
- `workbench.learning.spread` — spread waves against the first on equal follow-up, graduated
  teams holding their gains.

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

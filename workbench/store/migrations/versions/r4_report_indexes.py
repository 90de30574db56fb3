"""r4: indexes of the per-team reads of a report (issue 14).

A team report, a site-visit brief and the team card read one team's coaching visits,
recounts, assessments and data flags, and the versions of its PDSA cycles; without an index
on the team (or the cycle) each of those reads scans the whole table, so a report cost more
the larger the collaborative (at 2,000 teams × 36 months: about 10 ms of CPU and 40 ms of
wall time a report for visits, recounts and assessments, against 1 ms at 24 teams). Adds
`ix_visits_team`, `ix_recounts_team`, `ix_assessments_team`, `ix_flags_team` and
`ix_pdsa_history_cycle`. Rows are untouched; schema_info records version 4.

Revision ID: r4
Revises: r3
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

__all__ = ["upgrade", "downgrade"]

revision = "r4"
down_revision = "r3"
branch_labels = None
depends_on = None

_schema_info = sa.table("schema_info", sa.column("version", sa.Integer),
                        sa.column("applied_at", sa.DateTime))

#: (index name, table, columns), as in `workbench.store.schema`
INDEXES = [
    ("ix_pdsa_history_cycle", "pdsa_history", ["cycle_id", "version"]),
    ("ix_visits_team", "coaching_visits", ["team_id", "visit_date"]),
    ("ix_recounts_team", "verification_recounts", ["team_id", "visit_id"]),
    ("ix_assessments_team", "assessments", ["team_id", "period"]),
    ("ix_flags_team", "flags", ["team_id", "indicator_id", "period"]),
]


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    op.bulk_insert(_schema_info, [{"version": 4, "applied_at": now}])


def downgrade() -> None:
    op.execute(_schema_info.delete().where(_schema_info.c.version == 4))
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)

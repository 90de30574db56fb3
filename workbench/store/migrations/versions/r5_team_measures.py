"""r5: a team's own measures (issue 13, seed section 3.4).

Column `indicators.team_id`: the team that added the indicator to test a change (its own
measure, shown in its report and journal, never in collaborative roll-ups); NULL, as every
existing indicator gets, is a collaborative indicator. Existing rows are untouched;
schema_info records version 5.

Revision ID: r5
Revises: r4
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

__all__ = ["upgrade", "downgrade"]

revision = "r5"
down_revision = "r4"
branch_labels = None
depends_on = None

_schema_info = sa.table("schema_info", sa.column("version", sa.Integer),
                        sa.column("applied_at", sa.DateTime))


def upgrade() -> None:
    # a plain ADD COLUMN on every dialect: no copy of the table (SQLite's batch mode would
    # drop `indicators`, which the measurements reference)
    if op.get_bind().dialect.name == "sqlite":  # SQLite takes the reference in ADD COLUMN only
        op.execute("ALTER TABLE indicators ADD COLUMN team_id VARCHAR(40) "
                   "REFERENCES teams (team_id)")
    else:
        op.add_column("indicators", sa.Column("team_id", sa.String(length=40), nullable=True))
        op.create_foreign_key("fk_indicators_team_id", "indicators", "teams", ["team_id"],
                              ["team_id"])
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    op.bulk_insert(_schema_info, [{"version": 5, "applied_at": now}])


def downgrade() -> None:
    op.execute(_schema_info.delete().where(_schema_info.c.version == 5))
    if op.get_bind().dialect.name == "sqlite":  # a copy of the table (foreign_keys off)
        with op.batch_alter_table("indicators") as batch_op:
            batch_op.drop_column("team_id")
    else:
        op.drop_constraint("fk_indicators_team_id", "indicators", type_="foreignkey")
        op.drop_column("indicators", "team_id")

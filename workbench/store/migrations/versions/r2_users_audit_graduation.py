"""r2: users and the audit log (issue 17), team graduation (issue 13).

Tables and a column only, no behaviour: `users` (name, roles, scope), `audit_log` (who, what,
when, table, row id, details) and `teams.graduated_on` (YYYY-MM-DD, empty until a team's
coaching ends). Existing rows are untouched; schema_info records version 2.

Revision ID: r2
Revises: r1
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

__all__ = ["upgrade", "downgrade"]

revision = "r2"
down_revision = "r1"
branch_labels = None
depends_on = None

_schema_info = sa.table("schema_info", sa.column("version", sa.Integer),
                        sa.column("applied_at", sa.DateTime))


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("user_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("scope", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "audit_log",
        sa.Column("audit_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("table_name", sa.String(length=60), nullable=False),
        sa.Column("row_id", sa.String(length=200), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("audit_id"),
    )
    op.create_index("ix_audit_log_created", "audit_log", ["created_at"])
    op.create_index("ix_audit_log_user", "audit_log", ["user", "created_at"])
    with op.batch_alter_table("teams") as batch_op:
        batch_op.add_column(sa.Column("graduated_on", sa.String(length=10), nullable=True))
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    op.bulk_insert(_schema_info, [{"version": 2, "applied_at": now}])


def downgrade() -> None:
    op.execute(_schema_info.delete().where(_schema_info.c.version == 2))
    with op.batch_alter_table("teams") as batch_op:
        batch_op.drop_column("graduated_on")
    op.drop_index("ix_audit_log_user", table_name="audit_log")
    op.drop_index("ix_audit_log_created", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_table("users")

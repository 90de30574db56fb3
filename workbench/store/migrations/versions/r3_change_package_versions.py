"""r3: change package versions (issue 13).

Tables `package_versions` (version number, meeting month, author, reason, time) and
`package_changes` (each version's changes with guidance and provenance; dropped changes kept
with their reason), and `waves.package_version` (the version a wave joins with). A database
that already holds a collaborative gets its launch package as v1: the change ideas of the
package (`source` "package") with their descriptions as guidance; every wave joins with v1.
Existing rows are untouched; schema_info records version 3.

Revision ID: r3
Revises: r2
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

__all__ = ["upgrade", "downgrade"]

revision = "r3"
down_revision = "r2"
branch_labels = None
depends_on = None

_schema_info = sa.table("schema_info", sa.column("version", sa.Integer),
                        sa.column("applied_at", sa.DateTime))
_ideas = sa.table("change_ideas", sa.column("change_id", sa.String),
                  sa.column("description", sa.Text), sa.column("source", sa.String))
_waves = sa.table("waves", sa.column("package_version", sa.Integer))


def upgrade() -> None:
    versions = op.create_table(
        "package_versions",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("period", sa.String(length=7), nullable=True),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("version"),
    )
    changes = op.create_table(
        "package_changes",
        sa.Column("row_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("change_id", sa.String(length=40), nullable=False),
        sa.Column("in_package", sa.Boolean(), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("guidance", sa.Text(), nullable=False),
        sa.Column("provenance", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["change_id"], ["change_ideas.change_id"]),
        sa.ForeignKeyConstraint(["version"], ["package_versions.version"]),
        sa.PrimaryKeyConstraint("row_id"),
        sa.UniqueConstraint("version", "change_id", name="uq_package_change"),
    )
    with op.batch_alter_table("waves") as batch_op:
        batch_op.add_column(sa.Column("package_version", sa.Integer(), nullable=True))
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    bind = op.get_bind()
    ideas = bind.execute(sa.select(_ideas.c.change_id, _ideas.c.description)
                         .where(_ideas.c.source == "package")
                         .order_by(_ideas.c.change_id)).all()
    if ideas:
        op.bulk_insert(versions, [{"version": 1, "period": None, "author": "workbench upgrade",
                                   "reason": "the launch package (recorded by the upgrade to r3)",
                                   "created_at": now}])
        op.bulk_insert(changes, [
            {"version": 1, "change_id": change_id, "in_package": True, "action": "launch",
             "guidance": description or "",
             "provenance": {"teams": [], "reason": "in the launch package"}}
            for change_id, description in ideas])
        op.execute(_waves.update().values(package_version=1))
    op.bulk_insert(_schema_info, [{"version": 3, "applied_at": now}])


def downgrade() -> None:
    op.execute(_schema_info.delete().where(_schema_info.c.version == 3))
    with op.batch_alter_table("waves") as batch_op:
        batch_op.drop_column("package_version")
    op.drop_table("package_changes")
    op.drop_table("package_versions")

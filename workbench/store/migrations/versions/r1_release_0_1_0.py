"""r1: the schema as released in 0.1.0 (commit 616661a).

Every table of `workbench.store.schema` at the first release, exactly as `metadata.create_all`
made it then. Databases made before Alembic (schema_info version 1, no alembic_version table)
are at this revision: `workbench upgrade` stamps them r1 before going on. Never edit this
file: a change of the schema is a new revision.

Revision ID: r1
Revises: (none: the first release)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

__all__ = ["upgrade", "downgrade"]

revision = "r1"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('collaborative',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('topic', sa.Text(), nullable=False),
    sa.Column('phase', sa.String(length=40), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('start_period', sa.String(length=7), nullable=False),
    sa.Column('aims', sa.JSON(), nullable=False),
    sa.Column('settings', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('import_batches',
    sa.Column('batch_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('file_name', sa.Text(), nullable=False),
    sa.Column('format', sa.String(length=20), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('author', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('batch_id')
    )
    op.create_table('indicators',
    sa.Column('indicator_id', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('type', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('numerator_definition', sa.Text(), nullable=False),
    sa.Column('denominator_definition', sa.Text(), nullable=False),
    sa.Column('target', sa.Float(), nullable=True),
    sa.Column('direction', sa.String(length=10), nullable=False),
    sa.Column('chart', sa.String(length=10), nullable=False),
    sa.Column('multiplier', sa.Float(), nullable=False),
    sa.Column('unit', sa.String(length=40), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('indicator_id')
    )
    op.create_table('schema_info',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('applied_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('version')
    )
    op.create_table('waves',
    sa.Column('wave_id', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('start_period', sa.String(length=7), nullable=False),
    sa.PrimaryKeyConstraint('wave_id')
    )
    op.create_table('learning_sessions',
    sa.Column('session_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('date', sa.String(length=10), nullable=False),
    sa.Column('wave_id', sa.String(length=40), nullable=True),
    sa.ForeignKeyConstraint(['wave_id'], ['waves.wave_id'], ),
    sa.PrimaryKeyConstraint('session_id')
    )
    op.create_table('teams',
    sa.Column('team_id', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('facility', sa.String(length=200), nullable=False),
    sa.Column('district', sa.String(length=200), nullable=False),
    sa.Column('region', sa.String(length=200), nullable=False),
    sa.Column('wave_id', sa.String(length=40), nullable=True),
    sa.Column('coach', sa.String(length=200), nullable=False),
    sa.Column('joined_period', sa.String(length=7), nullable=False),
    sa.ForeignKeyConstraint(['wave_id'], ['waves.wave_id'], ),
    sa.PrimaryKeyConstraint('team_id')
    )
    op.create_table('change_ideas',
    sa.Column('change_id', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('driver', sa.String(length=300), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('team_id', sa.String(length=40), nullable=True),
    sa.Column('indicator_ids', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['teams.team_id'], ),
    sa.PrimaryKeyConstraint('change_id')
    )
    op.create_table('coaching_visits',
    sa.Column('visit_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('team_id', sa.String(length=40), nullable=False),
    sa.Column('coach', sa.String(length=200), nullable=False),
    sa.Column('visit_date', sa.String(length=10), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('actions', sa.JSON(), nullable=False),
    sa.Column('author', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['teams.team_id'], ),
    sa.PrimaryKeyConstraint('visit_id')
    )
    op.create_table('flags',
    sa.Column('flag_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('rule_code', sa.String(length=40), nullable=False),
    sa.Column('severity', sa.String(length=10), nullable=False),
    sa.Column('team_id', sa.String(length=40), nullable=True),
    sa.Column('indicator_id', sa.String(length=40), nullable=True),
    sa.Column('period', sa.String(length=7), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('statistic', sa.Float(), nullable=True),
    sa.Column('lower', sa.Float(), nullable=True),
    sa.Column('upper', sa.Float(), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('fingerprint', sa.String(length=200), nullable=False),
    sa.Column('data_revision_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('reviewer', sa.String(length=200), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['indicator_id'], ['indicators.indicator_id'], ),
    sa.ForeignKeyConstraint(['team_id'], ['teams.team_id'], ),
    sa.PrimaryKeyConstraint('flag_id'),
    sa.UniqueConstraint('fingerprint')
    )
    with op.batch_alter_table('flags', schema=None) as batch_op:
        batch_op.create_index('ix_flags_status', ['status', 'team_id'], unique=False)

    op.create_table('assessments',
    sa.Column('assessment_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('team_id', sa.String(length=40), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('assessor_type', sa.String(length=10), nullable=False),
    sa.Column('assessor', sa.String(length=200), nullable=False),
    sa.Column('justification', sa.Text(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['teams.team_id'], ),
    sa.ForeignKeyConstraint(['visit_id'], ['coaching_visits.visit_id'], ),
    sa.PrimaryKeyConstraint('assessment_id')
    )
    op.create_table('measurement_revisions',
    sa.Column('revision_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('team_id', sa.String(length=40), nullable=False),
    sa.Column('indicator_id', sa.String(length=40), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('numerator', sa.Float(), nullable=True),
    sa.Column('denominator', sa.Float(), nullable=True),
    sa.Column('source', sa.String(length=40), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.Column('flag_id', sa.Integer(), nullable=True),
    sa.Column('author', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['import_batches.batch_id'], ),
    sa.ForeignKeyConstraint(['flag_id'], ['flags.flag_id'], ),
    sa.ForeignKeyConstraint(['indicator_id'], ['indicators.indicator_id'], ),
    sa.ForeignKeyConstraint(['team_id'], ['teams.team_id'], ),
    sa.PrimaryKeyConstraint('revision_id')
    )
    with op.batch_alter_table('measurement_revisions', schema=None) as batch_op:
        batch_op.create_index('ix_measurement_created', ['created_at'], unique=False)
        batch_op.create_index('ix_measurement_key',
                              ['team_id', 'indicator_id', 'period', 'revision_id'],
                              unique=False)

    op.create_table('pdsa_cycles',
    sa.Column('cycle_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('team_id', sa.String(length=40), nullable=False),
    sa.Column('change_id', sa.String(length=40), nullable=False),
    sa.Column('cycle_number', sa.Integer(), nullable=False),
    sa.Column('parent_cycle_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('objective', sa.Text(), nullable=False),
    sa.Column('questions', sa.JSON(), nullable=False),
    sa.Column('plan_tasks', sa.JSON(), nullable=False),
    sa.Column('data_plan', sa.Text(), nullable=False),
    sa.Column('linked_indicators', sa.JSON(), nullable=False),
    sa.Column('do_notes', sa.Text(), nullable=False),
    sa.Column('deviations', sa.Text(), nullable=False),
    sa.Column('study_notes', sa.Text(), nullable=False),
    sa.Column('study_results', sa.JSON(), nullable=False),
    sa.Column('act_decision', sa.String(length=10), nullable=True),
    sa.Column('next_steps', sa.Text(), nullable=False),
    sa.Column('start_date', sa.String(length=10), nullable=True),
    sa.Column('end_date', sa.String(length=10), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('author', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['change_id'], ['change_ideas.change_id'], ),
    sa.ForeignKeyConstraint(['parent_cycle_id'], ['pdsa_cycles.cycle_id'], ),
    sa.ForeignKeyConstraint(['team_id'], ['teams.team_id'], ),
    sa.PrimaryKeyConstraint('cycle_id'),
    sa.UniqueConstraint('team_id', 'change_id', 'cycle_number', name='uq_pdsa_cycle_number')
    )
    op.create_table('verification_recounts',
    sa.Column('recount_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=40), nullable=False),
    sa.Column('indicator_id', sa.String(length=40), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('reported_numerator', sa.Float(), nullable=True),
    sa.Column('reported_denominator', sa.Float(), nullable=True),
    sa.Column('recounted_numerator', sa.Float(), nullable=True),
    sa.Column('recounted_denominator', sa.Float(), nullable=True),
    sa.Column('author', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['indicator_id'], ['indicators.indicator_id'], ),
    sa.ForeignKeyConstraint(['team_id'], ['teams.team_id'], ),
    sa.ForeignKeyConstraint(['visit_id'], ['coaching_visits.visit_id'], ),
    sa.PrimaryKeyConstraint('recount_id')
    )
    op.create_table('flag_events',
    sa.Column('event_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('flag_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('from_status', sa.String(length=10), nullable=True),
    sa.Column('to_status', sa.String(length=10), nullable=False),
    sa.Column('user', sa.String(length=200), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('revision_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['flag_id'], ['flags.flag_id'], ),
    sa.ForeignKeyConstraint(['revision_id'], ['measurement_revisions.revision_id'], ),
    sa.PrimaryKeyConstraint('event_id')
    )
    op.create_table('pdsa_history',
    sa.Column('history_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('snapshot', sa.JSON(), nullable=False),
    sa.Column('author', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['cycle_id'], ['pdsa_cycles.cycle_id'], ),
    sa.PrimaryKeyConstraint('history_id')
    )


def downgrade() -> None:
    op.drop_table('pdsa_history')
    op.drop_table('flag_events')
    op.drop_table('verification_recounts')
    op.drop_table('pdsa_cycles')
    with op.batch_alter_table('measurement_revisions', schema=None) as batch_op:
        batch_op.drop_index('ix_measurement_key')
        batch_op.drop_index('ix_measurement_created')

    op.drop_table('measurement_revisions')
    op.drop_table('assessments')
    with op.batch_alter_table('flags', schema=None) as batch_op:
        batch_op.drop_index('ix_flags_status')

    op.drop_table('flags')
    op.drop_table('coaching_visits')
    op.drop_table('change_ideas')
    op.drop_table('teams')
    op.drop_table('learning_sessions')
    op.drop_table('waves')
    op.drop_table('schema_info')
    op.drop_table('indicators')
    op.drop_table('import_batches')
    op.drop_table('collaborative')

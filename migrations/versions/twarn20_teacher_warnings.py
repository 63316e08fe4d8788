"""teachers in the monitor → warn step (issue 20): since when an indicator is past, teacher warnings

Revision ID: twarn20
Revises: port20
Create Date: 2026-12-02 21:30:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'twarn20'
down_revision = 'port20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'teacher_indicator_watch',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('teacher_id', sa.Integer(), nullable=False),
        sa.Column('indicator_code', sa.String(length=16), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('past_since', sa.DateTime(timezone=True), nullable=True),
        sa.Column('value', sa.Float(), nullable=True),
        sa.Column('checked_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['teacher_id'], ['user.id'], name=op.f('fk_teacher_indicator_watch_teacher_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_teacher_indicator_watch')),
        sa.UniqueConstraint('teacher_id', 'indicator_code', 'year',
                            name=op.f('uq_teacher_indicator_watch_teacher_id_indicator_code_year')),
    )
    op.create_table(
        'teacher_warning',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('teacher_id', sa.Integer(), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=False),
        sa.Column('indicator_code', sa.String(length=16), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('stage', sa.String(length=16), nullable=False),
        sa.Column('level', sa.String(length=8), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('evidence', sa.JSON(), nullable=False),
        sa.Column('past_since', sa.DateTime(timezone=True), nullable=False),
        sa.Column('raised_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('acknowledged_by', sa.Integer(), nullable=True),
        sa.Column('follow_up_on', sa.Date(), nullable=True),
        sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('resolved_by', sa.Integer(), nullable=True),
        sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('withdrawn_reason', sa.Text(), nullable=True),
        sa.Column('cleared_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('episode', sa.Integer(), server_default='1', nullable=False),
        sa.Column('previous_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['teacher_id'], ['user.id'], name=op.f('fk_teacher_warning_teacher_id_user')),
        sa.ForeignKeyConstraint(['department_id'], ['department.id'],
                                name=op.f('fk_teacher_warning_department_id_department')),
        sa.ForeignKeyConstraint(['acknowledged_by'], ['user.id'], name=op.f('fk_teacher_warning_acknowledged_by_user')),
        sa.ForeignKeyConstraint(['resolved_by'], ['user.id'], name=op.f('fk_teacher_warning_resolved_by_user')),
        sa.ForeignKeyConstraint(['previous_id'], ['teacher_warning.id'],
                                name=op.f('fk_teacher_warning_previous_id_teacher_warning')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_teacher_warning')),
        sa.UniqueConstraint('teacher_id', 'indicator_code', 'year', 'episode',
                            name=op.f('uq_teacher_warning_teacher_id_indicator_code_year_episode')),
    )
    op.create_index('ix_teacher_warning_department_status', 'teacher_warning', ['department_id', 'status'])
    op.create_table(
        'teacher_warning_event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('warning_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('text', sa.Text(), nullable=True),
        sa.Column('follow_up_on', sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(['warning_id'], ['teacher_warning.id'],
                                name=op.f('fk_teacher_warning_event_warning_id_teacher_warning')),
        sa.ForeignKeyConstraint(['actor_id'], ['user.id'], name=op.f('fk_teacher_warning_event_actor_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_teacher_warning_event')),
    )
    op.create_index(op.f('ix_teacher_warning_event_warning_id'), 'teacher_warning_event', ['warning_id'])


def downgrade():
    op.drop_index(op.f('ix_teacher_warning_event_warning_id'), table_name='teacher_warning_event')
    op.drop_table('teacher_warning_event')
    op.drop_index('ix_teacher_warning_department_status', table_name='teacher_warning')
    op.drop_table('teacher_warning')
    op.drop_table('teacher_indicator_watch')

"""mass-event incidents: one closed session, correction or batch that moved a class past a line

One row per source (a session, a ledger batch) and class, unique in the database, so a repeated
close or a replayed batch is one incident (models/incident.py).

Revision ID: incident15
Revises: warn15engine
Create Date: 2026-12-02 05:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'incident15'
down_revision = 'warn15engine'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('incident',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('term_id', sa.Integer(), nullable=False),
    sa.Column('class_id', sa.Integer(), nullable=False),
    sa.Column('source_kind', sa.String(length=8), nullable=False),
    sa.Column('source_id', sa.String(length=36), nullable=False),
    sa.Column('trigger', sa.String(length=8), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=True),
    sa.Column('points', sa.JSON(), nullable=False),
    sa.Column('student_ids', sa.JSON(), nullable=False),
    sa.Column('class_size', sa.Integer(), nullable=False),
    sa.Column('recorded_by', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deadline', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('notified_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['class_id'], ['class_group.id'], name=op.f('fk_incident_class_id_class_group')),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_incident_course_id_course')),
    sa.ForeignKeyConstraint(['decided_by'], ['user.id'], name=op.f('fk_incident_decided_by_user')),
    sa.ForeignKeyConstraint(['recorded_by'], ['user.id'], name=op.f('fk_incident_recorded_by_user')),
    sa.ForeignKeyConstraint(['term_id'], ['term.id'], name=op.f('fk_incident_term_id_term')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incident')),
    sa.UniqueConstraint('source_kind', 'source_id', 'class_id',
                        name=op.f('uq_incident_source_kind_source_id_class_id'))
    )
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.create_index('ix_incident_class_status', ['class_id', 'status'], unique=False)


def downgrade():
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.drop_index('ix_incident_class_status')
    op.drop_table('incident')

"""teacher stage standards per academic year; anonymous course evaluations; indexes for the teacher indicators (issue 20)

Revision ID: tstd20
Revises: pipl19
Create Date: 2026-12-02 21:20:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'tstd20'
down_revision = 'pipl19'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'teacher_standard',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('stage', sa.String(length=16), nullable=False),
        sa.Column('dimension', sa.String(length=16), nullable=False),
        sa.Column('indicator_code', sa.String(length=16), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('target', sa.Float(), nullable=False),
        sa.Column('standard', sa.Float(), nullable=False),
        sa.Column('warning', sa.Float(), nullable=False),
        sa.Column('source', sa.Text(), nullable=False),
        sa.Column('rationale', sa.Text(), nullable=False),
        sa.Column('updated_by', sa.Integer(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("stage IN ('novice', 'competent', 'mature', 'expert')", name=op.f('ck_teacher_standard_stage')),
        sa.ForeignKeyConstraint(['updated_by'], ['user.id'], name=op.f('fk_teacher_standard_updated_by_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_teacher_standard')),
        sa.UniqueConstraint('year', 'stage', 'indicator_code', name=op.f('uq_teacher_standard_year_stage_indicator_code')),
    )
    op.create_table(
        'course_evaluation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('offering_id', sa.Integer(), nullable=False),
        sa.Column('score', sa.Integer(), nullable=False),
        sa.CheckConstraint('score BETWEEN 1 AND 5', name=op.f('ck_course_evaluation_score')),
        sa.ForeignKeyConstraint(['offering_id'], ['course_offering.id'], name=op.f('fk_course_evaluation_offering_id_course_offering'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_course_evaluation')),
    )
    op.create_index(op.f('ix_course_evaluation_offering_id'), 'course_evaluation', ['offering_id'], unique=False)
    op.create_table(
        'course_evaluation_given',
        sa.Column('offering_id', sa.Integer(), nullable=False),
        sa.Column('student_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['offering_id'], ['course_offering.id'],
                                name=op.f('fk_course_evaluation_given_offering_id_course_offering'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['student_id'], ['user.id'], name=op.f('fk_course_evaluation_given_student_id_user')),
        sa.PrimaryKeyConstraint('offering_id', 'student_id', name=op.f('pk_course_evaluation_given')),
    )
    op.create_index(op.f('ix_course_evaluation_given_student_id'), 'course_evaluation_given', ['student_id'], unique=False)
    op.create_index('ix_score_entry_recorded_by_term', 'score_entry', ['recorded_by', 'term_id'], unique=False)
    op.create_index('ix_student_warning_acknowledged_by', 'student_warning', ['acknowledged_by'], unique=False)


def downgrade():
    op.drop_index('ix_student_warning_acknowledged_by', table_name='student_warning')
    op.drop_index('ix_score_entry_recorded_by_term', table_name='score_entry')
    op.drop_table('course_evaluation_given')
    op.drop_table('course_evaluation')
    op.drop_table('teacher_standard')

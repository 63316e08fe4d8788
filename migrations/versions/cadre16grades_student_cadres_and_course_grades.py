"""Student cadres (grants and the head teacher's review of their batches) and imported course grades

Revision ID: cadre16grades
Revises: channel15
Create Date: 2026-12-02 09:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'cadre16grades'
down_revision = 'channel15'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('cadre_grant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('class_id', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('point_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=32), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('granted_by', sa.Integer(), nullable=False),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_by', sa.Integer(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['class_id'], ['class_group.id'], name=op.f('fk_cadre_grant_class_id_class_group')),
    sa.ForeignKeyConstraint(['student_id'], ['user.id'], name=op.f('fk_cadre_grant_student_id_user')),
    sa.ForeignKeyConstraint(['point_id'], ['scoring_point.id'], name=op.f('fk_cadre_grant_point_id_scoring_point')),
    sa.ForeignKeyConstraint(['granted_by'], ['user.id'], name=op.f('fk_cadre_grant_granted_by_user')),
    sa.ForeignKeyConstraint(['revoked_by'], ['user.id'], name=op.f('fk_cadre_grant_revoked_by_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cadre_grant'))
    )
    with op.batch_alter_table('cadre_grant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cadre_grant_class_id'), ['class_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cadre_grant_student_id'), ['student_id'], unique=False)
        batch_op.create_index('uq_cadre_grant_live', ['student_id', 'point_id'], unique=True,
                              sqlite_where=sa.text('revoked_at IS NULL'),
                              postgresql_where=sa.text('revoked_at IS NULL'))
    op.create_table('cadre_review',
    sa.Column('batch_id', sa.String(length=36), nullable=False),
    sa.Column('class_id', sa.Integer(), nullable=False),
    sa.Column('cadre_id', sa.Integer(), nullable=False),
    sa.Column('decision', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('decided_by', sa.Integer(), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['class_id'], ['class_group.id'], name=op.f('fk_cadre_review_class_id_class_group')),
    sa.ForeignKeyConstraint(['cadre_id'], ['user.id'], name=op.f('fk_cadre_review_cadre_id_user')),
    sa.ForeignKeyConstraint(['decided_by'], ['user.id'], name=op.f('fk_cadre_review_decided_by_user')),
    sa.PrimaryKeyConstraint('batch_id', name=op.f('pk_cadre_review'))
    )
    with op.batch_alter_table('cadre_review', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cadre_review_class_id'), ['class_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cadre_review_cadre_id'), ['cadre_id'], unique=False)
    op.create_table('course_grade',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('term_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('mark', sa.String(length=8), nullable=False),
    sa.Column('credits', sa.Float(), nullable=True),
    sa.Column('makeup_score', sa.Float(), nullable=True),
    sa.Column('imported_by', sa.Integer(), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['term_id'], ['term.id'], name=op.f('fk_course_grade_term_id_term')),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_course_grade_course_id_course')),
    sa.ForeignKeyConstraint(['student_id'], ['user.id'], name=op.f('fk_course_grade_student_id_user')),
    sa.ForeignKeyConstraint(['imported_by'], ['user.id'], name=op.f('fk_course_grade_imported_by_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_course_grade')),
    sa.UniqueConstraint('term_id', 'course_id', 'student_id', name=op.f('uq_course_grade_term_id_course_id_student_id'))
    )
    with op.batch_alter_table('course_grade', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_course_grade_term_id'), ['term_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_course_grade_student_id'), ['student_id'], unique=False)


def downgrade():
    op.drop_table('course_grade')
    op.drop_table('cadre_review')
    op.drop_table('cadre_grant')

"""The organisation over time: class membership with dates, a student's status date, term rollovers

Revision ID: org16time
Revises: cas16login
Create Date: 2026-12-02 09:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'org16time'
down_revision = 'cas16login'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('class_membership',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('class_id', sa.Integer(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=True),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['class_id'], ['class_group.id'], name=op.f('fk_class_membership_class_id_class_group')),
    sa.ForeignKeyConstraint(['created_by'], ['user.id'], name=op.f('fk_class_membership_created_by_user')),
    sa.ForeignKeyConstraint(['student_id'], ['user.id'], name=op.f('fk_class_membership_student_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_class_membership'))
    )
    with op.batch_alter_table('class_membership', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_class_membership_class_id'), ['class_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_class_membership_student_id'), ['student_id'], unique=False)
        batch_op.create_index('uq_class_membership_open', ['student_id'], unique=True,
                              sqlite_where=sa.text('ends_on IS NULL'), postgresql_where=sa.text('ends_on IS NULL'))
    op.create_table('term_rollover',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('from_term_id', sa.Integer(), nullable=False),
    sa.Column('to_term_id', sa.Integer(), nullable=False),
    sa.Column('applied_by', sa.Integer(), nullable=False),
    sa.Column('applied_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['applied_by'], ['user.id'], name=op.f('fk_term_rollover_applied_by_user')),
    sa.ForeignKeyConstraint(['from_term_id'], ['term.id'], name=op.f('fk_term_rollover_from_term_id_term')),
    sa.ForeignKeyConstraint(['to_term_id'], ['term.id'], name=op.f('fk_term_rollover_to_term_id_term')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_term_rollover')),
    sa.UniqueConstraint('from_term_id', name=op.f('uq_term_rollover_from_term_id'))
    )
    with op.batch_alter_table('student_profile', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status_on', sa.Date(), nullable=True))
    # Every student is in today's class since before any term: the class figures of past terms
    # stay what they were.
    op.execute("INSERT INTO class_membership (student_id, class_id, starts_on, ends_on, created_at) "
               "SELECT user_id, class_id, NULL, NULL, CURRENT_TIMESTAMP FROM student_profile")


def downgrade():
    with op.batch_alter_table('student_profile', schema=None) as batch_op:
        batch_op.drop_column('status_on')
    op.drop_table('term_rollover')
    with op.batch_alter_table('class_membership', schema=None) as batch_op:
        batch_op.drop_index('uq_class_membership_open')
        batch_op.drop_index(batch_op.f('ix_class_membership_student_id'))
        batch_op.drop_index(batch_op.f('ix_class_membership_class_id'))
    op.drop_table('class_membership')

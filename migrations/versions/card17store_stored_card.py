"""stored cards: each student's card inputs, written by the class rollup job

Revision ID: card17store
Revises: tt16timetable
Create Date: 2026-12-02 13:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'card17store'
down_revision = 'tt16timetable'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('stored_card',
    sa.Column('term_id', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('ledger_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('marks_as_of', sa.DateTime(timezone=True), nullable=False),
    sa.Column('weekly', sa.JSON(), nullable=False),
    sa.Column('previous', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['student_id'], ['user.id'], name=op.f('fk_stored_card_student_id_user')),
    sa.ForeignKeyConstraint(['term_id'], ['term.id'], name=op.f('fk_stored_card_term_id_term')),
    sa.PrimaryKeyConstraint('term_id', 'student_id', name=op.f('pk_stored_card'))
    )


def downgrade():
    op.drop_table('stored_card')

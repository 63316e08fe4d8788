"""attendance mark disputes; the stored card's weekly trends of subtotals and total (issue 20, must-show 6)

Revision ID: trend20
Revises: tstd20
Create Date: 2026-12-02 21:20:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'trend20'
down_revision = 'tstd20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('mark_dispute',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('session_id', sa.Integer(), nullable=False),
                    sa.Column('student_id', sa.Integer(), nullable=False),
                    sa.Column('class_id', sa.Integer(), nullable=False),
                    sa.Column('was', sa.String(length=8), nullable=False),
                    sa.Column('reason', sa.Text(), nullable=False),
                    sa.Column('status', sa.String(length=10), nullable=False),
                    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
                    sa.Column('resolved_by', sa.Integer(), nullable=True),
                    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
                    sa.Column('resolution', sa.Text(), nullable=True),
                    sa.Column('corrected_to', sa.String(length=8), nullable=True),
                    sa.ForeignKeyConstraint(['session_id'], ['class_session.id'],
                                            name=op.f('fk_mark_dispute_session_id_class_session')),
                    sa.ForeignKeyConstraint(['student_id'], ['user.id'], name=op.f('fk_mark_dispute_student_id_user')),
                    sa.ForeignKeyConstraint(['class_id'], ['class_group.id'],
                                            name=op.f('fk_mark_dispute_class_id_class_group')),
                    sa.ForeignKeyConstraint(['resolved_by'], ['user.id'], name=op.f('fk_mark_dispute_resolved_by_user')),
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_mark_dispute')))
    with op.batch_alter_table('mark_dispute', schema=None) as batch_op:
        batch_op.create_index('uq_mark_dispute_open', ['session_id', 'student_id'], unique=True,
                              sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))
        batch_op.create_index(batch_op.f('ix_mark_dispute_session_id'), ['session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mark_dispute_student_id'), ['student_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mark_dispute_class_id'), ['class_id'], unique=False)
    # Empty until the class's next rollup job (or the hourly full pass) stores them; a card read
    # computes the weeks of a row without them (valuecard/card.py `_trend_of`).
    with op.batch_alter_table('stored_card', schema=None) as batch_op:
        batch_op.add_column(sa.Column('trends', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('stored_card', schema=None) as batch_op:
        batch_op.drop_column('trends')
    with op.batch_alter_table('mark_dispute', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mark_dispute_class_id'))
        batch_op.drop_index(batch_op.f('ix_mark_dispute_student_id'))
        batch_op.drop_index(batch_op.f('ix_mark_dispute_session_id'))
        batch_op.drop_index('uq_mark_dispute_open')
    op.drop_table('mark_dispute')

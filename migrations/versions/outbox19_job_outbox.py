"""job outbox: the jobs a committed change needs, written in its transaction

Revision ID: outbox19
Revises: chk17index
Create Date: 2026-12-02 15:40:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'outbox19'
down_revision = 'chk17index'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('outbox_job',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('job', sa.String(length=64), nullable=False),
                    sa.Column('args', sa.String(length=255), nullable=False),
                    sa.Column('request_id', sa.String(length=64), nullable=True),
                    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
                    sa.Column('relayed_at', sa.DateTime(timezone=True), nullable=True),
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_job')))
    with op.batch_alter_table('outbox_job', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_job_pending', ['job', 'args'], unique=True,
                              sqlite_where=sa.text('relayed_at IS NULL'),
                              postgresql_where=sa.text('relayed_at IS NULL'))
        batch_op.create_index(batch_op.f('ix_outbox_job_relayed_at'), ['relayed_at'], unique=False)


def downgrade():
    with op.batch_alter_table('outbox_job', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_job_relayed_at'))
        batch_op.drop_index('ix_outbox_job_pending')
    op.drop_table('outbox_job')

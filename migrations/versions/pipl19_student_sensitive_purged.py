"""a student's sensitive records purged after the retention (issue 19, privacy/purge.py)

Revision ID: pipl19
Revises: chk17index
Create Date: 2026-12-02 16:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'pipl19'
down_revision = 'outbox19'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('student_profile', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sensitive_purged_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('student_profile', schema=None) as batch_op:
        batch_op.drop_column('sensitive_purged_at')

"""class session start-time indexes: a check-in reads only its class's sessions of the last hours

Revision ID: chk17index
Revises: tt16timetable
Create Date: 2026-12-02 13:00:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'chk17index'
down_revision = 'card17store'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('class_session', schema=None) as batch_op:
        batch_op.create_index('ix_class_session_class_starts', ['class_id', 'starts_at'], unique=False)
        batch_op.create_index('ix_class_session_starts', ['starts_at'], unique=False)


def downgrade():
    with op.batch_alter_table('class_session', schema=None) as batch_op:
        batch_op.drop_index('ix_class_session_starts')
        batch_op.drop_index('ix_class_session_class_starts')

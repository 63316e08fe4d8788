"""Campus sign-in (CAS): a per-user password-login flag how each login session began, and its CAS ticket for single logout

Revision ID: cas16login
Revises: cadre16grades
Create Date: 2026-12-02 09:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'cas16login'
down_revision = 'cadre16grades'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('password_login', sa.Boolean(), nullable=True))
    with op.batch_alter_table('auth_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('method', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('cas_ticket', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_auth_session_cas_ticket'), ['cas_ticket'], unique=False)


def downgrade():
    with op.batch_alter_table('auth_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_auth_session_cas_ticket'))
        batch_op.drop_column('cas_ticket')
        batch_op.drop_column('method')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('password_login')

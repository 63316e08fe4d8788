"""WeCom and DingTalk channels: app settings, users' ids there, one delivery per notification and channel

Revision ID: channel15
Revises: incident15
Create Date: 2026-12-02 05:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'channel15'
down_revision = 'incident15'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('channel_config',
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('app_id', sa.String(length=128), nullable=True),
    sa.Column('agent_id', sa.String(length=32), nullable=True),
    sa.Column('secret', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by'], ['user.id'], name=op.f('fk_channel_config_updated_by_user')),
    sa.PrimaryKeyConstraint('channel', name=op.f('pk_channel_config'))
    )
    op.create_table('channel_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('external_id', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_channel_account_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channel_account')),
    sa.UniqueConstraint('channel', 'external_id', name=op.f('uq_channel_account_channel_external_id')),
    sa.UniqueConstraint('user_id', 'channel', name=op.f('uq_channel_account_user_id_channel'))
    )
    op.create_table('channel_delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notification_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claim', sa.String(length=36), nullable=True),
    sa.Column('last_status', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['notification_id'], ['notification.id'], name=op.f('fk_channel_delivery_notification_id_notification')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channel_delivery')),
    sa.UniqueConstraint('notification_id', 'channel', name=op.f('uq_channel_delivery_notification_id_channel'))
    )
    with op.batch_alter_table('channel_delivery', schema=None) as batch_op:
        batch_op.create_index('ix_channel_delivery_state_due', ['state', 'due_at'], unique=False)


def downgrade():
    with op.batch_alter_table('channel_delivery', schema=None) as batch_op:
        batch_op.drop_index('ix_channel_delivery_state_due')
    op.drop_table('channel_delivery')
    op.drop_table('channel_account')
    op.drop_table('channel_config')

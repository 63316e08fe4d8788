"""the user's language: chosen, or follow the device

`user.locale` was never null (zh-CN by default), so no one could say "follow my phone". The
new `user.language` is null until the user chooses; answers then come in the device's
Accept-Language (platform/language.py). A locale someone had set to English is kept; the
zh-CN everyone got by default becomes "not chosen", which answers in zh-CN as before.

Revision ID: lang01userlanguage
Revises: 18a1usernames
Create Date: 2026-12-02 02:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'lang01userlanguage'
down_revision = '18a1usernames'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('user', sa.Column('language', sa.String(length=8), nullable=True))
    op.execute(sa.text("""UPDATE "user" SET language = locale WHERE locale = 'en'"""))
    op.drop_column('user', 'locale')


def downgrade():
    # The default stays on the column: SQLite cannot drop it without rebuilding "user".
    op.add_column('user', sa.Column('locale', sa.String(length=8), nullable=False, server_default='zh-CN'))
    op.execute(sa.text("""UPDATE "user" SET locale = language WHERE language IS NOT NULL"""))
    op.drop_column('user', 'language')

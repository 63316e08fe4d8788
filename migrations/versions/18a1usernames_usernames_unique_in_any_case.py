"""usernames unique in any case

Login matches a username case-insensitively, so `t10042` beside `T10042` made an account that
could never log in. A unique index on lower(username) now refuses that on SQLite and PostgreSQL.

Existing data: nothing is merged silently. If two accounts' usernames differ only in case, the
migration stops and names them; an administrator decides which account stays (or renames one)
and runs the upgrade again.

Revision ID: 18a1usernames
Revises: c6147b6cb43c
Create Date: 2026-12-01 09:00:00.000000

"""
from collections import defaultdict

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '18a1usernames'
down_revision = 'c6147b6cb43c'
branch_labels = None
depends_on = None


def clashes(bind) -> list[list[tuple[int, str]]]:
    """Groups of (id, username) whose usernames are equal ignoring case."""
    groups = defaultdict(list)
    for user_id, username in bind.execute(sa.text('SELECT id, username FROM "user" ORDER BY id')):
        groups[username.lower()].append((user_id, username))
    return [g for g in groups.values() if len(g) > 1]


def upgrade():
    found = clashes(op.get_bind())
    if found:
        named = "; ".join(", ".join(f"{name} (id {uid})" for uid, name in group) for group in found)
        raise RuntimeError(
            f"用户名仅大小写不同，无法设为唯一：{named}。请先停用或改名其中一个账号，再运行升级。 / "
            f"These usernames differ only in case, so they cannot be made unique: {named}. "
            "Rename or remove one account of each group, then run the upgrade again; nothing was changed.")
    op.create_index('uq_user_username_lower', 'user', [sa.text('lower(username)')], unique=True)


def downgrade():
    op.drop_index('uq_user_username_lower', table_name='user')

"""per-occasion points: score_entry.occasion (and its title) joins the live slot; a rule's unit

A value's slot becomes (term, point, period, subject, occasion). Per-period points keep an
empty occasion, so their slots, generations and live values are unchanged: no data moves.
The two live indexes are recreated with the occasion in them. scoring_rule.unit names what a
value counts for a college's own points (null for the seed's, whose value type says it).

Revision ID: occ16ledger
Revises: org16time
Create Date: 2026-12-02 09:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'occ16ledger'
down_revision = 'org16time'
branch_labels = None
depends_on = None

SLOTS = {"uq_score_entry_live_student": ("student_id", "student_id IS NOT NULL"),
         "uq_score_entry_live_class": ("class_id", "student_id IS NULL")}


def _indexes(with_occasion: bool):
    for name, (subject, rows) in SLOTS.items():
        op.drop_index(name, table_name='score_entry')
        columns = ['term_id', 'point_id', 'period', subject] + (['occasion'] if with_occasion else []) + ['generation']
        op.create_index(name, 'score_entry', columns, unique=True,
                        sqlite_where=sa.text(f"reverses_id IS NULL AND {rows}"),
                        postgresql_where=sa.text(f"reverses_id IS NULL AND {rows}"))


def upgrade():
    # Plain ADD COLUMNs (no batch rebuild on SQLite): the append-only triggers stay in place.
    op.add_column('score_entry', sa.Column('occasion', sa.String(length=40), server_default='', nullable=False))
    op.add_column('score_entry', sa.Column('occasion_title', sa.String(length=80), nullable=True))
    _indexes(with_occasion=True)
    with op.batch_alter_table('scoring_rule') as batch:
        batch.add_column(sa.Column('unit', sa.String(length=16), nullable=True))


def downgrade():
    with op.batch_alter_table('scoring_rule') as batch:
        batch.drop_column('unit')
    # Refused by the old indexes if a slot now holds values of several occasions: reverse them first.
    _indexes(with_occasion=False)
    op.execute("ALTER TABLE score_entry DROP COLUMN occasion_title")
    op.execute("ALTER TABLE score_entry DROP COLUMN occasion")

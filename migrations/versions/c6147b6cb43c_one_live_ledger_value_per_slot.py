"""one live ledger value per subject, point and period, enforced by the database

Adds score_entry.generation and the two unique partial indexes over live entries
(see models/ledger.py ScoreEntry for why a generation and not a claims table).

Existing data: where a slot (term, point, period, student, or class for class
points) holds more than one live value, the earliest stays and every later one is
reversed, as a teacher would correct it: a new reversal entry with a reason, and an
audit event, recorded by the duplicate's own recorder. Nothing is updated or deleted
except the new column on the originals that follow a reversal in their slot (the
append-only trigger is lifted for that one statement and restored). The totals of
the affected terms change: the migration names them; rebuild their rollups with
`flask rollups rebuild --term-id N`.

Revision ID: c6147b6cb43c
Revises: 90784e75b0b0
Create Date: 2026-11-23 14:05:00.000000

"""
import logging
import uuid
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c6147b6cb43c'
down_revision = '90784e75b0b0'
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

# (subject column, which rows) per kind of point: a student's slot ignores the class
# (students move classes), a class point's slot is the class.
SLOTS = {"student": ("student_id", "student_id IS NOT NULL"), "class": ("class_id", "student_id IS NULL")}
NOT_REVERSED = "NOT EXISTS (SELECT 1 FROM score_entry r WHERE r.reverses_id = e.id)"
REASON = ("重复录入：与记录 #{kept} 为同一对象、采分点与期间，数据库迁移时冲销 / "
          "Duplicate of entry #{kept} (same subject, point and period); reversed when the database "
          "began to enforce one value per slot")

entries = sa.table("score_entry", sa.column("term_id"), sa.column("point_id"), sa.column("student_id"),
                   sa.column("class_id"), sa.column("period"), sa.column("week"), sa.column("value"),
                   sa.column("reverses_id"), sa.column("reason"), sa.column("batch_id"),
                   sa.column("recorded_by"), sa.column("recorded_at", sa.DateTime(timezone=True)),
                   sa.column("generation"))
audit = sa.table("audit_event", sa.column("at", sa.DateTime(timezone=True)), sa.column("actor_id"),
                 sa.column("action"), sa.column("object_type"), sa.column("object_id"), sa.column("detail"))


def _reverse_duplicates(bind) -> set[int]:
    """Reverse every live value that has an earlier live value in its slot; the terms touched."""
    now, batch_id = datetime.now(timezone.utc), str(uuid.uuid4())
    terms = set()
    for subject, rows in SLOTS.values():
        duplicates = bind.execute(sa.text(f"""
            SELECT id, kept, term_id, point_id, student_id, class_id, period, week, recorded_by FROM (
                SELECT e.*, row_number() OVER (PARTITION BY term_id, point_id, period, {subject} ORDER BY id) AS n,
                       min(id) OVER (PARTITION BY term_id, point_id, period, {subject}) AS kept
                FROM score_entry e WHERE e.reverses_id IS NULL AND e.{rows} AND {NOT_REVERSED}) live
            WHERE n > 1 ORDER BY id""")).mappings().all()
        if not duplicates:
            continue
        op.bulk_insert(entries, [
            {"term_id": d["term_id"], "point_id": d["point_id"], "student_id": d["student_id"],
             "class_id": d["class_id"], "period": d["period"], "week": d["week"], "value": None,
             "reverses_id": d["id"], "reason": REASON.format(kept=d["kept"]), "batch_id": batch_id,
             "recorded_by": d["recorded_by"], "recorded_at": now, "generation": 0} for d in duplicates])
        op.bulk_insert(audit, [
            {"at": now, "actor_id": None, "action": "ledger.reverse", "object_type": "score_entry",
             "object_id": str(d["id"]), "detail": REASON.format(kept=d["kept"])} for d in duplicates])
        terms |= {d["term_id"] for d in duplicates}
        log.warning("reversed %d duplicate %s ledger values (kept the earliest of each slot)",
                    len(duplicates), subject.removesuffix("_id"))
    return terms


def _number_generations(bind) -> None:
    """Originals of a slot get generations 0, 1, 2, ... in the order they were written."""
    later = []
    for subject, rows in SLOTS.values():
        later += bind.execute(sa.text(f"""
            SELECT id, n - 1 AS gen FROM (
                SELECT id, row_number() OVER (PARTITION BY term_id, point_id, period, {subject} ORDER BY id) AS n
                FROM score_entry WHERE reverses_id IS NULL AND {rows}) slot
            WHERE n > 1""")).mappings().all()
    if not later:
        return
    update = sa.text("UPDATE score_entry SET generation = :gen WHERE id = :id")
    if bind.dialect.name == "sqlite":
        op.execute("DROP TRIGGER score_entry_no_update")
        bind.execute(update, [dict(r) for r in later])
        op.execute("""
                CREATE TRIGGER score_entry_no_update BEFORE UPDATE ON score_entry
                BEGIN SELECT RAISE(ABORT, 'score_entry is append-only: add a reversal instead'); END""")
    else:
        op.execute("ALTER TABLE score_entry DISABLE TRIGGER score_entry_append_only")
        bind.execute(update, [dict(r) for r in later])
        op.execute("ALTER TABLE score_entry ENABLE TRIGGER score_entry_append_only")


def upgrade():
    bind = op.get_bind()
    # A plain ADD COLUMN (no batch rebuild on SQLite): the append-only triggers stay in place.
    op.add_column('score_entry', sa.Column('generation', sa.SmallInteger(), server_default='0', nullable=False))
    terms = _reverse_duplicates(bind)
    _number_generations(bind)
    for name, (subject, rows) in zip(("uq_score_entry_live_student", "uq_score_entry_live_class"),
                                     SLOTS.values(), strict=True):
        op.create_index(name, 'score_entry', ['term_id', 'point_id', 'period', subject, 'generation'], unique=True,
                        sqlite_where=sa.text(f"reverses_id IS NULL AND {rows}"),
                        postgresql_where=sa.text(f"reverses_id IS NULL AND {rows}"))
    if terms:
        log.warning("ledger totals changed in terms %s: run `flask rollups rebuild --term-id N` for each",
                    sorted(terms))


def downgrade():
    # The reversals of duplicates stay: they are ledger entries like any other.
    op.drop_index('uq_score_entry_live_class', table_name='score_entry')
    op.drop_index('uq_score_entry_live_student', table_name='score_entry')
    # A native DROP COLUMN (SQLite 3.35+): a batch rebuild would drop the append-only triggers.
    op.execute("ALTER TABLE score_entry DROP COLUMN generation")

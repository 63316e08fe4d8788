"""The value-card ledger: append-only score entries (docs/DESIGN.md decision 1)."""
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base
from backend.platform import clock

# SQLite only autoincrements INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit key.
LedgerId = BigInteger().with_variant(Integer, "sqlite")


# A value's slot is its (term, point, period, subject, occasion): a student for individual points,
# the class for class points; the occasion is empty for points scored once a period. These two indexes keep one live value per slot (see `generation`).
LIVE_INDEXES = ("uq_score_entry_live_student", "uq_score_entry_live_class")
_ORIGINAL = "reverses_id IS NULL"


class ScoreEntry(Base):
    """One value for one scoring point, subject, period and occasion. Never updated or deleted:
    the database refuses both (see the migration's triggers). A correction is a new
    entry with `reverses_id` set and a reason; totals are re-derived from the ledger.

    One live value per slot, enforced by the database (docs/DESIGN.md, known traps: a
    read-then-insert check races). "Live" means "not reversed", which a later row
    decides, and a partial index can only test the row itself. So each original entry
    carries `generation`, set once at insert: how many of its slot's entries had been
    reversed by then (ledger.record_batch counts the slot's reversals in the same
    statement as its check). The originals of a slot thus hold generations 0, 1, 2, ...;
    while one of them is live, fewer entries are reversed than written and the next
    generation is already taken, so a second live value collides on the unique partial
    indexes below; once it is reversed, the next generation is free. A writer that
    does not know the rule gets the default 0 and fails closed after a reversal
    instead of slipping a duplicate in.

    Chosen over a table of live claims that reversals delete: it needs no trigger
    and no second table kept in step, no row is ever changed, and a unique partial
    index over plain columns means the same on SQLite (3.8+) and PostgreSQL; two
    writers racing for a slot on PostgreSQL wait on the index and the second fails."""

    __tablename__ = "score_entry"
    __table_args__ = (
        Index("ix_score_entry_term_class_point", "term_id", "class_id", "point_id"),
        Index("ix_score_entry_student_term", "student_id", "term_id"),
        Index(LIVE_INDEXES[0], "term_id", "point_id", "period", "student_id", "occasion", "generation", unique=True,
              sqlite_where=text(f"{_ORIGINAL} AND student_id IS NOT NULL"),
              postgresql_where=text(f"{_ORIGINAL} AND student_id IS NOT NULL")),
        Index(LIVE_INDEXES[1], "term_id", "point_id", "period", "class_id", "occasion", "generation", unique=True,
              sqlite_where=text(f"{_ORIGINAL} AND student_id IS NULL"),
              postgresql_where=text(f"{_ORIGINAL} AND student_id IS NULL")),
    )
    id: Mapped[int] = mapped_column(LedgerId, primary_key=True)
    term_id: Mapped[int] = mapped_column(ForeignKey("term.id"))
    point_id: Mapped[int] = mapped_column(ForeignKey("scoring_point.id"))
    # Individual points name the student; class points leave it empty. class_id is the
    # student's class when the entry was made, so rollups never need a join.
    student_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    class_id: Mapped[int] = mapped_column(ForeignKey("class_group.id"))
    period: Mapped[str] = mapped_column(String(24))  # "week:7", "month:2026-10", "term"
    # The teaching week the value belongs to (services/card.entry_week), kept so that
    # weekly trends are one GROUP BY.
    week: Mapped[int] = mapped_column(SmallInteger)
    # Which occasion of the period the value is for (valuecard/occasions.py): "session:<id>" for a
    # course meeting, "meeting:<YYYY-MM-DD>" for a class meeting, "" for a point scored once a period.
    occasion: Mapped[str] = mapped_column(String(40), default="", server_default="")
    occasion_title: Mapped[str | None] = mapped_column(String(80))  # a class meeting's theme
    value: Mapped[float | None] = mapped_column(Float)  # None on a reversal
    reverses_id: Mapped[int | None] = mapped_column(LedgerId, ForeignKey("score_entry.id"), unique=True)
    reason: Mapped[str | None] = mapped_column(Text)
    # The slot's count of reversals when this original was written (0 on reversals,
    # which the live indexes leave out).
    generation: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    batch_id: Mapped[str] = mapped_column(String(36), index=True)
    recorded_by: Mapped[int] = mapped_column(ForeignKey("user.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=clock.now)


class Dispute(Base):
    """A student's objection to an entry about them. The scorer resolves it by reversing
    the entry (optionally entering the right value) or by rejecting it with a reason."""

    __tablename__ = "dispute"
    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(LedgerId, ForeignKey("score_entry.id"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("class_group.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="open")  # open | reversed | rejected
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    resolved_at: Mapped[datetime | None]
    resolution: Mapped[str | None] = mapped_column(Text)

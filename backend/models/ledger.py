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
)
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base
from backend.platform import clock

# SQLite only autoincrements INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit key.
LedgerId = BigInteger().with_variant(Integer, "sqlite")


class ScoreEntry(Base):
    """One value for one scoring point, subject and period. Never updated or deleted:
    the database refuses both (see the migration's triggers). A correction is a new
    entry with `reverses_id` set and a reason; totals are re-derived from the ledger."""

    __tablename__ = "score_entry"
    __table_args__ = (
        Index("ix_score_entry_term_class_point", "term_id", "class_id", "point_id"),
        Index("ix_score_entry_student_term", "student_id", "term_id"),
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
    value: Mapped[float | None] = mapped_column(Float)  # None on a reversal
    reverses_id: Mapped[int | None] = mapped_column(LedgerId, ForeignKey("score_entry.id"), unique=True)
    reason: Mapped[str | None] = mapped_column(Text)
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

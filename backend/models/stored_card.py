"""Stored cards: each student's card inputs as the class rollup job last computed them, so a card
read is a lookup plus what is newer (valuecard/card.py `student_card`)."""
from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base
from backend.platform import clock

LedgerId = BigInteger().with_variant(Integer, "sqlite")


class StoredCard(Base):
    """`weekly`: point id → [[teaching week, values, sum], ...] of the ledger and the attendance
    marks (grade-fed points are read live: a handful of rows); `previous`: last term's total
    with and without sensitive points; `trends`: the weekly trend of the subtotals and total. Never edited by hand: reporting/rollups.py writes it
    from the ledger in the same transaction as the class's rollups and `rollups check` compares it."""

    __tablename__ = "stored_card"
    term_id: Mapped[int] = mapped_column(ForeignKey("term.id"), primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True)
    # Ledger entries with a higher id, and marks set at or after `marks_as_of`, are newer than `weekly`.
    ledger_id: Mapped[int] = mapped_column(LedgerId)
    marks_as_of: Mapped[datetime]
    weekly: Mapped[dict] = mapped_column(JSON)
    previous: Mapped[list] = mapped_column(JSON)
    # The weekly trend of the subtotals and total (valuecard/card.py `stored_trends`), so a card read
    # does not recompute it; None on rows stored before migration trend20 until their class's job runs.
    trends: Mapped[dict | None] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)

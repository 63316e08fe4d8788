"""The organisation over time: which class a student belonged to when, and term rollovers."""
from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base
from backend.platform import clock


class ClassMembership(Base):
    """A student in a class from `starts_on` to `ends_on` (both inclusive; None: open-ended).

    `StudentProfile.class_id` is the class now; these rows say which class each teaching week of a
    term counts for. At most one open row per student: a partial unique index, so two racing moves
    cannot both leave the student in two classes."""

    __tablename__ = "class_membership"
    __table_args__ = (
        Index("uq_class_membership_open", "student_id", unique=True,
              sqlite_where=text("ends_on IS NULL"), postgresql_where=text("ends_on IS NULL")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("class_group.id"), index=True)
    # None: since before any term (rows filled by the migration from the class of the day).
    starts_on: Mapped[date | None]
    ends_on: Mapped[date | None]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class TermRollover(Base):
    """One rollover from a term to the next: unique per source term, so a second apply is refused
    by the database, not by a read-then-write check."""

    __tablename__ = "term_rollover"
    id: Mapped[int] = mapped_column(primary_key=True)
    from_term_id: Mapped[int] = mapped_column(ForeignKey("term.id"), unique=True)
    to_term_id: Mapped[int] = mapped_column(ForeignKey("term.id"))
    applied_by: Mapped[int] = mapped_column(ForeignKey("user.id"))
    applied_at: Mapped[datetime] = mapped_column(default=clock.now)
    summary: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="applied")

"""Mass-event incidents (issue 15): one write that put a large share of a class past a line at once."""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base
from backend.platform import clock


class Incident(Base):
    """A closed session, a correction of marks or a ledger batch that moved a large share of a
    class past a line at once. While it is open, the student warnings that would come from it wait
    (alerts/incidents.py, `held`); the scorer or the head teacher confirms the records or corrects
    them, or the deadline passes.

    One per source and class, enforced by the database: a session (`source_kind` "session",
    `source_id` its id) or a ledger batch ("batch", its batch id) is one incident however often
    it is closed, corrected or replayed."""

    __tablename__ = "incident"
    __table_args__ = (UniqueConstraint("source_kind", "source_id", "class_id"),
                      Index("ix_incident_class_status", "class_id", "status"))
    id: Mapped[int] = mapped_column(primary_key=True)
    term_id: Mapped[int] = mapped_column(ForeignKey("term.id"))
    class_id: Mapped[int] = mapped_column(ForeignKey("class_group.id"))
    source_kind: Mapped[str] = mapped_column(String(8))  # session | batch
    source_id: Mapped[str] = mapped_column(String(36))  # the session's id, or the ledger batch id
    trigger: Mapped[str] = mapped_column(String(8))  # close | marks | batch: the write that raised it
    course_id: Mapped[int | None] = mapped_column(ForeignKey("course.id"))
    points: Mapped[list] = mapped_column(JSON)  # the point codes whose values wait
    student_ids: Mapped[list] = mapped_column(JSON)  # the students past the line through it
    class_size: Mapped[int]
    recorded_by: Mapped[int] = mapped_column(ForeignKey("user.id"))  # the scorer who wrote it
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    deadline: Mapped[datetime]
    # open → confirmed (the records are right) | corrected | expired (nobody decided by the deadline)
    status: Mapped[str] = mapped_column(String(10), default="open")
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(Text)
    notified_at: Mapped[datetime | None]  # when the class-level notice went out

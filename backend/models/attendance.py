"""Class sessions, attendance marks and leave requests: the observations behind
academic points #2–#4 (docs/DESIGN.md decision 3: observations → indicators → points)."""
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base
from backend.platform import clock

MARKS = ("present", "late", "absent", "leave")


class ClassSession(Base):
    """One lesson of a course for a class. Students check in with a code derived from
    `secret` and the clock, so the code rotates without any write."""

    __tablename__ = "class_session"
    # A session opened from a timetabled meeting is one per slot, class and day, so a double tap
    # opens one; ad-hoc sessions have no slot (NULLs never collide).
    # A check-in reads its class's sessions of the last hours (class_id, starts_at); a wrong code
    # also the other classes' of those hours (starts_at), not every session of the term.
    __table_args__ = (Index("ix_class_session_class_day", "class_id", "day"),
                      Index("ix_class_session_class_starts", "class_id", "starts_at"),
                      Index("ix_class_session_starts", "starts_at"),
                      UniqueConstraint("slot_id", "class_id", "day"))
    id: Mapped[int] = mapped_column(primary_key=True)
    term_id: Mapped[int] = mapped_column(ForeignKey("term.id"), index=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("class_group.id"))
    course_id: Mapped[int | None] = mapped_column(ForeignKey("course.id"))
    slot_id: Mapped[int | None] = mapped_column(ForeignKey("timetable_slot.id"))
    teacher_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    starts_at: Mapped[datetime]
    grace_minutes: Mapped[int]
    # The school-local day, teaching week and month, fixed at opening so indicators group without date maths.
    day: Mapped[date]
    week: Mapped[int]
    month: Mapped[str] = mapped_column(String(7))  # "2026-11"
    secret: Mapped[str] = mapped_column(String(64))
    closed_at: Mapped[datetime | None]


class AttendanceMark(Base):
    """A student's mark for a session. Teachers may correct it (audited); `source` says how it was set."""

    __tablename__ = "attendance_mark"
    session_id: Mapped[int] = mapped_column(ForeignKey("class_session.id"), primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True, index=True)
    status: Mapped[str] = mapped_column(String(8))  # one of MARKS
    source: Mapped[str] = mapped_column(String(8))  # checkin | teacher | close | leave
    marked_by: Mapped[int] = mapped_column(ForeignKey("user.id"))
    marked_at: Mapped[datetime] = mapped_column(default=clock.now)


class LeaveRequest(Base):
    """A student's request for leave over a window; approval turns absences in it into leave."""

    __tablename__ = "leave_request"
    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("class_group.id"), index=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending | approved | rejected
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[datetime | None]
    comment: Mapped[str | None] = mapped_column(Text)


class MarkDispute(Base):
    """A student's objection to their attendance mark of a session, as `Dispute` is to a ledger
    entry. Whoever runs the session (its teacher, the class's head teacher) upholds it by
    correcting the mark through the ordinary correction (valuecard/attendance.py `set_marks`,
    audited, the card follows) or rejects it with a reason. `corrected_to` is the status the mark
    was set to on upholding; `was` the status disputed."""

    __tablename__ = "mark_dispute"
    # One open dispute per mark, enforced by the database (a read-then-insert check races).
    __table_args__ = (Index("uq_mark_dispute_open", "session_id", "student_id", unique=True,
                            sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),)
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("class_session.id"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("class_group.id"), index=True)
    was: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="open")  # open | upheld | rejected
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    resolved_at: Mapped[datetime | None]
    resolution: Mapped[str | None] = mapped_column(Text)
    corrected_to: Mapped[str | None] = mapped_column(String(8))

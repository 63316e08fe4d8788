"""Teachers in the monitor → warn step (issue 20): how long a teacher indicator has stood past its
stage standard's warning value, and the warnings that go to the department admin.

A separate table from StudentWarning, with the same life-cycle columns: a student warning's rule,
class and chain (head teacher → counsellor → department) have no meaning for a teacher, and
generalising that table would touch every student-warning query.
"""
from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.models.base import Base
from backend.platform import clock


class TeacherIndicatorWatch(Base):
    """Since when a teacher's indicator has been past the standard's warning value this academic
    year (None while it is not). Kept in the database, set by one UPDATE … WHERE past_since IS NULL,
    so "past for N days" holds across job runs and two racing runs agree on the first moment."""

    __tablename__ = "teacher_indicator_watch"
    __table_args__ = (UniqueConstraint("teacher_id", "indicator_code", "year"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    teacher_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    indicator_code: Mapped[str] = mapped_column(String(16))
    year: Mapped[int]  # the academic year starting in this calendar year
    past_since: Mapped[datetime | None]
    value: Mapped[float | None]  # the figure at the last check
    checked_at: Mapped[datetime | None]


class TeacherWarning(Base):
    """One episode of a teacher warning: per teacher, indicator, academic year and episode.
    raised → notified → acknowledged → in_progress → resolved; withdrawn when the figure is back
    within the line before anyone took it up (or was corrected). A relapse opens the next episode,
    linked to the one before; the unique key keeps two racing evaluations from opening it twice."""

    __tablename__ = "teacher_warning"
    __table_args__ = (UniqueConstraint("teacher_id", "indicator_code", "year", "episode"),
                      Index("ix_teacher_warning_department_status", "department_id", "status"))
    id: Mapped[int] = mapped_column(primary_key=True)
    teacher_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    indicator_code: Mapped[str] = mapped_column(String(16))
    year: Mapped[int]
    stage: Mapped[str] = mapped_column(String(16))
    level: Mapped[str] = mapped_column(String(8))  # yellow | orange | red, as student warnings
    status: Mapped[str] = mapped_column(String(16), default="raised")
    evidence: Mapped[dict] = mapped_column(JSON)
    past_since: Mapped[datetime]
    raised_at: Mapped[datetime] = mapped_column(default=clock.now)
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    follow_up_on: Mapped[date | None]
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    withdrawn_at: Mapped[datetime | None]
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)
    cleared_at: Mapped[datetime | None]
    episode: Mapped[int] = mapped_column(default=1, server_default="1")
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("teacher_warning.id"))
    events: Mapped[list["TeacherWarningEvent"]] = relationship(order_by="TeacherWarningEvent.id", lazy="selectin")


class TeacherWarningEvent(Base):
    """The timeline: raised, notified, acknowledgement, notes, actions, cleared, withdrawn, resolved."""

    __tablename__ = "teacher_warning_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    warning_id: Mapped[int] = mapped_column(ForeignKey("teacher_warning.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=clock.now)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str | None] = mapped_column(Text)
    follow_up_on: Mapped[date | None]

"""Course offerings, the weekly timetable and the term's holiday calendar (issue 16).

An offering is one course taught by one teacher to one or more classes (merged classes, 合班) in a
term; its slots are the weekly meetings. TeachingAssignment rows are kept in step with offerings
(org/timetable.py) because the roll and older code read them.
"""
from datetime import date, datetime

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base
from backend.platform import clock


class CourseOffering(Base):
    """A course taught by a teacher to a set of classes that meet together. The same teacher and
    course for two classes taught apart is two offerings; one set of classes is one offering
    (org/timetable.py refuses a second, the import matches on it)."""

    __tablename__ = "course_offering"
    id: Mapped[int] = mapped_column(primary_key=True)
    term_id: Mapped[int] = mapped_column(ForeignKey("term.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"))
    teacher_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)


class OfferingClass(Base):
    """A class an offering is taught to; several rows when classes are merged."""

    __tablename__ = "offering_class"
    offering_id: Mapped[int] = mapped_column(ForeignKey("course_offering.id", ondelete="CASCADE"), primary_key=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("class_group.id"), primary_key=True, index=True)


class TimetableSlot(Base):
    """A weekly meeting: weekday (1 = Monday), periods first..last (第1–12节), room and the teaching
    weeks it runs in. `weeks` keeps the text as entered ("1-8,10-16(单)"); `week_mask` has bit n set
    for week n, so two slots share a week when their masks AND to non-zero."""

    __tablename__ = "timetable_slot"
    id: Mapped[int] = mapped_column(primary_key=True)
    offering_id: Mapped[int] = mapped_column(ForeignKey("course_offering.id", ondelete="CASCADE"), index=True)
    term_id: Mapped[int] = mapped_column(ForeignKey("term.id"), index=True)
    weekday: Mapped[int]
    first_period: Mapped[int]
    last_period: Mapped[int]
    room: Mapped[str | None] = mapped_column(String(60))
    weeks: Mapped[str] = mapped_column(String(60))
    week_mask: Mapped[int] = mapped_column(BigInteger)


class TermDay(Base):
    """A day of the holiday calendar: a holiday (no teaching) or a make-up working day (调休) that
    runs the timetable of `runs_weekday`."""

    __tablename__ = "term_day"
    __table_args__ = (UniqueConstraint("term_id", "day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    term_id: Mapped[int] = mapped_column(ForeignKey("term.id"), index=True)
    day: Mapped[date]
    kind: Mapped[str] = mapped_column(String(8))  # holiday | workday
    name: Mapped[str] = mapped_column(String(60))
    runs_weekday: Mapped[int | None]
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)

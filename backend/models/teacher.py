"""A teacher's stage standards (seed 003: novice → competent → mature → expert), per academic year
like the catalogue per term (docs/DESIGN.md decision 4): last year's standards do not change when
this year's are edited. Each names a teacher indicator (development/teacher_indicators.py)."""
from datetime import datetime

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base
from backend.models.ledger import ScoreEntry
from backend.models.warning import StudentWarning
from backend.platform import clock


class TeacherStandard(Base):
    """What a teacher at a stage is expected to reach on one indicator in one academic year: the
    target, the standard and the warning value (目标值/标准值/预警值, seed 003). The order of the
    three for the indicator's direction is checked by the service (it knows the direction)."""

    __tablename__ = "teacher_standard"
    __table_args__ = (UniqueConstraint("year", "stage", "indicator_code"),
                      CheckConstraint("stage IN ('novice', 'competent', 'mature', 'expert')", name="stage"))
    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]  # the academic year starting in `year` (2026 for 2026-2027)
    stage: Mapped[str] = mapped_column(String(16))
    dimension: Mapped[str] = mapped_column(String(16))  # seed 002 table 13: ethics | teaching | research | management | career
    indicator_code: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    target: Mapped[float] = mapped_column(Float)
    standard: Mapped[float] = mapped_column(Float)
    warning: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(Text)  # the seed document the default comes from
    rationale: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)


# The teacher indicators read a teacher's own entries per term (timeliness, homework, disputes) and
# the warnings they acknowledged; neither had an index that starts with the person who wrote them.
Index("ix_score_entry_recorded_by_term", ScoreEntry.recorded_by, ScoreEntry.term_id)
Index("ix_student_warning_acknowledged_by", StudentWarning.acknowledged_by)


class CourseEvaluation(Base):
    """A student's anonymous evaluation of a course offering (学生评教, seed 000): the score only.
    Who gave it is not stored here: `CourseEvaluationGiven` records that a student has evaluated
    the offering (once each), with nothing that links the two rows (no student, no time)."""

    __tablename__ = "course_evaluation"
    __table_args__ = (CheckConstraint("score BETWEEN 1 AND 5", name="score"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    offering_id: Mapped[int] = mapped_column(ForeignKey("course_offering.id", ondelete="CASCADE"), index=True)
    score: Mapped[int]  # 1 very dissatisfied … 5 very satisfied


class CourseEvaluationGiven(Base):
    """That a student has evaluated an offering: the primary key keeps it to once."""

    __tablename__ = "course_evaluation_given"
    offering_id: Mapped[int] = mapped_column(ForeignKey("course_offering.id", ondelete="CASCADE"), primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True, index=True)

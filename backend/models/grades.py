"""Course grades imported from the academic-affairs system (教务系统), one per term, course and student."""
from datetime import datetime

from sqlalchemy import Float, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base
from backend.platform import clock


class CourseGrade(Base):
    """A student's grade in a course in a term, on the 0–100 scale (a grade word such as 良 is kept
    as `mark` beside the number it maps to). A re-import replaces the row's values in place: the
    export is the record, this is a copy of it, so no history is kept here (the audit log has each import)."""

    __tablename__ = "course_grade"
    __table_args__ = (UniqueConstraint("term_id", "course_id", "student_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    term_id: Mapped[int] = mapped_column(ForeignKey("term.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"))
    student_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    score: Mapped[float] = mapped_column(Float)
    mark: Mapped[str] = mapped_column(String(8))  # as the export wrote it: 86, 良, 不及格
    credits: Mapped[float | None] = mapped_column(Float)
    makeup_score: Mapped[float | None] = mapped_column(Float)  # 补考成绩, when the export carries one
    imported_by: Mapped[int] = mapped_column(ForeignKey("user.id"))
    imported_at: Mapped[datetime] = mapped_column(default=clock.now)

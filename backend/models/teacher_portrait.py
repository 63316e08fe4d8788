"""The department median of the teacher portrait (issue 20), stored so that a portrait read never
computes other teachers' indicators (backend/development/teacher_portrait.py)."""
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base
from backend.platform import clock


class PortraitMedian(Base):
    """Per department, teacher stage and academic year: how many of the department's teachers were
    at that stage, and the median attainment per dimension of 002 table 13 (0–100). Written only by
    the median job. Below five teachers no median is kept at all (the database refuses one): with
    fewer, a median comes close to naming a colleague's figure."""

    __tablename__ = "portrait_median"
    __table_args__ = (
        UniqueConstraint("department_id", "stage", "year"),
        CheckConstraint("stage IN ('novice', 'competent', 'mature', 'expert')", name="stage"),
        CheckConstraint("teachers >= 0", name="teachers"),
        CheckConstraint("teachers >= 5 OR medians IS NULL", name="five_or_none"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    stage: Mapped[str] = mapped_column(String(16))
    year: Mapped[int]  # the academic year starting in it (2026 for 2026-2027)
    teachers: Mapped[int]  # the department's teachers at this stage that year
    # {dimension: median} over the teachers with data in that dimension (at least five), or None
    medians: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))  # None is SQL NULL (the check)
    computed_at: Mapped[datetime] = mapped_column(default=clock.now)

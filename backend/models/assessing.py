"""The department's assessing diagnosis (评估诊断) of a teacher's yearly self-diagnosis.

Seed 002 (考核性诊断) pairs every self-diagnosis with one made from outside, by the 系（部）:
"事后诊断 ... 关键点是目标的达成度", held "次年 1 月", applied as "反馈信息，修正规划/方案 ... 形成整改清单".
Seed 003 ("通过多元诊断") asks the same of each teacher. One per self-diagnosis (unique in the
database); its agreed measures become goals of the teacher's next-year plan.
"""
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base
from backend.platform import clock

STATUSES = ("draft", "agreed")
# 目标达成度 (seeds 002, 003): the seeds name the measure, not the levels, so the levels are the
# spiral's own three values a goal is held to: target reached, standard reached, below standard.
CONCLUSIONS = ("target", "standard", "below_standard")


class AssessingDiagnosis(Base):
    __tablename__ = "assessing_diagnosis"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'agreed')", name="status"),
        CheckConstraint("conclusion IS NULL OR conclusion IN ('target', 'standard', 'below_standard')",
                        name="conclusion"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    self_diagnosis_id: Mapped[int] = mapped_column(ForeignKey("self_diagnosis.id"), unique=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"))  # the diagnosed teacher_year plan
    teacher_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    year: Mapped[int]  # the academic year diagnosed (the plan's start_year)
    assessor_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    text: Mapped[str] = mapped_column(Text, default="")
    conclusion: Mapped[str | None] = mapped_column(String(16))
    # [{part, title, point_code, direction, unit, target, standard, warning, goal_id}]; values may be
    # absent (a measure that is not a goal); goal_id once agreeing made it a goal of next year.
    measures: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    next_plan_id: Mapped[int | None] = mapped_column(ForeignKey("plan.id"))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)
    agreed_at: Mapped[datetime | None]


class TeacherShortfall(Base):
    """Per department and academic year: how many of its teachers are short of their stage's
    standard value, per indicator. Written by a job (jobs/teachers.py), read by the department
    summary, so a summary read never computes every teacher's indicators (decision 5's rollups)."""

    __tablename__ = "teacher_shortfall"
    __table_args__ = (UniqueConstraint("department_id", "year"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    year: Mapped[int]
    counts: Mapped[dict] = mapped_column(JSON, default=dict)  # {indicator code: teachers short}
    computed_at: Mapped[datetime] = mapped_column(default=clock.now)

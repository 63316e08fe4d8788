"""Development plans with goals (target, standard and warning values), progress logs, and the
self-diagnosis that closes each period (docs/DOMAIN.md §2: goal → standard → plan → ... → new goal).

One model serves students and teachers; `kind` says whose plan and over which period:

    student_cycle  a student's three-year plan       period "2026-2028", parts A, B, C
    student_term   a student's plan for a semester   period "term:<id>", parts A, B, C
    teacher_cycle  a teacher's three-year plan       period "2026-2028", parts = seed 002 table 13
    teacher_year   a teacher's annual work plan      period "2026",      parts A, B
"""
from datetime import date, datetime

from sqlalchemy import JSON, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.models.base import Base
from backend.platform import clock


class Plan(Base):
    __tablename__ = "plan"
    __table_args__ = (UniqueConstraint("owner_id", "kind", "period"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    period: Mapped[str] = mapped_column(String(16))
    term_id: Mapped[int | None] = mapped_column(ForeignKey("term.id"), index=True)  # student_term only
    start_year: Mapped[int]  # the first academic year the plan covers (2026 for 2026-2027)
    stage: Mapped[str | None] = mapped_column(String(16))  # teachers: novice | competent | mature | expert
    summary: Mapped[str] = mapped_column(Text, default="")  # what the owner aims for; reviewers read it
    private_note: Mapped[str] = mapped_column(Text, default="")  # the owner's alone; no reviewer sees it
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft | submitted | returned | approved
    submitted_at: Mapped[datetime | None]
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    reviewed_at: Mapped[datetime | None]
    review_comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    goals: Mapped[list["Goal"]] = relationship(back_populates="plan", order_by="Goal.id", cascade="all, delete-orphan")


class Goal(Base):
    """A goal with its three values. Linked to a catalogue point, its actual value is the
    student's indicator from the ledger; a free goal's actual value is the latest progress log."""

    __tablename__ = "goal"
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    part: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    point_code: Mapped[str | None] = mapped_column(String(16))
    direction: Mapped[str] = mapped_column(String(16), default="higher_better")
    unit: Mapped[str | None] = mapped_column(String(16))
    target: Mapped[float] = mapped_column(Float)
    standard: Mapped[float] = mapped_column(Float)
    warning: Mapped[float] = mapped_column(Float)
    milestones: Mapped[list] = mapped_column(JSON, default=list)  # [{title, due_on, done}]
    carried_from_id: Mapped[int | None] = mapped_column(ForeignKey("goal.id"))
    # When the student was nudged that the linked indicator crossed the warning value; cleared
    # when it is back, so the next crossing nudges again.
    nudged_at: Mapped[datetime | None]
    plan: Mapped[Plan] = relationship(back_populates="goals")
    logs: Mapped[list["GoalLog"]] = relationship(order_by="GoalLog.id", cascade="all, delete-orphan")


class GoalLog(Base):
    __tablename__ = "goal_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goal.id"), index=True)
    value: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str] = mapped_column(Text, default="")
    logged_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class SelfDiagnosis(Base):
    """The period-end self-diagnosis of a plan: each goal's actual against target and standard,
    the owner's causes and measures. Frozen when submitted; it drafts the next period's plan."""

    __tablename__ = "self_diagnosis"
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), unique=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    items: Mapped[list] = mapped_column(JSON, default=list)  # [{goal_id, cause, measure, ...frozen values}]
    summary: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft | submitted
    submitted_at: Mapped[datetime | None]
    next_plan_id: Mapped[int | None] = mapped_column(ForeignKey("plan.id"))
    comment: Mapped[str | None] = mapped_column(Text)
    commented_by: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    commented_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)

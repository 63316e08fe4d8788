"""Warnings with a life (docs/DESIGN.md decision 6), the rules that raise them, and the special-group registry."""
from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.models.base import Base
from backend.platform import clock

MIN_EVIDENCE_DEFAULT = {"sessions": 12, "days": 14, "values": 1}
MIN_EVIDENCE_SQL = '{"sessions": 12, "days": 14, "values": 1}'


class WarningRule(Base):
    """A risk rule, data a school admin edits: what raises it, at which level, who acts, how fast.

    `threshold` rules watch every catalogue point of their domain against its warning value;
    `composite` rules count signals (indicator conditions, special-group membership) inside a gate.
    """

    __tablename__ = "warning_rule"
    __mapper_args__ = {"eager_defaults": False}  # min_evidence is read when used, not RETURNed on insert
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # threshold | composite
    category: Mapped[str] = mapped_column(String(16))  # academic | personal | career | discipline | mental_health | finance | employment
    params: Mapped[dict] = mapped_column(JSON)
    levels: Mapped[dict] = mapped_column(JSON)  # {"yellow": x, "orange": y, "red": z}: how far past, or signals met
    chain: Mapped[list] = mapped_column(JSON)  # roles notified first, then escalated to, in order
    ack_hours: Mapped[int]  # unacknowledged this long → escalated to the next role in the chain
    name_zh: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(160))
    explanation_zh: Mapped[str] = mapped_column(Text)
    explanation_en: Mapped[str] = mapped_column(Text)
    advice_zh: Mapped[str] = mapped_column(Text)  # what the student can do next
    advice_en: Mapped[str] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(default=True)
    # The least evidence a value needs before it may raise anything (warning_rules.MIN_EVIDENCE):
    # attendance points {sessions, days}, ledger points {values}.
    # The database fills in the default (not Python), so code that seeds rules runs on a schema
    # from before this column too (tests/platform/test_exactly_once.py builds one).
    min_evidence: Mapped[dict] = mapped_column(JSON, server_default=MIN_EVIDENCE_SQL)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)


class StudentWarning(Base):
    """One episode of a warning: per student, rule, period (the term) and episode. Raised once; its
    level may rise. After a resolve or a withdrawal, a relapse opens the next episode, linked to
    the one before (warnings.evaluate_class); the unique key keeps two racing evaluations from
    opening the same episode twice."""

    __tablename__ = "student_warning"
    __table_args__ = (UniqueConstraint("student_id", "rule_id", "term_id", "episode"),
                      Index("ix_student_warning_class_status", "class_id", "status"))
    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    class_id: Mapped[int] = mapped_column(ForeignKey("class_group.id"))
    rule_id: Mapped[int] = mapped_column(ForeignKey("warning_rule.id"))
    term_id: Mapped[int] = mapped_column(ForeignKey("term.id"))
    category: Mapped[str] = mapped_column(String(16))
    sensitive: Mapped[bool]
    level: Mapped[str] = mapped_column(String(8))  # yellow | orange | red
    # raised → notified → acknowledged → in_progress (interventions) → resolved; escalated when the
    # chain's current role lets the deadline pass; withdrawn when the records behind it were
    # reversed or corrected and it no longer holds.
    status: Mapped[str] = mapped_column(String(16), default="raised")
    evidence: Mapped[dict] = mapped_column(JSON)
    step: Mapped[int] = mapped_column(default=0)  # index into the rule's chain: who must act now
    raised_at: Mapped[datetime] = mapped_column(default=clock.now)
    due_at: Mapped[datetime]  # acknowledge by
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    follow_up_on: Mapped[date | None]
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    withdrawn_at: Mapped[datetime | None]
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)
    # When an evaluation last found the rule no longer holding (None while it holds): a resolved
    # warning whose values had cleared and then hold again is a relapse, a new episode.
    cleared_at: Mapped[datetime | None]
    episode: Mapped[int] = mapped_column(default=1, server_default="1")  # 1-based, per student, rule and term
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("student_warning.id"))
    rule: Mapped[WarningRule] = relationship(lazy="joined")
    events: Mapped[list["WarningEvent"]] = relationship(order_by="WarningEvent.id", lazy="selectin")


class WarningEvent(Base):
    """The timeline: raised, level changes, notifications, acknowledgement, notes, actions, escalations."""

    __tablename__ = "warning_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    warning_id: Mapped[int] = mapped_column(ForeignKey("student_warning.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=clock.now)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str | None] = mapped_column(Text)
    follow_up_on: Mapped[date | None]


class SpecialGroupRecord(Base):
    """A student registered in a special group (seed 002): economic hardship, psychological,
    employment difficulty; "responsibility to a person" — each record names who follows it."""

    __tablename__ = "special_group_record"
    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    group: Mapped[str] = mapped_column(String(16))  # hardship | psychological | employment
    reason: Mapped[str] = mapped_column(Text)
    responsible_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    registered_by: Mapped[int] = mapped_column(ForeignKey("user.id"))
    registered_at: Mapped[datetime] = mapped_column(default=clock.now)
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    close_note: Mapped[str | None] = mapped_column(Text)

"""Self-assessment answers (seed/self_assessment.yaml): a student's own, or another's of them."""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base
from backend.platform import clock


class SelfAssessment(Base):
    """One assessor's answers about one student in one term. The student's own when
    assessor_id == subject_id; an others' assessment (head teacher, classmate) otherwise."""

    __tablename__ = "self_assessment"
    __table_args__ = (UniqueConstraint("subject_id", "assessor_id", "term_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    assessor_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    term_id: Mapped[int] = mapped_column(ForeignKey("term.id"), index=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("class_group.id"), index=True)  # the subject's, for class medians
    answers: Mapped[dict] = mapped_column(JSON, default=dict)  # element code → level 1..4
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft | submitted
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)
    submitted_at: Mapped[datetime | None]

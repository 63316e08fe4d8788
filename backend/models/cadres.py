"""Student cadres (班干部): a head teacher's grant to record points for the class, and the head
teacher's review of each batch a cadre recorded (the batch itself lives in the ledger)."""
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base
from backend.platform import clock


class CadreGrant(Base):
    """A student of a class may record one point for that class from `starts_on` until revoked.
    One live grant per student and point, held by the database (a partial unique index over the
    grants not revoked), so two taps on "grant" never make two."""

    __tablename__ = "cadre_grant"
    __table_args__ = (
        Index("uq_cadre_grant_live", "student_id", "point_id", unique=True,
              sqlite_where=text("revoked_at IS NULL"), postgresql_where=text("revoked_at IS NULL")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("class_group.id"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("scoring_point.id"))
    title: Mapped[str] = mapped_column(String(32))  # 学习委员, 生活委员, ...
    starts_on: Mapped[date]
    granted_by: Mapped[int] = mapped_column(ForeignKey("user.id"))
    granted_at: Mapped[datetime] = mapped_column(default=clock.now)
    revoked_by: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    revoked_at: Mapped[datetime | None]


class CadreReview(Base):
    """The head teacher's decision on one cadre batch: confirmed, or reversed with a reason.
    A cadre batch without a row here waits (valuecard/cadres.py `pending`); the batch id as the
    key lets the database keep one decision per batch."""

    __tablename__ = "cadre_review"
    batch_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("class_group.id"), index=True)
    cadre_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    decision: Mapped[str] = mapped_column(String(10))  # confirmed | reversed
    reason: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[int] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[datetime] = mapped_column(default=clock.now)

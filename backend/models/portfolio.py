"""A teacher's growth portfolio (成长电子档案袋, seed 000): evidence items with attachments."""
from datetime import date, datetime

from sqlalchemy import Float, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from backend.models.base import Base
from backend.platform import clock


class PortfolioItem(Base):
    __tablename__ = "portfolio_item"
    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))  # honour | paper | project | certificate | training | industry_practice
    title: Mapped[str] = mapped_column(String(200))
    occurred_on: Mapped[date]
    hours: Mapped[float | None] = mapped_column(Float)  # training and industry practice
    detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    attachments: Mapped[list["Attachment"]] = relationship(order_by="Attachment.id", cascade="all, delete-orphan")


class Attachment(Base):
    """Stored in the database, so every web host and a backup see the same files."""

    __tablename__ = "attachment"
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("portfolio_item.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

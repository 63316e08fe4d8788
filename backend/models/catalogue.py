"""The scoring-point catalogue, versioned per term (docs/DESIGN.md decision 4)."""
from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.models.base import Base
from backend.platform import clock


class ScoringPoint(Base):
    """The stable identity of a scoring point (采分点); its rules live per term."""

    __tablename__ = "scoring_point"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)  # e.g. S-A-02
    level: Mapped[str] = mapped_column(String(16))  # individual | class
    domain: Mapped[str] = mapped_column(String(16))  # academic | personal | career
    number: Mapped[int]
    name_zh: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(160))


class CatalogueVersion(Base):
    """The rules in force for one term. Editing them never changes another term's card."""

    __tablename__ = "catalogue_version"
    id: Mapped[int] = mapped_column(primary_key=True)
    term_id: Mapped[int] = mapped_column(ForeignKey("term.id"), unique=True)
    domain_weights: Mapped[dict] = mapped_column(JSON)  # {"academic": 0.4, ...}
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    rules: Mapped[list["ScoringRule"]] = relationship(back_populates="version", order_by="ScoringRule.point_id")


class ScoringRule(Base):
    __tablename__ = "scoring_rule"
    __table_args__ = (UniqueConstraint("version_id", "point_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("catalogue_version.id"), index=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("scoring_point.id"))
    timing: Mapped[str] = mapped_column(String(24))
    scorer_roles: Mapped[list] = mapped_column(JSON)
    value_type: Mapped[str] = mapped_column(String(16))  # rate | count | score | level | document
    unit: Mapped[str | None] = mapped_column(String(16))  # what a value counts: 次, 分, %; shown after it
    min_value: Mapped[float] = mapped_column(Float)
    max_value: Mapped[float] = mapped_column(Float)
    levels: Mapped[list | None] = mapped_column(JSON)  # [{zh, en, points}] for level points
    source: Mapped[str] = mapped_column(String(16))  # entered | attendance | aggregate
    aggregate: Mapped[dict | None] = mapped_column(JSON)
    conversion: Mapped[dict] = mapped_column(JSON)
    weight: Mapped[float] = mapped_column(Float)
    direction: Mapped[str] = mapped_column(String(16))  # higher_better | lower_better
    standard_value: Mapped[float] = mapped_column(Float)
    warning_value: Mapped[float | None] = mapped_column(Float)
    sensitive: Mapped[str | None] = mapped_column(String(16))
    rationale: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)
    point: Mapped[ScoringPoint] = relationship(lazy="joined")
    version: Mapped[CatalogueVersion] = relationship(back_populates="rules")

"""Rollups: derived statistics that reports read instead of the ledger (docs/DESIGN.md decision 5)."""
from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base
from backend.platform import clock


class Rollup(Base):
    """One metric over a unit's students in a term: a scoring point's indicators, a domain
    subtotal or the total. Never edited by hand: reporting/rollups.py rebuilds any row from
    the ledger and the attendance marks with the same result as the incremental path."""

    __tablename__ = "rollup"
    __table_args__ = (UniqueConstraint("term_id", "unit", "unit_id", "metric"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    term_id: Mapped[int] = mapped_column(ForeignKey("term.id"))
    unit: Mapped[str] = mapped_column(String(12))  # class | department | school
    unit_id: Mapped[int]
    metric: Mapped[str] = mapped_column(String(16))  # a point code, a domain, or "total"
    count: Mapped[int]
    mean: Mapped[float]
    median: Mapped[float]
    min: Mapped[float] = mapped_column(Float)
    max: Mapped[float] = mapped_column(Float)
    short_of_standard: Mapped[int | None]  # students on the worse side of the standard value
    past_warning: Mapped[int | None]  # students past the warning value
    buckets: Mapped[list] = mapped_column(JSON)  # [[lower edge, students], ...]
    trend: Mapped[dict] = mapped_column(JSON)  # {"week": [values, sum]} of the values recorded that week
    # Class rows only: the sorted values, so departments and the school merge them into exact
    # medians without the ledger; and the students past the warning value, for the class report.
    values: Mapped[list | None] = mapped_column(JSON)
    flagged: Mapped[list | None] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)

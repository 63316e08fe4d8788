"""The job outbox: jobs a committed change needs, written in the change's own transaction.

A row is written by the commit that made the change (backend/jobs: one multi-row INSERT) and
moved to RQ by the relay (platform/outbox.py), which marks it relayed. The job deletes the rows
it saw when it started, in the transaction that commits its work, so a row outlives a job lost in
Redis and is relayed again once it is stale (docs: README, "Jobs that cannot be lost").
"""
from datetime import datetime

from sqlalchemy import Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base

PENDING = "relayed_at IS NULL"


class OutboxJob(Base):
    __tablename__ = "outbox_job"
    # One pending row per job and arguments: the database coalesces what many writes need
    # (INSERT ... ON CONFLICT DO NOTHING against this index). Once relayed, a new row may wait
    # beside it: work committed after the relay needs a run of its own if the job has started.
    __table_args__ = (Index("ix_outbox_job_pending", "job", "args", unique=True,
                            sqlite_where=text(PENDING), postgresql_where=text(PENDING)),)
    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(64))  # the @job function's name (platform/queue.JOBS)
    args: Mapped[str] = mapped_column(String(255))  # its arguments as JSON, e.g. "[3, 17]"
    request_id: Mapped[str | None] = mapped_column(String(64))  # the request whose write needed it
    created_at: Mapped[datetime]
    relayed_at: Mapped[datetime | None] = mapped_column(index=True)

"""Housekeeping: rows that only matter for a while are deleted once their retention has passed.

- Idempotency records (platform/idempotency.py): a write's first answer, replayed to retries.
  Kept RETENTION_IDEMPOTENCY_DAYS after the write, well past the longest an offline phone keeps
  replaying it (the PWA outbox gives up after 7 days, by the phone's clock).
- Failed logins (auth/throttle.py): kept RETENTION_LOGIN_FAILURE_DAYS, never less than the
  throttle's window, which is all the throttle reads.
- Login sessions (auth/sessions.py): kept RETENTION_SESSION_DAYS after they expired or were
  revoked. Their tokens are refused by then anyway (a refresh token expires with its session;
  a session that no longer exists reads as revoked).

Deleted in batches, each in its own short transaction, so SQLite's one writer is held for
milliseconds at a time and PostgreSQL never locks a large range at once. Times come from the
app's clock. The job (jobs/housekeeping.py) runs every six hours; `flask housekeeping` runs it now.
"""
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import ColumnElement, delete, or_, select, tuple_

from backend.extensions import db
from backend.models import AuthSession, IdempotencyRecord, LoginFailure
from backend.platform import clock

BATCH = 1000


def _delete_in_batches(model, key_columns, condition: ColumnElement[bool], batch: int) -> int:
    """Delete the rows of `model` matching `condition`, `batch` at a time; returns how many.
    Each batch picks its keys first and commits on its own."""
    deleted = 0
    key = tuple_(*key_columns) if len(key_columns) > 1 else key_columns[0]
    while True:
        chosen = select(*key_columns).where(condition).limit(batch)
        result = db.session.execute(delete(model).where(key.in_(chosen)).execution_options(synchronize_session=False))
        db.session.commit()
        deleted += result.rowcount
        if result.rowcount < batch:
            return deleted


def cutoffs(now: datetime | None = None) -> dict[str, datetime]:
    """The moment before which each kind of row is deleted."""
    cfg = current_app.config
    now = now or clock.now()
    login_days = timedelta(days=cfg["RETENTION_LOGIN_FAILURE_DAYS"])
    return {
        "idempotency_records": now - timedelta(days=cfg["RETENTION_IDEMPOTENCY_DAYS"]),
        # The throttle counts failures over its window: those are never deleted.
        "login_failures": now - max(login_days, timedelta(seconds=cfg["LOGIN_WINDOW_SECONDS"])),
        "sessions": now - timedelta(days=cfg["RETENTION_SESSION_DAYS"]),
    }


def prune(now: datetime | None = None, batch: int | None = None) -> dict[str, int]:
    """Delete what has outlived its retention; returns the rows deleted per kind."""
    before, batch = cutoffs(now), batch or BATCH
    return {
        "idempotency_records": _delete_in_batches(
            IdempotencyRecord, (IdempotencyRecord.user_id, IdempotencyRecord.key),
            IdempotencyRecord.created_at < before["idempotency_records"], batch),
        "login_failures": _delete_in_batches(
            LoginFailure, (LoginFailure.id,), LoginFailure.at < before["login_failures"], batch),
        "sessions": _delete_in_batches(
            AuthSession, (AuthSession.id,),
            or_(AuthSession.expires_at < before["sessions"], AuthSession.revoked_at < before["sessions"]), batch),
    }

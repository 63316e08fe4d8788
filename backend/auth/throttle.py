"""Login throttling that slows guessing without locking a school out.

Limits over a sliding window (LOGIN_WINDOW_SECONDS), each counted per account:
- from unknown clients (LOGIN_MAX_PER_ACCOUNT): stops guessing one account from anywhere;
- from trusted devices (LOGIN_MAX_PER_DEVICE): a device that logged in to this account
  before carries a signed cookie and has its own counter, so an attacker who exhausts the
  account limit from elsewhere does not lock the real user out (OWASP "device cookies");
- per address and account, once the address is over its ceiling: an address with
  LOGIN_MAX_PER_IP failures in the window is slowed, not shut. From it, an unknown client gets
  LOGIN_MAX_PER_IP_ACCOUNT failures per account instead of LOGIN_MAX_PER_ACCOUNT. An account with
  no failure from that address is never refused there, and a trusted device is never held by
  its address: behind a campus NAT or a proxy every student shares one address, and one
  attacker among them must not shut out the rest.

Each attempt is counted *before* the password is checked, in one transaction that holds a
lock on the account's name (PostgreSQL: a transaction advisory lock; SQLite: every
transaction is BEGIN IMMEDIATE, one writer at a time), so parallel requests on any number of
workers cannot check more passwords than the limit allows. A correct password then deletes
the account's rows (throttle.clear); a wrong one leaves its row standing as the failure.
A throttled attempt is answered 429 with Retry-After before the password is checked, and is
not counted, so a lockout never outlasts the window.
"""
import hashlib
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, select, text

from backend.errors import Problem
from backend.extensions import db
from backend.models import LoginFailure
from backend.platform import clock


def _retry_after(condition, limit: int, window: timedelta, now: datetime) -> int | None:
    """Seconds until fewer than `limit` failures remain in the window, or None if under it."""
    times = db.session.scalars(
        select(LoginFailure.at).where(condition, LoginFailure.at > now - window)
        .order_by(LoginFailure.at.desc()).limit(limit)
    ).all()
    if len(times) < limit:
        return None
    return max(1, int((times[-1] + window - now).total_seconds()) + 1)


def _lock(username: str) -> None:
    """Serialise the check-and-count of one account's attempts until the transaction ends."""
    if db.session.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(hashlib.blake2b(f"login:{username}".encode(), digest_size=8).digest(), "big", signed=True)
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
    # SQLite: the transaction began with BEGIN IMMEDIATE (backend/database.py) and holds the
    # only write lock until it commits.


def _over_ceiling(ip: str, window: timedelta, now: datetime) -> bool:
    """Whether the address has LOGIN_MAX_PER_IP failures in the window (read without a lock:
    it only switches an address to the slower per-account allowance, it refuses nothing itself)."""
    limit = current_app.config["LOGIN_MAX_PER_IP"]
    return db.session.scalar(select(func.count()).select_from(
        select(LoginFailure.id).where(LoginFailure.ip == ip, LoginFailure.at > now - window)
        .limit(limit).subquery())) >= limit


def begin(username: str, ip: str, trusted: bool) -> None:
    """Count this attempt as a failure until the password proves right, or refuse it with 429."""
    cfg = current_app.config
    window = timedelta(seconds=cfg["LOGIN_WINDOW_SECONDS"])
    username, ip = username.lower()[:64], ip[:45]  # the columns' lengths
    _lock(username)
    now = clock.now()
    mine = (LoginFailure.username == username) & (LoginFailure.trusted_device == trusted)
    if trusted:
        waits = [_retry_after(mine, cfg["LOGIN_MAX_PER_DEVICE"], window, now)]
    else:
        waits = [_retry_after(mine, cfg["LOGIN_MAX_PER_ACCOUNT"], window, now)]
        if _over_ceiling(ip, window, now):
            waits.append(_retry_after(mine & (LoginFailure.ip == ip), cfg["LOGIN_MAX_PER_IP_ACCOUNT"], window, now))
    wait = max((w for w in waits if w is not None), default=None)
    if wait is not None:
        db.session.rollback()
        raise Problem(429, "尝试次数过多 / Too many attempts",
                      f"Too many failed logins; try again in {wait} seconds.",
                      headers={"Retry-After": str(wait)}, retry_after=wait)
    db.session.add(LoginFailure(username=username, ip=ip, trusted_device=trusted, at=now))
    db.session.commit()


def clear(username: str) -> None:
    """A correct password: the account's failures (this attempt's row among them) are forgiven."""
    db.session.execute(delete(LoginFailure).where(LoginFailure.username == username.lower()[:64]))

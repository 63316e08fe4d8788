"""Login throttling that slows guessing without locking real users out.

Three limits over a sliding window (LOGIN_WINDOW_SECONDS):
- per IP: stops one machine guessing across many accounts;
- per account from unknown clients: stops guessing one account;
- per account from trusted devices: a device that logged in to this account
  before carries a signed cookie and has its own counter, so an attacker who
  exhausts the account limit from elsewhere does not lock the real user out
  (OWASP "device cookies").
A throttled attempt is answered 429 with Retry-After before the password is
checked, and is not counted again, so the lockout never outlasts the window.
"""
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select

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


def check(username: str, ip: str, trusted: bool) -> None:
    cfg = current_app.config
    window = timedelta(seconds=cfg["LOGIN_WINDOW_SECONDS"])
    now = clock.now()
    username = username.lower()
    account_limit = cfg["LOGIN_MAX_PER_DEVICE"] if trusted else cfg["LOGIN_MAX_PER_ACCOUNT"]
    waits = [
        _retry_after(LoginFailure.ip == ip, cfg["LOGIN_MAX_PER_IP"], window, now),
        _retry_after((LoginFailure.username == username) & (LoginFailure.trusted_device == trusted),
                     account_limit, window, now),
    ]
    wait = max((w for w in waits if w is not None), default=None)
    if wait is not None:
        raise Problem(429, "尝试次数过多 / Too many attempts",
                      f"Too many failed logins; try again in {wait} seconds.",
                      headers={"Retry-After": str(wait)}, retry_after=wait)


def record_failure(username: str, ip: str, trusted: bool) -> None:
    db.session.add(LoginFailure(username=username.lower(), ip=ip, trusted_device=trusted))
    db.session.commit()


def clear(username: str) -> None:
    db.session.execute(delete(LoginFailure).where(LoginFailure.username == username.lower()))

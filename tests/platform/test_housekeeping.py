"""Housekeeping: idempotency records, failed logins and ended sessions go once past their retention,
and nothing newer goes with them. Time moves on the app's clock."""
import json
from datetime import timedelta

from sqlalchemy import select

from backend.auth import throttle
from backend.extensions import db
from backend.jobs import housekeeping as housekeeping_jobs
from backend.jobs.worker import SCHEDULE
from backend.models import AuthSession, IdempotencyRecord, LoginFailure, User
from backend.platform import clock, housekeeping, queue
from tests.helpers import run_worker

DAY = timedelta(days=1)


def make_user(name: str = "hk") -> User:
    user = User(username=name, display_name=name, password_hash="-")
    db.session.add(user)
    db.session.commit()
    return user


def answered(user: User, key: str) -> None:
    db.session.add(IdempotencyRecord(user_id=user.id, key=key, request_hash="0" * 64, status_code=200,
                                     response={"ok": True}))
    db.session.commit()


def session(user: User, sid: str, lasts: timedelta, revoked: bool = False) -> None:
    db.session.add(AuthSession(id=sid, user_id=user.id, refresh_jti=sid, expires_at=clock.now() + lasts,
                               revoked_at=clock.now() if revoked else None))
    db.session.commit()


def remaining() -> dict[str, set]:
    db.session.rollback()
    return {"keys": set(db.session.scalars(select(IdempotencyRecord.key))),
            "failures": set(db.session.scalars(select(LoginFailure.username))),
            "sessions": set(db.session.scalars(select(AuthSession.id)))}


def test_the_periodic_job_deletes_rows_past_the_default_retention_and_keeps_the_rest(app):
    """Defaults: 30 days for each kind (sessions counted from their end). Run as the scheduler
    runs it: the periodic job on a real RQ worker."""
    assert {(p.name, p.every) for p in SCHEDULE if p.func is housekeeping_jobs.prune} == {("housekeeping", 6 * 3600)}
    user, moves = make_user(), app.extensions["clock"]
    # Day 0.
    answered(user, "written-day-0")
    throttle.begin("failed-day-0", "10.0.0.1", trusted=False)
    session(user, "expired-day-0.5", DAY / 2)
    session(user, "revoked-day-0", 14 * DAY, revoked=True)
    session(user, "expires-day-14", 14 * DAY)
    moves.advance(2 * DAY)
    # Day 2.
    answered(user, "written-day-2")
    throttle.begin("failed-day-2", "10.0.0.1", trusted=False)
    session(user, "expired-day-2.5", DAY / 2)
    session(user, "revoked-day-2", 14 * DAY, revoked=True)
    moves.advance(18 * DAY)
    # Day 20.
    session(user, "live-until-day-34", 14 * DAY)
    moves.advance(11 * DAY)
    # Day 31: past 30 days only what was written, failed, expired or revoked on day 0 or 0.5.

    job = queue.enqueue(housekeeping_jobs.prune)
    run_worker(app)

    assert job.get_status() == "finished"
    assert {k: v for k, v in job.return_value().items() if k != "sensitive"} == {"idempotency_records": 1, "login_failures": 1, "sessions": 2}
    assert remaining() == {"keys": {"written-day-2"}, "failures": {"failed-day-2"},
                           "sessions": {"expires-day-14", "expired-day-2.5", "revoked-day-2", "live-until-day-34"}}


def test_retention_comes_from_the_configuration_and_deletes_in_batches(app, runner, monkeypatch):
    app.config.update(RETENTION_IDEMPOTENCY_DAYS=3, RETENTION_LOGIN_FAILURE_DAYS=1, RETENTION_SESSION_DAYS=2)
    monkeypatch.setattr(housekeeping, "BATCH", 2)  # several batches, each its own transaction
    user, other, moves = make_user(), make_user("hk2"), app.extensions["clock"]
    for n in range(5):
        answered(user, f"old-{n}")
        answered(other, f"old-{n}")  # the same keys for another user: (user, key) is the record's key
        throttle.begin(f"old-{n}", "10.0.0.2", trusted=n % 2 == 0)
        session(user, f"revoked-{n}", 14 * DAY, revoked=True)
    moves.advance(DAY + timedelta(hours=1))
    # Day 1, 01:00.
    session(user, "ends-in-an-hour", timedelta(hours=1))
    moves.advance(DAY)
    answered(user, "recent")
    moves.advance(DAY / 2)
    throttle.begin("recent", "10.0.0.2", trusted=False)
    moves.advance(DAY / 2)
    # Day 3, 01:00: records older than 3 days, failures older than 1, sessions ended over 2 days ago.

    result = runner.invoke(args=["housekeeping"])

    assert result.exit_code == 0, result.output
    done = json.loads(result.output)
    assert {k: done[k] for k in ("idempotency_records", "login_failures", "sessions")} == {
        "idempotency_records": 10, "login_failures": 5, "sessions": 5}
    assert done["sensitive"]["students"] == 0  # nobody left three years ago
    assert remaining() == {"keys": {"recent"}, "failures": {"recent"}, "sessions": {"ends-in-an-hour"}}


def test_failed_logins_inside_the_throttle_window_are_never_deleted(app):
    """Even with a retention of 0 days the throttle still sees the failures it counts."""
    app.config.update(RETENTION_LOGIN_FAILURE_DAYS=0, LOGIN_WINDOW_SECONDS=900)
    throttle.begin("guessed", "10.0.0.3", trusted=False)
    app.extensions["clock"].advance(timedelta(minutes=10))
    throttle.begin("guessed-again", "10.0.0.3", trusted=False)
    app.extensions["clock"].advance(timedelta(minutes=10))

    assert housekeeping.prune()["login_failures"] == 1
    assert remaining()["failures"] == {"guessed-again"}

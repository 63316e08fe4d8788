"""What /readyz reports, and /metrics repeats: can this host do its work, and is the work being done.

Each probe is a few indexed reads, cheap enough for every load balancer every few seconds:
- database: `SELECT 1`;
- redis: PING;
- workers: the newest heartbeat in RQ's worker registry (RQ stamps it in real time, so its age is
  taken on RQ's clock, not the app's). While Redis cannot be read the newest heartbeat this process
  saw last is kept, so a Redis blink is not "no worker" but an age that grows;
- the oldest unprocessed job: the transactional outbox's backlog (platform/outbox.py);
- rollups: whether the class of the newest ledger entry has had its rollup rewritten since. A
  rollup row is rewritten only when a figure changes, and every counted entry changes its point's
  weekly count, so "behind" means its class job has not run yet (or failed).

Ready (200) unless the database is unreachable, or Redis is configured, READY_WORKER_MAX_AGE > 0
and no worker has been seen within it (503): then nothing rolls up, warns or pushes.
"""
import logging
from datetime import datetime, timezone

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from backend import errors
from backend.extensions import db
from backend.models import Rollup, ScoreEntry
from backend.platform import clock, outbox, queue

log = logging.getLogger(__name__)
_last_seen: dict[str, datetime] = {}  # REDIS_URL → newest heartbeat seen (kept through a Redis outage)


def database_ok() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except SQLAlchemyError as exc:
        log.warning("readiness: database unreachable: %s", getattr(exc, "orig", exc))
        return False
    finally:
        end_transaction()


def end_transaction() -> None:
    """Roll back what a probe read; a connection that died meanwhile is simply dropped."""
    try:
        db.session.rollback()
    except SQLAlchemyError:
        db.session.remove()


def redis_configured() -> bool:
    return bool(current_app.config.get("REDIS_URL"))


def worker_heartbeat_age(redis_up: bool) -> float | None:
    """Seconds since the newest RQ worker heartbeat, or None when no worker was ever seen."""
    from rq import Worker
    from rq.utils import now as rq_now  # RQ's real-time clock, the one its heartbeats are stamped by

    url = current_app.config["REDIS_URL"]
    if redis_up:
        try:
            beats = [w.last_heartbeat for w in Worker.all(connection=queue.redis_connection()) if w.last_heartbeat]
        except RedisError:
            beats = []
        if beats:
            _last_seen[url] = max(beats + ([_last_seen[url]] if url in _last_seen else []))
        else:
            _last_seen.pop(url, None)  # Redis answers and holds no live worker: none is seen
    seen = _last_seen.get(url)
    return None if seen is None else round(max(0.0, (rq_now() - seen).total_seconds()), 1)


def outbox_backlog() -> tuple[int, float | None]:
    """(unprocessed jobs, age of the oldest in seconds)."""
    pending, oldest = outbox.backlog()
    return pending, None if oldest is None else round(max(0.0, (clock.now() - _aware(oldest)).total_seconds()), 1)


def rollups_lag() -> dict:
    """How long the newest ledger entry has waited for its class's rollup: 0 when the class's
    rollup was written at or after it (or there is no entry yet)."""
    newest = db.session.execute(select(ScoreEntry.term_id, ScoreEntry.class_id, ScoreEntry.recorded_at)
                                .order_by(ScoreEntry.id.desc()).limit(1)).first()
    if newest is None:
        return {"lag_seconds": 0.0, "newest_write_at": None, "class_rolled_up_at": None}
    rolled = db.session.scalar(select(func.max(Rollup.updated_at)).where(
        Rollup.term_id == newest.term_id, Rollup.unit == "class", Rollup.unit_id == newest.class_id))
    written = _aware(newest.recorded_at)
    behind = rolled is None or _aware(rolled) < written
    lag = max(0.0, (clock.now() - written).total_seconds()) if behind else 0.0
    return {"lag_seconds": round(lag, 1), "newest_write_at": written.isoformat(),
            "class_rolled_up_at": rolled and _aware(rolled).isoformat()}


def _aware(moment: datetime) -> datetime:
    """SQLite hands datetimes back naive; they are UTC like everything stored."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def report() -> tuple[dict, bool]:
    """The readiness document and whether the host is ready."""
    config = current_app.config
    database = database_ok()
    configured = redis_configured()
    redis_up = configured and queue.redis_ok()
    age = worker_heartbeat_age(redis_up) if configured else None
    body: dict = {
        "database": "ok" if database else "unreachable",
        "redis": "ok" if redis_up else "unreachable" if configured else "not configured",
        "workers": {"newest_heartbeat_age_seconds": age, "max_age_seconds": config["READY_WORKER_MAX_AGE"]},
        "outbox": None, "rollups": None,
    }
    if database:
        try:
            pending, oldest_age = outbox_backlog()
            body["outbox"] = {"pending": pending, "oldest_age_seconds": oldest_age}
            body["rollups"] = rollups_lag()
        except SQLAlchemyError as exc:
            log.warning("readiness: %s", getattr(exc, "orig", exc))
            if errors.database_unavailable(exc):  # it went away between the probes
                database, body["database"] = False, "unreachable"
            else:  # a bug or a schema not migrated: say so, the database itself answers
                body["rollups"] = {"error": type(exc).__name__}
        finally:
            end_transaction()
    reasons = [] if database else ["database unreachable"]
    limit = config["READY_WORKER_MAX_AGE"]
    if configured and limit > 0 and (age is None or age > limit):
        reasons.append("no RQ worker seen" if age is None else f"no RQ worker heartbeat for {age:.0f} s (limit {limit} s)")
    if reasons:  # every probe while it lasts: the log then shows when it began and ended
        log.warning("not ready: %s", "; ".join(reasons))
    body = {"status": "not ready" if reasons else "ready", "reasons": reasons, **body}
    return body, not reasons

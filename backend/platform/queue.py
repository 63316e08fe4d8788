"""Background jobs on RQ, or inline when no Redis can be reached.

Each job declares where it runs, how long it may take and how it retries, next to its
code (`@job`). The embedded default must keep working on a laptop without Redis: jobs
then run at once in a fresh app context, and each time that happens a log line says so.
"""
import logging
from dataclasses import dataclass
from functools import cache

from flask import current_app
from redis import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)
QUEUES = ("rollups", "notifications", "default")  # the order a worker serves them in
PENDING_SECONDS = 600  # a coalescing mark outlives a lost job by at most this


@dataclass(frozen=True)
class Spec:
    queue: str
    timeout: int  # seconds; RQ stops the job after this
    retry_after: tuple[int, ...]  # backoff before each retry


def job(queue: str, timeout: int, retry_after: tuple[int, ...] = (5, 30, 120)):
    assert queue in QUEUES, queue

    def declare(func):
        func.spec = Spec(queue, timeout, retry_after)
        return func
    return declare


@cache
def _redis(url: str) -> Redis:
    return Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=5)


def redis_connection() -> Redis:
    return _redis(current_app.config["REDIS_URL"])


def redis_ok() -> bool:
    try:
        return bool(redis_connection().ping())
    except RedisError:
        return False


def _inline(func, args, why: Exception):
    log.warning("Redis unreachable (%s): running job %s%s inline", why, func.__name__, args)
    # A fresh app context has its own database session, so this also works from inside
    # another session's commit hook.
    with current_app.app_context():
        return func(*args)


def enqueue(func, *args, job_id: str | None = None):
    """Enqueue `func(*args)` as its spec says; run it now if Redis is unreachable."""
    from rq import Queue, Retry

    spec = func.spec
    try:
        return Queue(spec.queue, connection=redis_connection()).enqueue(
            func, *args, job_id=job_id, job_timeout=spec.timeout, result_ttl=3600, failure_ttl=7 * 86400,
            retry=Retry(max=len(spec.retry_after), interval=list(spec.retry_after)) if spec.retry_after else None)
    except RedisError as exc:
        return _inline(func, args, exc)


def enqueue_at(func, when, job_id: str) -> None:
    """Enqueue `func()` at `when` through RQ's scheduler (run by every worker). Without Redis
    there is nothing to wait with: the periodic pass picks the work up instead."""
    from rq import Queue

    spec = func.spec
    try:
        Queue(spec.queue, connection=redis_connection()).enqueue_at(
            when, func, job_id=job_id, job_timeout=spec.timeout, result_ttl=3600, failure_ttl=7 * 86400)
    except RedisError as exc:
        log.warning("Redis unreachable (%s): %s waits for the periodic pass", exc, func.__name__)


def _pending_key(func, args) -> str:
    return f"spiral:pending:{func.__name__}:{':'.join(map(str, args))}"


def enqueue_coalesced(func, *args) -> None:
    """Enqueue unless the same job with the same arguments is already waiting. The job calls
    `started(...)` first thing, so work committed after that point enqueues a new run."""
    try:
        if not redis_connection().set(_pending_key(func, args), 1, nx=True, ex=PENDING_SECONDS):
            return
    except RedisError as exc:
        _inline(func, args, exc)
        return
    enqueue(func, *args)


def started(func, *args) -> None:
    try:
        redis_connection().delete(_pending_key(func, args))
    except RedisError:
        pass  # running inline: nothing was marked


def claim(key: str, seconds: int) -> bool:
    """True for the first caller in `seconds` across every host (a periodic job's slot)."""
    return bool(redis_connection().set(f"spiral:claim:{key}", 1, nx=True, ex=seconds))

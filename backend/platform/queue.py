"""Background jobs on RQ, or inline when no Redis can be reached.

Each job declares where it runs, how long it may take and how it retries, next to its
code (`@job`). The embedded default must keep working on a laptop without Redis: jobs
then run at once in a fresh app context, and each time that happens a log line says so.

Run by an RQ worker, a job runs in a fresh app context of the worker's one app (Flask's
pattern for task queues: the task body, not the queue library, opens the context). That
uses only RQ's public `get_current_job()`; no RQ method is overridden (requirements.in).
"""
import functools
import logging
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache

from flask import Flask, current_app
from redis import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)
QUEUES = ("rollups", "notifications", "reports", "default")  # the order a worker serves them in
PENDING_SECONDS = 600  # a coalescing mark outlives a lost job by at most this


@dataclass(frozen=True)
class Spec:
    queue: str
    timeout: int  # seconds; RQ stops the job after this
    retry_after: tuple[int, ...]  # backoff before each retry


# The app whose context jobs run in when an RQ worker runs them: one per worker process,
# set by jobs/worker.make_worker. A job called directly (inline, from a command, from another
# job) runs in its caller's context instead.
_worker_app: Flask | None = None
_in_job: ContextVar[bool] = ContextVar("spiral_in_job", default=False)


def run_jobs_in(app: Flask) -> None:
    global _worker_app
    _worker_app = app


def _run_as_worker_job(func, args, kwargs):
    from backend.extensions import db

    token = _in_job.set(True)
    try:
        with _worker_app.app_context():
            try:
                return func(*args, **kwargs)
            except BaseException:
                # A job stopped by its timeout (RQ raises inside it) may have been interrupted in
                # a database call, its connection mid-protocol: a rollback would fail and take the
                # worker down with it, so the connection is discarded instead.
                db.session().invalidate()  # scoped_session does not proxy invalidate()
                raise
    finally:
        _in_job.reset(token)


def job(queue: str, timeout: int, retry_after: tuple[int, ...] = (5, 30, 120)):
    assert queue in QUEUES, queue

    def declare(func):
        @functools.wraps(func)  # same module and name: RQ imports the job by them
        def run(*args, **kwargs):
            if _worker_app is not None and not _in_job.get() and _performed_by_rq():
                return _run_as_worker_job(func, args, kwargs)
            return func(*args, **kwargs)

        run.spec = Spec(queue, timeout, retry_after)
        return run
    return declare


def _performed_by_rq() -> bool:
    """True inside the job an RQ worker is performing (RQ 3 keeps it in a contextvar)."""
    from rq import get_current_job

    return get_current_job() is not None


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

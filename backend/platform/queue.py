"""Background jobs on RQ, or inline when no Redis is configured.

Each job declares where it runs, how long it may take and how it retries, next to its
code (`@job`). The embedded default must keep working on a laptop without Redis: with
REDIS_URL empty, jobs run at once in a fresh app context, and each time a log line says so.
A configured Redis that cannot be reached never makes a job run inline (a write would do a
class's rollups in the request, about 7x slower): the jobs a write needs wait in the database
outbox (platform/outbox.py) until the relay can move them to RQ, and other enqueues raise.

Run by an RQ worker, a job runs in a fresh app context of the worker's one app (Flask's
pattern for task queues: the task body, not the queue library, opens the context). That
uses only RQ's public `get_current_job()`; no RQ method is overridden (requirements.in).
"""
import functools
import logging
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache

from flask import Flask, current_app
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

log = logging.getLogger(__name__)
QUEUES = ("rollups", "notifications", "reports", "default")  # the order a worker serves them in
PENDING_SECONDS = 600  # a coalescing mark outlives a lost job by at most this
JOBS: dict[str, Callable] = {}  # every @job by its function's name: what an outbox row names
# Called after each job an RQ worker runs, with its name, its seconds and what it raised (or None):
# metrics attach here (platform/metrics.py) without the queue knowing about them.
JOB_OBSERVERS: list[Callable[[str, float, BaseException | None], None]] = []


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
    from rq import get_current_job

    from backend.extensions import db
    from backend.platform import logs, outbox

    token = _in_job.set(True)
    # The request whose write needed this job: its id is in the job's meta (the relay put it there),
    # so the job's log lines carry it too.
    request = logs.request_id.set(get_current_job().meta.get("request_id"))
    started, failure = time.perf_counter(), None
    try:
        with _worker_app.app_context():
            try:
                result = func(*args, **kwargs)
                if db.session.info.get(outbox.DONE):  # a job that wrote nothing still ends its outbox rows
                    db.session.commit()
                return result
            except BaseException as exc:
                failure = exc
                # A job stopped by its timeout (RQ raises inside it) may have been interrupted in
                # a database call, its connection mid-protocol: a rollback would fail and take the
                # worker down with it, so the connection is discarded instead.
                db.session().invalidate()  # scoped_session does not proxy invalidate()
                raise
    finally:
        seconds = time.perf_counter() - started
        for observe in JOB_OBSERVERS:
            try:
                observe(func.__name__, seconds, failure)
            except Exception:  # an observer must never fail the job
                log.exception("job observer %r failed", observe)
        logs.request_id.reset(request)
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
        known = JOBS.get(func.__name__)
        assert known is None or known.__module__ == func.__module__, f"two jobs named {func.__name__}"
        JOBS[func.__name__] = run
        return run
    return declare


def _performed_by_rq() -> bool:
    """True inside the job an RQ worker is performing (RQ 3 keeps it in a contextvar)."""
    from rq import get_current_job

    return get_current_job() is not None


@cache
def _redis(url: str) -> Redis:
    return Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=5)


def configured() -> bool:
    """Whether this installation has a Redis at all (REDIS_URL not empty). Without one, jobs
    run inline; with one, they wait for it however long it is away."""
    return bool(current_app.config["REDIS_URL"])


def redis_connection() -> Redis:
    if not configured():
        # Callers already treat an unreachable Redis (RedisError) as "no Redis": so is none at all.
        raise RedisConnectionError("no Redis configured (REDIS_URL is empty)")
    return _redis(current_app.config["REDIS_URL"])


def redis_ok() -> bool:
    try:
        return bool(redis_connection().ping())
    except RedisError:
        return False


def run_inline(func, args):
    log.warning("no Redis configured: running job %s%s inline", func.__name__, tuple(args))
    # A fresh app context has its own database session, so this also works from inside
    # another session's commit hook.
    with current_app.app_context():
        return func(*args)


def enqueue(func, *args, job_id: str | None = None, meta: dict | None = None):
    """Enqueue `func(*args)` as its spec says; run it now if no Redis is configured. An unreachable
    Redis raises RedisError: the caller decides (the relay keeps the outbox row and retries)."""
    from rq import Queue, Retry

    if not configured():
        return run_inline(func, args)
    spec = func.spec
    return Queue(spec.queue, connection=redis_connection()).enqueue(
        func, *args, job_id=job_id, job_timeout=spec.timeout, result_ttl=3600, failure_ttl=7 * 86400, meta=meta,
        retry=Retry(max=len(spec.retry_after), interval=list(spec.retry_after)) if spec.retry_after else None)


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


def enqueue_coalesced(func, *args, meta: dict | None = None) -> bool:
    """Enqueue unless the same job with the same arguments is already waiting; True if enqueued.
    The job calls `started(...)` first thing, so work committed after that point enqueues a new
    run. Raises RedisError when the configured Redis cannot be reached (see `enqueue`)."""
    if not configured():
        run_inline(func, args)
        return True
    key = _pending_key(func, args)
    if not redis_connection().set(key, 1, nx=True, ex=PENDING_SECONDS):
        return False
    try:
        enqueue(func, *args, meta=meta)
    except RedisError:
        try:
            redis_connection().delete(key)  # not enqueued: the next relay must not think it waits
        except RedisError:
            pass  # the mark expires after PENDING_SECONDS
        raise
    return True


def started(func, *args) -> None:
    """First thing a coalesced job does: later work needs a new run, and the outbox rows already
    committed are this run's to finish (deleted when the job's work commits, platform/outbox.py)."""
    from backend.platform import outbox

    try:
        redis_connection().delete(_pending_key(func, args))
    except RedisError:
        pass  # inline, or the relay's next pass finds the mark expired
    outbox.claim_started(func.__name__, args)


def claim(key: str, seconds: int) -> bool:
    """True for the first caller in `seconds` across every host (a periodic job's slot)."""
    return bool(redis_connection().set(_claim_key(key), 1, nx=True, ex=seconds))


def release(key: str) -> None:
    """Give a claimed slot back (its job could not be enqueued): the next claim takes it."""
    redis_connection().delete(_claim_key(key))


def _claim_key(key: str) -> str:
    return f"spiral:claim:{key}"

"""The RQ worker and the periodic scheduler, as `flask worker` and `flask scheduler` run them.

Both keep going through Redis and database outages in the same process (`work`, `run_scheduler`):
a process that exits on the first error leaves jobs undone until someone notices, and a supervisor
that restarts it at once only turns one outage into a restart storm. Each waits with `Backoff`
and says so once per outage.
"""
import logging
import random
import signal
import threading
import time
from dataclasses import dataclass
from datetime import datetime

from flask import Flask
from redis.exceptions import RedisError
from rq import Queue, SimpleWorker
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from backend.extensions import db
from backend.jobs import alerts, housekeeping
from backend.jobs import rollups as rollup_jobs
from backend.jobs import teachers as teacher_jobs
from backend.platform import clock, queue

log = logging.getLogger(__name__)
BACKOFF_CAP = 15.0  # seconds: long enough not to hammer a recovering server, short enough to resume soon
DATABASE_WAIT = 30.0  # seconds a worker waits for the database after a job lost it (see database_outage)


class Backoff:
    """1, 2, 4 … seconds, capped at BACKOFF_CAP, each drawn from its upper half: many workers
    that lost the same server do not come back in step."""

    def __init__(self, cap: float = BACKOFF_CAP):
        self.cap, self.attempts = cap, 0

    def next(self) -> float:
        ceiling = min(self.cap, 2.0 ** self.attempts)
        self.attempts += 1
        return random.uniform(ceiling / 2, ceiling)

    def reset(self) -> None:
        self.attempts = 0


def make_worker(app: Flask, queues=queue.QUEUES) -> SimpleWorker:
    """An RQ worker for `app`: each job runs in a fresh app context of this one app (the @job
    wrapper opens it, platform/queue.py), in this process.

    Why RQ's SimpleWorker, not its forking Worker: rollup jobs take milliseconds, a fork per job
    costs more than the job and would inherit the parent's database connections.

    Nothing of RQ is overridden. Its documented worker arguments: an exception handler that
    carries jobs through database outages (`database_outage`), and two that set how soon a job
    that died with its worker (SIGKILL, a lost host) is retried. RQ gives such a job until its timeout
    + 60 s (a SimpleWorker sends no heartbeats during a job); after that the next maintenance
    pass of any live worker (every JOBS_MAINTENANCE_SECONDS, looked at least every
    JOBS_WORKER_TTL - 15 s while idle) re-enqueues it as a retry. So: within timeout + 60 +
    JOBS_MAINTENANCE_SECONDS + (JOBS_WORKER_TTL - 15) s, plus the job's first backoff."""
    queue.run_jobs_in(app)
    with app.app_context():
        connection = queue.redis_connection()
    worker = SimpleWorker([Queue(q, connection=connection) for q in queues], connection=connection,
                          worker_ttl=app.config["JOBS_WORKER_TTL"],
                          maintenance_interval=app.config["JOBS_MAINTENANCE_SECONDS"],
                          exception_handlers=[database_outage(app)])
    # RQ's own wait while it cannot reach Redis to dequeue (an idle worker) doubles up to 60 s: a
    # 40 s outage would leave the worker idle for 20 s more. A class attribute, set, not a method.
    worker.max_connection_wait_time = BACKOFF_CAP
    return worker


def database_reachable(app: Flask) -> bool:
    """A cheap `SELECT 1` on a connection of its own (the job's was discarded by its wrapper)."""
    try:
        with app.app_context(), db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except DBAPIError:
        return False


def database_outage(app: Flask):
    """An RQ exception handler (a documented Worker argument): a job that failed because the
    database was unreachable is retried as soon as the database answers, without using up one of
    its retries, and the worker takes no further job until the database answers `SELECT 1` again
    (at most DATABASE_WAIT s at a time).

    Why: a rollup job retries after 2, 10 and 60 s; a 10-30 s outage would burn its retries on a
    database that cannot answer, and every queued job taken meanwhile would fail the same way.
    Waiting here (RQ calls the handler in the worker's loop, before it schedules the retry) keeps
    the rest of the queue where it is; the outage's retry is one inserted into the job's own
    schedule, with no wait (the worker already waited), so its ordinary retries and their backoff
    stay as its spec says, and a job is never given up for an outage however long (a warnings
    pass would otherwise sit out its 60 s first backoff after the database returned). The wait is
    bounded so RQ's bookkeeping for the job (its heartbeat lasts at least 60 s) does not expire and
    the worker still answers a stop within DATABASE_WAIT s. Jobs declared without retries (a
    roster import: all or nothing, the importer retries) stay so. An error is the database's when
    SQLAlchemy saw the connection drop, or when `SELECT 1` fails now; anything else (a bad row,
    SQLite's "database is locked") uses a retry as it always did."""
    down_since: list[float] = []  # set while an outage lasts: one log line each way

    def handle(job, exc_type, exc_value, traceback):
        if not isinstance(exc_value, DBAPIError):
            return True
        if not (exc_value.connection_invalidated or not database_reachable(app)):
            return True
        if job.retries_left is not None:
            # RQ's next wait is retry_intervals[len - retries_left] and it then takes one off:
            # a 0 inserted there, with one more retry, is this retry now and changes nothing after.
            intervals = list(job.retry_intervals or [0])
            at = max(len(intervals) - job.retries_left, 0)
            job.retry_intervals, job.retries_left = intervals[:at] + [0] + intervals[at:], job.retries_left + 1
        if not down_since:
            down_since.append(time.monotonic())
            log.warning("database unreachable (%s): job %s will be retried without using a retry; "
                        "waiting for the database", type(exc_value.orig).__name__, job.id)
        backoff, waited = Backoff(), 0.0
        while waited < DATABASE_WAIT and not database_reachable(app):
            pause = min(backoff.next(), DATABASE_WAIT - waited)
            time.sleep(pause)
            waited += pause
        if waited < DATABASE_WAIT:
            log.warning("database reachable again after %.0fs: worker resuming", time.monotonic() - down_since.pop())
        with app.app_context():
            db.engine.dispose()  # connections opened before a database restart are dead
        return True
    return handle


class _Stop:
    """SIGTERM/SIGINT between two runs of RQ's loop (RQ handles them inside it)."""

    def __init__(self):
        self.event = threading.Event()

    def __enter__(self):
        self.saved = {s: signal.signal(s, lambda *_: self.event.set()) for s in (signal.SIGTERM, signal.SIGINT)}
        return self

    def __exit__(self, *exc):
        for number, handler in self.saved.items():
            signal.signal(number, handler)


def work(app: Flask, queues=queue.QUEUES, burst: bool = False, with_scheduler: bool = True) -> None:
    """`flask worker`: RQ's work loop, run again in this process whenever it ends without being
    asked to stop.

    RQ 3.0's `Worker.work()` waits out Redis only while dequeuing (its own doubling wait); a Redis
    error anywhere else in the loop (marking the worker idle, a job's bookkeeping, a heartbeat, the
    maintenance pass) ends it with "found an unhandled exception, quitting", and its teardown may
    then raise the same error. So the loop is run again, with a new SimpleWorker (the old one's
    name may still be registered in Redis as alive), once Redis answers, waiting with `Backoff`
    and logging one line per outage. A stop request (SIGTERM/SIGINT, which RQ handles inside its
    loop and notes in `_shutdown_requested_date`; RQ 3.0.0 is pinned exactly) ends it."""
    saved = {number: signal.getsignal(number) for number in (signal.SIGTERM, signal.SIGINT)}
    backoff = Backoff()
    try:
        while True:
            worker, started = None, time.monotonic()
            try:
                worker = make_worker(app, queues)  # registers in Redis: fails if it is down at start
                worker.work(burst=burst, with_scheduler=with_scheduler)
                why = "RQ's work loop ended"
            except RedisError as exc:  # raised by RQ's start, loop or teardown
                why = f"{type(exc).__name__}: {exc}"
            if worker is not None:
                _discard(worker)
                if burst or worker._shutdown_requested_date is not None:
                    return
            if time.monotonic() - started > 2 * BACKOFF_CAP:
                backoff.reset()  # it ran a good while: a new outage starts over at 1 s
            if not _wait_for_redis(app, backoff, why):
                return
    finally:
        for number, handler in saved.items():
            signal.signal(number, handler)


def _discard(worker: SimpleWorker) -> None:
    """Stop the ended worker's pubsub thread, which RQ's teardown leaves running (and retrying
    every 2 s) when Redis failed before it got that far: one leaked thread per outage otherwise.
    The thread ends and closes its connection at its next wake-up (redis-py's stop())."""
    thread = getattr(worker, "pubsub_thread", None)
    if thread is not None and thread.is_alive():
        thread.stop()


def _wait_for_redis(app: Flask, backoff: Backoff, why: str) -> bool:
    """Wait until Redis answers; False if asked to stop meanwhile."""
    def reachable() -> bool:
        with app.app_context():
            return queue.redis_ok()

    with _Stop() as stop:
        delay = backoff.next()
        if reachable():  # a blink, or not Redis at all: run again after a pause
            log.warning("worker: %s; resuming in %.0fs", why, delay)
            return not stop.event.wait(delay)
        down_since = time.monotonic()
        log.warning("Redis unreachable, retrying in %.0fs", delay)
        while not stop.event.wait(delay):
            if reachable():
                log.warning("Redis reachable again after %.0fs: worker resuming", time.monotonic() - down_since)
                return True
            delay = backoff.next()
        return False


@dataclass(frozen=True)
class Periodic:
    name: str
    every: int  # seconds
    func: object


# Each run of a periodic job has an id made of its name and its time slot, claimed in Redis
# before it is enqueued: any number of schedulers on any number of hosts enqueue it once.
SCHEDULE = (
    Periodic("rollups-full-pass", 3600, rollup_jobs.rebuild_current_term),
    Periodic("warnings-full-pass", 6 * 3600, alerts.evaluate_current_term),
    Periodic("warnings-escalate", 300, alerts.escalate_overdue),
    Periodic("incidents-expire", 300, alerts.expire_incidents),  # mass-event incidents past their deadline
    Periodic("notifications-digest", 3600, alerts.send_digests),
    Periodic("push-due", 60, alerts.deliver_push),  # quiet hours ending; retries if Redis lost them
    Periodic("channels-due", 60, alerts.deliver_channels),  # the same for WeCom and DingTalk messages
    Periodic("housekeeping", 6 * 3600, housekeeping.prune),  # a quarter day's expired rows per run
    Periodic("department-teachers", 6 * 3600, teacher_jobs.department_teachers_all),  # medians, shortfall
)


def tick(now: datetime | None = None) -> list[str]:
    """Enqueue every periodic job whose slot has begun and nobody has claimed; returns their ids.
    A slot lasts its period, so a tick missed in an outage is claimed by the next one."""
    moment = int((now or clock.now()).timestamp())
    enqueued = []
    for periodic in SCHEDULE:
        job_id = f"{periodic.name}-{moment // periodic.every}"
        if queue.claim(job_id, 2 * periodic.every):
            try:
                queue.enqueue(periodic.func, job_id=job_id)
            except BaseException:
                _release(job_id)
                raise
            enqueued.append(job_id)
    return enqueued


def _release(job_id: str) -> None:
    """Give back a slot claimed for a job that could not be enqueued, so the next tick claims it
    again (best effort: if Redis itself is gone, so is the claim)."""
    try:
        queue.release(job_id)
    except RedisError:
        pass


def run_scheduler(app: Flask, interval: float = 30, stop: threading.Event | None = None) -> None:
    """`flask scheduler`: a tick every `interval` seconds until `stop` is set. A tick that cannot
    reach Redis or the database is tried again with `Backoff` (one log line per outage), then the
    ticks go on as before."""
    stop = stop or threading.Event()
    backoff, down_since = Backoff(), None
    while not stop.is_set():
        try:
            with app.app_context():
                for job_id in tick():
                    log.info("scheduled %s", job_id)
        except (RedisError, SQLAlchemyError) as exc:
            delay = backoff.next()
            if down_since is None:
                down_since = time.monotonic()
                what = "Redis" if isinstance(exc, RedisError) else "the database"
                log.warning("scheduler: %s unreachable (%s), retrying in %.0fs", what, type(exc).__name__, delay)
            stop.wait(delay)
            continue
        if down_since is not None:
            log.warning("scheduler: ticking again after %.0fs", time.monotonic() - down_since)
            backoff.reset()
            down_since = None
        stop.wait(interval)

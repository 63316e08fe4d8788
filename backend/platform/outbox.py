"""The transactional job outbox and its relay: jobs a committed change needs cannot be lost.

A write's commit inserts the jobs it needs into `outbox_job` in its own transaction (one
multi-row INSERT, coalesced by a partial unique index: a job already waiting is not written
again). Nothing in the request talks to Redis but one wake-up, skipped while Redis is known down.
The relay (`flask relay`, any number of them) moves rows to RQ through queue.enqueue_coalesced
(RQ job ids, timeouts, retries and coalescing as before), passes the request id in the job's meta,
and marks them relayed. A row is finished when its job runs: `started()` notes the rows visible
then, and the job's own commit deletes them, so its work and the row's end are one transaction.
A row relayed longer ago than its job could take with every retry is relayed again: that job was
lost. When the relay sees that Redis lost its data (restarted without persistence, flushed: a
marker key it keeps is gone), every row relayed before is relayed again at once instead of after
that wait. A job may thus run twice; jobs are idempotent.
"""
import json
import logging
import threading
import time
from datetime import datetime, timedelta

from flask import Flask, current_app
from redis.exceptions import RedisError
from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError

from backend.extensions import db
from backend.models.outbox import OutboxJob
from backend.platform import clock, logs, queue

log = logging.getLogger(__name__)
DONE = "outbox_done"  # session.info key: ids of rows the running job finishes when it commits
WAKE_KEY = "spiral:outbox:wake"  # a list of at most one item: the relay blocks on it between polls
EPOCH_KEY = "spiral:outbox:epoch"  # set by the relay; gone means Redis lost what was relayed into it
BATCH = 200  # rows per relay transaction: bounds how long it holds their locks (SQLite: the writer's)
BACKOFF_CAP = 30.0  # seconds between tries while Redis or the database is away


def _key(args) -> str:
    return json.dumps(list(args), separators=(",", ":"))


def write(session, jobs) -> None:
    """Insert the (function, args) jobs as pending rows in `session`'s transaction, skipping any
    already pending: one statement whatever their number."""
    now, request_id = clock.now(), logs.request_id.get()
    rows = [{"job": f.__name__, "args": _key(args), "request_id": request_id, "created_at": now, "relayed_at": None}
            for f, args in jobs]
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(OutboxJob.__table__).values(rows).on_conflict_do_nothing(
        index_elements=["job", "args"], index_where=OutboxJob.relayed_at.is_(None)))


def claim_started(job: str, args) -> None:
    """The rows for this job committed before it started are its to finish: the work it is about
    to read includes theirs. They are deleted when the job's transaction commits (`finish`)."""
    if not queue.configured():
        return  # inline: no rows are written
    ids = db.session.scalars(select(OutboxJob.id).where(OutboxJob.job == job, OutboxJob.args == _key(args))).all()
    if ids:
        db.session.info.setdefault(DONE, set()).update(ids)


def finish(session, ids) -> None:
    session.execute(delete(OutboxJob).where(OutboxJob.id.in_(sorted(ids))))


# The wake-up's circuit breaker, per process: after a failed wake-up none is tried for this long,
# so a dead Redis costs one failed attempt per WAKE_PAUSE, not one per write.
WAKE_PAUSE = 5.0
_quiet_until = 0.0


def _wake_redis():
    return queue.redis_connection()


def wake() -> None:
    """Tell a waiting relay there is work (one round trip); never fails, never waits long."""
    global _quiet_until
    if time.monotonic() < _quiet_until:
        return
    try:
        pipe = _wake_redis().pipeline(transaction=False)
        pipe.lpush(WAKE_KEY, 1).ltrim(WAKE_KEY, 0, 0).execute()
    except RedisError:
        _quiet_until = time.monotonic() + WAKE_PAUSE  # the relay's poll picks the rows up


def stale_after(job) -> float:
    """Seconds after which a relayed row whose job never finished counts as lost: the job's
    timeout for every try, its backoffs, and a margin for RQ's own recovery of a dead worker's job."""
    spec = job.spec
    return (spec.timeout * (1 + len(spec.retry_after)) + sum(spec.retry_after)
            + current_app.config["OUTBOX_STALE_MARGIN_SECONDS"])


# Rows relayed before this moment went into a Redis that has since lost its data: relay them again.
_lost_before: datetime | None = None


def _note_redis_emptied(now: datetime) -> None:
    global _lost_before
    if queue.redis_connection().set(EPOCH_KEY, 1, nx=True):  # one round trip a pass
        _lost_before = now


def relay_once(now: datetime | None = None, limit: int = BATCH) -> int:
    """Move pending rows (and relayed rows gone stale or lost with Redis's data) to RQ; the number
    relayed. Raises RedisError or SQLAlchemyError when either is away, with nothing marked (the
    next pass tries again)."""
    now = now or clock.now()
    _note_redis_emptied(now)
    stale = [and_(OutboxJob.job == name, OutboxJob.relayed_at < now - timedelta(seconds=stale_after(job)))
             for name, job in queue.JOBS.items()]
    if _lost_before is not None:
        stale.append(OutboxJob.relayed_at < _lost_before)
    # SKIP LOCKED: relays running at once take different rows (PostgreSQL; SQLite has one writer).
    rows = db.session.execute(select(OutboxJob.id, OutboxJob.job, OutboxJob.args, OutboxJob.request_id,
                                     OutboxJob.relayed_at)
                              .where(or_(OutboxJob.relayed_at.is_(None), *stale))
                              .order_by(OutboxJob.id).limit(limit).with_for_update(skip_locked=True)).all()
    again = set()
    try:
        for row in rows:
            job = queue.JOBS.get(row.job)
            if job is None:  # renamed or removed by a release: nothing can run it
                log.error("outbox row %s names no job %r: deleted", row.id, row.job)
                continue
            args, meta = json.loads(row.args), {"request_id": row.request_id}
            if row.relayed_at is None:
                queue.enqueue_coalesced(job, *args, meta=meta)
            elif (row.job, row.args) not in again:
                # Its job was lost: enqueued past the coalescing mark, which may outlive the job.
                again.add((row.job, row.args))
                log.warning("job %s%s relayed at %s never finished: relaying it again", row.job, row.args,
                            row.relayed_at.isoformat())
                queue.enqueue(job, *args, meta=meta)
    except BaseException:
        db.session.rollback()
        raise
    unknown = [r.id for r in rows if r.job not in queue.JOBS]
    if unknown:
        db.session.execute(delete(OutboxJob).where(OutboxJob.id.in_(unknown)))
    if rows:
        db.session.execute(update(OutboxJob).where(OutboxJob.id.in_([r.id for r in rows])).values(relayed_at=now))
    db.session.commit()
    return len(rows)


def backlog() -> tuple[int, datetime | None]:
    """Unfinished rows (pending or relayed, their job not yet done) and the oldest one's creation:
    readiness and metrics report it."""
    count, oldest = db.session.execute(select(func.count(), func.min(OutboxJob.created_at))).one()
    return count, oldest


def run(app: Flask, stop: threading.Event | None = None) -> None:
    """The relay loop: relay, then wait for a wake-up or the poll interval. Through an outage of
    Redis or the database it backs off (doubling, at most BACKOFF_CAP s), logs once, and goes on."""
    stop = stop or threading.Event()
    poll = app.config["RELAY_POLL_SECONDS"]
    outage, since, backoff = None, 0.0, 0.0
    while not stop.is_set():
        try:
            with app.app_context():
                relayed = relay_once()
                if relayed < BATCH:  # a full batch means more is waiting: go on at once
                    queue.redis_connection().blpop([WAKE_KEY], timeout=poll)
            if outage:
                log.warning("relay: %s is back after %.0f s", outage, time.monotonic() - since)
                outage, backoff = None, 0.0
        except (RedisError, SQLAlchemyError, OSError) as exc:
            kind = "the database" if isinstance(exc, SQLAlchemyError) else "Redis"
            if outage != kind:
                log.warning("relay: %s unavailable (%s); retrying with backoff up to %.0f s", kind,
                            str(exc).splitlines()[0] if str(exc) else type(exc).__name__, BACKOFF_CAP)
                outage, since = kind, time.monotonic()
            backoff = min(BACKOFF_CAP, max(poll, backoff * 2))
            stop.wait(backoff)

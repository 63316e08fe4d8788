"""The RQ worker and the periodic scheduler, as `flask worker` and `flask scheduler` run them."""
import logging
import time
from dataclasses import dataclass
from datetime import datetime

from flask import Flask
from rq import Queue, SimpleWorker

from backend.jobs import alerts, housekeeping
from backend.jobs import rollups as rollup_jobs
from backend.platform import clock, queue

log = logging.getLogger(__name__)


def make_worker(app: Flask, queues=queue.QUEUES) -> SimpleWorker:
    """An RQ worker for `app`: each job runs in a fresh app context of this one app (the @job
    wrapper opens it, platform/queue.py), in this process.

    Why RQ's SimpleWorker, not its forking Worker: rollup jobs take milliseconds, a fork per job
    costs more than the job and would inherit the parent's database connections.

    Nothing of RQ is overridden; two documented worker arguments set how soon a job that died
    with its worker (SIGKILL, a lost host) is retried. RQ gives such a job until its timeout
    + 60 s (a SimpleWorker sends no heartbeats during a job); after that the next maintenance
    pass of any live worker (every JOBS_MAINTENANCE_SECONDS, looked at least every
    JOBS_WORKER_TTL - 15 s while idle) re-enqueues it as a retry. So: within timeout + 60 +
    JOBS_MAINTENANCE_SECONDS + (JOBS_WORKER_TTL - 15) s, plus the job's first backoff."""
    queue.run_jobs_in(app)
    with app.app_context():
        connection = queue.redis_connection()
    return SimpleWorker([Queue(q, connection=connection) for q in queues], connection=connection,
                        worker_ttl=app.config["JOBS_WORKER_TTL"],
                        maintenance_interval=app.config["JOBS_MAINTENANCE_SECONDS"])


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
)


def tick(now: datetime | None = None) -> list[str]:
    """Enqueue every periodic job whose slot has begun and nobody has claimed; returns their ids."""
    moment = int((now or clock.now()).timestamp())
    enqueued = []
    for periodic in SCHEDULE:
        job_id = f"{periodic.name}-{moment // periodic.every}"
        if queue.claim(job_id, 2 * periodic.every):
            queue.enqueue(periodic.func, job_id=job_id)
            enqueued.append(job_id)
    return enqueued


def run_scheduler(app: Flask, interval: float = 30) -> None:
    while True:
        with app.app_context():
            for job_id in tick():
                log.info("scheduled %s", job_id)
        time.sleep(interval)

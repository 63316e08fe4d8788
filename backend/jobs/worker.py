"""The RQ worker and the periodic scheduler, as `flask worker` and `flask scheduler` run them."""
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timezone

from flask import Flask
from rq import Queue, SimpleWorker

from backend.extensions import db
from backend.jobs import alerts
from backend.jobs import rollups as rollup_jobs
from backend.platform import queue

log = logging.getLogger(__name__)


class AppWorker(SimpleWorker):
    """Runs each job in this process, inside a fresh app context of the one app the worker
    made when it started.

    Why not RQ's forking worker: rollup jobs take milliseconds, and a fork per job costs
    more than the job and would inherit the parent's database connections. Why the shorter
    heartbeat: a job that dies with its worker (SIGKILL, a lost host) is only retried once
    its heartbeat runs out; with this one that is its timeout plus a small grace instead of
    RQ's fixed extra minute."""

    def __init__(self, *args, app: Flask, **kwargs):
        super().__init__(*args, **kwargs)
        self.app = app

    def perform_job(self, job, queue_):
        with self.app.app_context():
            succeeded = super().perform_job(job, queue_)
            if not succeeded:
                # A job stopped by its timeout may have been interrupted inside a database
                # call, its connection mid-protocol: a rollback would fail and take the
                # worker down, so the connection is discarded instead.
                db.session().invalidate()  # scoped_session does not proxy invalidate()
            return succeeded

    def get_heartbeat_ttl(self, job) -> int:
        return int(job.timeout or 180) + self.app.config["JOBS_HEARTBEAT_GRACE"]


def make_worker(app: Flask, queues=queue.QUEUES) -> AppWorker:
    with app.app_context():
        connection = queue.redis_connection()
    return AppWorker([Queue(q, connection=connection) for q in queues], connection=connection, app=app,
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
    Periodic("notifications-digest", 3600, alerts.send_digests),
    Periodic("push-due", 60, alerts.deliver_push),  # quiet hours ending; retries if Redis lost them
)


def tick(now: datetime | None = None) -> list[str]:
    """Enqueue every periodic job whose slot has begun and nobody has claimed; returns their ids."""
    moment = int((now or datetime.now(timezone.utc)).timestamp())
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

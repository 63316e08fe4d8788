"""Faults: a worker killed in the middle of a rollup job, Redis restarted during a burst.

Both end the same way: the rollups equal a full recompute again, within a stated bound.
"""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rq import Queue
from rq.job import Job
from sqlalchemy import create_engine, select, text

from backend.extensions import db
from backend.jobs.worker import make_worker, tick
from backend.models import User
from backend.org import directory
from backend.platform import clock, outbox, queue
from backend.reporting import rollups
from backend.valuecard import ledger
from tests.helpers import build_college
from tests.reporting.test_rollups import OFFICE, classes_of_one_department

ROOT = Path(__file__).resolve().parents[2]
# Worker settings for the kill test, and the bound they give: a job killed with its worker is
# found abandoned once RQ's allowance for it runs out (its timeout + 60 s: a SimpleWorker sends
# no heartbeats during a job, and RQ 3 offers no setting for the 60), by a worker's maintenance
# pass (every MAINTENANCE s, checked at least every WORKER_TTL - 15 s while idle), and retried
# after the job's first backoff.
TIMEOUT, RQ_ALLOWANCE, MAINTENANCE, WORKER_TTL, FIRST_BACKOFF = 10, 60, 1, 20, 2
BOUND = TIMEOUT + RQ_ALLOWANCE + MAINTENANCE + (WORKER_TTL - 15) + FIRST_BACKOFF + 5  # + 5 s for process start


def score_class(term, roster, value, week=4):
    office = db.session.scalar(select(User).where(User.username == OFFICE))
    ledger.record_batch(office, term, {"point": "S-P-09", "period": f"week:{week}",
                                       "entries": [{"student_id": s, "value": value} for s in roster]})
    db.session.commit()


def start_worker(app, command="worker") -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": app.config["REDIS_URL"],
           "SPIRAL_INSTANCE": app.instance_path, "SPIRAL_CLOCK_START": clock.now().isoformat(),
           "JOBS_MAINTENANCE_SECONDS": str(MAINTENANCE), "JOBS_WORKER_TTL": str(WORKER_TTL)}
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", command], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_until(condition, seconds: float, what: str) -> float:
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > seconds:
            raise AssertionError(f"{what} not within {seconds} s")
        time.sleep(0.2)
    return time.monotonic() - started


def in_agreement(term) -> bool:
    db.session.rollback()
    agree = rollups.check(term) == []
    db.session.rollback()
    return agree


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_a_worker_killed_mid_job_is_retried_within_the_bound(app):
    build_college(students=120)
    term = directory.current_term(clock.school_today())
    rollups.rebuild(term)
    db.session.commit()
    (class_id, roster), _ = classes_of_one_department()
    score_class(term, roster, 77)
    outbox.relay_once()
    [job_id] = Queue("rollups", connection=queue.redis_connection()).job_ids

    # Hold the rollup table so the job stops half-way: it has read the ledger and computed
    # the class, and waits to read the stored rows it would change.
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    blocker, watcher = engine.connect(), engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    blocker.execute(text("LOCK TABLE rollup IN ACCESS EXCLUSIVE MODE"))
    worker = start_worker(app)
    try:
        wait_until(lambda: watcher.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'SELECT rollup.%'"
        )).scalar() == 1, 30, "the job waiting on the rollup table")
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    finally:
        blocker.rollback()
        blocker.close()
        watcher.close()
        engine.dispose()
    assert not in_agreement(term)  # the killed run wrote nothing

    replacement = start_worker(app)
    relay = start_worker(app, "relay")  # the department and school jobs the class job's commit needs
    try:
        took = wait_until(lambda: in_agreement(term), BOUND, "rollups equal to a full recompute")
    finally:
        for process in (replacement, relay):
            process.terminate()
            process.wait(10)
    job = Job.fetch(job_id, connection=queue.redis_connection())
    assert job.get_status() == "finished" and job.retries_left == 2  # one retry used
    print(f"killed job retried and done in {took:.1f} s (bound {BOUND} s)")


def test_redis_restarted_during_a_burst_leaves_no_gap_after_the_full_pass(app, redis_server):
    build_college(students=120)
    term = directory.current_term(clock.school_today())
    rollups.rebuild(term)
    db.session.commit()
    (_, roster_a), (_, roster_b) = classes_of_one_department()
    score_class(term, roster_a, 81)            # relayed, then lost with Redis
    score_class(term, roster_b, 82)            # relayed, then lost with Redis
    outbox.relay_once()
    redis_server.stop()
    score_class(term, roster_a, 83, week=5)    # Redis down: waits in the outbox (nothing runs inline)
    redis_server.start()
    score_class(term, roster_a, 84, week=6)    # coalesced with the waiting row
    outbox.relay_once()
    make_worker(app).work(burst=True)
    assert not in_agreement(term)  # the second class's batch is missing: its job was lost

    assert tick()  # the periodic full pass
    db.session.rollback()
    make_worker(app).work(burst=True)
    assert in_agreement(term)
    result = app.test_cli_runner().invoke(args=["rollups", "check"])
    assert result.exit_code == 0, result.output

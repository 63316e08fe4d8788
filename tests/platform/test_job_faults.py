"""Faults: a worker killed in the middle of a rollup job, Redis restarted during a burst.

Both end the same way: the rollups equal a full recompute again, within a stated bound.
"""
import os
import signal
import subprocess
import sys
import threading
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


# Redis outages, in this process (SQLite: the database plays no part). The worker's loop is
# `jobs.worker.work`, the function `flask worker` runs; the scheduler's is `run_scheduler`.
_outage = {}  # the Redis server a job stops, and what the jobs saw


def stop_redis_mid_job():
    """Redis goes away while a job runs: RQ cannot record the job's end, which ended RQ's loop."""
    _outage["server"].stop()
    _outage["ran"].append("first")


def finish_and_stop():
    _outage["ran"].append("after")
    os.kill(os.getpid(), signal.SIGTERM)  # what systemd sends; RQ stops after this job


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_the_worker_loop_survives_redis_going_away_mid_job(app, redis_server, caplog):
    from backend.jobs.worker import work

    _outage.update(server=redis_server, ran=[])
    connection = queue.redis_connection()
    Queue("default", connection=connection).enqueue(stop_redis_mid_job)

    def bring_back():
        wait_until(lambda: _outage["ran"], 30, "the job stopping Redis")
        time.sleep(3)
        redis_server.start()
        Queue("default", connection=connection).enqueue(finish_and_stop)

    helper = threading.Thread(target=bring_back)
    helper.start()
    caplog.set_level("WARNING", "backend.jobs.worker")
    started = time.monotonic()
    work(app, with_scheduler=False)  # returns only on the SIGTERM the second job sends
    helper.join()
    assert _outage["ran"] == ["first", "after"]
    outage_lines = [r.message for r in caplog.records if r.message.startswith("Redis unreachable, retrying in")]
    assert len(outage_lines) == 1, caplog.text
    assert any("Redis reachable again" in r.message for r in caplog.records)
    print(f"worker resumed and stopped on SIGTERM after {time.monotonic() - started:.1f} s")


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_the_scheduler_loop_survives_a_redis_outage(app, redis_server, caplog):
    from backend.jobs.worker import run_scheduler

    caplog.set_level("WARNING", "backend.jobs.worker")
    connection = queue.redis_connection()
    slot = f"spiral:claim:rollups-full-pass-{int(clock.now().timestamp()) // 3600}"
    stop = threading.Event()
    scheduler = threading.Thread(target=run_scheduler, args=(app, 0.2, stop))
    scheduler.start()
    try:
        wait_until(lambda: connection.exists(slot), 10, "the first tick")
        redis_server.stop()
        time.sleep(4)  # ticks fail meanwhile
        assert scheduler.is_alive()
        redis_server.start()  # an empty Redis: the claims went with the old one
        took = wait_until(lambda: connection.exists(slot), 20, "the slot claimed again")
    finally:
        stop.set()
        scheduler.join(10)
    assert not scheduler.is_alive()
    lines = [r.message for r in caplog.records if "unreachable" in r.message]
    assert len(lines) == 1 and lines[0].startswith("scheduler: Redis unreachable"), lines
    print(f"scheduler claimed the hour's slot again {took:.1f} s after Redis returned")


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_a_worker_waiting_out_a_redis_outage_still_stops_on_sigterm(app, redis_server):
    from backend.jobs.worker import work

    def outage_then_sigterm():
        time.sleep(1)  # the worker is idle, waiting on Redis for a job
        redis_server.stop()
        time.sleep(2)
        os.kill(os.getpid(), signal.SIGTERM)

    helper = threading.Thread(target=outage_then_sigterm)
    helper.start()
    started = time.monotonic()
    try:
        work(app, with_scheduler=False)  # must return, not wait for Redis
        took = time.monotonic() - started
    finally:
        helper.join()
        redis_server.start()
    assert took < 10


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_a_job_failing_in_a_database_outage_keeps_its_retries_and_the_worker_waits(app, postgres_server, caplog):
    from backend.jobs import housekeeping
    from backend.jobs.worker import work

    db.session.commit()
    db.session.remove()
    job = queue.enqueue(housekeeping.prune)  # retried after 5, 30 and 120 s
    postgres_server.stop()
    back = threading.Timer(3, postgres_server.start)
    back.start()
    started = time.monotonic()
    try:
        with caplog.at_level("WARNING", "backend.jobs.worker"):
            work(app, burst=True, with_scheduler=False)  # the job fails; the worker waits for the database
        waited = time.monotonic() - started
    finally:
        back.join()
    job.refresh()
    # Retried as soon as the database answered (the same burst ran it), no retry used, and the
    # job's own backoff unchanged: a failure of its own would still wait 5 s first.
    assert job.get_status() == "finished" and job.retries_left == 3 and job.get_retry_interval() == 5
    assert waited >= 2.5  # it took no next job (burst: it would have ended) until the database answered
    assert "database unreachable" in caplog.text and "database reachable again" in caplog.text

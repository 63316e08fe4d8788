"""The outage drill: Redis killed for 10 s, then PostgreSQL stopped for 10 s, under whole-class
batches, with a real `flask worker`, `flask scheduler` and `flask relay` as separate processes.

Afterwards the same two processes are alive, every job has finished (nothing queued, running,
waiting for a retry or failed; nothing left in the job outbox), the rollups equal a full
recompute without anyone rebuilding them, every batch answered 201 is whole in the ledger and
every other batch was a 503 and left nothing behind. The timings (outage end to queues drained) are printed.
"""
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests
from rq import Queue, Worker
from sqlalchemy import func, select

from backend.extensions import db
from backend.models import ClassGroup, ScoreEntry, ScoringPoint, StudentProfile, Term
from backend.org import directory
from backend.platform import clock, outbox, queue
from backend.reporting import rollups
from tests.helpers import build_college, demo_account, served
from tests.reporting.test_rollups import OFFICE
from tests.servers import PostgresServer

ROOT = Path(__file__).resolve().parents[2]
OUTAGE = 10  # seconds each server is down
WEEKS = range(1, 16)  # S-P-09 is weekly: every (class, week) is written at most once


def unfinished(connection) -> dict[str, int]:
    """Jobs not yet done, by where they wait; failed ones count too (none may be given up). The
    outbox counts every row whose job has not finished: one relayed into the Redis that was killed
    must be relayed again (the relay sees Redis lost its data) and done."""
    counts = {"outbox": outbox.backlog()[0]}
    db.session.rollback()
    for name in queue.QUEUES:
        q = Queue(name, connection=connection)
        counts[name] = (q.count + q.started_job_registry.count + q.scheduled_job_registry.count
                        + q.deferred_job_registry.count)
        counts[f"{name} failed"] = q.failed_job_registry.count
    return {k: v for k, v in counts.items() if v}


class Writer(threading.Thread):
    """Posts one class's weekly batch every `pause` s (a new (class, week) slot each time) while
    `writing` is set; keeps every answer."""

    def __init__(self, base: str, token: str, slots: list, pause: float = 0.3):
        super().__init__(daemon=True)
        self.base, self.token, self.slots, self.pause = base, token, iter(slots), pause
        self.writing, self.done = threading.Event(), threading.Event()
        self.answers: list[tuple[tuple, int]] = []  # ((class_id, period, size), status or 0)

    def run(self):
        session = requests.Session()
        while not self.done.is_set():
            if not self.writing.wait(0.1):
                continue
            slot = next(self.slots, None)
            if slot is None:
                return  # every (class, week) written
            class_id, roster, week = slot
            body = {"point": "S-P-09", "period": f"week:{week}",
                    "entries": [{"student_id": s, "value": 60 + week} for s in roster]}
            try:
                status = session.post(f"{self.base}/api/v1/entries", json=body, timeout=30, headers={
                    "Authorization": f"Bearer {self.token}", "Idempotency-Key": str(uuid.uuid4())}).status_code
            except requests.RequestException:
                status = 0
            self.answers.append(((class_id, f"week:{week}", len(roster)), status))
            time.sleep(self.pause)


def app_env(app) -> dict:
    """The environment `flask worker` and friends get in production: the app's settings."""
    return {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": app.config["REDIS_URL"],
            "SPIRAL_INSTANCE": app.instance_path, "SPIRAL_CLOCK_START": clock.now().isoformat(),
            "JOBS_MAINTENANCE_SECONDS": "5", "JOBS_WORKER_TTL": "20"}


def drained(connection, seconds: float, what: str) -> float:
    started = time.monotonic()
    while unfinished(connection):
        if time.monotonic() - started > seconds:
            raise AssertionError(f"{what} not within {seconds} s: {unfinished(connection)}")
        time.sleep(0.2)
    return time.monotonic() - started


def start(app, command: list[str], log: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", *command], cwd=ROOT, env=app_env(app),
                            stdout=log.open("w"), stderr=subprocess.STDOUT)


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_worker_and_scheduler_live_through_a_redis_and_a_database_outage(app, redis_server, postgres_server,
                                                                         tmp_path):
    assert isinstance(postgres_server, PostgresServer)
    build_college(students=240)
    term = directory.current_term(clock.school_today())
    rollups.rebuild(term)
    db.session.commit()
    term_id = term.id
    point_id = db.session.scalar(select(ScoringPoint.id).where(ScoringPoint.code == "S-P-09"))
    classes = [(cid, db.session.scalars(select(StudentProfile.user_id).where(StudentProfile.class_id == cid)
                                        .order_by(StudentProfile.user_id)).all())
               for cid in db.session.scalars(select(ClassGroup.id).order_by(ClassGroup.id))]
    classes = [(cid, roster) for cid, roster in classes if roster]
    before = set(db.session.execute(select(ScoreEntry.class_id, ScoreEntry.period)
                                    .where(ScoreEntry.point_id == point_id)).all())
    slots = [(cid, roster, week) for week in WEEKS for cid, roster in classes if (cid, f"week:{week}") not in before]
    connection = queue.redis_connection()

    logs = {name: tmp_path / f"{name}.log" for name in ("worker", "scheduler", "relay")}
    worker = start(app, ["worker"], logs["worker"])
    scheduler = start(app, ["scheduler", "--interval", "2"], logs["scheduler"])
    processes = [worker, scheduler, start(app, ["relay"], logs["relay"])]
    timings = {}
    try:
        with served(app) as base:
            token = requests.post(f"{base}/api/v1/auth/login", json=demo_account(OFFICE), timeout=30).json()["access_token"]
            writer = Writer(base, token, slots)
            writer.start()
            deadline = time.monotonic() + 60
            while not Worker.all(connection=connection):  # the worker process has started and registered
                assert time.monotonic() < deadline, logs["worker"].read_text()[-3000:]
                time.sleep(0.2)
            drained(connection, 60, "the first ticks' jobs done")

            # Redis: killed under writes for OUTAGE s.
            writer.writing.set()
            time.sleep(3)
            redis_server.stop()
            time.sleep(OUTAGE)
            redis_server.start()
            back = time.monotonic()
            time.sleep(2)
            writer.writing.clear()
            timings["redis"] = time.monotonic() - back + drained(
                connection, 60, "queues drained after Redis returned")

            # PostgreSQL: stopped under writes for OUTAGE s.
            writer.writing.set()
            time.sleep(3)
            db.session.remove()  # this process's own session holds no connection into the outage
            postgres_server.stop()
            time.sleep(OUTAGE)
            postgres_server.start()
            back = time.monotonic()
            time.sleep(2)
            writer.writing.clear()
            db.engine.dispose()  # this process's pooled connections died with the server
            timings["postgresql"] = time.monotonic() - back + drained(
                connection, 90, "queues drained after PostgreSQL returned")
            writer.done.set()
            writer.join(35)

        exits = {log: p.poll() for log, p in zip(logs.values(), processes)}
        assert all(code is None for code in exits.values()), [(code, log.read_text()[-3000:]) for log, code in exits.items()]
        assert not unfinished(connection)
        db.session.rollback()
        assert rollups.check(db.session.get(Term, term_id)) == []  # what `flask rollups check` runs: no rebuild was needed

        written = {(c, p): n for c, p, n in db.session.execute(
            select(ScoreEntry.class_id, ScoreEntry.period, func.count()).where(ScoreEntry.point_id == point_id)
            .group_by(ScoreEntry.class_id, ScoreEntry.period))}
        accepted = [slot for slot, status in writer.answers if status == 201]
        refused = [(slot, status) for slot, status in writer.answers if status != 201]
        assert [s for s in accepted if written.get(s[:2]) != s[2]] == []  # every 201 whole in the ledger
        assert [s for s, _ in refused if s[:2] in written] == []  # nothing of a failed batch
        assert accepted and refused  # the drill wrote through both outages and some writes failed
        assert {status for _, status in refused} == {503}  # a database outage says so, never a 500
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
    outage_lines = [line for name in ("worker", "scheduler") for line in logs[name].read_text().splitlines()
                    if "WARNING backend.jobs.worker" in line]
    print(f"\ndrill: {len(accepted)} batches accepted, {len(refused)} refused "
          f"({sorted({s for _, s in refused})}); worker pid {worker.pid}, scheduler pid {scheduler.pid} alive "
          f"throughout; Redis back -> drained {timings['redis']:.1f} s; PostgreSQL back -> drained "
          f"{timings['postgresql']:.1f} s")
    print("\n".join(outage_lines))

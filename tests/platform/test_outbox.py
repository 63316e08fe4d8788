"""Jobs that cannot be lost: the outbox row is committed with the change, a relay moves it to RQ,
the job's own commit ends it; a Redis outage costs no write anything and loses nothing."""
import logging
import threading
import time
from datetime import timedelta

import pytest
from redis import Redis
from rq import Queue
from rq.registry import FinishedJobRegistry
from sqlalchemy import create_engine, select, text

from backend.extensions import db
from backend.jobs import rollups as rollup_jobs
from backend.models import OutboxJob, User
from backend.org import directory
from backend.platform import clock, logs, outbox, queue
from backend.reporting import rollups
from backend.valuecard import ledger
from tests.conftest import NO_REDIS, make_app
from tests.helpers import assert_problem, build_college, demo_account, login, run_worker, writing
from tests.reporting.test_rollups import OFFICE, classes_of_one_department, rollup


@pytest.fixture
def school(app, client):
    build_college(students=120)
    (class_a, roster_a), (class_b, roster_b) = classes_of_one_department()
    db.session.rollback()
    return {"office": login(client, demo_account(OFFICE)), "term": directory.current_term(clock.school_today()).id,
            "a": (class_a, roster_a), "b": (class_b, roster_b)}


def score(client, school, cls="a", week=3, value=80, request_id=None):
    class_id, roster = school[cls]
    headers = {**writing(school["office"]), **({"X-Request-ID": request_id} if request_id else {})}
    response = client.post("/api/v1/entries", headers=headers, json={
        "point": "S-P-09", "period": f"week:{week}", "entries": [{"student_id": s, "value": value} for s in roster]})
    assert response.status_code == 201, response.json
    db.session.rollback()
    return class_id


def rows(**where) -> list[OutboxJob]:
    found = db.session.scalars(select(OutboxJob).filter_by(**where).order_by(OutboxJob.id)).all()
    db.session.rollback()
    return found


def queued(name: str) -> list:
    return Queue(name, connection=queue.redis_connection()).jobs


def check_clean(app):
    result = app.test_cli_runner().invoke(args=["rollups", "check"])
    assert result.exit_code == 0 and '"differences": 0' in result.output, result.output


def test_a_write_with_redis_down_commits_its_jobs_and_runs_none_inline(app, client, school, redis_server, caplog):
    try:
        redis_server.stop()
        with caplog.at_level(logging.INFO):
            class_id = score(client, school, value=91)
        assert "inline" not in caplog.text
        assert rollup("class", class_id, "S-P-09") is None  # no job ran in the request
        args = f"[{school['term']},{class_id}]"
        assert [(r.job, r.args, r.relayed_at) for r in rows(args=args)] == [
            ("rollup_class", args, None), ("evaluate_class", args, None)]
        with pytest.raises(Exception):
            outbox.relay_once()  # the relay cannot reach Redis either: it marks nothing
        assert all(r.relayed_at is None for r in rows())
    finally:
        redis_server.start()

    relayed = app.test_cli_runner().invoke(args=["relay", "--once"])
    assert relayed.exit_code == 0 and '"relayed": 2' in relayed.output, relayed.output
    run_worker(app)  # a burst worker (and the relay again): the backlog drains by itself
    assert rollup("class", class_id, "S-P-09").max == 91.0
    check_clean(app)
    assert outbox.backlog() == (0, None)


def test_one_unit_touched_by_many_writes_is_one_row_and_one_job(app, client, school):
    for week in (1, 2, 3, 4, 5):
        class_id = score(client, school, week=week)
    args = f"[{school['term']},{class_id}]"
    assert len(rows(job="rollup_class", args=args)) == 1
    outbox.relay_once()
    assert [j.args for j in queued("rollups")] == [(school["term"], class_id)]
    score(client, school, week=6)  # after the relay, before the job: a second row, still one job
    assert [r.relayed_at is None for r in rows(job="rollup_class", args=args)] == [False, True]
    outbox.relay_once()
    assert [j.args for j in queued("rollups")] == [(school["term"], class_id)]
    run_worker(app)
    assert rollup("class", class_id, "S-P-09").trend["6"][0] == len(school["a"][1])
    registry = FinishedJobRegistry("rollups", connection=queue.redis_connection())
    assert [registry.job_class.fetch(i, connection=queue.redis_connection()).args
            for i in registry.get_job_ids()].count((school["term"], class_id)) == 1
    assert outbox.backlog() == (0, None)
    check_clean(app)


def test_a_rolled_back_or_refused_write_leaves_no_row(app, client, school):
    office = db.session.scalar(select(User).where(User.username == OFFICE))
    term = directory.current_term(clock.school_today())
    ledger.record_batch(office, term, {"point": "S-P-09", "period": "week:2",
                                       "entries": [{"student_id": s, "value": 70} for s in school["a"][1]]})
    db.session.rollback()
    refused = client.post("/api/v1/entries", headers=writing(school["office"]), json={
        "point": "S-P-09", "period": "week:2",
        "entries": [{"student_id": s, "value": 70} for s in school["a"][1]] + [{"student_id": 10**9, "value": 70}]})
    assert_problem(refused, 422)
    db.session.rollback()
    assert rows() == [] and outbox.backlog() == (0, None)


def test_jobs_lost_with_redis_s_data_are_relayed_again_at_once_and_done_once(app, client, school):
    class_id = score(client, school, value=88)
    assert outbox.relay_once() == 2
    Redis.from_url(app.config["REDIS_URL"]).flushdb()  # Redis restarted without its data: the jobs are gone
    assert outbox.relay_once() == 2  # the relay's marker went with them: both relayed again at once
    run_worker(app)
    assert rollup("class", class_id, "S-P-09").max == 88.0
    assert outbox.backlog() == (0, None)
    assert outbox.relay_once(now=clock.now() + timedelta(hours=6)) == 0  # done once: nothing left to relay
    registry = FinishedJobRegistry("rollups", connection=queue.redis_connection())
    assert len(registry.get_job_ids()) == 1
    check_clean(app)


def test_a_relayed_job_that_never_finished_is_relayed_again_once_stale(app, client, school):
    class_id = score(client, school, value=77)
    assert outbox.relay_once() == 2
    for name in queue.QUEUES:  # lost while Redis kept its data (an operator emptied the queues)
        Queue(name, connection=queue.redis_connection()).empty()
    assert outbox.relay_once() == 0  # not yet stale: it may only be waiting
    stale = outbox.stale_after(rollup_jobs.rollup_class)
    assert outbox.relay_once(now=clock.now() + timedelta(seconds=stale + 1)) == 1  # rollup_class; evaluate_class waits longer
    run_worker(app)
    assert rollup("class", class_id, "S-P-09").max == 77.0  # past the coalescing mark the lost job left behind
    assert [r.job for r in rows()] == ["evaluate_class"]
    assert outbox.relay_once(now=clock.now() + timedelta(hours=3)) == 1
    run_worker(app)
    assert outbox.backlog() == (0, None)
    check_clean(app)


def test_the_request_id_travels_into_the_job(app, client, school):
    seen = []
    observer = lambda name, seconds, failure: seen.append((name, logs.request_id.get(), failure))  # noqa: E731
    queue.JOB_OBSERVERS.append(observer)
    class_id = score(client, school, request_id="req-19-abc")  # as nginx's $request_id would send it
    assert {r.request_id for r in rows()} == {"req-19-abc"}
    outbox.relay_once()
    [job] = queued("rollups")
    assert job.meta["request_id"] == "req-19-abc" and job.args == (school["term"], class_id)
    try:
        run_worker(app)
    finally:
        queue.JOB_OBSERVERS.remove(observer)
    assert ("rollup_class", "req-19-abc", None) in seen and ("evaluate_class", "req-19-abc", None) in seen
    assert logs.request_id.get() is None  # reset after the job


def test_the_wake_up_skips_a_dead_redis_without_trying_each_write(app, client, school, redis_server, monkeypatch):
    tries = []
    monkeypatch.setattr(outbox, "_wake_redis", lambda: tries.append(1) or queue.redis_connection())
    monkeypatch.setattr(outbox, "_quiet_until", 0.0)
    try:
        redis_server.stop()
        for week in (1, 2, 3):
            score(client, school, week=week)
    finally:
        redis_server.start()
    assert len(tries) == 1  # one failed wake-up, then the breaker holds for WAKE_PAUSE seconds
    assert len(rows(job="rollup_class")) == 1


def test_without_redis_configured_jobs_run_inline_and_write_no_rows(database, caplog):
    url, drop = database["fresh"]()
    application = make_app(url, database["instance"], NO_REDIS)
    try:
        with application.app_context():
            build_college(students=60)
            (class_id, roster), = classes_of_one_department(1)
            office = db.session.scalar(select(User).where(User.username == OFFICE))
            with caplog.at_level(logging.WARNING):
                ledger.record_batch(office, directory.current_term(clock.school_today()), {
                    "point": "S-P-09", "period": "week:3", "entries": [{"student_id": s, "value": 55} for s in roster]})
                db.session.commit()
            assert "no Redis configured: running job rollup_class" in caplog.text
            assert rollup("class", class_id, "S-P-09").max == 55.0
            assert rows() == []
            db.session.remove()
            db.engine.dispose()
    finally:
        drop()


def test_relays_at_once_take_different_rows(app, client, school):
    if app.config["DB_KIND"] != "postgresql":
        pytest.skip("SQLite has one writer: two relays cannot overlap")
    score(client, school, cls="a")
    score(client, school, cls="b")
    first = rows()[0]
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        with engine.connect() as other:  # another relay, holding the first row mid-relay
            other.execute(text("SELECT id FROM outbox_job WHERE id = :id FOR UPDATE"), {"id": first.id})
            assert outbox.relay_once() == 3  # skips the locked row, takes the rest
            other.rollback()
    finally:
        engine.dispose()
    assert [r.id for r in rows() if r.relayed_at is None] == [first.id]
    assert outbox.relay_once() == 1


def test_the_relay_loop_rides_out_a_redis_outage(app, client, school, redis_server, caplog):
    stop = threading.Event()
    relay = threading.Thread(target=outbox.run, args=(app, stop), daemon=True)

    def drained(seconds):
        deadline = time.monotonic() + seconds
        while rows(relayed_at=None):
            assert time.monotonic() < deadline, "the relay did not move the rows"
            time.sleep(0.2)

    db.session.rollback()
    with caplog.at_level(logging.WARNING, logger="backend.platform.outbox"):
        relay.start()
        try:
            score(client, school, week=1)
            drained(10)
            redis_server.stop()
            score(client, school, week=2)
            time.sleep(3)  # the relay fails a few times meanwhile, backing off
            assert len(rows(relayed_at=None)) == 2
            redis_server.start()
            drained(30)
        finally:
            if redis_server.proc.poll() is not None:
                redis_server.start()
            stop.set()
            relay.join(40)
    assert not relay.is_alive()
    assert caplog.text.count("Redis unavailable") == 1 and "Redis is back" in caplog.text
    run_worker(app)
    assert rollups.check(directory.current_term(clock.school_today())) == []
    assert outbox.backlog() == (0, None)


def test_the_relay_loop_keeps_going_through_database_errors(app, client, school, monkeypatch, caplog):
    """The database side of the loop's outage handling (the drill stops PostgreSQL for real)."""
    from sqlalchemy.exc import OperationalError

    real, failures, stop = outbox.relay_once, [], threading.Event()

    def flaky(*args, **kwargs):
        if len(failures) < 3:
            failures.append(1)
            raise OperationalError("SELECT", {}, Exception("connection refused"))
        found = real(*args, **kwargs)
        if not rows(relayed_at=None):
            stop.set()
        return found

    monkeypatch.setattr(outbox, "relay_once", flaky)
    score(client, school)
    with caplog.at_level(logging.WARNING, logger="backend.platform.outbox"):
        relay = threading.Thread(target=outbox.run, args=(app, stop), daemon=True)
        relay.start()
        relay.join(30)
    assert not relay.is_alive() and len(failures) == 3
    assert caplog.text.count("the database unavailable") == 1 and "the database is back" in caplog.text
    assert rows(relayed_at=None) == []

"""Liveness, readiness and a database outage, as a load balancer, systemd and a phone see them.

Real parts: an RQ worker process, Redis servers stopped and started, PostgreSQL stopped mid-burst.
"""
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta
from datetime import time as dt_time
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from backend.platform import clock
from tests.conftest import make_app, migrate
from tests.helpers import TODAY, build_college, demo_account, login, run_worker, served, wait_for
from tests.reporting.test_rollups import OFFICE, classes_of_one_department, post
from tests.servers import PostgresServer, RedisServer, free_port

ROOT = Path(__file__).resolve().parents[2]


def start_worker(app, redis_url: str) -> subprocess.Popen:
    """A real `flask worker` for the app; JOBS_WORKER_TTL 16 makes an idle worker beat every second."""
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": redis_url,
           "SPIRAL_INSTANCE": app.instance_path, "SPIRAL_CLOCK_START": clock.now().isoformat(),
           "JOBS_WORKER_TTL": "16"}
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_liveness_checks_nothing_and_readiness_names_the_dead_database(tmp_path):
    dead = f"postgresql+psycopg://spiral@127.0.0.1:{free_port()}/spiral"  # nothing listens there
    app = make_app(dead, tmp_path, "redis://127.0.0.1:1/0")
    client = app.test_client()
    started = time.monotonic()
    live = client.get("/livez")
    assert live.status_code == 200 and live.json == {"status": "alive"}
    ready = client.get("/readyz")
    assert time.monotonic() - started < 2
    assert ready.status_code == 503
    assert ready.json["database"] == "unreachable" and ready.json["redis"] == "unreachable"
    assert "database unreachable" in ready.json["reasons"]
    assert ready.json["rollups"] is None and ready.json["outbox"] is None
    assert client.get("/healthz").status_code == 503  # the old name answers the same


def test_readiness_follows_the_worker_heartbeat_and_keeps_it_through_a_redis_blink(app, client):
    """Ready with a live worker; its heartbeat's age is reported; Redis stopped → the last heartbeat
    seen ages, still ready until READY_WORKER_MAX_AGE; the worker killed → 503 naming why."""
    redis = RedisServer()
    worker = None
    try:
        app.config["REDIS_URL"] = redis.url
        first = client.get("/readyz")
        assert first.status_code == 503 and first.json["reasons"] == ["no RQ worker seen"]
        assert first.json["workers"]["newest_heartbeat_age_seconds"] is None

        worker = start_worker(app, redis.url)
        body = wait_for(lambda: (r := client.get("/readyz")).status_code == 200 and r.json, 30, "ready with a worker")
        print("ready:", json.dumps(body))
        assert body["status"] == "ready" and body["reasons"] == []
        assert body["database"] == "ok" and body["redis"] == "ok"
        assert 0 <= body["workers"]["newest_heartbeat_age_seconds"] < 5
        assert body["rollups"] == {"lag_seconds": 0.0, "newest_write_at": None, "class_rolled_up_at": None}

        app.config["READY_WORKER_MAX_AGE"] = 4
        redis.stop()  # the worker cannot beat; this process remembers the last beat it saw
        blink = client.get("/readyz")
        assert blink.status_code == 200 and blink.json["redis"] == "unreachable", blink.json
        assert blink.json["workers"]["newest_heartbeat_age_seconds"] is not None
        late = wait_for(lambda: (r := client.get("/readyz")).status_code == 503 and r.json, 10, "503 after the limit")
        assert late["reasons"][0].startswith("no RQ worker heartbeat for") and late["redis"] == "unreachable"
        redis.start()  # the worker reconnects (or not: that is H6's part) — here it is killed instead
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        time.sleep(5)
        dead = client.get("/readyz")
        assert dead.status_code == 503, dead.json
        print("worker killed:", json.dumps(dead.json))
        assert dead.json["redis"] == "ok" and dead.json["database"] == "ok"
        assert dead.json["reasons"][0].startswith("no RQ worker")
    finally:
        if worker and worker.poll() is None:
            worker.kill()
        redis.close()


def test_readiness_without_redis_configured_does_not_wait_for_workers(app, client):
    app.config["REDIS_URL"] = ""
    body = client.get("/readyz")
    assert body.status_code == 200, body.json
    assert body.json["redis"] == "not configured" and body.json["workers"]["newest_heartbeat_age_seconds"] is None


def test_rollup_freshness_shows_a_write_waiting_for_its_class_job(app, client):
    build_college(students=60)
    run_worker(app)  # the college's own jobs
    app.config["READY_WORKER_MAX_AGE"] = 0  # no worker process here: the test is the worker
    office = login(client, demo_account(OFFICE))
    (_, roster), _ = classes_of_one_department()
    post(client, office, "S-P-09", "week:4", [{"student_id": s, "value": 80} for s in roster])
    app.extensions["clock"].advance(timedelta(seconds=30))  # the job has not run for 30 s
    waiting = client.get("/readyz").json["rollups"]
    print("waiting:", waiting)
    assert waiting["lag_seconds"] >= 30 and waiting["newest_write_at"] is not None
    run_worker(app)
    done = client.get("/readyz").json["rollups"]
    print("rolled up:", done)
    assert done["lag_seconds"] == 0.0 and done["class_rolled_up_at"] >= done["newest_write_at"]


def accepts(engine) -> bool:
    try:
        with engine.connect():
            return True
    except OperationalError:
        return False


def _get(url: str, headers: dict, body: dict | None = None) -> tuple[float, int, str, str | None, str]:
    """GET, or PATCH `body` as a write from the PWA (with its Idempotency-Key)."""
    started = time.monotonic()
    request = urllib.request.Request(url, headers=headers)
    if body is not None:
        request = urllib.request.Request(url, method="PATCH", data=json.dumps(body).encode(), headers={
            **headers, "Content-Type": "application/json", "Idempotency-Key": str(uuid.uuid4())})
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            status, answer = r.status, r
            body = r.read().decode()
    except urllib.error.HTTPError as e:
        status, answer, body = e.code, e, e.read().decode()
    return (time.monotonic() - started, status, answer.headers.get("Content-Type", ""),
            answer.headers.get("Retry-After"), body)


def test_a_postgresql_outage_answers_503_with_retry_after_at_once_and_recovers(redis_server, tmp_path):
    """A burst of requests from 6 threads (5 read a card, 1 writes); PostgreSQL stopped mid-burst for 3 s, then started
    again: every answer is 200 or a 503 problem+json with Retry-After, none 500, each 503 within
    seconds (DB_CONNECT_TIMEOUT + 2 at most; the figure is printed); after the restart the same app
    answers without being restarted."""
    pg = PostgresServer()
    try:
        admin = create_engine(pg.url(), isolation_level="AUTOCOMMIT")
        wait_for(lambda: accepts(admin), 30, "PostgreSQL accepting connections")  # it listens before it accepts
        with admin.connect() as conn:
            conn.execute(text("CREATE DATABASE spiral"))
        admin.dispose()
        migrate(pg.url("spiral"), tmp_path)
        start = datetime.combine(TODAY, dt_time(10), ZoneInfo("Asia/Shanghai"))
        app = make_app(pg.url("spiral"), tmp_path, redis_server.url, CLOCK_START=start)
        with app.app_context():
            accounts = build_college(students=20)
            client = app.test_client()
            headers = login(client, accounts["student"])
            card = f"/api/v1/students/{client.get('/api/v1/me', headers=headers).json['id']}/card"  # read from the database
            with served(app) as base:
                results, stop = [], threading.Event()

                def burst(writes: bool):
                    locale = "en"
                    while not stop.is_set():
                        if writes:  # the student's language, set back and forth: a write each time
                            locale = None if locale else "en"
                            results.append((time.monotonic(), *_get(base + "/api/v1/me", headers, {"locale": locale})))
                        else:
                            results.append((time.monotonic(), *_get(base + card, headers)))

                threads = [threading.Thread(target=burst, args=(i == 0,)) for i in range(6)]
                for t in threads:
                    t.start()
                time.sleep(1.5)
                stopped_at = time.monotonic()
                pg.stop()
                time.sleep(3)
                pg.start()
                restarted_at = time.monotonic()
                time.sleep(1.5)
                stop.set()
                for t in threads:
                    t.join(15)
                # The same app, not restarted: answers again once the server accepts connections.
                after = wait_for(lambda: (r := _get(base + card, headers))[1] == 200 and r, 15, "200 after the restart")
                back = time.monotonic() - restarted_at
        statuses = {}
        for _, _, status, *_ in results:
            statuses[status] = statuses.get(status, 0) + 1
        outage = [r for r in results if r[2] == 503]
        slowest = max(r[1] for r in outage)
        when = max(outage, key=lambda r: r[1])[0] - stopped_at
        print(f"{len(results)} requests: {statuses}; slowest 503 {slowest:.3f} s (sent {when:.1f} s after the stop "
              f"began); median 503 {sorted(r[1] for r in outage)[len(outage) // 2] * 1000:.0f} ms; "
              f"PostgreSQL down {restarted_at - stopped_at:.1f} s; 200 again {back:.1f} s after it listened")
        assert set(statuses) <= {200, 503}, statuses
        assert outage, "the outage was not seen"
        for _, _, _, content_type, retry_after, body in outage:
            assert content_type.startswith("application/problem+json") and retry_after == "5", (content_type, body)
            assert json.loads(body)["status"] == 503
        # Fast, not hung: a server going down can take one connection attempt the full
        # DB_CONNECT_TIMEOUT (2 s) before it refuses; without the timeout it would be the OS's TCP
        # timeout (minutes). The figure itself is printed above (typically 0.4-0.7 s), not asserted.
        assert slowest <= app.config["DB_CONNECT_TIMEOUT"] + 2
        assert after[1] == 200
    finally:
        pg.close()

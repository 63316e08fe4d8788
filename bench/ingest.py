"""Bulk scoring under load: PostgreSQL, gunicorn, a ledger of about 5M rows, concurrent 50-row batches.

    .venv/bin/python bench/ingest.py --students 20000            # ~5M ledger rows
    .venv/bin/python bench/ingest.py --students 2000 --rows 500000   # a quick run

Starts its own PostgreSQL and Redis on free ports (as tests/servers.py does),
builds the demo college, fills the ledger with per-session entries in one SQL
statement, runs the app under gunicorn and then, from several client threads,
posts 50-row batches (one weekly point for 50 students, as a school-level scorer
would) and reads value cards. Figures are ratios to a ping (GET /api/v1/me, an
authenticated request that reads the session and the user) measured in the same
run, so they mean the same on a slower machine. The last line is one JSON object.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from sqlalchemy import event, func, select, text  # noqa: E402

from tests.servers import PostgresServer, RedisServer, _wait_for_port, free_port  # noqa: E402


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def build(url: str, instance: str, students: int, rows: int) -> dict:
    from flask_migrate import upgrade

    from backend import create_app, demo
    from backend.extensions import db
    from backend.models import RoleGrant, ScoreEntry, StudentProfile, User
    from backend.org import directory

    app = create_app(SQLALCHEMY_DATABASE_URI=url, INSTANCE_PATH=instance)
    with app.app_context():
        upgrade()
        demo.build(students, 1, date.today())
        db.session.commit()
        term = directory.current_term(date.today())
        term_id, starts_on, ends_on, weeks = term.id, term.starts_on, term.ends_on, term.weeks
        scorer = db.session.scalar(select(User.username).join(RoleGrant).where(
            RoleGrant.role == "student_affairs", RoleGrant.scope_type == "school"))
        days = max(1, -(-rows // (2 * students)))
        started = time.perf_counter()
        # Per-session preview and homework rates for every student on `days` school days.
        db.session.execute(text("""
            INSERT INTO score_entry (term_id, point_id, student_id, class_id, period, week, value, batch_id,
                                     recorded_by, recorded_at)
            SELECT :term, p.id, s.user_id, s.class_id, 'day:' || to_char(CAST(:start AS date) + d, 'YYYY-MM-DD'),
                   d / 7 + 1, (random() * 100)::int, 'bench-' || d, s.user_id, now()
            FROM student_profile s CROSS JOIN generate_series(0, :days - 1) d
            CROSS JOIN scoring_point p WHERE p.code IN ('S-A-05', 'S-A-06')"""),
            {"term": term_id, "start": starts_on, "days": min(days, (ends_on - starts_on).days)})
        db.session.commit()
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        filled = time.perf_counter() - started
        ledger_rows = db.session.scalar(select(func.count()).select_from(ScoreEntry))
        ids = db.session.scalars(select(StudentProfile.user_id).order_by(StudentProfile.user_id)).all()
        statements = count_statements(app, scorer, ids[:50], weeks)
    return {"scorer": scorer, "students": ids, "weeks": weeks, "ledger_rows": ledger_rows,
            "fill_seconds": filled, "statements": statements}


def count_statements(app, scorer: str, students: list[int], week: int) -> int:
    """SQL statements one 50-row batch costs, counted on the app's own engine."""
    from backend.demo import DEMO_PASSWORD
    from backend.extensions import db

    client = app.test_client()
    token = client.post("/api/v1/auth/login", json={"username": scorer, "password": DEMO_PASSWORD}).json["access_token"]
    seen = []
    listener = lambda *args: seen.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    response = client.post("/api/v1/entries", headers={"Authorization": f"Bearer {token}",
                                                       "Idempotency-Key": str(uuid.uuid4())},
                           json={"point": "S-P-09", "period": f"week:{week}",
                                 "entries": [{"student_id": s, "value": 80} for s in students]})
    event.remove(db.engine, "before_cursor_execute", listener)
    assert response.status_code == 201, response.json
    counted = [s for s in seen if not s.strip().upper().startswith(("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE"))]
    if os.environ.get("SHOW_SQL"):
        print("\n---\n".join(s[:160] for s in counted))
    return len(counted)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=20000)
    parser.add_argument("--rows", type=int, default=5_000_000, help="ledger rows to start from")
    parser.add_argument("--batches", type=int, default=400)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    args = parser.parse_args()

    instance = tempfile.mkdtemp(prefix="spiral-ingest-")
    pg, redis = PostgresServer(), RedisServer()
    gunicorn = None
    try:
        with __import__("sqlalchemy").create_engine(pg.url(), isolation_level="AUTOCOMMIT").connect() as conn:
            conn.execute(text("CREATE DATABASE spiral_bench"))
        url = pg.url("spiral_bench")
        print(f"building {args.students} students and ~{args.rows} ledger rows on PostgreSQL…", flush=True)
        world = build(url, instance, args.students, args.rows)
        port = free_port()
        env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": redis.url, "SPIRAL_INSTANCE": instance}
        gunicorn = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "-w", str(args.workers),
                                     "-b", f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"],
                                    cwd=ROOT, env=env)
        _wait_for_port(port, gunicorn, "gunicorn")
        base = f"http://127.0.0.1:{port}"
        from backend.demo import DEMO_PASSWORD
        token = requests.post(f"{base}/api/v1/auth/login", json={"username": world["scorer"],
                                                                  "password": DEMO_PASSWORD}).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        http = requests.Session()

        def timed(method, path, **kw):
            started = time.perf_counter()
            response = http.request(method, base + path, **kw)
            assert response.status_code < 300, (response.status_code, response.text[:300])
            return (time.perf_counter() - started) * 1000

        for _ in range(20):
            timed("GET", "/api/v1/me", headers=auth)  # warm every worker
        pings = [timed("GET", "/api/v1/me", headers=auth) for _ in range(200)]

        students = world["students"]
        groups = [students[i:i + 50] for i in range(50, len(students) - 49, 50)]  # the first 50 were counted above
        slots = [(g, w) for w in range(1, world["weeks"] + 1) for g in groups][:args.batches + 50]

        def batch(slot):
            group, week = slot
            return timed("POST", "/api/v1/entries", headers={**auth, "Idempotency-Key": str(uuid.uuid4())},
                         json={"point": "S-P-09", "period": f"week:{week}",
                               "entries": [{"student_id": s, "value": 60 + (s % 40)} for s in group]})

        alone = [batch(slot) for slot in slots[:50]]  # one client: the cost of a batch itself
        started = time.perf_counter()
        with ThreadPoolExecutor(args.clients) as pool:  # many phones at once: queueing included
            batches = list(pool.map(batch, slots[50:]))
        wall = time.perf_counter() - started
        cards = [timed("GET", f"/api/v1/students/{students[i * 37 % len(students)]}/card", headers=auth)
                 for i in range(50)]
        ping = statistics.median(pings)
        result = {
            "bulk_vs_ping": round(statistics.median(alone) / ping, 2),
            "statements_per_batch": world["statements"],
            "card_vs_ping": round(statistics.median(cards) / ping, 2),
            "p99_ms": round(pct(batches, 0.99), 1),
            "ledger_rows": world["ledger_rows"] + 50 * (len(slots) + 1),
        }
        print(f"ledger fill         {world['ledger_rows']:,} rows in {world['fill_seconds']:.1f} s")
        print(f"ping (GET /me)      p50 {ping:.1f} ms")
        print(f"50-row batch alone  p50 {statistics.median(alone):.1f} ms over {len(alone)} batches, one client")
        print(f"50-row batch, load  p50 {statistics.median(batches):.1f} ms, p99 {pct(batches, 0.99):.1f} ms "
              f"over {len(batches)} batches, {args.clients} clients, {args.workers} gunicorn workers")
        print(f"throughput          {len(batches) * 50 / wall:,.0f} rows/s ({len(batches) / wall:.1f} batches/s)")
        print(f"card read           p50 {statistics.median(cards):.1f} ms, p99 {pct(cards, 0.99):.1f} ms")
        print(f"statements / batch  {world['statements']} in the whole request (goal ≤ 3 for the ledger's own: "
              "rule, subjects with conflicts, insert; the rest are session, user, term and the idempotency record)")
        print(json.dumps(result))
    finally:
        if gunicorn:
            gunicorn.terminate()
            gunicorn.wait()
        pg.close()
        redis.close()


if __name__ == "__main__":
    main()

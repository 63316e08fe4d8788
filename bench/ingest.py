"""Scoring, cards and check-ins under load, with the jobs running, on a generated term.

    .venv/bin/python bench/ingest.py                      # 20,000 students, PostgreSQL (bench/generate.py)
    .venv/bin/python bench/ingest.py --students 2000      # a quick run (a few minutes once cached)
    .venv/bin/python bench/ingest.py --students 2000 --sqlite   # the embedded default: a department

Runs the app as production does: gunicorn -w 4 beside one RQ worker and the scheduler (on
PostgreSQL and Redis started on free ports; `--sqlite`: the SQLite file, with Redis, the worker and
the scheduler as scripts/run.sh starts them for the embedded default), on the term bench/generate.py builds, with its clock. Then, in phases:

1. A ping (GET /api/v1/me, a JWT-protected request that reads the session and the user), one
   client: the unit of every ratio, measured in this run, so the ratios mean the same on a slower machine.
   The SQL statements of a warm 50-row batch are counted in-process (everything but BEGIN, COMMIT
   and savepoints).
2. Logins: first password logins of fresh student accounts from concurrent clients (a term-start wave).
3. Alone: 50-row batches and card reads (a student's own, a head teacher's of a student) from one client.
4. Mixed load: concurrent clients mix 50-row batches (the weekly S-P-09 by the school's scorer,
   per-lesson homework and preview by each lesson's teacher), card reads and check-ins, while a
   prober posts a head teacher's monthly batch and times how long after its 201 the class's rollup
   (what the class report reads) shows it.
5. A check-in storm: students (tokens obtained in 2) check in within 60 s to today's open
   lessons, with the codes their teachers' screens show, and every lesson of the day in the 12-hour window.

The last line is one JSON object; ratios are medians over a ping's median (lower is better).
"""
import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from sqlalchemy import bindparam, create_engine, event, text  # noqa: E402

from bench import generate  # noqa: E402
from tests.servers import RedisServer, _wait_for_port, free_port  # noqa: E402

BIN = Path(sys.executable).parent
TIMEOUT_MS = 30_000  # gunicorn's default worker timeout: a request killed by it counts as this long


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def summary(values) -> str:
    return f"p50 {statistics.median(values):.1f} ms, p99 {pct(values, 0.99):.1f} ms (n={len(values)})" \
        if values else "none"


class Client:
    """HTTP against gunicorn: one keep-alive session per thread; every call timed in ms."""

    def __init__(self, base: str):
        self.base, self.local = base, threading.local()

    def call(self, method, path, token=None, ok=(200, 201), **kw) -> tuple[float, requests.Response]:
        http = getattr(self.local, "http", None) or setattr(self.local, "http", requests.Session()) \
            or self.local.http
        headers = {**kw.pop("headers", {}), **({"Authorization": f"Bearer {token}"} if token else {})}
        started = time.perf_counter()
        response = http.request(method, self.base + path, headers=headers, timeout=120, **kw)
        ms = (time.perf_counter() - started) * 1000
        if ok and response.status_code not in ok:
            raise AssertionError(f"{method} {path}: {response.status_code} {response.text[:300]}")
        return ms, response

    def login(self, username: str) -> tuple[float, str]:
        from backend.demo import DEMO_PASSWORD
        ms, r = self.call("POST", "/api/v1/auth/login", json={"username": username, "password": DEMO_PASSWORD})
        return ms, r.json()["access_token"]

    def batch(self, token, body) -> float:
        return self.call("POST", "/api/v1/entries", token, headers={"Idempotency-Key": str(uuid.uuid4())},
                         json=body)[0]


def lookups(app, term_id: int) -> dict:
    """Who does what in the run, read once from the generated term."""
    from backend.extensions import db

    with app.app_context():
        rows = lambda sql, **kw: db.session.execute(text(sql), kw).all()  # noqa: E731
        sessions = rows("""SELECT cs.id, cs.class_id, u.username, cs.closed_at IS NULL AS open FROM class_session cs
                           JOIN "user" u ON u.id = cs.teacher_id WHERE cs.day = :d ORDER BY cs.id""", d=generate.BENCH_TODAY)
        roster: dict[int, list[tuple[int, str]]] = {}
        for student_id, class_id, username in rows("""SELECT p.user_id, p.class_id, u.username FROM student_profile p
                                                      JOIN "user" u ON u.id = p.user_id ORDER BY p.user_id"""):
            roster.setdefault(class_id, []).append((student_id, username))
        heads = dict(rows("""SELECT c.id, u.username FROM class_group c JOIN "user" u ON u.id = c.head_teacher_id"""))
        scorer = rows("""SELECT u.username FROM role_grant g JOIN "user" u ON u.id = g.user_id
                         WHERE g.role = 'student_affairs' AND g.scope_type = 'school'""")[0][0]
    return {"sessions": sessions, "roster": roster, "heads": heads, "scorer": scorer,
            "students": [s for c in sorted(roster) for s in roster[c]]}


def weekly_value(student_id: int) -> int:
    """A weekly S-P-09 value with a class's usual spread: 70–99, and one student in 29 below the
    warning value (70). A quarter of every batch past the line would be a mass event, which opens
    an incident each time (valuecard/incidents.py): no class looks like that week after week."""
    return 55 if student_id % 29 == 0 else 70 + student_id % 30


def rebuild_rollups(app, term_id: int) -> float:
    """The cached term's rollups and stored cards as the code under test makes them (the cache is
    keyed by the schema, not by how rollups are computed)."""
    from backend.extensions import db
    from backend.models import Term
    from backend.reporting import rollups

    with app.app_context():
        started = time.perf_counter()
        rollups.rebuild(db.session.get(Term, term_id))
        db.session.commit()
        return time.perf_counter() - started


def count_statements(app, scorer: str, bodies: list[dict]) -> int:
    """SQL statements of the last of `bodies` (the first ones warm the process's caches)."""
    from backend.demo import DEMO_PASSWORD
    from backend.extensions import db

    client = app.test_client()
    token = client.post("/api/v1/auth/login", json={"username": scorer, "password": DEMO_PASSWORD}).json["access_token"]
    with app.app_context():
        engine = db.engine
    seen = []
    for i, body in enumerate(bodies):
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        if i == len(bodies) - 1:
            event.listen(engine, "before_cursor_execute", listener)
        response = client.post("/api/v1/entries", json=body, headers={"Authorization": f"Bearer {token}",
                                                                      "Idempotency-Key": str(uuid.uuid4())})
        assert response.status_code == 201, response.json
    event.remove(engine, "before_cursor_execute", listener)
    counted = [s for s in seen if not s.strip().upper().startswith(("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE"))]
    if os.environ.get("SHOW_SQL"):
        print("\n---\n".join(s[:160] for s in counted))
    return len(counted)


def start_services(args, url: str, redis_url: str, instance: str) -> tuple[list, str]:
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": redis_url, "SPIRAL_INSTANCE": instance,
           "SPIRAL_CLOCK_START": generate.clock_start()}
    port = free_port()
    # --preload: the app (and its clock) is made once, so every worker reads the same moment and a
    # check-in code shown by one worker is the code another checks.
    procs = [subprocess.Popen([str(BIN / "gunicorn"), "--preload", "-w", str(args.workers), "-b", f"127.0.0.1:{port}",
                               "--log-level", "warning", "wsgi:app"], cwd=ROOT, env=env)]
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    procs.append(subprocess.Popen([str(BIN / "flask"), "--app", "wsgi", "worker"], cwd=ROOT, env=env, **quiet))
    procs.append(subprocess.Popen([str(BIN / "flask"), "--app", "wsgi", "scheduler"], cwd=ROOT, env=env, **quiet))
    procs.append(subprocess.Popen([str(BIN / "flask"), "--app", "wsgi", "relay"], cwd=ROOT, env=env, **quiet))
    _wait_for_port(port, procs[0], "gunicorn")
    return procs, f"http://127.0.0.1:{port}"


def run(args, url: str, world: dict) -> dict:
    from backend import create_app

    instance = tempfile.mkdtemp(prefix="spiral-ingest-")
    redis = RedisServer()  # the embedded default starts its own Redis too (scripts/run.sh)
    redis_url = redis.url
    procs = []
    rng = random.Random(17)
    try:
        app = create_app(SQLALCHEMY_DATABASE_URI=url, INSTANCE_PATH=instance, REDIS_URL=redis_url,
                         CLOCK_START=generate.clock_start())
        rebuilt = rebuild_rollups(app, world["term_id"])
        print(f"rollups and stored cards rebuilt by this code in {rebuilt:.1f} s", flush=True)
        look = lookups(app, world["term_id"])
        students, week = look["students"], 16
        spp = lambda group: {"point": "S-P-09", "period": f"week:{week}",  # noqa: E731
                             "entries": [{"student_id": s, "value": weekly_value(s)} for s, _ in group]}
        groups = [students[i:i + 50] for i in range(0, len(students) - 49, 50)]
        statements = count_statements(app, look["scorer"], [spp(groups[0]), spp(groups[1])])
        groups = groups[2:]

        procs, base = start_services(args, url, redis_url, instance)
        client = Client(base)
        _, scorer = client.login(look["scorer"])
        for _ in range(20):
            client.call("GET", "/api/v1/me", scorer)  # warm every worker
        pings = [client.call("GET", "/api/v1/me", scorer)[0] for _ in range(200)]
        ping = statistics.median(pings)
        print(f"ping (GET /me)       {summary(pings)}", flush=True)

        # Today's lessons: the open ones take check-ins (the storm's first), the closed ones take homework.
        open_sessions = [s for s in look["sessions"] if s.open]
        closed_sessions = [s for s in look["sessions"] if not s.open]
        storm, storm_sessions = [], []
        for s in open_sessions:
            if len(storm) >= args.storm:
                break
            storm_sessions.append(s)
            storm += [(sid, name, s.id) for sid, name in look["roster"][s.class_id]]
        storm = storm[:args.storm]
        mixed_sessions = [s for s in open_sessions if s not in storm_sessions]
        mixed_checkins = [(sid, name, s.id) for s in mixed_sessions
                          for sid, name in look["roster"][s.class_id]][:args.mixed_checkins]
        mixed_sessions = [s for s in mixed_sessions if s.id in {c[2] for c in mixed_checkins}]

        # 2. A login wave: first logins of students who have never logged in (the storm's, then others).
        wave = [name for _, name, _ in storm] + [name for _, name, _ in mixed_checkins]
        wave += [name for _, name in students if name not in set(wave)][:max(0, args.logins - len(wave))]
        wave = wave[:max(args.logins, len(storm) + len(mixed_checkins))]
        started = time.perf_counter()
        def first_login(name):
            try:
                return client.login(name)
            except AssertionError as refused:  # e.g. a worker killed by gunicorn's timeout: counted, retried below
                return None, str(refused)[:160]
        with ThreadPoolExecutor(args.login_clients) as pool:
            logins = list(pool.map(first_login, wave))
        login_wall = time.perf_counter() - started
        failed = [(name, why) for name, (ms, why) in zip(wave, logins) if ms is None]
        tokens = {name: token for name, (ms, token) in zip(wave, logins) if ms is not None}
        tokens.update({name: client.login(name)[1] for name, _ in failed})
        logins_per_s = (len(wave) - len(failed)) / login_wall
        print(f"login wave           {len(wave)} first logins in {login_wall:.1f} s: {logins_per_s:.1f}/s, "
              f"{logins_per_s / os.cpu_count():.1f}/s per core, {args.login_clients} clients; "
              f"{summary([ms for ms, _ in logins if ms is not None])}; {len(failed)} failed"
              + (f", e.g. {failed[0][1]}" if failed else ""), flush=True)

        # The teachers the run needs: today's lessons' (codes, homework) and the head teachers of the
        # classes whose cards and reports are read; logged in before any timing.
        classes = sorted(look["roster"])[:max(50, args.probes)]
        closed_sessions = closed_sessions[:args.batches]
        needed = {s.username for s in storm_sessions + mixed_sessions + closed_sessions}
        needed |= {look["heads"][c] for c in classes}
        with ThreadPoolExecutor(args.login_clients) as pool:
            teachers = dict(zip(needed, (token for _, token in pool.map(client.login, needed))))

        # 3. Alone: one client, a ping before each request, so that the ratios' two sides meet the
        # same machine (a shared machine's load drifts within a run).
        paired = []

        def after_ping(request):
            paired.append(client.call("GET", "/api/v1/me", scorer)[0])
            try:
                return request()
            except AssertionError as refused:  # a 5xx (gunicorn's 30 s timeout on SQLite): the timeout is the figure
                print(f"  alone: {str(refused)[:60]}", flush=True)
                return float(TIMEOUT_MS)
        alone = [after_ping(lambda: client.batch(scorer, spp(groups.pop()))) for _ in range(min(20, len(groups) // 2))]
        readers = [(sid, tokens[name]) for sid, name, _ in storm[:50]]
        card = lambda sid, token: client.call("GET", f"/api/v1/students/{sid}/card", token)[0]  # noqa: E731
        cards_own = [after_ping(lambda: card(sid, token)) for sid, token in readers]
        heads = [(rng.choice(look["roster"][c])[0], teachers[look["heads"][c]]) for c in classes[:50]]
        cards_head = [after_ping(lambda: card(sid, token)) for sid, token in heads]
        ping = statistics.median(paired)
        print(f"ping, paired         {summary(paired)} (the ratios' denominator)", flush=True)
        print(f"batch alone          {summary(alone)}", flush=True)
        print(f"card, own            {summary(cards_own)}", flush=True)
        print(f"card, head teacher   {summary(cards_head)}", flush=True)

        # 4. Mixed load with the jobs running, and the freshness prober beside it.
        codes: dict[int, str] = {}
        code_sessions = storm_sessions + mixed_sessions

        def refresh_codes():
            for s in code_sessions:
                codes[s.id] = client.call("GET", f"/api/v1/sessions/{s.id}/code", teachers[s.username])[1].json()["code"]
        refresh_codes()
        stop_codes = threading.Event()

        def code_screens():  # the teachers' screens: each asks for the current code every few seconds
            while not stop_codes.wait(5):
                refresh_codes()
        threading.Thread(target=code_screens, daemon=True).start()

        checkin_errors: list[str] = []

        def checkin(student):
            sid, name, session_id = student
            ms, r = client.call("POST", "/api/v1/checkin", tokens[name], ok=None,
                                headers={"Idempotency-Key": str(uuid.uuid4())}, json={"code": codes[session_id]})
            if r.status_code not in (200, 201):
                checkin_errors.append(f"{r.status_code} {r.text[:120]}")
            return ms

        tasks = [("batch", lambda g=g: client.batch(scorer, spp(g))) for g in groups[:args.batches // 2]]
        for s in closed_sessions:
            entries = [{"student_id": sid, "value": 50 + sid % 50} for sid, _ in look["roster"][s.class_id]]
            for point in ("S-A-05", "S-A-06"):
                tasks.append(("batch", lambda s=s, point=point, e=entries: client.batch(
                    teachers[s.username], {"point": point, "session_id": s.id, "entries": e})))
        tasks = tasks[:args.batches]
        tasks += [("card", lambda r=r: client.call("GET", f"/api/v1/students/{r[0]}/card", r[1])[0])
                  for r in (readers + heads) * max(1, len(tasks) // len(readers + heads))]
        tasks += [("checkin", lambda s=s: checkin(s)) for s in mixed_checkins]
        rng.shuffle(tasks)

        fresh, prober_done = [], threading.Event()
        db_engine = create_engine(url)

        def prober():
            """A head teacher's monthly batch for a class, then the class rollup polled until it shows."""
            for class_id in classes[:args.probes]:
                body = {"point": "S-A-07", "period": f"month:{generate.BENCH_TODAY:%Y-%m}",
                        "entries": [{"student_id": sid, "value": 1 + sid % 5} for sid, _ in look["roster"][class_id]]}
                query = text("SELECT trend FROM rollup WHERE term_id = :t AND unit = 'class' AND unit_id = :c "
                             "AND metric = 'S-A-07'")
                with db_engine.connect() as conn:
                    before = conn.execute(query, {"t": world["term_id"], "c": class_id}).scalar()
                client.batch(teachers[look["heads"][class_id]], body)
                committed = time.perf_counter()
                while time.perf_counter() - committed < 60:
                    with db_engine.connect() as conn:
                        if conn.execute(query, {"t": world["term_id"], "c": class_id}).scalar() != before:
                            fresh.append((time.perf_counter() - committed) * 1000)
                            break
                    time.sleep(0.02)
                time.sleep(0.3)
            prober_done.set()

        reads, loaded = [], threading.Event()

        def reader():  # how long a plain read waits while the writers write
            while not loaded.is_set():
                reads.append(client.call("GET", "/api/v1/me", scorer)[0])
                time.sleep(0.05)

        probe, watch = threading.Thread(target=prober, daemon=True), threading.Thread(target=reader, daemon=True)
        started = time.perf_counter()
        probe.start()
        watch.start()
        def attempt(task):
            try:
                return task[0], task[1]()
            except AssertionError as refused:  # a 5xx under load (gunicorn's timeout): counted, not fatal
                return "error", str(refused)[:160]
        with ThreadPoolExecutor(args.clients) as pool:
            done = list(pool.map(attempt, tasks))
        load_wall = time.perf_counter() - started
        loaded.set()
        probe.join()
        watch.join()
        under = {kind: [ms for k, ms in done if k == kind] for kind in ("batch", "card", "checkin")}
        print(f"mixed load           {len(tasks)} requests in {load_wall:.1f} s, {args.clients} clients, "
              f"{args.workers} gunicorn workers, 1 RQ worker and the scheduler", flush=True)
        for kind, values in {**under, "GET /me beside": reads}.items():
            print(f"  {kind:<18} {summary(values)}")
        errors = [why for kind, why in done if kind == "error"]
        if errors:
            print(f"  errors             {len(errors)}, e.g. {errors[0]}")
        print(f"freshness            median {statistics.median(fresh):.0f} ms, p95 {pct(fresh, 0.95):.0f} ms, "
              f"max {max(fresh):.0f} ms over {len(fresh)} batches (201 → class rollup shows it)", flush=True)

        # 5. The storm.
        refresh_codes()
        offsets = sorted(rng.uniform(0, args.storm_seconds) for _ in storm)
        storm_started = time.perf_counter() + 0.5

        def storm_one(item):
            offset, student = item
            time.sleep(max(0.0, storm_started + offset - time.perf_counter()))
            return checkin(student)
        errors_before = len(checkin_errors)
        with ThreadPoolExecutor(args.storm_clients) as pool:
            storm_ms = list(pool.map(storm_one, zip(offsets, storm)))
        storm_wall = time.perf_counter() - storm_started
        stop_codes.set()
        storm_errors = checkin_errors[errors_before:]
        with db_engine.connect() as conn:
            marks = dict(conn.execute(text(
                "SELECT student_id, count(*) FROM attendance_mark WHERE session_id IN :ids AND source = 'checkin' "
                "GROUP BY student_id").bindparams(bindparam("ids", expanding=True)),
                {"ids": [s.id for s in storm_sessions]}).all())
            window = conn.execute(text("SELECT count(*) FROM class_session WHERE day = :d"),
                                  {"d": generate.BENCH_TODAY}).scalar()
        recorded_once = not storm_errors and all(marks.get(sid) == 1 for sid, _, _ in storm)
        print(f"check-in storm       {len(storm)} students, {len(storm_sessions)} sessions, {window} sessions today, "
              f"{storm_wall:.1f} s: {len(storm) - len(storm_errors)}/{len(storm)} ok, {summary(storm_ms)}; "
              f"recorded once: {recorded_once}" + (f"; errors e.g. {storm_errors[:3]}" if storm_errors else ""))
        with app.app_context():
            described = generate.describe(world["term_id"])
        return {
            "bulk_vs_ping": round(statistics.median(alone) / ping, 2),
            "card_vs_ping": round(statistics.median(cards_own + cards_head) / ping, 2),
            "statements_per_batch": statements,
            "freshness_p95_ms": round(pct(fresh, 0.95)),
            "freshness_median_ms": round(statistics.median(fresh)),
            "checkin_p99_ms": round(pct(storm_ms, 0.99), 1),
            "checkin_p50_ms": round(statistics.median(storm_ms), 1),
            "checkin_recorded_once": recorded_once,
            "checkin_success_rate": round(1 - len(storm_errors) / len(storm), 4),
            "logins_per_s": round(logins_per_s, 1),
            "logins_per_s_per_core": round(logins_per_s / os.cpu_count(), 1), "logins_failed": len(failed),
            "load_errors": len(errors),
            "batch_p99_ms_under_load": round(pct(under["batch"], 0.99), 1),
            "card_p99_ms_under_load": round(pct(under["card"], 0.99), 1),
            "me_p99_ms_beside_writers": round(pct(reads, 0.99), 1), "me_max_ms_beside_writers": round(max(reads), 1),
            "ledger_rows": described["ledger_rows"], "groups": described["groups"],
            "sessions_today": window, "students": args.students, "database": "sqlite" if args.sqlite else "postgresql",
        }
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(30)
        if redis:
            redis.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=20000)
    parser.add_argument("--sqlite", action="store_true", help="the embedded default: a SQLite file (with Redis and a worker, as scripts/run.sh runs it)")
    parser.add_argument("--fresh", action="store_true", help="regenerate the term (bench/generate.py)")
    parser.add_argument("--batches", type=int, default=300, help="50-row batches in the mixed load")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--probes", type=int, default=20, help="batches timed to the class report")
    parser.add_argument("--storm", type=int, default=1000, help="students in the check-in storm")
    parser.add_argument("--storm-seconds", type=float, default=60)
    parser.add_argument("--storm-clients", type=int, default=64)
    parser.add_argument("--mixed-checkins", type=int, default=100, help="check-ins in the mixed load")
    parser.add_argument("--logins", type=int, default=1000, help="first logins in the login wave")
    parser.add_argument("--login-clients", type=int, default=16)
    args = parser.parse_args()
    with generate.prepared(args.students, args.sqlite, args.fresh) as (url, world):
        print(f"term: {world['ledger_rows']:,} ledger rows, {world['groups']:,} student×point groups, "
              f"{world['attendance_marks']:,} marks, {world['sessions_today']} sessions today", flush=True)
        result = run(args, url, world)
    print(json.dumps(result))


if __name__ == "__main__":
    main()

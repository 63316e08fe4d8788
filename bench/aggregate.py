"""Rollups at scale: PostgreSQL, a generated term, full recompute, incremental, reads.

    .venv/bin/python bench/aggregate.py --students 20000    # the term bench/generate.py builds
    .venv/bin/python bench/aggregate.py --students 2000     # a quick run

On the term bench/generate.py builds (cached), measures in one run:
- a bare SQL GROUP BY over the term's ledger (per student and point: count, sum), the
  floor any recompute must pay, and the full recompute of every rollup of the term (class,
  department, school) from an empty table, as a ratio to it; then the same recompute when
  the rollups already agree (the hourly full pass);
- the incremental path: a 50-row batch for one class committed, then that class's rollup
  job run to its commit, timed from the batch's commit;
- the department report as a department admin reads it (GET, in-process client).
The last line is one JSON object.
"""
import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import delete, select, text  # noqa: E402

from bench import generate  # noqa: E402
from tests.servers import RedisServer  # noqa: E402


def timed(func, repeat: int = 1) -> tuple[float, object]:
    runs, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = func()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=20000)
    parser.add_argument("--fresh", action="store_true", help="regenerate the term (bench/generate.py)")
    parser.add_argument("--batches", type=int, default=30, help="incremental trials")
    args = parser.parse_args()

    instance = tempfile.mkdtemp(prefix="spiral-aggregate-")
    redis = RedisServer()
    try:
        with generate.prepared(args.students, fresh=args.fresh) as (url, world):
            run(args, url, instance, redis)
    finally:
        redis.close()


def run(args, url: str, instance: str, redis) -> None:
    from backend import create_app
    from backend.demo import DEMO_PASSWORD
    from backend.extensions import db
    from backend.jobs import rollups as rollup_jobs
    from backend.models import ClassGroup, RoleGrant, Rollup, StudentProfile, User
    from backend.org import directory
    from backend.reporting import rollups
    from backend.valuecard import ledger

    # With Redis, as in production: the class job is timed here by hand; the department and
    # school jobs it passes up are enqueued (and left), not run inline.
    app = create_app(SQLALCHEMY_DATABASE_URI=url, INSTANCE_PATH=instance, REDIS_URL=redis.url,
                     CLOCK_START=generate.clock_start())
    with app.app_context():
        term = directory.current_term(generate.BENCH_TODAY)
        groupby_sql = text("SELECT student_id, point_id, count(value), sum(value) FROM score_entry "
                           "WHERE term_id = :t GROUP BY student_id, point_id")
        groupby, groups = timed(lambda: db.session.execute(groupby_sql, {"t": term.id}).all(), 3)
        db.session.rollback()

        def rebuild():
            changed = rollups.rebuild(term)
            db.session.commit()
            return changed
        db.session.execute(delete(Rollup).where(Rollup.term_id == term.id))  # from an empty table
        db.session.commit()
        cold, written = timed(rebuild)
        warm, unchanged = timed(rebuild, 3)
        problems = rollups.check(term)
        db.session.rollback()

        office = db.session.scalar(select(User).join(RoleGrant).where(
            RoleGrant.role == "student_affairs", RoleGrant.scope_type == "school"))
        classes = db.session.scalars(select(ClassGroup.id).order_by(ClassGroup.id)).all()
        incremental = []
        for i in range(args.batches):
            class_id = classes[(i * 7) % len(classes)]
            roster = db.session.scalars(select(StudentProfile.user_id)
                                        .where(StudentProfile.class_id == class_id)).all()
            # This week's S-P-09 (the generated term has weeks 1-15), one class at a time.
            body = {"point": "S-P-09", "period": f"week:{term.week_of(generate.BENCH_TODAY)}",
                    "entries": [{"student_id": s, "value": 70 + s % 30} for s in roster[:50]]}
            ledger.record_batch(office, term, body)
            db.session.info.clear()  # the job is run by hand below, not inline on commit
            db.session.commit()
            started = time.perf_counter()
            rollup_jobs.rollup_class(term.id, class_id)
            incremental.append((time.perf_counter() - started) * 1000)
            db.session.info.clear()
        department_id = db.session.scalar(select(ClassGroup.department_id).where(ClassGroup.id == classes[0]))
        admin = db.session.scalar(select(User.username).join(RoleGrant).where(
            RoleGrant.role == "dept_admin", RoleGrant.scope_id == department_id))
        ledger_rows = db.session.scalar(text("SELECT count(*) FROM score_entry"))
        db.session.rollback()

    client = app.test_client()
    token = client.post("/api/v1/auth/login", json={"username": admin, "password": DEMO_PASSWORD}).json["access_token"]
    reads = []
    for _ in range(50):
        started = time.perf_counter()
        response = client.get(f"/api/v1/reports/department/{department_id}",
                              headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, response.json
        reads.append((time.perf_counter() - started) * 1000)

    result = {
        "recompute_vs_groupby": round(cold / groupby, 2),
        "incremental_ms_median": round(statistics.median(incremental), 1),
        "dept_report_ms_p50": round(statistics.median(reads), 1),
        "ledger_rows": ledger_rows, "groups": len(groups), "check_differences": len(problems),
    }
    print(f"ledger              {ledger_rows:,} rows, {args.students:,} students, {len(classes)} classes")
    print(f"bare GROUP BY       {groupby * 1000:.0f} ms ({len(groups):,} student×point groups)")
    print(f"full recompute      {cold * 1000:.0f} ms from empty ({written}), ratio {cold / groupby:.2f}")
    print(f"full pass, no change {warm * 1000:.0f} ms ({unchanged}), ratio {warm / groupby:.2f}")
    print(f"check after rebuild {len(problems)} differences")
    print(f"incremental class   median {statistics.median(incremental):.1f} ms, max {max(incremental):.1f} ms "
          f"over {len(incremental)} batches of ≤50 rows (job run to commit, queue pickup not included)")
    print(f"department report   p50 {statistics.median(reads):.1f} ms, max {max(reads):.1f} ms over {len(reads)} reads")
    print(json.dumps(result))


if __name__ == "__main__":
    main()

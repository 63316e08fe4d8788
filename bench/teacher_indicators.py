"""A teacher's indicators (development/teacher_indicators.py) on the generated term (bench/generate.py):
compute() for one teacher — the busiest one (most sessions this term) and a median one — with its time and
statement count, for_year(), and every teacher of the busiest teacher's department one after another
(one by one, and in one compute_many: what a department view or the portrait's median job pays). Prints one JSON object.

    .venv/bin/python bench/teacher_indicators.py                  # 2,000 students, SQLite
    .venv/bin/python bench/teacher_indicators.py --postgresql     # the same term on PostgreSQL
"""
import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import event, func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backend import create_app  # noqa: E402
from backend.development import teacher_indicators  # noqa: E402
from backend.extensions import db  # noqa: E402
from backend.models import AttendanceMark, ClassSession, ScoreEntry, StaffProfile  # noqa: E402
from backend.org import directory  # noqa: E402
from bench import generate  # noqa: E402


def timed(fn, runs: int) -> tuple[float, int]:
    """Median milliseconds of `fn` over `runs` (session cleared each time, so nothing is served
    from the identity map) and the statements one call sends."""
    times, statements = [], []
    for _ in range(runs):
        db.session.rollback()
        sent = []

        def count(*args):
            sent.append(1)
        event.listen(db.engine, "before_cursor_execute", count)
        start = time.perf_counter()
        fn()
        times.append(1000 * (time.perf_counter() - start))
        event.remove(db.engine, "before_cursor_execute", count)
        statements.append(len(sent))
    return round(statistics.median(times), 1), min(statements)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--postgresql", action="store_true", help="the generated term on PostgreSQL")
    parser.add_argument("--fresh", action="store_true", help="regenerate the term (bench/generate.py)")
    args = parser.parse_args()
    with generate.prepared(args.students, sqlite=not args.postgresql, fresh=args.fresh) as (url, world):
        run(args, url, world)


def run(args, url: str, world: dict) -> None:
    app = create_app(SQLALCHEMY_DATABASE_URI=url, INSTANCE_PATH=tempfile.mkdtemp(), CLOCK_START=generate.clock_start(),
                     REDIS_URL="")
    with app.app_context():
        term = directory.current_term(generate.BENCH_TODAY)
        term_id, year = term.id, int(term.academic_year[:4])
        sessions = db.session.execute(select(ClassSession.teacher_id, func.count()).where(ClassSession.term_id == term_id)
                                      .group_by(ClassSession.teacher_id).order_by(func.count().desc())).all()
        busiest, most = sessions[0]
        median_teacher, median_sessions = sessions[len(sessions) // 2]
        marks = db.session.scalar(select(func.count()).select_from(AttendanceMark).join(
            ClassSession, ClassSession.id == AttendanceMark.session_id).where(ClassSession.teacher_id == busiest,
                                                                             ClassSession.term_id == term_id))
        entries = db.session.scalar(select(func.count()).select_from(ScoreEntry).where(
            ScoreEntry.recorded_by == busiest, ScoreEntry.term_id == term_id))
        dept = db.session.get(StaffProfile, busiest).department_id
        staff = db.session.scalars(select(StaffProfile.user_id).where(StaffProfile.department_id == dept)).all()

        def term_of():
            return directory.term_or_current(term_id)
        busy_ms, busy_statements = timed(lambda: teacher_indicators.compute(busiest, term_of()), args.runs)
        median_ms, _ = timed(lambda: teacher_indicators.compute(median_teacher, term_of()), args.runs)
        year_ms, year_statements = timed(lambda: teacher_indicators.for_year(busiest, year), args.runs)
        dept_ms, dept_statements = timed(lambda: [teacher_indicators.compute(t, term_of()) for t in staff],
                                         max(3, args.runs // 5))
        many_ms, many_statements = timed(lambda: teacher_indicators.compute_many(staff, term_of()), args.runs)
        sample = teacher_indicators.compute(busiest, term_of())
    print(json.dumps({
        "database": "postgresql" if args.postgresql else "sqlite", "students": args.students,
        "ledger_rows": world["ledger_rows"], "teachers_with_sessions": len(sessions),
        "busiest_teacher": {"sessions": most, "marks": marks, "entries_recorded": entries,
                            "compute_ms": busy_ms, "statements": busy_statements,
                            "for_year_ms": year_ms, "for_year_statements": year_statements},
        "median_teacher": {"sessions": median_sessions, "compute_ms": median_ms},
        "department": {"teachers": len(staff), "one_by_one_ms": dept_ms, "one_by_one_statements": dept_statements,
                       "compute_many_ms": many_ms, "compute_many_statements": many_statements},
        "busiest_values": sample,
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()

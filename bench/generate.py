"""A realistic term for the benchmarks: the demo college and everything a term holds by week 16.

    .venv/bin/python bench/generate.py                          # 20,000 students on PostgreSQL
    .venv/bin/python bench/generate.py --students 2000 --sqlite # a department on the embedded default

Every benchmark builds its data here (bench/ingest.py, bench/aggregate.py, ...), so the figures meet
the rows a real term has: every entered scoring point of the catalogue at its own timing, recorded by
a holder of its scorer role for the class (per lesson for session points, per class meeting for
class meetings, per week, per month, once a term), a ClassSession for every timetabled meeting of
every teaching day so far with a mark for every student, about 1 % of entries corrected (a reversal
and its re-entry, as `ledger.correct` writes them), two earlier terms' final values, and warnings,
plans with goals and self-assessments for a few students of every class. Computed points
(attendance, class aggregates) are not in the ledger, as in the app.

The clock is explicit: the term is the current one of BENCH_TODAY at BENCH_TIME (a Wednesday morning of week 16,
just after period 3 began, so today's period-3 lessons are open for check-in and the earlier ones
are closed). Benchmarks hand `clock_start()` to the app (SPIRAL_CLOCK_START) so every
process, gunicorn's and RQ's, sees the same day.

The org, timetable and catalogue come from backend/demo.py; the bulk rows go in as INSERT…SELECT
over the college's own tables (the same SQL on PostgreSQL and SQLite). Building 20,000 students
takes minutes, so the result is kept under CACHE (a stopped PostgreSQL data directory, or the
SQLite file) keyed by the student count and a hash of the code and seeds that shape it; `--fresh`
rebuilds. The last line is one JSON object.
"""
import argparse
import hashlib
import json
import os
import random
import secrets
import shutil
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, create_engine, insert, select, text  # noqa: E402

from tests.servers import PostgresServer  # noqa: E402

BENCH_TODAY = date(2026, 12, 16)  # Wednesday of week 16 of the 2026-2027 autumn term (starts 1 Sep)
BENCH_TIME = "10:05:00"  # period 3 began at 10:00 (the demo timetable teaches periods 1–4)
SCHOOL_OFFSET = "+08:00"  # Asia/Shanghai, the default SCHOOL_TZ
CACHE = Path(os.environ.get("SPIRAL_BENCH_CACHE", "/tmp/spiral-bench-cache"))
REVERSED_EVERY = 97  # about 1 % of the term's entries are corrected
SAMPLE_PER_CLASS = 3  # students per class with a plan (three goals) and a self-assessment
WARNED_CLASS_EVERY = 8  # the class warning job runs for one class in eight, at most WARNED_MAX
WARNED_MAX = 30  # (about a second each: a sample is enough for the lists that show them)
SHAPES = ["bench/generate.py", "backend/demo.py", "seed/catalogue.yaml", "seed/holidays.yaml", "migrations/versions",
          "backend/auth/passwords.py", "backend/config.py"]  # the demo's password hash follows the Argon2 setting


def clock_start() -> str:
    return f"{BENCH_TODAY.isoformat()}T{BENCH_TIME}{SCHOOL_OFFSET}"


def shape_hash() -> str:
    """What the generated data depends on: this file, the demo college, the seeds and the schema."""
    h = hashlib.sha256()
    for name in SHAPES:
        path = ROOT / name
        for f in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            h.update(f.name.encode() + f.read_bytes())
    return h.hexdigest()[:10]


# --- the rows ---------------------------------------------------------------------------------------

_scratch = MetaData()
# One row per (point, period, occasion) a non-session point is recorded for; h salts the values.
OCCASIONS = Table("bench_occasion", _scratch, Column("point_id", Integer), Column("level", String(16)),
                  Column("role", String(24)), Column("term_id", Integer), Column("period", String(24)),
                  Column("week", Integer), Column("occasion", String(40)), Column("salt", Integer),
                  Column("lo", Float), Column("hi", Float), Column("bad", Float), Column("lower_better", Integer),
                  Column("final_year_only", Integer))
SCORERS = Table("bench_scorer", _scratch, Column("class_id", Integer), Column("role", String(24)),
                Column("user_id", Integer))
SESSION_POINTS = Table("bench_session_point", _scratch, Column("point_id", Integer), Column("salt", Integer),
                       Column("lo", Float), Column("hi", Float), Column("bad", Float), Column("lower_better", Integer))

# A value in the point's usual range: most students well inside it, about 3 % past the warning side.
H = "(({subject}) * CAST(7919 AS BIGINT) + ({salt}) * CAST(104729 AS BIGINT)) % 1000"
VALUE = """round(CASE WHEN {p}.lower_better = 1 THEN (CASE WHEN {h} < 40 THEN {p}.bad ELSE {p}.lo END)
                 ELSE {p}.lo + ({p}.hi - {p}.lo) * (CASE WHEN {h} < 30 THEN {h} / 100.0
                                                      ELSE 0.62 + 0.38 * ({h} - 30) / 970.0 END) END)"""


def _range(rule) -> tuple[float, float]:
    """The range values usually fall in: the linear conversion's, inside the rule's bounds."""
    lo, hi = rule.min_value, rule.max_value
    span = (rule.conversion or {}).get("from")
    if span:
        lo, hi = max(lo, min(span)), min(hi, max(span))
    return float(lo), float(hi)


def _occasion_rows(term, rules, today: date, earlier: bool) -> tuple[list[dict], list[dict]]:
    """(non-session occasions, session points) of a term's entered points up to `today`."""
    from backend.org import school_calendar
    from backend.valuecard import ledger
    from backend.valuecard.ledger import TERM_TIMINGS

    calendar = school_calendar.term_days(term)
    teaching = school_calendar.teaching_weeks(term, calendar)
    this_week = min(term.week_of(today), term.weeks)
    rows, sessions = [], []
    for rule in rules:
        if rule.source != "entered" or (earlier and rule.timing not in TERM_TIMINGS):
            continue  # earlier terms keep their final (term) values only
        lo, hi = _range(rule)
        base = {"point_id": rule.point_id, "level": rule.point.level, "role": rule.scorer_roles[0],
                "term_id": term.id, "lo": lo, "hi": hi, "bad": min(hi, lo + 1 + rule.point_id % 3),
                "lower_better": int(rule.direction == "lower_better"),
                "final_year_only": int(rule.timing == "before_graduation"), "occasion": ""}
        if rule.timing == "session":
            sessions.append({"point_id": rule.point_id, "salt": rule.point_id * 31, "lo": lo, "hi": hi,
                             "bad": base["bad"], "lower_better": base["lower_better"]})
        elif rule.timing in TERM_TIMINGS:
            rows.append({**base, "period": "term", "week": this_week})
        elif rule.timing == "weekly":  # the weeks gone by; this week's is entered on Friday
            rows += [{**base, "period": f"week:{w}", "week": w} for w in range(1, this_week) if w in teaching]
        elif rule.timing == "monthly":  # the months gone by
            month = term.starts_on.replace(day=1)
            while month < today.replace(day=1):
                period = f"month:{month:%Y-%m}"
                rows.append({**base, "period": period, "week": ledger.entry_week(term, period, today)})
                month = (month + timedelta(days=32)).replace(day=1)
        elif rule.timing == "class_meeting":  # a class meeting every Monday (C-P-08), every other (C-P-09)
            every = 1 + rule.point_id % 2
            for w in range(1, this_week, every):
                day = term.starts_on + timedelta(days=7 * (w - 1) + (7 - term.starts_on.weekday()) % 7)
                if w in teaching and school_calendar.runs_weekday(day, calendar):
                    rows.append({**base, "period": f"day:{day}", "week": w, "occasion": f"meeting:{day}"})
    for i, row in enumerate(rows):
        row["salt"] = i + 1000 * term.id
    return rows, sessions


def _scorers(term_id: int) -> list[dict]:
    """Who records each role's points for each class: the class's own holder of the role, else its
    department's, else the school's."""
    from backend.extensions import db
    from backend.models import ClassGroup, RoleGrant, TeachingAssignment

    classes = db.session.execute(select(ClassGroup.id, ClassGroup.department_id, ClassGroup.head_teacher_id)).all()
    held: dict[tuple[str, str, int], int] = {}
    for g in db.session.execute(select(RoleGrant.role, RoleGrant.scope_type, RoleGrant.scope_id, RoleGrant.user_id)
                                .order_by(RoleGrant.id)):
        held.setdefault((str(g.role), str(g.scope_type), g.scope_id), g.user_id)
    teacher = dict(db.session.execute(select(TeachingAssignment.class_id, TeachingAssignment.teacher_id)
                                      .where(TeachingAssignment.term_id == term_id)
                                      .order_by(TeachingAssignment.id.desc())).all())
    school_id = next(k[2] for k in held if k[1] == "school")
    out = []
    for class_id, dept_id, head in classes:
        for role in ("head_teacher", "counsellor", "course_teacher", "student_affairs", "teaching_office",
                     "pe_teacher"):
            user = {"head_teacher": head, "course_teacher": teacher.get(class_id)}.get(role) \
                or held.get((role, "class", class_id)) or held.get((role, "department", dept_id)) \
                or held.get((role, "school", school_id))
            if user:
                out.append({"class_id": class_id, "role": role, "user_id": user})
    return out


def _sessions(term, today: date, now: datetime) -> list[dict]:
    """A ClassSession for every timetabled meeting up to now: closed 90 minutes after it began,
    except those that began within the last hour, which are open for check-in."""
    from backend.extensions import db
    from backend.models import CourseOffering, OfferingClass, TimetableSlot
    from backend.org import school_calendar, timetable

    calendar = school_calendar.term_days(term)
    slots = db.session.execute(select(TimetableSlot, CourseOffering.course_id, CourseOffering.teacher_id,
                                      OfferingClass.class_id)
                               .join(CourseOffering, CourseOffering.id == TimetableSlot.offering_id)
                               .join(OfferingClass, OfferingClass.offering_id == CourseOffering.id)
                               .where(TimetableSlot.term_id == term.id)).all()
    rows = []
    day = term.starts_on
    while day <= today:
        for slot, course_id, teacher_id, class_id in slots:
            if not timetable.meets_on(slot, term, day, calendar):
                continue
            starts = school_calendar.meeting_start(day, slot.first_period)
            if starts > now:
                continue
            rows.append({"term_id": term.id, "class_id": class_id, "course_id": course_id, "slot_id": slot.id,
                         "teacher_id": teacher_id, "starts_at": starts, "grace_minutes": 10, "day": day,
                         "week": term.week_of(day), "month": f"{day:%Y-%m}", "secret": secrets.token_hex(16),
                         "closed_at": None if now - starts < timedelta(hours=1) else starts + timedelta(minutes=90)})
        day += timedelta(days=1)
    return rows


def _ledger_sql(dialect: str) -> dict[str, str]:
    day_text = "to_char(cs.day, 'YYYY-MM-DD')" if dialect == "postgresql" else "cs.day"
    columns = ("term_id, point_id, student_id, class_id, period, week, occasion, value, generation, batch_id, "
               "recorded_by, recorded_at")
    hs = H.format(subject="p.user_id + c.id * 13", salt="o.salt")
    hc = H.format(subject="c.id * 13", salt="o.salt")
    hp = H.format(subject="p.user_id", salt="cs.id + sp.salt")
    final_year = "(o.final_year_only = 0 OR c.entry_year = (SELECT min(entry_year) FROM class_group))"
    return {
        "individual": f"""INSERT INTO score_entry ({columns})
            SELECT o.term_id, o.point_id, p.user_id, c.id, o.period, o.week, o.occasion, {VALUE.format(p="o", h=hs)},
                   0, 'g' || o.point_id || '.' || c.id || '.' || o.period, s.user_id, :at
            FROM bench_occasion o CROSS JOIN class_group c JOIN student_profile p ON p.class_id = c.id
            JOIN bench_scorer s ON s.class_id = c.id AND s.role = o.role
            WHERE o.level = 'individual' AND {final_year}""",
        "class": f"""INSERT INTO score_entry ({columns})
            SELECT o.term_id, o.point_id, NULL, c.id, o.period, o.week, o.occasion, {VALUE.format(p="o", h=hc)},
                   0, 'g' || o.point_id || '.' || c.id || '.' || o.period, s.user_id, :at
            FROM bench_occasion o CROSS JOIN class_group c JOIN bench_scorer s ON s.class_id = c.id AND s.role = o.role
            WHERE o.level = 'class' AND {final_year}""",
        "session": f"""INSERT INTO score_entry ({columns})
            SELECT cs.term_id, sp.point_id, p.user_id, cs.class_id, 'day:' || {day_text}, cs.week,
                   'session:' || cs.id, {VALUE.format(p="sp", h=hp)},
                   0, 'g' || sp.point_id || '.s' || cs.id, cs.teacher_id, cs.starts_at
            FROM class_session cs JOIN student_profile p ON p.class_id = cs.class_id CROSS JOIN bench_session_point sp
            WHERE cs.term_id = :term AND cs.day < :today""",  # today's lessons are scored later
        "marks": """INSERT INTO attendance_mark (session_id, student_id, status, source, marked_by, marked_at)
            SELECT id, user_id, CASE WHEN h < 930 THEN 'present' WHEN h < 965 THEN 'late'
                                     WHEN h < 985 THEN 'absent' ELSE 'leave' END,
                   CASE WHEN h < 965 THEN 'checkin' WHEN h < 985 THEN 'close' ELSE 'leave' END,
                   CASE WHEN h < 965 THEN user_id ELSE teacher_id END, starts_at
            FROM (SELECT cs.id, cs.teacher_id, cs.starts_at, p.user_id,
                         (p.user_id * CAST(7919 AS BIGINT) + cs.id * CAST(104729 AS BIGINT) + (p.user_id % 11) * 37) % 1000 AS h
                  FROM class_session cs JOIN student_profile p ON p.class_id = cs.class_id
                  WHERE cs.term_id = :term AND cs.closed_at IS NOT NULL) x""",
        # A correction as ledger.correct writes it: the reversal (no value, the original's id), then
        # the right value in the next generation of the same slot.
        "reversals": f"""INSERT INTO score_entry ({columns}, reverses_id, reason)
            SELECT term_id, point_id, student_id, class_id, period, week, occasion, NULL, 0, 'fix-' || id,
                   recorded_by, recorded_at, id, '录入有误 / Entered wrongly'
            FROM score_entry WHERE term_id = :term AND id % {REVERSED_EVERY} = 0 AND id <= :last""",
        "reentries": f"""INSERT INTO score_entry ({columns})
            SELECT term_id, point_id, student_id, class_id, period, week, occasion,
                   CASE WHEN value >= 1 THEN value - 1 ELSE value + 1 END, generation + 1, 'fix-' || id,
                   recorded_by, recorded_at
            FROM score_entry WHERE term_id = :term AND id % {REVERSED_EVERY} = 0 AND id <= :last""",
    }


GROUPS_SQL = ("SELECT count(*) FROM (SELECT student_id, point_id FROM score_entry WHERE term_id = :t "
              "GROUP BY student_id, point_id) g")


def build(url: str, instance: str, students: int, log=print) -> dict:
    """Build the college and its term into the empty database at `url`; returns what was built."""
    from flask_migrate import upgrade

    from backend import create_app, demo
    from backend.extensions import db
    from backend.models import ClassSession, Term
    from backend.org import directory, school_calendar
    from backend.platform import clock
    from backend.reporting import rollups
    from backend.valuecard import catalogue

    app = create_app(SQLALCHEMY_DATABASE_URI=url, INSTANCE_PATH=instance, CLOCK_START=clock_start(),
                     REDIS_URL=os.environ.get("SPIRAL_BENCH_REDIS", ""))
    timings = {}

    def step(name, started):
        timings[name] = round(time.perf_counter() - started, 1)
        log(f"  {name:<28} {timings[name]:>7.1f} s", flush=True)
        return time.perf_counter()

    with app.app_context():
        t = started = time.perf_counter()
        upgrade()
        demo.build(students, 1, BENCH_TODAY)
        term = directory.current_term(BENCH_TODAY)
        # demo.build makes one earlier term; a second goes before it (value added reads two back).
        first = db.session.scalar(select(Term).order_by(Term.starts_on))
        oldest = Term(school_id=first.school_id, academic_year=first.academic_year if first.semester == 2 else
                      f"{int(first.academic_year[:4]) - 1}-{first.academic_year[:4]}",
                      semester=1 if first.semester == 2 else 2,
                      starts_on=first.starts_on - timedelta(days=175), ends_on=first.starts_on - timedelta(days=30))
        db.session.add(oldest)
        db.session.flush()
        catalogue.seed()
        school_calendar.seed_term(oldest)
        db.session.commit()
        t = step("college and timetable", t)

        now = clock.now()
        db.session.execute(insert(ClassSession), _sessions(term, BENCH_TODAY, now))
        db.session.commit()
        t = step("sessions", t)

        _scratch.create_all(db.engine)
        db.session.execute(insert(SCORERS), _scorers(term.id))
        earlier = db.session.scalars(select(Term).where(Term.starts_on < term.starts_on)).all()
        occasions, session_points = _occasion_rows(term, catalogue.rules(term), BENCH_TODAY, False)
        for before in earlier:
            occasions += _occasion_rows(before, catalogue.rules(before), before.ends_on, True)[0]
        db.session.execute(insert(OCCASIONS), occasions)
        db.session.execute(insert(SESSION_POINTS), session_points)
        sql = _ledger_sql(db.engine.dialect.name)
        # The rows reference what they were built from, so PostgreSQL's foreign-key triggers (five
        # lookups a ledger row) are skipped for the bulk load: a bench build, not an import.
        bulk = "SET LOCAL session_replication_role = replica" if db.engine.dialect.name == "postgresql" else "SELECT 1"
        db.session.execute(text(bulk))
        db.session.execute(text(sql["marks"]), {"term": term.id})
        db.session.commit()
        t = step("attendance marks", t)
        db.session.execute(text(bulk))
        db.session.execute(text(sql["session"]), {"term": term.id, "today": BENCH_TODAY})
        db.session.execute(text(sql["individual"]), {"at": now})
        db.session.execute(text(sql["class"]), {"at": now})
        last = db.session.scalar(text("SELECT max(id) FROM score_entry"))
        db.session.execute(text(sql["reversals"]), {"term": term.id, "last": last})
        db.session.execute(text(sql["reentries"]), {"term": term.id, "last": last})
        db.session.commit()
        _scratch.drop_all(db.engine)
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        t = step("ledger", t)

        _plans_and_assessments(term)
        db.session.commit()
        t = step("plans, self-assessments", t)
        warned = _warnings(term)
        t = step("warnings", t)
        rollups.rebuild(term)
        db.session.commit()
        t = step("rollups", t)
        world = describe(term.id)
        world.update(students=students, warnings=warned, build_seconds=round(time.perf_counter() - started, 1),
                     steps=timings)
    return world


def describe(term_id: int) -> dict:
    """The sizes every benchmark prints (inside an app context)."""
    from backend.extensions import db

    one = lambda sql, **kw: db.session.scalar(text(sql), kw)  # noqa: E731
    today = BENCH_TODAY
    return {"term_id": term_id, "ledger_rows": one("SELECT count(*) FROM score_entry"),
            "term_rows": one("SELECT count(*) FROM score_entry WHERE term_id = :t", t=term_id),
            "groups": one(GROUPS_SQL, t=term_id),
            "reversals": one("SELECT count(*) FROM score_entry WHERE reverses_id IS NOT NULL"),
            "sessions": one("SELECT count(*) FROM class_session"),
            "sessions_today": one("SELECT count(*) FROM class_session WHERE day = :d", d=today),
            "open_sessions": one("SELECT count(*) FROM class_session WHERE closed_at IS NULL"),
            "attendance_marks": one("SELECT count(*) FROM attendance_mark"),
            "plans": one("SELECT count(*) FROM plan"), "goals": one("SELECT count(*) FROM goal"),
            "self_assessments": one("SELECT count(*) FROM self_assessment"),
            "student_warnings": one("SELECT count(*) FROM student_warning")}


def _plans_and_assessments(term) -> None:
    """A few students of every class have a term plan with three goals and a submitted self-assessment."""
    from backend.development import assessment, plans
    from backend.extensions import db
    from backend.models import StudentProfile

    rng = random.Random(17)
    codes = [e["code"] for e in assessment.elements()]
    profiles = db.session.scalars(select(StudentProfile).order_by(StudentProfile.class_id, StudentProfile.user_id)).all()
    seen: dict[int, int] = {}
    for profile in profiles:
        seen[profile.class_id] = seen.get(profile.class_id, 0) + 1
        if seen[profile.class_id] > SAMPLE_PER_CLASS:
            continue
        plan = plans.create(profile.user, {"kind": "student_term"})
        plans.set_goal(plan, {"part": "A", "title": "作业按时完成", "point_code": "S-A-06", "target": 95,
                              "standard": 90, "warning": 70})
        plans.set_goal(plan, {"part": "B", "title": "每周锻炼", "target": 3, "standard": 2, "warning": 1})
        plans.set_goal(plan, {"part": "C", "title": "考取证书", "target": 1, "standard": 1, "warning": 0})
        plans.submit(plan)
        assessment.save(profile.user, profile, term, {c: rng.randint(1, 4) for c in codes}, submit=True)
    db.session.info.clear()  # the class jobs a commit would enqueue: the rollups are rebuilt below


def _warnings(term) -> int:
    """The class warning job over one class in WARNED_CLASS_EVERY: warnings as the app raises them."""
    from backend.alerts import warnings
    from backend.extensions import db
    from backend.models import ClassGroup

    for cls in db.session.scalars(select(ClassGroup).order_by(ClassGroup.id)).all()[::WARNED_CLASS_EVERY][:WARNED_MAX]:
        warnings.evaluate_class(term, cls)
        db.session.info.clear()  # the jobs a commit would enqueue: there is no worker here
        db.session.commit()
    return db.session.scalar(text("SELECT count(*) FROM student_warning"))


# --- the cache ------------------------------------------------------------------------------------

def cache_dir(students: int, sqlite: bool) -> Path:
    return CACHE / f"{students}-{'sqlite' if sqlite else 'pg'}-{shape_hash()}"


def _generate(students: int, sqlite: bool, into: Path) -> dict:
    print(f"generating {students:,} students on {'SQLite' if sqlite else 'PostgreSQL'} into {into}…", flush=True)
    work = Path(tempfile.mkdtemp(prefix="spiral-gen-", dir=CACHE))
    instance = tempfile.mkdtemp(prefix="spiral-gen-instance-")
    try:
        if sqlite:
            world = build(f"sqlite:///{work}/bench.db", instance, students)
        else:
            pg = PostgresServer()
            try:
                with create_engine(pg.url(), isolation_level="AUTOCOMMIT").connect() as conn:
                    conn.execute(text("CREATE DATABASE spiral_bench"))
                world = build(pg.url("spiral_bench"), instance, students)
                pg.stop()
                shutil.copytree(Path(pg.dir) / "data", work / "data", symlinks=True)
            finally:
                pg.close()
        (work / "world.json").write_text(json.dumps(world, indent=1))
        shutil.rmtree(into, ignore_errors=True)
        work.rename(into)  # whole or not at all: an interrupted build leaves no cache behind
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(instance, ignore_errors=True)
    return world


@contextmanager
def prepared(students: int, sqlite: bool = False, fresh: bool = False):
    """A private copy of the generated term: yields (database url, world); the copy goes on exit.
    PostgreSQL runs on a free port from a copy of the cached data directory."""
    CACHE.mkdir(parents=True, exist_ok=True)
    source = cache_dir(students, sqlite)
    if fresh or not (source / "world.json").exists():
        _generate(students, sqlite, source)
    world = json.loads((source / "world.json").read_text())
    if sqlite:
        work = Path(tempfile.mkdtemp(prefix="spiral-bench-"))
        shutil.copy(source / "bench.db", work / "bench.db")
        try:
            yield f"sqlite:///{work}/bench.db", world
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return
    pg = PostgresServer(data_from=str(source / "data"))
    try:
        yield pg.url("spiral_bench"), world
    finally:
        pg.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=20000)
    parser.add_argument("--sqlite", action="store_true", help="the embedded default (a SQLite file)")
    parser.add_argument("--fresh", action="store_true", help="rebuild even if cached")
    args = parser.parse_args()
    started = time.perf_counter()
    with prepared(args.students, args.sqlite, args.fresh) as (url, world):
        ready = time.perf_counter() - started
    print(f"cache               {cache_dir(args.students, args.sqlite)}")
    print(f"built in            {world['build_seconds']} s ({world['steps']}); ready from cache in {ready:.1f} s")
    print(f"ledger              {world['ledger_rows']:,} rows ({world['term_rows']:,} this term, "
          f"{world['reversals']:,} reversals), {world['groups']:,} student×point groups")
    print(f"attendance          {world['sessions']:,} sessions ({world['sessions_today']:,} today, "
          f"{world['open_sessions']:,} open), {world['attendance_marks']:,} marks")
    print(f"development         {world['plans']} plans, {world['goals']} goals, {world['self_assessments']} "
          f"self-assessments, {world['student_warnings']} warnings")
    print(json.dumps({k: v for k, v in world.items() if k != "steps"}))


if __name__ == "__main__":
    main()

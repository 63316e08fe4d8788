"""The teacher portrait on the generated term (bench/generate.py, SQLite, in-process client): the
40 teachers with the most sessions are put in one department with a stage each, then the median
job's work for that department (every teacher's indicators for the year) and the portrait read
(the teacher's own, the department admin's audited one, the yearly report as PDF and XLSX) are
timed. Prints median milliseconds."""
import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backend import create_app  # noqa: E402
from backend.demo import DEMO_PASSWORD  # noqa: E402
from backend.development import plans, teacher_portrait  # noqa: E402
from backend.extensions import db  # noqa: E402
from backend.models import ClassSession, PortraitMedian, RoleGrant, StaffProfile, User  # noqa: E402
from bench import generate  # noqa: E402


def median_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(1000 * (time.perf_counter() - start))
    return round(statistics.median(times), 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=2000)
    parser.add_argument("--teachers", type=int, default=40)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--fresh", action="store_true", help="regenerate the term (bench/generate.py)")
    args = parser.parse_args()
    with generate.prepared(args.students, sqlite=True, fresh=args.fresh) as (url, world):
        print(f"term: {world['ledger_rows']:,} ledger rows", flush=True)
        run(args, url)


def run(args, url: str) -> None:
    app = create_app(SQLALCHEMY_DATABASE_URI=url, INSTANCE_PATH=tempfile.mkdtemp(), CLOCK_START=generate.clock_start(),
                     REDIS_URL="")
    with app.app_context():
        year = plans.academic_year_now()
        busiest = db.session.scalars(select(ClassSession.teacher_id).group_by(ClassSession.teacher_id)
                                     .order_by(func.count().desc()).limit(args.teachers)).all()
        admin = db.session.scalar(select(RoleGrant).where(RoleGrant.role == "dept_admin", RoleGrant.scope_type == "department"))
        dept = admin.scope_id
        for n, teacher_id in enumerate(busiest):
            profile = db.session.get(StaffProfile, teacher_id) or StaffProfile(user_id=teacher_id)
            profile.department_id = dept
            db.session.add(profile)
            found = plans.find(teacher_id, "teacher_cycle", f"{year}-{year + 2}")
            if found is None:
                plans.create(db.session.get(User, teacher_id), {"kind": "teacher_cycle",
                                                                "stage": "competent" if n % 8 else "mature"})
        db.session.commit()
        in_dept = db.session.scalar(select(func.count()).select_from(StaffProfile).where(StaffProfile.department_id == dept))
        sessions = db.session.scalar(select(func.count()).select_from(ClassSession).where(ClassSession.teacher_id.in_(busiest)))

        def job():
            teacher_portrait.refresh_department(dept, year)
            db.session.commit()
        job_ms = median_ms(job, 3)
        stored = {r.stage: r.teachers for r in db.session.scalars(select(PortraitMedian).where(
            PortraitMedian.department_id == dept, PortraitMedian.year == year))}
        teacher, admin_user = db.session.get(User, busiest[0]), db.session.get(User, admin.user_id)
        names = (teacher.username, admin_user.username)

    client = app.test_client()

    def login(username):
        token = client.post("/api/v1/auth/login", json={"username": username, "password": DEMO_PASSWORD}).json
        return {"Authorization": f"Bearer {token['access_token']}"}
    me, dept_admin = login(names[0]), login(names[1])

    def get(path, headers):
        def call():
            response = client.get(path, headers=headers)
            assert response.status_code == 200, response.get_data(as_text=True)[:300]
        return call
    own = median_ms(get("/api/v1/me/portrait", me), args.runs)
    audited = median_ms(get(f"/api/v1/teachers/{busiest[0]}/portrait", dept_admin), args.runs)
    pdf = median_ms(get(f"/api/v1/teachers/{busiest[0]}/yearly-report?format=pdf", me), max(3, args.runs // 3))
    xlsx = median_ms(get(f"/api/v1/teachers/{busiest[0]}/yearly-report?format=xlsx", me), max(3, args.runs // 3))
    print(f"department of {in_dept} teachers ({len(busiest)} with {sessions:,} sessions this year), stages stored {stored}")
    print(f"median job (one department, all its teachers' indicators): {job_ms} ms")
    print(f"portrait read, own: {own} ms; department admin (audited): {audited} ms; "
          f"yearly report with the portrait PDF {pdf} ms, XLSX {xlsx} ms")


if __name__ == "__main__":
    main()

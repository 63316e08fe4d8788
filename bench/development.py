"""Reads and writes of the development layer on the demo college (SQLite, in-process client):
a class's plan summary, a student's radar and term report (JSON, PDF, XLSX), and the class
warning job with every student's linked goals monitored. Prints median milliseconds."""
import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backend import create_app
from backend.alerts import warnings
from backend.demo import DEMO_PASSWORD, build
from backend.development import assessment, plans
from backend.extensions import db
from backend.models import ClassGroup, StudentProfile, User
from backend.org import directory
from backend.platform import clock


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
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    instance = Path(tempfile.mkdtemp())
    app = create_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{instance}/bench.db", INSTANCE_PATH=str(instance),
                     REDIS_URL="redis://127.0.0.1:1/0", ARGON2_MEMORY_KIB=1024, ARGON2_TIME_COST=1)
    with app.app_context():
        upgrade()
        accounts = {a["role"]: a for a in build(args.students, 7, clock.school_today())}
        db.session.commit()
        student = db.session.scalar(select(User).where(User.username == accounts["student"]["username"]))
        cls = db.session.get(ClassGroup, student.student.class_id)
        term, rng = directory.current_term(clock.school_today()), random.Random(1)
        codes = [e["code"] for e in assessment.elements()]
        start = time.perf_counter()
        for profile in db.session.scalars(select(StudentProfile).where(StudentProfile.class_id == cls.id)).all():
            plan = plans.create(profile.user, {"kind": "student_term"})
            plans.set_goal(plan, {"part": "A", "title": "作业", "point_code": "S-A-06", "target": 95, "standard": 92, "warning": 85})
            plans.set_goal(plan, {"part": "B", "title": "锻炼", "target": 3, "standard": 2, "warning": 1})
            plans.set_goal(plan, {"part": "C", "title": "证书", "target": 1, "standard": 1, "warning": 0})
            plans.submit(plan)
            assessment.save(profile.user, profile, term, {c: rng.randint(1, 4) for c in codes}, submit=True)
        db.session.commit()
        setup = round(time.perf_counter() - start, 2)
        student_id, class_id = student.id, cls.id
        students = db.session.scalar(select(func.count()).select_from(StudentProfile).where(StudentProfile.class_id == cls.id))

    client = app.test_client()

    def login(account):
        token = client.post("/api/v1/auth/login", json={"username": account["username"], "password": DEMO_PASSWORD}).json
        return {"Authorization": f"Bearer {token['access_token']}"}
    head, me = login(accounts["head_teacher"]), login(accounts["student"])

    def get(path, headers):
        response = client.get(path, headers=headers)
        assert response.status_code == 200, (path, response.status_code)
    report = f"/api/v1/students/{student_id}/development-report"
    figures = {
        "students": args.students, "class_size": students, "setup_s (plans+questionnaires for the class)": setup,
        "class_plan_summary_ms": median_ms(lambda: get(f"/api/v1/classes/{class_id}/plans", head), args.runs),
        "radar_ms": median_ms(lambda: get(f"/api/v1/students/{student_id}/self-assessment/result", me), args.runs),
        "term_report_json_ms": median_ms(lambda: get(report, me), args.runs),
        "term_report_pdf_ms": median_ms(lambda: get(f"{report}?format=pdf", me), args.runs),
        "term_report_xlsx_ms": median_ms(lambda: get(f"{report}?format=xlsx", me), args.runs),
    }
    with app.app_context():
        cls, term = db.session.get(ClassGroup, class_id), directory.current_term(clock.school_today())

        def evaluate():
            warnings.evaluate_class(term, cls)
            db.session.rollback()
        figures["class_warning_job_with_goal_monitor_ms"] = median_ms(evaluate, args.runs)
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()

"""Reads and writes of the development layer on the generated term (bench/generate.py, SQLite,
in-process client): a class's plan summary, a student's radar and term report (JSON, PDF, XLSX),
and the class warning job with every student's linked goals monitored. Prints median milliseconds."""
import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backend import create_app  # noqa: E402
from backend.alerts import warnings  # noqa: E402
from backend.demo import DEMO_PASSWORD  # noqa: E402
from backend.development import assessment, plans  # noqa: E402
from backend.extensions import db  # noqa: E402
from backend.models import ClassGroup, Plan, SelfAssessment, StudentProfile, User  # noqa: E402
from backend.org import directory  # noqa: E402
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
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--fresh", action="store_true", help="regenerate the term (bench/generate.py)")
    args = parser.parse_args()
    with generate.prepared(args.students, sqlite=True, fresh=args.fresh) as (url, world):
        print(f"term: {world['ledger_rows']:,} ledger rows, {world['groups']:,} student×point groups", flush=True)
        run(args, url, world)


def run(args, url: str, world: dict) -> None:
    instance = Path(tempfile.mkdtemp())
    app = create_app(SQLALCHEMY_DATABASE_URI=url, INSTANCE_PATH=str(instance), CLOCK_START=generate.clock_start(),
                     REDIS_URL="")
    with app.app_context():
        cls = db.session.scalar(select(ClassGroup).order_by(ClassGroup.id))
        student = db.session.scalar(select(User).join(StudentProfile).where(StudentProfile.class_id == cls.id)
                                    .order_by(User.id))
        accounts = {"student": {"username": student.username},
                    "head_teacher": {"username": db.session.get(User, cls.head_teacher_id).username}}
        term, rng = directory.current_term(generate.BENCH_TODAY), random.Random(1)
        codes = [e["code"] for e in assessment.elements()]
        # The generator gave a few students of each class a plan and a self-assessment; the rest get theirs here.
        planned = set(db.session.scalars(select(Plan.owner_id))) | set(db.session.scalars(
            select(SelfAssessment.subject_id)))
        start = time.perf_counter()
        for profile in db.session.scalars(select(StudentProfile).where(StudentProfile.class_id == cls.id,
                                                                        StudentProfile.user_id.not_in(planned))).all():
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
        cls, term = db.session.get(ClassGroup, class_id), directory.current_term(generate.BENCH_TODAY)

        def evaluate():
            warnings.evaluate_class(term, cls)
            db.session.rollback()
        figures["class_warning_job_with_goal_monitor_ms"] = median_ms(evaluate, args.runs)
    figures.update(ledger_rows=world["ledger_rows"], groups=world["groups"])
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()

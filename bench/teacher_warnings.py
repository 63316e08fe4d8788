"""The teacher monitor → warn pass (alerts/teacher_warnings.py) on the generated term (bench/generate.py,
SQLite): every teacher with a department gets a novice three-year plan and a submitted annual plan
with a goal linked to T-TRAIN, and every other one a portfolio (a certificate: no training yet; the
others keep none, so they have no training figure at all); then four passes: the first (nudges), the same again (idempotent),
TEACHER_WARNING_AFTER_DAYS later (department warnings raised), and again. Prints seconds and
statements per pass."""
import argparse
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import event, func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backend import create_app  # noqa: E402
from backend.alerts import teacher_warnings  # noqa: E402
from backend.development import plans  # noqa: E402
from backend.extensions import db  # noqa: E402
from backend.models import PortfolioItem, StaffProfile, TeacherWarning, User  # noqa: E402
from backend.org import directory  # noqa: E402
from bench import generate  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=2000)
    parser.add_argument("--fresh", action="store_true", help="regenerate the term (bench/generate.py)")
    args = parser.parse_args()
    with generate.prepared(args.students, sqlite=True, fresh=args.fresh) as (url, world):
        print(f"term: {world['ledger_rows']:,} ledger rows", flush=True)
        app = create_app(SQLALCHEMY_DATABASE_URI=url, INSTANCE_PATH=tempfile.mkdtemp(),
                         CLOCK_START=generate.clock_start(), REDIS_URL="")
        with app.app_context():
            year = int(directory.current_term(generate.BENCH_TODAY).academic_year[:4])
            staff = db.session.scalars(select(User).join(StaffProfile, StaffProfile.user_id == User.id)
                                       .where(StaffProfile.department_id.is_not(None))).all()
            for n, u in enumerate(staff):
                if n % 2 == 0:  # half of them keep a portfolio in Spiral (a certificate this year, no training yet)
                    db.session.add(PortfolioItem(owner_id=u.id, kind="certificate", title="证书",
                                                 occurred_on=generate.BENCH_TODAY - timedelta(days=30)))
                if plans.find(u.id, "teacher_cycle", f"{year}-{year + 2}") is None:
                    plans.create(u, {"kind": "teacher_cycle", "stage": "novice", "start_year": year})
                plan = plans.find(u.id, "teacher_year", str(year)) or plans.create(
                    u, {"kind": "teacher_year", "start_year": year})
                if plan.status in plans.EDITABLE:
                    plans.set_goal(plan, {"part": "A", "title": "教学", "target": 10, "standard": 8, "warning": 5})
                    plans.set_goal(plan, {"part": "B", "title": "培训", "point_code": "T-TRAIN",
                                          "target": 90, "standard": 72, "warning": 50})
                    plans.submit(plan)
            db.session.commit()
            count = {"n": 0}
            event.listen(db.engine, "before_cursor_execute", lambda *a: count.__setitem__("n", count["n"] + 1))
            now, later = app.extensions["clock"].now(), timedelta(days=app.config["TEACHER_WARNING_AFTER_DAYS"])
            for label, moment in (("first pass", now), ("again", now), ("N days later", now + later),
                                  ("again", now + later)):
                count["n"] = 0
                start = time.perf_counter()
                out = teacher_warnings.evaluate(year, moment)
                db.session.commit()
                print(f"{label}: {len(staff)} teachers, {time.perf_counter() - start:.2f} s, {count['n']} statements, "
                      f"{out}", flush=True)
            print("teacher warnings:", db.session.scalar(select(func.count()).select_from(TeacherWarning)), dict(
                db.session.execute(select(TeacherWarning.indicator_code, func.count())
                                   .group_by(TeacherWarning.indicator_code)).all()))


if __name__ == "__main__":
    main()

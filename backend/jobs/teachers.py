"""A department's stored teacher figures for an academic year: the portrait's medians
(development/teacher_portrait.py) and the teacher summary's shortfall counts
(development/assessing.py), from one computation of the teachers' indicators. One job per
department and year, coalesced like the rollups; a periodic pass enqueues every department's,
since a teacher's indicators follow many writes (marks, entries, grades, portfolio) that need not
each wake it."""
from sqlalchemy import select

from backend.development import assessing, plans, teacher_indicators, teacher_portrait
from backend.extensions import db
from backend.models import Department, StaffProfile
from backend.platform import queue
from backend.platform.queue import job


@job("reports", timeout=300, retry_after=(10, 60, 300))
def department_teachers(department_id: int, year: int) -> dict:
    queue.started(department_teachers, department_id, year)
    ids = db.session.scalars(select(StaffProfile.user_id).where(StaffProfile.department_id == department_id)).all()
    figures = teacher_indicators.for_year_many(ids, year)
    done = {"medians": teacher_portrait.refresh_department(department_id, year, figures),
            "shortfall": assessing.refresh_shortfall(department_id, year, figures)}
    db.session.commit()
    return done


def departments() -> list[int]:
    found = db.session.scalars(select(Department.id).order_by(Department.id)).all()
    # End this read: without Redis each department's job runs inline in a session of its own, and
    # SQLite's one writer would be this transaction (docs/DESIGN.md, known traps).
    db.session.commit()
    return found


@job("default", timeout=60, retry_after=(10, 60, 300))  # it only enqueues: the work is on `reports`
def department_teachers_all(year: int | None = None) -> int:
    """The periodic pass: every department's figures for the academic year (default: the current one)."""
    year = plans.academic_year_now() if year is None else year
    found = departments()
    for department_id in found:
        queue.enqueue_coalesced(department_teachers, department_id, year)
    return len(found)

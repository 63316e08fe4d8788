"""The teacher portrait's department medians (development/teacher_portrait.py): one job per
department and academic year, coalesced like the rollups; a periodic pass enqueues every
department's, since a teacher's indicators follow many writes (marks, entries, grades, portfolio)
that need not each wake it."""
from backend.development import teacher_portrait, teacher_standards
from backend.extensions import db
from backend.platform import queue
from backend.platform.queue import job


@job("reports", timeout=300, retry_after=(10, 60, 300))
def portrait_medians(department_id: int, year: int) -> dict:
    queue.started(portrait_medians, department_id, year)
    stored = teacher_portrait.refresh_department(department_id, year)
    db.session.commit()
    return stored


@job("default", timeout=60, retry_after=(10, 60, 300))  # it only enqueues: the work is on `reports`
def portrait_medians_all(year: int | None = None) -> int:
    """The periodic pass: every department's medians for the academic year (default: the current one)."""
    year = teacher_standards.current_year() if year is None else year
    departments = teacher_portrait.departments()
    for department_id in departments:
        queue.enqueue_coalesced(portrait_medians, department_id, year)
    return len(departments)

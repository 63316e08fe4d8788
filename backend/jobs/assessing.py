"""The department summary's stored shortfall counts (development/assessing.py): one job per
department and academic year, coalesced; a periodic pass enqueues every department's, since a
teacher's indicators follow many writes (marks, entries, grades, portfolio) that need not each wake it."""
from backend.development import assessing, plans
from backend.extensions import db
from backend.platform import queue
from backend.platform.queue import job


@job("reports", timeout=300, retry_after=(10, 60, 300))
def teacher_shortfall(department_id: int, year: int) -> dict:
    queue.started(teacher_shortfall, department_id, year)
    counts = assessing.refresh_shortfall(department_id, year)
    db.session.commit()
    return counts


@job("default", timeout=60, retry_after=(10, 60, 300))  # it only enqueues: the work is on `reports`
def teacher_shortfall_all(year: int | None = None) -> int:
    """The periodic pass: every department's counts for the academic year (default: the current one)."""
    year = plans.academic_year_now() if year is None else year
    departments = assessing.departments()
    for department_id in departments:
        queue.enqueue_coalesced(teacher_shortfall, department_id, year)
    return len(departments)

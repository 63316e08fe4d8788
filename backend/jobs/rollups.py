"""Rollup jobs: one class, one department, the school, or a whole term (reporting/rollups.py).

A class's job is on the `rollups` queue, which workers serve first; the department, school and
whole-term jobs are on `reports`, served after `notifications`. A school merge at 20,000 students
takes seconds: on one queue, the class jobs behind it made a batch take up to a minute to show in
its class report under load (bench/ingest.py freshness)."""
from datetime import date

from backend.extensions import db
from backend.models import Term
from backend.org import directory
from backend.platform import clock, queue
from backend.platform.queue import job
from backend.reporting import rollups


def _term(term_id: int) -> Term:
    return db.session.get(Term, term_id)


@job("rollups", timeout=10, retry_after=(2, 10, 60))
def rollup_class(term_id: int, class_id: int) -> dict:
    queue.started(rollup_class, term_id, class_id)
    changed = rollups.refresh_class(_term(term_id), class_id)
    db.session.commit()
    return changed


@job("reports", timeout=30, retry_after=(2, 10, 60))
def rollup_department(term_id: int, department_id: int) -> dict:
    queue.started(rollup_department, term_id, department_id)
    changed = rollups.refresh_department(_term(term_id), department_id)
    db.session.commit()
    return changed


@job("reports", timeout=120, retry_after=(5, 30, 120))
def rollup_school(term_id: int, school_id: int) -> dict:
    queue.started(rollup_school, term_id, school_id)
    changed = rollups.refresh_school(_term(term_id))
    db.session.commit()
    return changed


@job("reports", timeout=1800, retry_after=(60, 300, 900))
def rebuild_term(term_id: int) -> dict:
    queue.started(rebuild_term, term_id)
    changed = rollups.rebuild(_term(term_id))
    db.session.commit()
    return changed


@job("reports", timeout=1800, retry_after=(60, 300, 900))
def rebuild_current_term(day: str | None = None) -> dict:
    """The periodic full pass: whatever an incremental run missed (a lost job, a roster move)
    is put right within one period."""
    return rebuild_term(directory.current_term(date.fromisoformat(day) if day else clock.school_today()).id)

"""RQ entry points: thin wrappers that take ids, call a service and commit (DESIGN.md).

Importing this package also hooks every database session's commit: units that services
marked with `changes.touch(...)` are enqueued, coalesced, once their data is committed.
"""
from sqlalchemy import event
from sqlalchemy.orm import Session

from backend.jobs import rollups as rollup_jobs
from backend.services import changes, queue

JOB_OF_UNIT = {"class": rollup_jobs.rollup_class, "department": rollup_jobs.rollup_department,
               "school": rollup_jobs.rollup_school, "term": rollup_jobs.rebuild_term}


@event.listens_for(Session, "after_commit")
def _enqueue_touched(session: Session) -> None:
    for unit, term_id, unit_id in changes.take(session):
        args = (term_id,) if unit == "term" else (term_id, unit_id)
        queue.enqueue_coalesced(JOB_OF_UNIT[unit], *args)


@event.listens_for(Session, "after_rollback")
def _forget_touched(session: Session) -> None:
    changes.take(session)

"""RQ entry points: thin wrappers that take ids, call a service and commit (docs/DESIGN.md, Jobs).

Importing this package also hooks every database session's commit: units that services
marked with `changes.touch(...)` are enqueued, coalesced, once their data is committed.
"""
from sqlalchemy import event
from sqlalchemy.orm import Session

from backend.jobs import alerts
from backend.jobs import rollups as rollup_jobs
from backend.platform import changes, queue

# What follows a touched unit: a class's inputs feed its rollups and its warnings.
JOBS_OF_UNIT = {"class": (rollup_jobs.rollup_class, alerts.evaluate_class),
                "department": (rollup_jobs.rollup_department,), "school": (rollup_jobs.rollup_school,),
                "term": (rollup_jobs.rebuild_term, alerts.evaluate_term),
                "warnings": (alerts.evaluate_class,), "push": (alerts.deliver_push,),
                "incident": (alerts.announce_incident,), "channels": (alerts.deliver_channels,)}


def _args(unit: str, term_id: int, unit_id: int) -> tuple:
    return {"term": (term_id,), "push": (), "channels": ()}.get(unit, (term_id, unit_id))


@event.listens_for(Session, "after_commit")
def _enqueue_touched(session: Session) -> None:
    for unit, term_id, unit_id in changes.take(session):
        for func in JOBS_OF_UNIT[unit]:
            queue.enqueue_coalesced(func, *_args(unit, term_id, unit_id))


@event.listens_for(Session, "after_rollback")
def _forget_touched(session: Session) -> None:
    changes.take(session)

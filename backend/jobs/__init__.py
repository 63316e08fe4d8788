"""RQ entry points: thin wrappers that take ids, call a service and commit (docs/DESIGN.md, Jobs).

Importing this package also hooks every database session's commit: the units that services
marked with `changes.touch(...)` become outbox rows in the same transaction (platform/outbox.py),
so a committed change never lacks its jobs; after the commit a relay is woken. With no Redis
configured, the jobs run inline after the commit instead.
"""
from sqlalchemy import event
from sqlalchemy.orm import Session

from backend.jobs import alerts
from backend.jobs import rollups as rollup_jobs
from backend.platform import changes, outbox, queue

# What follows a touched unit: a class's inputs feed its rollups and its warnings.
JOBS_OF_UNIT = {"class": (rollup_jobs.rollup_class, alerts.evaluate_class),
                "department": (rollup_jobs.rollup_department,), "school": (rollup_jobs.rollup_school,),
                "term": (rollup_jobs.rebuild_term, alerts.evaluate_term),
                "warnings": (alerts.evaluate_class,), "push": (alerts.deliver_push,),
                "incident": (alerts.announce_incident,), "channels": (alerts.deliver_channels,)}
_WAKE, _INLINE = "outbox_wake", "jobs_inline"  # session.info keys, from before to after the commit


def _args(unit: str, term_id: int, unit_id: int) -> tuple:
    return {"term": (term_id,), "push": (), "channels": ()}.get(unit, (term_id, unit_id))


def _jobs(touched) -> list:
    return list(dict.fromkeys((func, _args(unit, term_id, unit_id))
                              for unit, term_id, unit_id in touched for func in JOBS_OF_UNIT[unit]))


@event.listens_for(Session, "before_commit")
def _write_outbox(session: Session) -> None:
    done = session.info.pop(outbox.DONE, None)
    if done:  # the running job's work commits now: so does the end of the rows it started from
        outbox.finish(session, done)
    jobs = _jobs(changes.take(session))
    if not jobs:
        return
    if queue.configured():
        outbox.write(session, jobs)
        session.info[_WAKE] = True
    else:
        session.info[_INLINE] = jobs


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop(_WAKE, False):
        outbox.wake()
    for func, args in session.info.pop(_INLINE, ()):
        queue.run_inline(func, args)


@event.listens_for(Session, "after_rollback")
def _forget_touched(session: Session) -> None:
    changes.take(session)
    for key in (outbox.DONE, _WAKE, _INLINE):
        session.info.pop(key, None)

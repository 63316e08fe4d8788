"""Warning and notification jobs: evaluate rules, escalate, digest, deliver pushes."""
from datetime import date

from sqlalchemy import select

from backend.alerts import incidents, teacher_warnings, warnings
from backend.extensions import db
from backend.models import ClassGroup, Incident, Term
from backend.notify import channels, notifications, push
from backend.org import directory
from backend.platform import clock, queue
from backend.platform.queue import job


@job("notifications", timeout=120, retry_after=(5, 30, 120))
def evaluate_class(term_id: int, class_id: int) -> dict:
    queue.started(evaluate_class, term_id, class_id)
    counts = warnings.evaluate_class(db.session.get(Term, term_id), db.session.get(ClassGroup, class_id))
    db.session.commit()
    return counts


@job("notifications", timeout=1800, retry_after=(60, 300, 900))
def evaluate_term(term_id: int) -> dict:
    queue.started(evaluate_term, term_id)
    term, totals = db.session.get(Term, term_id), {"raised": 0, "raised_level": 0}
    for cls in db.session.scalars(select(ClassGroup).order_by(ClassGroup.id)).all():
        for key, n in warnings.evaluate_class(term, cls).items():
            totals[key] += n
        db.session.commit()  # class by class: a crash halfway keeps what was done
    # Issue 20: teachers' goals nudged first, then department warnings, for the term's academic year.
    totals.update(teacher_warnings.evaluate(int(term.academic_year[:4])))
    db.session.commit()
    return totals


@job("notifications", timeout=1800, retry_after=(60, 300, 900))
def evaluate_current_term(day: str | None = None) -> dict:
    """The periodic pass: catches what no entry batch triggers (the final year beginning, a
    registry record, a catalogue edit)."""
    return evaluate_term(directory.current_term(date.fromisoformat(day) if day else clock.school_today()).id)


@job("notifications", timeout=300)
def escalate_overdue() -> int:
    moved = warnings.escalate_overdue()
    db.session.commit()
    return moved


@job("notifications", timeout=300)
def send_digests() -> int:
    sent = notifications.send_digests()
    db.session.commit()
    return sent


def _deliver(job_func, sender, name: str) -> dict:
    """Send what is due; then ask RQ's scheduler to come back when the next retry is due."""
    queue.started(job_func)
    totals = sender.deliver_due()
    when = sender.next_due()
    if when is not None:
        queue.enqueue_at(job_func, when, job_id=f"{name}-at-{int(when.timestamp())}")
    return totals


@job("notifications", timeout=600, retry_after=(10, 60, 300))
def deliver_push() -> dict:
    return _deliver(deliver_push, push, "deliver-push")


@job("notifications", timeout=120, retry_after=(5, 30, 120))
def announce_incident(term_id: int, incident_id: int) -> int:
    """The class-level notice of a mass-event incident, after the write that opened it committed."""
    queue.started(announce_incident, term_id, incident_id)
    incident = db.session.get(Incident, incident_id)
    sent = incidents.announce(incident) if incident is not None else 0
    db.session.commit()
    return sent


@job("notifications", timeout=300)
def expire_incidents() -> dict:
    """Open incidents past their deadline release their warnings (and lost notices go out)."""
    done = incidents.expire_due()
    db.session.commit()
    return done


@job("notifications", timeout=600, retry_after=(10, 60, 300))
def deliver_channels() -> dict:
    """The WeCom / DingTalk messages that are due, as deliver_push does for Web Push."""
    return _deliver(deliver_channels, channels, "deliver-channels")

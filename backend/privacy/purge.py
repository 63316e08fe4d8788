"""Sensitive records end SENSITIVE_RETENTION_DAYS after the student left (PIPL art. 47: delete once
the purpose is met and the retention period has passed).

"Left" is a status that ends the enrolment for good: graduated or withdrawn (org/status.py), from
`StudentProfile.status_on`, the day it took effect. A suspended student has not left.

Per category, and why deleted or anonymised:

- special-group records (hardship, psychological, employment): DELETED. Nothing counts them once
  the student is gone (the warning rules read a current student's open records only).
- warnings of the need-to-know categories (discipline, mental health, finance: `sensitive`):
  ANONYMISED, kept as rows. The effect report (alerts/effect.py) counts warnings and the help
  given on them per class and term, and a college's figures for a past term must not change when
  a cohort's retention ends. What is erased is what says more than the value card does: the
  evidence, the withdrawal reason, and the notifications' titles (the student's name with the
  rule). The student link stays: the card's ledger, which the college keeps as the academic record
  (decision 1: never deleted), holds the same values the warning was raised on.
- case notes (the text of every event on any of the student's warnings: notes, interventions'
  notes): ERASED (the event stays, kind and date, so intervention counts hold).

One student per transaction, so SQLite's one writer is held briefly; each purge writes an audit
entry per category with the count and the student's id, never the content. A student is marked
done (`sensitive_purged_at`) in the same transaction, so a run that dies midway redoes only the
students it had not finished, and a second run finds nothing.
"""
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import String, cast, delete, select, update

from backend.extensions import db
from backend.models import Notification, SpecialGroupRecord, StudentProfile, StudentWarning, WarningEvent
from backend.platform import audit, clock

LEFT = ("graduated", "withdrawn")
PURGED_TITLE = "已按保存期限清除 / Removed after its retention period"


def cutoff(today: date | None = None) -> date:
    """Students who left before this day are past their retention."""
    today = today or clock.school_today()
    return today - timedelta(days=current_app.config["SENSITIVE_RETENTION_DAYS"])


def due(today: date | None = None, limit: int | None = None) -> list[int]:
    query = (select(StudentProfile.user_id).where(StudentProfile.status.in_(LEFT), StudentProfile.status_on < cutoff(today),
                                                  StudentProfile.sensitive_purged_at.is_(None))
             .order_by(StudentProfile.user_id))
    return list(db.session.scalars(query.limit(limit) if limit else query))


def purge_student(student_id: int, now: datetime) -> dict[str, int]:
    """Purge one student's sensitive records in the current transaction; returns counts per category."""
    warnings = select(StudentWarning.id).where(StudentWarning.student_id == student_id)
    sensitive = warnings.where(StudentWarning.sensitive.is_(True))
    counts = {
        "special_group": db.session.execute(delete(SpecialGroupRecord).where(
            SpecialGroupRecord.student_id == student_id)).rowcount,
        "case_note": db.session.execute(update(WarningEvent).where(
            WarningEvent.warning_id.in_(warnings), WarningEvent.text.is_not(None)).values(text=None)).rowcount,
        # '{}' compared as text: JSON has no equality on PostgreSQL, and the cast reads the same on both.
        "sensitive_warning": db.session.execute(update(StudentWarning).where(
            StudentWarning.id.in_(sensitive), cast(StudentWarning.evidence, String) != "{}")
            .values(evidence={}, withdrawn_reason=None)).rowcount,
        "warning_notification": db.session.execute(update(Notification).where(
            Notification.warning_id.in_(sensitive), Notification.title != PURGED_TITLE)
            .values(title=PURGED_TITLE, body="")).rowcount,
    }
    for category, count in counts.items():
        if count:
            audit.record(None, "privacy.purge", "student", str(student_id), {"category": category, "records": count})
    db.session.execute(update(StudentProfile).where(StudentProfile.user_id == student_id)
                       .values(sensitive_purged_at=now))
    return counts


def run(today: date | None = None, batch: int = 200) -> dict[str, int]:
    """Purge every student past their retention, one per transaction; returns totals per category."""
    totals = {"students": 0, "special_group": 0, "case_note": 0, "sensitive_warning": 0, "warning_notification": 0}
    while True:
        students = due(today, batch)
        for student_id in students:
            for category, count in purge_student(student_id, clock.now()).items():
                totals[category] += count
            db.session.commit()
            totals["students"] += 1
        if len(students) < batch:
            return totals

"""Mass events at the source (issue 15, "mass events are one incident, not fifty warnings").

One write that puts a large share of a class past a line at once is far more often a slip (a
check-in code nobody showed, a batch typed into the wrong class, a sheet on the wrong scale) than
half a class falling at the same minute. So the write itself is checked, in its own transaction:
a session closed with most of the class unmarked, a correction of marks that marks most of it
absent, a ledger batch (the API's or a scoring sheet's) whose values put most of it past the
point's warning value. Such a write opens one Incident for the class (models/incident.py); the
students' warnings from it wait (alerts/incidents.py `held`), and the class-level notice to the
scorer and the head teacher goes out after the commit (`changes.touch("incident", ...)`, as any
follow-up of a lower layer does: docs/DESIGN.md, Jobs).

"A large share": at least INCIDENT_SHARE of the class's students and at least
INCIDENT_MIN_STUDENTS of them (backend/config.py). Correcting the write closes its incident by
itself: marks set back until fewer than that are still absent, or entries of the batch reversed
until fewer than that are still past the line.
"""
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from backend.extensions import db
from backend.models import (
    AttendanceMark,
    ClassSession,
    Incident,
    ScoreEntry,
    ScoringRule,
    StudentProfile,
    Term,
    User,
)
from backend.platform import changes
from backend.valuecard.conversion import is_past_warning

# What an attendance incident holds: every indicator computed from the session's marks.
ATTENDANCE_POINTS = ("S-A-02", "S-A-03", "S-A-04")
AUTO_CORRECTED = "记录已更正 / The records were corrected"


def is_mass(count: int, class_size: int) -> bool:
    """Whether `count` students of a class of `class_size` at once is a mass event."""
    config = current_app.config
    return class_size > 0 and count >= config["INCIDENT_MIN_STUDENTS"] and count >= config["INCIDENT_SHARE"] * class_size


def class_sizes(class_ids) -> dict[int, int]:
    return dict(db.session.execute(select(StudentProfile.class_id, func.count()).where(
        StudentProfile.class_id.in_(set(class_ids))).group_by(StudentProfile.class_id)).all())


def of_source(kind: str, source_id, class_id: int) -> Incident | None:
    return db.session.scalar(select(Incident).where(Incident.source_kind == kind, Incident.source_id == str(source_id),
                                                    Incident.class_id == class_id))


def _open(actor: User, *, term_id: int, class_id: int, kind: str, source_id, trigger: str, points, students,
          size: int, course_id: int | None, now: datetime) -> Incident:
    """The source's incident: a new one, or the open one with these students added. The database
    keeps one per source and class (a unique constraint): a second writer racing for the same
    source fails and retries into the existing one. A decided incident stays decided: whoever
    decided it has looked at this source."""
    incident = of_source(kind, source_id, class_id)
    if incident is not None:
        if incident.status == "open":
            incident.student_ids = sorted(set(incident.student_ids) | set(students))
        return incident
    incident = Incident(term_id=term_id, class_id=class_id, source_kind=kind, source_id=str(source_id), trigger=trigger,
                        course_id=course_id, points=list(points), student_ids=sorted(students), class_size=size,
                        recorded_by=actor.id, created_at=now, status="open",
                        deadline=now + timedelta(hours=current_app.config["INCIDENT_DEADLINE_HOURS"]))
    db.session.add(incident)
    db.session.flush()
    changes.touch("incident", term_id, [incident.id])  # the notice, once this is committed
    return incident


def _corrected(actor: User, incident: Incident, now: datetime) -> None:
    incident.status, incident.decided_by, incident.decided_at = "corrected", actor.id, now
    incident.note = AUTO_CORRECTED
    changes.touch("warnings", incident.term_id, [incident.class_id])


def session_marked(actor: User, session: ClassSession, trigger: str, absent, class_size: int | None,
                   now: datetime) -> None:
    """After a close (`absent`: whom it marked absent) or a change of marks (whom it marked
    absent): open the session's incident when that is a mass event; close an open one as
    corrected once fewer than a mass event of its students are still absent. `class_size` is
    counted here when the caller does not know it (and only when it can matter)."""
    incident = of_source("session", session.id, session.class_id)
    if incident is None:
        if is_mass(len(absent), len(absent)):  # enough students at all; then their share of the class
            if class_size is None:
                class_size = class_sizes([session.class_id]).get(session.class_id, 0)
            if is_mass(len(absent), class_size):
                _open(actor, term_id=session.term_id, class_id=session.class_id, kind="session",
                      source_id=session.id, trigger=trigger, points=ATTENDANCE_POINTS, students=absent,
                      size=class_size, course_id=session.course_id, now=now)
        return
    if incident.status != "open":
        return
    incident.student_ids = sorted(set(incident.student_ids) | set(absent))
    still = db.session.scalar(select(func.count()).select_from(AttendanceMark).where(
        AttendanceMark.session_id == session.id, AttendanceMark.student_id.in_(incident.student_ids),
        AttendanceMark.status == "absent"))
    if not is_mass(still, incident.class_size):
        _corrected(actor, incident, now)


def batch_recorded(actor: User, term: Term, rule: ScoringRule, batch_id: str, rows: list[dict], class_of: dict,
                   now: datetime) -> None:
    """After a ledger batch of an individual point: per class, the students whose value is past
    the point's warning value; a mass event opens an incident for that class and batch."""
    if rule.point.level != "individual" or rule.warning_value is None:
        return
    past: dict[int, list[int]] = {}
    for row in rows:
        if is_past_warning(rule, float(row["value"])):
            past.setdefault(class_of[row["student_id"]].id, []).append(row["student_id"])
    if not any(is_mass(len(s), len(s)) for s in past.values()):
        return  # too few anywhere, whatever the class sizes: no query
    sizes = class_sizes(past)
    for class_id, students in past.items():
        if is_mass(len(students), sizes.get(class_id, 0)):
            _open(actor, term_id=term.id, class_id=class_id, kind="batch", source_id=batch_id, trigger="batch",
                  points=[rule.point.code], students=students, size=sizes[class_id], course_id=None, now=now)


def entry_reversed(actor: User, rule: ScoringRule, entry: ScoreEntry, now: datetime) -> None:
    """After a reversal: the entry's batch incident closes as corrected once fewer than a mass
    event of its students still have a live value past the line from that batch."""
    incident = of_source("batch", entry.batch_id, entry.class_id)
    if incident is None or incident.status != "open":
        return
    from backend.valuecard.ledger import counts  # ledger calls this module: imported when used
    values = db.session.scalars(select(ScoreEntry.value).where(
        ScoreEntry.batch_id == entry.batch_id, ScoreEntry.class_id == entry.class_id,
        ScoreEntry.student_id.in_(incident.student_ids), counts())).all()
    if not is_mass(sum(is_past_warning(rule, v) for v in values), incident.class_size):
        _corrected(actor, incident, now)

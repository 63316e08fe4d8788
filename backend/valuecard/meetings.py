"""Class sessions from the timetable: a course teacher's meetings today, and opening one.

A meeting is a slot on a day it runs (org/timetable.py `meets_on`). Opening it makes one
ClassSession per class of the offering (merged classes: one each, so marks, closing, incidents
and the indicators keep working per class), all sharing one secret so the teacher shows one code.
The database makes it one per slot, class and day (`uq_class_session_slot_id_class_id_day`): a
double tap, or two phones at once, find the session the first one opened.
"""
import secrets
from collections import defaultdict
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from backend.auth.policy import authorize
from backend.errors import Problem
from backend.extensions import db
from backend.models import AttendanceMark, ClassGroup, ClassSession, Course, CourseOffering, Term, TimetableSlot, User
from backend.org import directory, school_calendar, timetable
from backend.platform import clock

BAD = "请求数据有误 / Invalid request data"


def today(actor: User, now: datetime) -> dict:
    """The actor's meetings on the school day, each with the sessions already opened for it."""
    day = clock.school_date(now)
    term = directory.term_on(day)
    if term is None:
        return {"day": day, "week": None, "meetings": []}
    offerings = timetable.list_offerings(term, teacher_id=actor.id)
    week_no = term.week_of(day)
    meetings = next(d["meetings"] for d in timetable.week(term, week_no, offerings)["days"] if d["day"] == day)
    opened = defaultdict(list)
    for s in db.session.scalars(select(ClassSession).where(
            ClassSession.slot_id.in_([m["slot_id"] for m in meetings]), ClassSession.day == day)):
        opened[s.slot_id].append({"id": s.id, "class_id": s.class_id, "closed": s.closed_at is not None})
    for m in meetings:
        m["sessions"] = opened[m["slot_id"]]
    return {"day": day, "week": week_no, "meetings": meetings}


def open_meeting(actor: User, slot_id: int, day: date, checkin: bool, grace_minutes: int) -> dict:
    """Open the meeting's sessions (or find them). `checkin` False: a plain meeting record the
    teacher marks and scores against, closed to check-in from the start."""
    slot = db.session.get(TimetableSlot, slot_id)
    authorize(actor, "teach", slot)
    term = db.session.get(Term, slot.term_id)
    if not timetable.meets_on(slot, term, day):
        raise Problem(422, BAD, errors={"day": [f"该课程在 {day} 没有课（节假日或不在上课周次） / "
                                                f"This course does not meet on {day} (a holiday, or not one of its weeks)."]})
    offering = db.session.get(CourseOffering, slot.offering_id)
    class_ids = timetable.offering_classes([offering.id])[offering.id]
    starts_at = school_calendar.meeting_start(day, slot.first_period)
    existing = _sessions(slot.id, day)
    secret = next(iter(existing.values())).secret if existing else secrets.token_hex(16)
    created = 0
    for cid in class_ids:
        if cid in existing:
            continue
        session = ClassSession(term_id=term.id, class_id=cid, course_id=offering.course_id, slot_id=slot.id,
                               teacher_id=actor.id, starts_at=starts_at, grace_minutes=grace_minutes, day=day,
                               week=term.week_of(day), month=day.strftime("%Y-%m"), secret=secret,
                               closed_at=None if checkin else clock.now())
        try:
            with db.session.begin_nested():  # a parallel request may have opened it a moment ago
                db.session.add(session)
        except IntegrityError:
            continue
        created += 1
    sessions = _sessions(slot.id, day)
    names = dict(db.session.execute(select(ClassGroup.id, ClassGroup.name).where(ClassGroup.id.in_(class_ids))).all())
    return {"slot_id": slot.id, "day": day, "created": created,
            "sessions": [{"id": s.id, "class_id": s.class_id, "class_name": names.get(s.class_id),
                          "course_id": s.course_id, "starts_at": s.starts_at, "closed": s.closed_at is not None}
                         for s in sorted(sessions.values(), key=lambda s: s.class_id)]}


def _sessions(slot_id: int, day: date) -> dict[int, ClassSession]:
    return {s.class_id: s for s in db.session.scalars(select(ClassSession).where(
        ClassSession.slot_id == slot_id, ClassSession.day == day))}


def course_attendance(offering: CourseOffering) -> dict:
    """Per class of the offering: its sessions of this course and the marks in them."""
    class_ids = timetable.offering_classes([offering.id])[offering.id]
    counts = defaultdict(lambda: defaultdict(int))
    for cid, status, n in db.session.execute(
            select(ClassSession.class_id, AttendanceMark.status, func.count())
            .join(AttendanceMark, AttendanceMark.session_id == ClassSession.id)
            .where(ClassSession.term_id == offering.term_id, ClassSession.course_id == offering.course_id,
                   ClassSession.class_id.in_(class_ids))
            .group_by(ClassSession.class_id, AttendanceMark.status)):
        counts[cid][status] = n
    sessions = dict(db.session.execute(
        select(ClassSession.class_id, func.count()).where(
            ClassSession.term_id == offering.term_id, ClassSession.course_id == offering.course_id,
            ClassSession.class_id.in_(class_ids)).group_by(ClassSession.class_id)).all())
    names = dict(db.session.execute(select(ClassGroup.id, ClassGroup.name).where(ClassGroup.id.in_(class_ids))).all())
    rows = []
    for cid in class_ids:
        c = counts[cid]
        marked = sum(c.values())
        rows.append({"class_id": cid, "class_name": names[cid], "sessions": sessions.get(cid, 0),
                     "present": c["present"], "late": c["late"], "absent": c["absent"], "leave": c["leave"],
                     "attendance_rate": round(100 * (c["present"] + c["late"]) / marked, 1) if marked else None})
    course = db.session.get(Course, offering.course_id)
    return {"offering_id": offering.id, "course_id": offering.course_id, "course_name": course.name, "classes": rows}

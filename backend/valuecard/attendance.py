"""Class sessions and check-in with rotating codes; marks; closing; attendance indicators.

The check-in code is derived from the session's secret and the clock (like a
TOTP): it changes every CODE_SECONDS without any write, and the teacher's
screen simply asks for the current one. A code of the previous window is still
accepted so a student who typed it as it rotated is not refused.
"""
import hashlib
import hmac
import logging
import secrets
from collections import defaultdict
from datetime import date, datetime, timedelta

from sqlalchemy import select, true

from backend.auth.policy import Resource, authorize, can
from backend.errors import Problem
from backend.extensions import db
from backend.models import (
    AttendanceMark,
    ClassGroup,
    ClassSession,
    Course,
    LeaveRequest,
    StudentProfile,
    Term,
    User,
)
from backend.models.attendance import MARKS
from backend.org import directory
from backend.org import status as enrolment
from backend.platform import audit, changes, clock, queue
from backend.valuecard import incidents

log = logging.getLogger(__name__)
CODE_SECONDS = 30
EXPIRED_WINDOWS = 20  # a code up to 10 minutes old is "expired", not "wrong": a clearer message
OPEN_HOURS = 12  # a session left open longer no longer takes check-ins
MAX_FAILED_CHECKINS = 10  # per student per 5 minutes: a 6-digit code cannot be guessed


def code_at(session: ClassSession, moment: datetime, windows_back: int = 0) -> str:
    return code_of(session.secret, moment, windows_back)


def code_of(secret: str, moment: datetime, windows_back: int = 0) -> str:
    counter = int(moment.timestamp()) // CODE_SECONDS - windows_back
    digest = hmac.new(bytes.fromhex(secret), counter.to_bytes(8, "big"), hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:4], 'big') % 1_000_000:06d}"


def current_code(session: ClassSession, now: datetime) -> dict:
    return {"code": code_at(session, now), "seconds_left": CODE_SECONDS - int(now.timestamp()) % CODE_SECONDS,
            "rotates_every": CODE_SECONDS}


def get_session(actor: User, session_id: int) -> ClassSession:
    """A session the actor runs (the teacher who opened it, the class's head teacher); else 404."""
    session = db.session.get(ClassSession, session_id)
    authorize(actor, "run", session)
    return session


def open_session(actor: User, class_id: int, course_id: int | None, starts_at: datetime | None,
                 grace_minutes: int) -> ClassSession:
    cls = db.session.get(ClassGroup, class_id)
    authorize(actor, "view", cls)
    if not can(actor, "open_session", cls):
        raise Problem(403, "无权操作 / Not allowed", "Only a course teacher or the head teacher of this class opens sessions.")
    starts_at = starts_at or clock.now()
    day = clock.school_date(starts_at)
    term = directory.term_on(day)
    if term is None:
        raise Problem(422, "请求数据有误 / Invalid request data",
                      errors={"starts_at": ["不在任何学期内 / Not inside a term."]})
    session = ClassSession(term_id=term.id, class_id=cls.id, course_id=course_id, teacher_id=actor.id,
                           starts_at=starts_at, grace_minutes=grace_minutes, day=day, week=term.week_of(day),
                           month=day.strftime("%Y-%m"), secret=secrets.token_hex(16))
    db.session.add(session)
    db.session.flush()
    return session


def roster(session: ClassSession) -> list[dict]:
    marks = {m.student_id: m for m in db.session.scalars(
        select(AttendanceMark).where(AttendanceMark.session_id == session.id))}
    students = []
    for p, u in directory.class_students(db.session.get(ClassGroup, session.class_id)):
        mark = marks.get(p.user_id)
        students.append({"student_id": p.user_id, "name": u.display_name, "username": u.username,
                         "status": mark and mark.status, "source": mark and mark.source,
                         "marked_at": mark and mark.marked_at})
    return students


def describe(session: ClassSession, now: datetime) -> dict:
    students = roster(session)
    counts = {status: sum(s["status"] == status for s in students) for status in MARKS}
    course = db.session.get(Course, session.course_id) if session.course_id else None
    # Which lesson this is, in words: a teacher correcting marks days later must know.
    return {"id": session.id, "class_id": session.class_id, "course_id": session.course_id,
            "class_name": db.session.get(ClassGroup, session.class_id).name, "course_name": course and course.name,
            "starts_at": session.starts_at, "grace_minutes": session.grace_minutes, "day": session.day,
            "week": session.week, "closed": session.closed_at is not None,
            "counts": {**counts, "unmarked": sum(s["status"] is None for s in students)},
            "students": students, "checkin": None if session.closed_at else current_code(session, now)}


def _failed_checkin(user_id: int) -> None:
    """Count a wrong code; refuse further tries for a while once a student has made too many."""
    try:
        r = queue.redis_connection()
        key = f"spiral:checkin-fail:{user_id}"
        count = r.incr(key)
        r.expire(key, 300, nx=True)
    except Exception:  # noqa: BLE001 — the embedded default may have no Redis
        log.warning("check-in throttle unavailable (no Redis); wrong codes are not counted")
        return
    if count > MAX_FAILED_CHECKINS:
        raise Problem(429, "尝试次数过多 / Too many attempts", "Too many wrong codes; wait five minutes.",
                      headers={"Retry-After": "300"}, retry_after=300)


def check_in(student: User, code: str, now: datetime) -> dict:
    """Check a student in to their class's open session whose code they typed.
    A right code reads only the student's own class's sessions (ix_class_session_class_starts), so its
    cost does not grow with the school; only a wrong one, throttled, looks at other classes' codes."""
    if not can(student, "check_in", Resource.CHECKIN):
        raise Problem(403, "仅学生签到 / Only students check in")
    if student.student.status != "enrolled":
        enrolment.refuse_today(student, directory.current_term(clock.school_today()), clock.school_today())
    mine = db.session.scalars(select(ClassSession).where(
        ClassSession.class_id == student.student.class_id, *_in_window(now))).all()
    for session in mine:
        if code in (code_at(session, now), code_at(session, now, 1)):
            if session.closed_at is not None:
                raise Problem(409, "课堂已结束签到 / This session is closed", "Ask your teacher to mark you.")
            return _mark_checked_in(student, session, now)
    _failed_checkin(student.id)
    if any(code == code_at(s, now, back) for s in mine for back in range(2, EXPIRED_WINDOWS)):
        raise Problem(422, "签到码已过期 / The code has expired",
                      errors={"code": ["请输入老师屏幕上当前显示的签到码 / Type the code on the teacher's screen now."]})
    if _another_class_code(student.student.class_id, code, now):
        raise Problem(403, "这是其他班级课堂的签到码 / This code is for another class's session",
                      "You can only check in to sessions of your own class.")
    raise Problem(422, "签到码不正确 / Wrong code",
                  errors={"code": ["签到码不正确，或你的班级现在没有课堂 / Wrong code, or your class has no open session."]})


def _in_window(now: datetime) -> tuple:
    """Sessions that may take a check-in now: started within OPEN_HOURS (or starting within the hour)."""
    return (ClassSession.starts_at > now - timedelta(hours=OPEN_HOURS),
            ClassSession.starts_at < now + timedelta(hours=1))


def _another_class_code(class_id: int, code: str, now: datetime) -> bool:
    """Whether the code is another class's current one: reads only secrets, one per merged meeting,
    through ix_class_session_starts."""
    secrets_now = db.session.scalars(select(ClassSession.secret).distinct().where(
        ClassSession.class_id != class_id, *_in_window(now)))
    return any(code in (code_of(secret, now), code_of(secret, now, 1)) for secret in secrets_now)


def _mark_checked_in(student: User, session: ClassSession, now: datetime) -> dict:
    mark = db.session.get(AttendanceMark, (session.id, student.id))
    status = "late" if now > session.starts_at + timedelta(minutes=session.grace_minutes) else "present"
    if mark is None:
        db.session.add(AttendanceMark(session_id=session.id, student_id=student.id, status=status,
                                      source="checkin", marked_by=student.id, marked_at=now))
    elif mark.status not in ("present", "late"):
        mark.status, mark.source, mark.marked_by, mark.marked_at = status, "checkin", student.id, now
    else:
        status = mark.status  # already in: checking in twice changes nothing
    changes.touch("class", session.term_id, [session.class_id])
    return {"session_id": session.id, "status": status, "starts_at": session.starts_at}


def set_marks(actor: User, session: ClassSession, marks: list[dict]) -> dict:
    """Mark or correct many students at once, all or nothing; corrections are audited."""
    class_ids = dict(db.session.execute(select(StudentProfile.user_id, StudentProfile.class_id).where(
        StudentProfile.user_id.in_({m["student_id"] for m in marks}))).all())
    errors = {f"marks[{i}].student_id": ["不在该课堂的班级 / Not in this session's class."]
              for i, m in enumerate(marks) if class_ids.get(m["student_id"]) != session.class_id}
    term = db.session.get(Term, session.term_id)
    refused = enrolment.refusals(term, class_ids, term.week_of(clock.school_date(session.starts_at)))
    errors.update({f"marks[{i}].student_id": [refused[m["student_id"]]] for i, m in enumerate(marks)
                   if m["student_id"] in refused})
    if errors:
        raise Problem(422, "批次有误，未写入任何数据 / The batch has errors; nothing was written", errors=errors)
    existing = {m.student_id: m for m in db.session.scalars(select(AttendanceMark).where(
        AttendanceMark.session_id == session.id, AttendanceMark.student_id.in_(class_ids)))}
    now, changed, absent = clock.now(), [], []
    for m in marks:
        old = existing.get(m["student_id"])
        if old is None:
            db.session.add(AttendanceMark(session_id=session.id, student_id=m["student_id"], status=m["status"],
                                          source="teacher", marked_by=actor.id, marked_at=now))
        elif old.status != m["status"]:
            changed.append({"student_id": old.student_id, "from": old.status, "to": m["status"]})
            old.status, old.source, old.marked_by, old.marked_at = m["status"], "teacher", actor.id, now
        else:
            continue
        if m["status"] == "absent":
            absent.append(m["student_id"])
    if changed:
        audit.record(actor.id, "attendance.correct", "class_session", str(session.id), changed)
    incidents.session_marked(actor, session, "marks", absent, None, now)  # a mass event, or its correction
    changes.touch("class", session.term_id, [session.class_id])
    return {"session_id": session.id, "marked": len(marks), "corrected": len(changed)}


def close(actor: User, session: ClassSession, now: datetime) -> dict:
    """Close check-in: everyone still unmarked is absent, or on leave where approved leave covers the session."""
    if session.closed_at is None:
        marked = set(db.session.scalars(select(AttendanceMark.student_id).where(
            AttendanceMark.session_id == session.id)))
        on_leave = set(db.session.scalars(select(LeaveRequest.student_id).where(
            LeaveRequest.class_id == session.class_id, LeaveRequest.status == "approved",
            LeaveRequest.starts_at <= session.starts_at, LeaveRequest.ends_at >= session.starts_at)))
        students, absent = directory.class_students(db.session.get(ClassGroup, session.class_id)), []
        for p, _ in students:
            if p.user_id not in marked:
                leave = p.user_id in on_leave
                db.session.add(AttendanceMark(session_id=session.id, student_id=p.user_id,
                                              status="leave" if leave else "absent", source="leave" if leave else "close",
                                              marked_by=actor.id, marked_at=now))
                if not leave:
                    absent.append(p.user_id)
        session.closed_at = now
        # Most of the class absent at once (a code nobody showed): one incident, not a warning each.
        incidents.session_marked(actor, session, "close", absent, len(students), now)
        changes.touch("class", session.term_id, [session.class_id])
    return describe(session, now)


def open_sessions_for(student: User, now: datetime) -> list[dict]:
    """The student's class sessions still taking check-ins, with the student's own mark."""
    if student.student is None:
        return []
    rows = db.session.execute(
        select(ClassSession, AttendanceMark.status)
        .outerjoin(AttendanceMark, (AttendanceMark.session_id == ClassSession.id)
                   & (AttendanceMark.student_id == student.id))
        .where(ClassSession.class_id == student.student.class_id, ClassSession.closed_at.is_(None),
               ClassSession.starts_at > now - timedelta(hours=OPEN_HOURS))
        .order_by(ClassSession.starts_at)).all()
    return [{"id": s.id, "course_id": s.course_id, "starts_at": s.starts_at, "status": status} for s, status in rows]


def class_sessions(cls: ClassGroup, term_id: int) -> list[dict]:
    sessions = db.session.scalars(select(ClassSession).where(
        ClassSession.class_id == cls.id, ClassSession.term_id == term_id)
        .order_by(ClassSession.starts_at.desc()).limit(100)).all()
    return [{"id": s.id, "course_id": s.course_id, "starts_at": s.starts_at, "teacher_id": s.teacher_id,
             "closed": s.closed_at is not None} for s in sessions]


def indicator_values(student_ids, term_id: int, exclude_sessions=(),
                     since: date | None = None) -> dict[int, dict[str, list[tuple[int, float]]]]:
    """Attendance indicators from the marks, one value per marked session with its teaching week,
    so each indicator is a share of the sessions so far, every session weighing the same:
    S-A-02 punctuality over attended sessions (on time = 100, late = 0);
    S-A-03 full attendance (not truant = 100; leave is not truancy);
    S-A-04 perfect attendance (attended = 100; leave counts against).
    A mean of weekly or monthly rates would let a partial week weigh as much as a whole one: one
    absence on a Monday made that week 67 % and the term's figure fall below the warning value.
    `exclude_sessions`: sessions left out (an open incident's, alerts/incidents.py `hold`);
    `since`: only sessions from that school day on (the warning rules' recent window)."""
    rows = db.session.execute(
        select(AttendanceMark.student_id, ClassSession.week, AttendanceMark.status)
        .join(ClassSession, ClassSession.id == AttendanceMark.session_id)
        .where(ClassSession.term_id == term_id,
               true() if student_ids is None else AttendanceMark.student_id.in_(student_ids),
               AttendanceMark.session_id.notin_(exclude_sessions) if exclude_sessions else true(),
               ClassSession.day >= since if since else true())
        .order_by(ClassSession.starts_at))
    out: dict = defaultdict(lambda: defaultdict(list))
    for student_id, week, status in rows:
        attended = status in ("present", "late")
        values = out[student_id]
        if attended:
            values["S-A-02"].append((week, 100.0 if status == "present" else 0.0))
        values["S-A-03"].append((week, 0.0 if status == "absent" else 100.0))
        values["S-A-04"].append((week, 100.0 if attended else 0.0))
    return out

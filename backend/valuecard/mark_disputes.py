"""A student's attendance marks, and disputes about them (issue 20, must-show 6).

A mark is disputed as a ledger entry is (valuecard/disputes.py): the student gives a reason; whoever
runs the session (its teacher, the class's head teacher: auth policy `runs`) upholds it by
correcting the mark through the ordinary correction (`attendance.set_marks`: audited, the class's
rollups and the card follow) or rejects it with a reason; the student hears the outcome
(notify/disputes.py). One open dispute per mark is the database's (`uq_mark_dispute_open`);
a mark older than ATTENDANCE_DISPUTE_DAYS is no longer disputed (a 422 naming `session_id`).
"""
from datetime import timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from backend.auth.policy import can
from backend.errors import Problem
from backend.extensions import db
from backend.models import AttendanceMark, ClassSession, Course, MarkDispute, Term, User
from backend.models.attendance import MARKS
from backend.org import directory
from backend.platform import audit, clock
from backend.valuecard import attendance

OPEN_TWICE = "该考勤已有待处理的申诉 / This mark already has an open dispute"


def _limit_days() -> int:
    return current_app.config["ATTENDANCE_DISPUTE_DAYS"]


def _dispute_out(d: MarkDispute) -> dict:
    return {"id": d.id, "status": d.status, "was": d.was, "reason": d.reason, "created_at": d.created_at,
            "resolution": d.resolution, "resolved_at": d.resolved_at, "corrected_to": d.corrected_to}


def my_marks(student: User, term: Term) -> dict:
    """Every mark of the student in the term, oldest first, each with its session's date, course,
    week, who marked it (the student themselves for a check-in) and its latest dispute."""
    marker = aliased(User)
    rows = db.session.execute(
        select(AttendanceMark, ClassSession, Course.name, marker.display_name)
        .join(ClassSession, ClassSession.id == AttendanceMark.session_id)
        .outerjoin(Course, Course.id == ClassSession.course_id)
        .join(marker, marker.id == AttendanceMark.marked_by)
        .where(AttendanceMark.student_id == student.id, ClassSession.term_id == term.id)
        .order_by(ClassSession.starts_at)).all()
    disputes = {}
    for d in db.session.scalars(select(MarkDispute).where(MarkDispute.student_id == student.id)
                                .order_by(MarkDispute.id)):
        disputes[d.session_id] = d  # the latest one per mark
    oldest = clock.school_today() - timedelta(days=_limit_days())
    marks = []
    for mark, session, course, marker_name in rows:
        d = disputes.get(session.id)
        marks.append({"session_id": session.id, "day": session.day, "starts_at": session.starts_at,
                      "week": session.week, "course_name": course, "status": mark.status, "source": mark.source,
                      "marked_by_name": marker_name, "marked_by_self": mark.marked_by == student.id,
                      "marked_at": mark.marked_at, "dispute": d and _dispute_out(d),
                      "disputable": session.day >= oldest and (d is None or d.status != "open")})
    return {"term_id": term.id, "dispute_days": _limit_days(), "marks": marks}


def out(d: MarkDispute, session: ClassSession | None = None, name: str | None = None) -> dict:
    session = session or db.session.get(ClassSession, d.session_id)
    course = db.session.get(Course, session.course_id) if session.course_id else None
    mark = db.session.get(AttendanceMark, (d.session_id, d.student_id))
    return {**_dispute_out(d), "session_id": d.session_id, "student_id": d.student_id, "student_name": name,
            "day": session.day, "starts_at": session.starts_at, "week": session.week,
            "course_name": course and course.name, "mark_status": mark and mark.status}


def raise_dispute(student: User, session_id: int, reason: str) -> dict:
    """The student's own mark only: any other (another student's, none at all) is 404."""
    mark = db.session.get(AttendanceMark, (session_id, student.id))
    if mark is None:
        raise Problem(404, "未找到 / Not found")
    session = db.session.get(ClassSession, session_id)
    if session.day < clock.school_today() - timedelta(days=_limit_days()):
        raise Problem(422, "请求数据有误 / Invalid request data", errors={"session_id": [
            f"课后 {_limit_days()} 天内才能申诉考勤 / A mark can be disputed within {_limit_days()} days of its session."]})
    if db.session.scalar(select(MarkDispute.id).where(MarkDispute.session_id == session_id,
                                                      MarkDispute.student_id == student.id,
                                                      MarkDispute.status == "open")):
        raise Problem(409, OPEN_TWICE)
    dispute = MarkDispute(session_id=session_id, student_id=student.id, class_id=session.class_id,
                          was=mark.status, reason=reason, status="open")
    try:
        with db.session.begin_nested():  # two devices at once: the partial unique index decides
            db.session.add(dispute)
            db.session.flush()
    except IntegrityError:
        raise Problem(409, OPEN_TWICE) from None
    return out(dispute, session)


def mine(student: User) -> list[dict]:
    return [out(d) for d in db.session.scalars(
        select(MarkDispute).where(MarkDispute.student_id == student.id).order_by(MarkDispute.created_at))]


def for_resolver(actor: User) -> list[dict]:
    """Open disputes about marks of sessions the actor runs (its teacher, the class's head teacher)."""
    classes = [c.id for c in directory.visible_classes(actor)]
    rows = db.session.execute(
        select(MarkDispute, ClassSession, User.display_name)
        .join(ClassSession, ClassSession.id == MarkDispute.session_id).join(User, User.id == MarkDispute.student_id)
        .where(MarkDispute.status == "open", MarkDispute.class_id.in_(classes))
        .order_by(MarkDispute.created_at)).all()
    return [out(d, s, n) for d, s, n in rows if can(actor, "run", s)]


def resolve(actor: User, dispute_id: int, action: str, reason: str, status: str | None) -> dict:
    """Uphold (the mark is corrected to `status` as any correction is) or reject, with a reason."""
    dispute = db.session.get(MarkDispute, dispute_id)
    session = dispute and db.session.get(ClassSession, dispute.session_id)
    if dispute is None or not can(actor, "run", session):
        raise Problem(404, "未找到 / Not found")
    if dispute.status != "open":
        raise Problem(409, "该申诉已处理 / Already resolved", f"This dispute was {dispute.status}.")
    if action == "uphold":
        mark = db.session.get(AttendanceMark, (dispute.session_id, dispute.student_id))
        if status not in MARKS or status == mark.status:
            raise Problem(422, "请求数据有误 / Invalid request data", errors={"status": [
                "请选择更正后的考勤（与现在不同） / Choose the corrected mark (not the one it has)."]})
        attendance.set_marks(actor, session, [{"student_id": dispute.student_id, "status": status}])
        dispute.corrected_to = status
    dispute.status = "upheld" if action == "uphold" else "rejected"
    dispute.resolved_by, dispute.resolved_at, dispute.resolution = actor.id, clock.now(), reason
    audit.record(actor.id, f"mark_dispute.{dispute.status}", "mark_dispute", str(dispute.id), reason)
    db.session.flush()
    return out(dispute, session, db.session.get(User, dispute.student_id).display_name)

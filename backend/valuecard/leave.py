"""Leave requests: the student applies, the head teacher (or counsellor) decides.
Approval turns the student's absences inside the window into leave."""
from datetime import datetime, timedelta

from sqlalchemy import select, update

from backend.auth.policy import Resource, authorize, can
from backend.auth.policy import valuecard as policy
from backend.errors import Problem
from backend.extensions import db
from backend.models import AttendanceMark, ClassSession, LeaveRequest, User
from backend.org import directory
from backend.platform import audit, changes, clock

MAX_DAYS = 30


def out(leave: LeaveRequest, name: str | None = None) -> dict:
    return {"id": leave.id, "student_id": leave.student_id, "student_name": name, "starts_at": leave.starts_at,
            "ends_at": leave.ends_at, "reason": leave.reason, "status": leave.status,
            "comment": leave.comment, "decided_at": leave.decided_at}


def apply(student: User, starts_at: datetime, ends_at: datetime, reason: str) -> dict:
    if not can(student, "apply", Resource.LEAVE):
        raise Problem(403, "仅学生可请假 / Only students apply for leave")
    if ends_at <= starts_at:
        raise Problem(422, "请求数据有误 / Invalid request data",
                      errors={"ends_at": ["结束时间须晚于开始时间 / Must be after the start."]})
    if ends_at - starts_at > timedelta(days=MAX_DAYS):
        raise Problem(422, "请求数据有误 / Invalid request data",
                      errors={"ends_at": [f"单次请假不超过{MAX_DAYS}天 / At most {MAX_DAYS} days per request."]})
    leave = LeaveRequest(student_id=student.id, class_id=student.student.class_id, starts_at=starts_at,
                         ends_at=ends_at, reason=reason, status="pending")
    db.session.add(leave)
    db.session.flush()
    return out(leave)


def mine(student: User) -> list[dict]:
    rows = db.session.scalars(select(LeaveRequest).where(LeaveRequest.student_id == student.id)
                              .order_by(LeaveRequest.starts_at.desc()).limit(50))
    return [out(r) for r in rows]


def _decider_classes(actor: User) -> set[int]:
    return {c.id for c in directory.visible_classes(actor) if policy.decides_leave(actor, c)}


def pending(actor: User) -> list[dict]:
    """Pending requests from the classes the actor decides for."""
    rows = db.session.execute(
        select(LeaveRequest, User.display_name).join(User, User.id == LeaveRequest.student_id)
        .where(LeaveRequest.status == "pending", LeaveRequest.class_id.in_(_decider_classes(actor)))
        .order_by(LeaveRequest.created_at)).all()
    return [out(r, name) for r, name in rows]


def decide(actor: User, leave_id: int, approve: bool, comment: str | None) -> dict:
    leave = db.session.get(LeaveRequest, leave_id)
    authorize(actor, "decide", leave)
    if leave.status != "pending":
        raise Problem(409, "该请假已处理 / Already decided", f"This request was {leave.status}.")
    leave.status = "approved" if approve else "rejected"
    leave.decided_by, leave.decided_at, leave.comment = actor.id, clock.now(), comment
    if approve:
        sessions = select(ClassSession.id).where(ClassSession.class_id == leave.class_id,
                                                 ClassSession.starts_at >= leave.starts_at,
                                                 ClassSession.starts_at <= leave.ends_at)
        db.session.execute(update(AttendanceMark).where(
            AttendanceMark.student_id == leave.student_id, AttendanceMark.status == "absent",
            AttendanceMark.session_id.in_(sessions)).values(status="leave", source="leave"))
        terms = db.session.scalars(select(ClassSession.term_id).where(ClassSession.id.in_(sessions)).distinct())
        for term_id in terms:
            changes.touch("class", term_id, [leave.class_id])
    audit.record(actor.id, f"leave.{leave.status}", "leave_request", str(leave.id), comment)
    return out(leave)

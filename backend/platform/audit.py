"""The audit log: who read or changed what, and when."""
import json
from datetime import timedelta

from sqlalchemy import String, and_, cast, func, or_, select

from backend import database
from backend.extensions import db
from backend.models import (
    AuditEvent,
    Dispute,
    LeaveRequest,
    ScoreEntry,
    SpecialGroupRecord,
    StudentWarning,
    User,
)
from backend.platform import clock
from backend.platform.sheets import csv_bytes


def record(actor_id: int | None, action: str, object_type: str, object_id: str | None, detail=None) -> None:
    """Add an audit event to the current transaction (it commits with the change it records)."""
    text = detail if detail is None or isinstance(detail, str) else json.dumps(detail, ensure_ascii=False, default=str)
    db.session.add(AuditEvent(actor_id=actor_id, action=action, object_type=object_type,
                              object_id=object_id, detail=text))


def sensitive_read(actor_id: int, object_type: str, object_id: str | None, detail) -> None:
    """Log a read of need-to-know data and commit it at once: the read happens whatever the
    request does next. A read request's own transaction only reads (backend/database.py)."""
    with database.write_apart():
        record(actor_id, "read.sensitive", object_type, object_id, detail)


def _about_student(student_id):
    """Events about one student: the student row itself, or a row of theirs (leave, warning, ...)."""
    own = [(LeaveRequest, "leave_request"), (StudentWarning, "warning"), (Dispute, "dispute"),
           (SpecialGroupRecord, "special_group"), (ScoreEntry, "score_entry")]
    return or_(and_(AuditEvent.object_type == "student", AuditEvent.object_id == cast(student_id, String)),
               *[and_(AuditEvent.object_type == kind,
                      AuditEvent.object_id.in_(select(cast(model.id, String)).where(model.student_id == student_id)))
                 for model, kind in own])


def search(filters: dict):
    """The filtered log, newest first, as a query: who (user name or login), what (an action or
    its prefix such as "catalogue", or an object type), when (school dates, both inclusive),
    about which student."""
    query = select(AuditEvent, User).outerjoin(User, User.id == AuditEvent.actor_id)
    if filters.get("actor"):
        who = filters["actor"].strip()
        query = query.where(or_(func.lower(User.username) == who.lower(), User.display_name.contains(who)))
    if filters.get("action"):
        what = filters["action"].strip()
        query = query.where(or_(AuditEvent.action == what, AuditEvent.action.startswith(what + "."),
                                AuditEvent.object_type == what))
    if filters.get("since"):
        query = query.where(AuditEvent.at >= filters["since"])
    if filters.get("date_from"):
        query = query.where(AuditEvent.at >= clock.school_moment(filters["date_from"], 0))
    if filters.get("date_to"):
        query = query.where(AuditEvent.at < clock.school_moment(filters["date_to"] + timedelta(days=1), 0))
    if filters.get("student_id"):
        query = query.where(_about_student(filters["student_id"]))
    if filters.get("student"):  # a student number, as the admin knows the student
        number = filters["student"].strip().lower()
        query = query.where(_about_student(
            select(User.id).where(func.lower(User.username) == number).scalar_subquery()))
    return query.order_by(AuditEvent.id.desc())


def page(filters: dict, number: int, size: int) -> dict:
    query = search(filters)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = db.session.execute(query.offset((number - 1) * size).limit(size)).all()
    return {"items": [_row(e, u) for e, u in rows], "total": total, "page": number, "per_page": size}


def _row(event: AuditEvent, actor: User | None) -> dict:
    return {"id": event.id, "at": event.at, "actor_id": event.actor_id, "action": event.action,
            "actor_name": actor.display_name if actor else None, "actor_username": actor.username if actor else None,
            "object_type": event.object_type, "object_id": event.object_id, "detail": event.detail}


def to_csv(filters: dict, limit: int = 50_000) -> bytes:
    rows = [_row(e, u) for e, u in db.session.execute(search(filters).limit(limit))]
    return csv_bytes(["时间 at", "操作人 actor", "操作 action", "对象 object", "编号 id", "详情 detail"],
                     [[r["at"].isoformat(), r["actor_username"] and f"{r['actor_name']} ({r['actor_username']})",
                       r["action"], r["object_type"], r["object_id"], r["detail"]] for r in rows])

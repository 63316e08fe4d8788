"""The audit log: who read or changed what, and when."""
import json

from sqlalchemy import select

from backend.extensions import db
from backend.models import AuditEvent
from backend.platform.sheets import csv_bytes


def record(actor_id: int | None, action: str, object_type: str, object_id: str | None, detail=None) -> None:
    """Add an audit event to the current transaction (it commits with the change it records)."""
    text = detail if detail is None or isinstance(detail, str) else json.dumps(detail, ensure_ascii=False, default=str)
    db.session.add(AuditEvent(actor_id=actor_id, action=action, object_type=object_type,
                              object_id=object_id, detail=text))


def sensitive_read(actor_id: int, object_type: str, object_id: str | None, detail) -> None:
    """Log a read of need-to-know data and commit it at once: the read happens whatever the
    request does next."""
    record(actor_id, "read.sensitive", object_type, object_id, detail)
    db.session.commit()


def events(since, action: str | None, limit: int) -> list[AuditEvent]:
    """The log for a school admin's review, newest first."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if since:
        query = query.where(AuditEvent.at >= since)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(db.session.scalars(query))


def to_csv(found: list[AuditEvent]) -> bytes:
    return csv_bytes(["时间 at", "操作人 actor", "操作 action", "对象 object", "编号 id", "详情 detail"],
                     [[e.at.isoformat(), e.actor_id, e.action, e.object_type, e.object_id, e.detail] for e in found])

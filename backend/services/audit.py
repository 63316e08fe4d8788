"""The audit log: who read or changed what, and when."""
import json

from backend.extensions import db
from backend.models import AuditEvent


def record(actor_id: int | None, action: str, object_type: str, object_id: str | None, detail=None) -> None:
    """Add an audit event to the current transaction (it commits with the change it records)."""
    text = detail if detail is None or isinstance(detail, str) else json.dumps(detail, ensure_ascii=False, default=str)
    db.session.add(AuditEvent(actor_id=actor_id, action=action, object_type=object_type,
                              object_id=object_id, detail=text))

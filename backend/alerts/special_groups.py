"""The special-group registry (seed 002): economic hardship, psychological, employment difficulty.

Each record names the person responsible for following the student. Need-to-know: a group is
read only by the roles that act on it over the student's class, and by the responsible person;
every read is audited. Who reads, registers and closes: backend/auth/policy/alerts.py.
"""
from sqlalchemy import select

from backend.auth.policy import alerts as policy
from backend.auth.policy import authorize, can, roles_over_student
from backend.errors import Problem
from backend.extensions import db
from backend.models import SpecialGroupRecord, StudentProfile, User
from backend.org import directory
from backend.platform import audit, changes, clock


def _touch(student_id: int) -> None:
    """A registration changes what the warning rules see for the student's class."""
    profile = db.session.get(StudentProfile, student_id)
    changes.touch("warnings", directory.current_term(clock.school_today()).id, [profile.class_id])


def register(viewer: User, fields: dict) -> SpecialGroupRecord:
    if not roles_over_student(viewer, fields["student_id"]):
        raise Problem(404, "未找到 / Not found")
    if not can(viewer, "register", SpecialGroupRecord(student_id=fields["student_id"], group=fields["group"])):
        raise Problem(403, "无权登记 / Not allowed", "Counsellors and student affairs register special groups.")
    responsible = db.session.get(User, fields["responsible_id"])
    if responsible is None or not policy.group_readers(responsible, fields["student_id"], fields["group"]):
        raise Problem(422, "负责人无效 / Invalid responsible person",
                      errors={"responsible_id": ["The responsible person must be staff who may see this group."]})
    record = SpecialGroupRecord(registered_by=viewer.id, **fields)
    db.session.add(record)
    db.session.flush()
    audit.record(viewer.id, "special_group.register", "special_group", str(record.id), {"group": record.group})
    _touch(record.student_id)
    return record


def close(viewer: User, record: SpecialGroupRecord, note: str) -> SpecialGroupRecord:
    """Closing needs the right to register (the responsible person follows, a registrar closes)."""
    authorize(viewer, "close", record)
    if record.closed_at is None:
        record.closed_at, record.closed_by, record.close_note = clock.now(), viewer.id, note
        audit.record(viewer.id, "special_group.close", "special_group", str(record.id))
        _touch(record.student_id)
    return record


def listing(viewer: User, group: str | None, include_closed: bool, purpose: str) -> list[SpecialGroupRecord]:
    query = select(SpecialGroupRecord).order_by(SpecialGroupRecord.registered_at.desc())
    if group:
        query = query.where(SpecialGroupRecord.group == group)
    if not include_closed:
        query = query.where(SpecialGroupRecord.closed_at.is_(None))
    found = [r for r in db.session.scalars(query) if can(viewer, "view", r)]
    if found:
        audit.sensitive_read(viewer.id, "special_group_list", None, {"purpose": purpose, "records": [r.id for r in found]})
    return found

"""The special-group registry (seed 002): economic hardship, psychological, employment difficulty.

Each record names the person responsible for following the student. Need-to-know: a group is
read only by the roles that act on it over the student's class, and by the responsible person;
every read is audited.
"""
from sqlalchemy import select

from backend.auth.policy import roles_over_class
from backend.auth.roles import Role
from backend.errors import Problem
from backend.extensions import db
from backend.models import ClassGroup, SpecialGroupRecord, StudentProfile, User
from backend.org import directory
from backend.platform import audit, changes, clock

READERS = {
    "hardship": {Role.COUNSELLOR, Role.HEAD_TEACHER, Role.STUDENT_AFFAIRS},
    "psychological": {Role.COUNSELLOR, Role.STUDENT_AFFAIRS},
    "employment": {Role.COUNSELLOR, Role.HEAD_TEACHER, Role.TEACHING_OFFICE, Role.STUDENT_AFFAIRS},
}
REGISTRARS = {Role.COUNSELLOR, Role.STUDENT_AFFAIRS}


def _roles(viewer: User, student_id: int) -> set[str]:
    profile = db.session.get(StudentProfile, student_id)
    return roles_over_class(viewer, db.session.get(ClassGroup, profile.class_id)) if profile else set()


def _may_read(viewer: User, record: SpecialGroupRecord) -> bool:
    return record.responsible_id == viewer.id or bool(_roles(viewer, record.student_id) & READERS[record.group])


def _touch(student_id: int) -> None:
    """A registration changes what the warning rules see for the student's class."""
    profile = db.session.get(StudentProfile, student_id)
    changes.touch("warnings", directory.current_term(clock.school_today()).id, [profile.class_id])


def register(viewer: User, fields: dict) -> SpecialGroupRecord:
    roles = _roles(viewer, fields["student_id"])
    if not roles:
        raise Problem(404, "未找到 / Not found")
    if not roles & REGISTRARS & READERS[fields["group"]]:
        raise Problem(403, "无权登记 / Not allowed", "Counsellors and student affairs register special groups.")
    responsible = db.session.get(User, fields["responsible_id"])
    if responsible is None or not _roles(responsible, fields["student_id"]) & READERS[fields["group"]]:
        raise Problem(422, "负责人无效 / Invalid responsible person",
                      errors={"responsible_id": ["The responsible person must be staff who may see this group."]})
    record = SpecialGroupRecord(registered_by=viewer.id, **fields)
    db.session.add(record)
    db.session.flush()
    audit.record(viewer.id, "special_group.register", "special_group", str(record.id), {"group": record.group})
    _touch(record.student_id)
    return record


def close(viewer: User, record: SpecialGroupRecord, note: str) -> SpecialGroupRecord:
    if not _may_read(viewer, record):
        raise Problem(404, "未找到 / Not found")
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
    found = [r for r in db.session.scalars(query) if _may_read(viewer, r)]
    if found:
        audit.sensitive_read(viewer.id, "special_group_list", None, {"purpose": purpose, "records": [r.id for r in found]})
    return found

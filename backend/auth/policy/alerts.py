"""Warnings, warning rules and the special-group registry (need-to-know, DESIGN.md decision 7).

A warning goes to the roles of its rule's chain over the student's class; the student sees their
own warnings unless need-to-know. A special group is read by the roles that act on it over the
student's class and by the person responsible for following the student; registering and closing a
record need the same right: a registrar role that also reads the group.
"""
from backend.auth.policy.core import SENSITIVE_READERS, Resource, has_role, roles_over_class, roles_over_student
from backend.auth.roles import Role
from backend.extensions import db
from backend.models import ClassGroup, Incident, SpecialGroupRecord, StudentWarning, User

GROUP_READERS = {
    "hardship": frozenset({Role.COUNSELLOR, Role.HEAD_TEACHER, Role.STUDENT_AFFAIRS}),
    "psychological": frozenset({Role.COUNSELLOR, Role.STUDENT_AFFAIRS}),
    "employment": frozenset({Role.COUNSELLOR, Role.HEAD_TEACHER, Role.TEACHING_OFFICE, Role.STUDENT_AFFAIRS}),
}
GROUP_REGISTRARS = frozenset({Role.COUNSELLOR, Role.STUDENT_AFFAIRS})
# A need-to-know warning rule may only go to roles that may read need-to-know data (and the dept admin).
SENSITIVE_CHAIN = SENSITIVE_READERS | {Role.DEPT_ADMIN}


def group_readers(user: User, student_id: int, group: str) -> bool:
    """Whether the user's roles over the student's class read this group (the responsible
    person must)."""
    return bool(roles_over_student(user, student_id) & GROUP_READERS[group])


def _record_view(user: User, record: SpecialGroupRecord) -> bool:
    return record.responsible_id == user.id or group_readers(user, record.student_id, record.group)


def _record_register(user: User, record: SpecialGroupRecord) -> bool:
    return bool(roles_over_student(user, record.student_id) & GROUP_REGISTRARS & GROUP_READERS[record.group])


def warning_roles(user: User, w: StudentWarning, class_roles: set[str] | None = None) -> set[str]:
    """The user's roles over the warning's class that its rule's chain names."""
    if class_roles is None:
        class_roles = roles_over_class(user, db.session.get(ClassGroup, w.class_id))
    return class_roles & set(w.rule.chain)


def _warning_view(user: User, w: StudentWarning) -> bool:
    own = w.student_id == user.id and not w.sensitive
    return own or bool(warning_roles(user, w))


def _incident_roles(user: User, incident: Incident) -> set[str]:
    return roles_over_class(user, db.session.get(ClassGroup, incident.class_id))


def _incident_decide(user: User, incident: Incident) -> bool:
    """A mass-event incident (issue 15) is decided by whoever wrote the records and the class's
    head teachers: they know whether the records are right."""
    return user.id == incident.recorded_by or Role.HEAD_TEACHER in _incident_roles(user, incident)


def _incident_view(user: User, incident: Incident) -> bool:
    """The counsellor, who gets the warnings once it is decided, sees it too (and may not decide)."""
    return _incident_decide(user, incident) or Role.COUNSELLOR in _incident_roles(user, incident)


RULES = {
    (Incident, "view"): _incident_view,
    (Incident, "decide"): _incident_decide,
    (SpecialGroupRecord, "view"): _record_view,
    (SpecialGroupRecord, "register"): _record_register,
    (SpecialGroupRecord, "close"): _record_register,
    (StudentWarning, "view"): _warning_view,
    (StudentWarning, "act"): lambda u, w: bool(warning_roles(u, w)),
    (Resource.WARNING_RULES, "view"): lambda u, _: True,
    (Resource.WARNING_RULES, "edit"): lambda u, _: has_role(u, Role.SCHOOL_ADMIN),
}

"""Scopes and the two questions every rule module answers through: can() and authorize()."""
from collections.abc import Callable

from backend.auth.roles import Role, Scope
from backend.errors import Problem
from backend.extensions import db
from backend.models import ClassGroup, Department, StaffProfile, StudentProfile, User

STAFF_ROLES = frozenset(Role) - {Role.STUDENT}
# Need-to-know for discipline, mental-health and finance data: the roles that act on it.
SENSITIVE_READERS = frozenset({Role.HEAD_TEACHER, Role.COUNSELLOR, Role.STUDENT_AFFAIRS, Role.SCHOOL_ADMIN})


class Resource:
    """Targets that are not rows: the catalogue, the roster, the audit log, ..."""

    CATALOGUE = "catalogue"
    ROSTER = "roster"
    TERMS = "terms"
    AUDIT = "audit"
    WARNING_RULES = "warning_rules"
    CHECKIN = "checkin"
    LEAVE = "leave"
    PORTFOLIO = "portfolio"
    CHANNELS = "channels"  # WeCom / DingTalk settings and users' ids
    GRADES = "grades"  # course grades imported from the academic-affairs system
    SIGN_IN = "sign_in"  # who keeps a password login while campus sign-in (CAS) is on
    TEACHER_STANDARDS = "teacher_standards"  # a teacher's stage standards (issue 20)


def roles_over_class(user: User, cls: ClassGroup) -> set[str]:
    """The roles a user holds over a class through class, department or school grants."""
    units = {(Scope.CLASS, cls.id), (Scope.DEPARTMENT, cls.department_id),
             (Scope.SCHOOL, cls.major.department.school_id)}
    return {g.role for g in user.grants if (g.scope_type, g.scope_id) in units}


def roles_over_department(user: User, dept: Department) -> set[str]:
    units = {(Scope.DEPARTMENT, dept.id), (Scope.SCHOOL, dept.school_id)}
    return {g.role for g in user.grants if (g.scope_type, g.scope_id) in units}


def roles_over_school(user: User, school_id: int) -> set[str]:
    return {g.role for g in user.grants if (g.scope_type, g.scope_id) == (Scope.SCHOOL, school_id)}


def roles_over_student(user: User, student_id: int) -> set[str]:
    """The roles a user holds over a student's class (none for no such student)."""
    profile = db.session.get(StudentProfile, student_id)
    return roles_over_class(user, db.session.get(ClassGroup, profile.class_id)) if profile else set()


def roles_over_person(user: User, person_id: int) -> tuple[set[str], bool]:
    """The roles a user holds over a person (a student's class, a teacher's department), and
    whether the person is a student."""
    profile = db.session.get(StudentProfile, person_id)
    if profile is not None:
        return roles_over_class(user, db.session.get(ClassGroup, profile.class_id)), True
    staff = db.session.get(StaffProfile, person_id)
    if staff is None or staff.department_id is None:
        return set(), False
    return roles_over_department(user, db.session.get(Department, staff.department_id)), False


def has_role(user: User, *roles: str) -> bool:
    return any(g.role in roles for g in user.grants)


def is_student(user: User) -> bool:
    return user.student is not None


# (type or Resource, action) -> rule; the domain modules fill it (see __init__).
RULES: dict[tuple[type | str, str], Callable[[User, object], bool]] = {}


def can(user: User, action: str, obj) -> bool:
    key = obj if isinstance(obj, str) else type(obj)
    rule = RULES.get((key, action))
    return bool(rule and rule(user, obj))


def authorize(user: User, action: str, obj) -> None:
    """404 for nothing there or nothing the user may see; 403 for a visible object and a
    forbidden action. A Resource (a string) is always there: it answers 403 only."""
    if obj is None or (not isinstance(obj, str) and not can(user, "view", obj)):
        raise Problem(404, "未找到 / Not found")
    if not can(user, action, obj):
        raise Problem(403, "无权操作 / Not allowed", f"Your roles do not allow '{action}' here.")

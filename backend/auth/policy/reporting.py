"""Class, department and school reports: for the staff who answer for the unit (not course or PE
teachers, not students); sensitive points only for need-to-know roles; the names of students under
warning values only for the class's head teacher and counsellor."""
from backend.auth.policy.core import SENSITIVE_READERS, roles_over_class, roles_over_department, roles_over_school
from backend.auth.roles import Role
from backend.errors import Problem
from backend.models import ClassGroup, Department, User

READERS = frozenset({Role.HEAD_TEACHER, Role.COUNSELLOR, Role.DEPT_ADMIN, Role.STUDENT_AFFAIRS,
                     Role.TEACHING_OFFICE, Role.SCHOOL_ADMIN})
NAMING = frozenset({Role.HEAD_TEACHER, Role.COUNSELLOR})  # who sees the names behind the counts


def unit_roles(user: User, obj) -> set[str]:
    if isinstance(obj, ClassGroup):
        return roles_over_class(user, obj)
    if isinstance(obj, Department):
        return roles_over_department(user, obj)
    return roles_over_school(user, obj.id)


def authorize_report(user: User, obj) -> set[str]:
    """The user's roles over the unit if they read its reports: 404 for a unit they have no role
    over (or none), 403 for one they do but not as a reader."""
    roles = unit_roles(user, obj) if obj is not None else set()
    if not roles:
        raise Problem(404, "未找到 / Not found")
    if not roles & READERS:
        raise Problem(403, "无权查看报表 / Not allowed", "Reports are for the staff who answer for this unit.")
    return roles


def sees_sensitive(roles: set[str]) -> bool:
    return bool(roles & SENSITIVE_READERS)


def sees_names(roles: set[str]) -> bool:
    return bool(roles & NAMING)


RULES: dict = {}

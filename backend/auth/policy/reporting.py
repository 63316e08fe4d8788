"""Class, department and school reports: for the staff who answer for the unit (not course or PE
teachers, not students); sensitive points only for need-to-know roles; the names of students under
warning values only for the class's head teacher and counsellor.

A class's roll (综合测评表, every student's card by name) is for those who teach or answer for the
class: its head teacher, counsellor and course teachers, the department and school admins. The
offices that score one point across the school (student affairs, teaching office) and PE teachers
read reports, not every student's card."""
from backend.auth.policy.core import SENSITIVE_READERS, roles_over_class, roles_over_department, roles_over_school
from backend.auth.roles import Role
from backend.errors import Problem
from backend.models import ClassGroup, Department, User

READERS = frozenset({Role.HEAD_TEACHER, Role.COUNSELLOR, Role.DEPT_ADMIN, Role.STUDENT_AFFAIRS,
                     Role.TEACHING_OFFICE, Role.SCHOOL_ADMIN})
NAMING = frozenset({Role.HEAD_TEACHER, Role.COUNSELLOR})  # who sees the names behind the counts
ROLL_READERS = frozenset({Role.HEAD_TEACHER, Role.COUNSELLOR, Role.COURSE_TEACHER, Role.DEPT_ADMIN,
                          Role.SCHOOL_ADMIN})


def unit_roles(user: User, obj) -> set[str]:
    if isinstance(obj, ClassGroup):
        return roles_over_class(user, obj)
    if isinstance(obj, Department):
        return roles_over_department(user, obj)
    return roles_over_school(user, obj.id)


def _authorize(user: User, obj, readers: frozenset, detail: str) -> set[str]:
    """The user's roles over the unit if they hold one of `readers`: 404 for a unit they have no
    role over (or none), 403 for one they do but not as a reader."""
    roles = unit_roles(user, obj) if obj is not None else set()
    if not roles:
        raise Problem(404, "未找到 / Not found")
    if not roles & readers:
        raise Problem(403, "无权查看报表 / Not allowed", detail)
    return roles


def authorize_report(user: User, obj) -> set[str]:
    return _authorize(user, obj, READERS, "Reports are for the staff who answer for this unit.")


def authorize_roll(user: User, cls: ClassGroup | None) -> set[str]:
    return _authorize(user, cls, ROLL_READERS, "The roll is for those who teach or answer for this class.")


def sees_sensitive(roles: set[str]) -> bool:
    return bool(roles & SENSITIVE_READERS)


def sees_names(roles: set[str]) -> bool:
    return bool(roles & NAMING)


RULES: dict = {}

"""Teacher warnings (issue 20): only the department admins of the teacher's department see and
work them — never the teacher's students, colleagues or another department, and not the teacher
themself (they hear first through their own goals' nudges). A department admin who is the
teacher does not read their own warning."""
from backend.auth.roles import Role, Scope
from backend.models import TeacherWarning, User


def _department_admin(user: User, w: TeacherWarning) -> bool:
    return user.id != w.teacher_id and any(
        g.role == Role.DEPT_ADMIN and g.scope_type == Scope.DEPARTMENT and g.scope_id == w.department_id
        for g in user.grants)


RULES = {
    (TeacherWarning, "view"): _department_admin,
    (TeacherWarning, "act"): _department_admin,
}

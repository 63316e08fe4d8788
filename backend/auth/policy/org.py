"""Organisation: classes, departments, students, terms, the roster, the catalogue, the audit log."""
from backend.auth.policy.core import (
    STAFF_ROLES,
    Resource,
    has_role,
    is_student,
    roles_over_class,
    roles_over_department,
)
from backend.auth.roles import Role, Scope
from backend.extensions import db
from backend.models import ClassGroup, Department, Major, RoleGrant, StudentProfile, User


def _class_view(user, cls) -> bool:
    """Staff over the class, or a student of it."""
    if roles_over_class(user, cls) & STAFF_ROLES:
        return True
    return user.student is not None and user.student.class_id == cls.id


def _student_view(user, student: StudentProfile) -> bool:
    """The student, and staff over their class."""
    if student.user_id == user.id:
        return True
    return bool(roles_over_class(user, db.session.get(ClassGroup, student.class_id)) & STAFF_ROLES)


def _school_admin(user, _) -> bool:
    return has_role(user, Role.SCHOOL_ADMIN)


def _anyone(user, _) -> bool:
    return True


def _reset_password(user, student: StudentProfile) -> bool:
    """The school admin for any student; a head teacher for the students of their own class."""
    roles = roles_over_class(user, db.session.get(ClassGroup, student.class_id))
    return Role.SCHOOL_ADMIN in roles or any(
        g.role == Role.HEAD_TEACHER and (g.scope_type, g.scope_id) == (Scope.CLASS, student.class_id)
        for g in user.grants)


# The organisation over time (issue 16): majors, a class's people, a student's class and status,
# revoking roles, the term rollover.
ORGANISATION = "organisation"  # majors and the term rollover: a Resource of the school as a whole


def _runs_class(user, cls: ClassGroup) -> bool:
    """The school admin, or the department admin of the class's department."""
    return bool(roles_over_class(user, cls) & {Role.SCHOOL_ADMIN, Role.DEPT_ADMIN})


def _runs_student(user, student: StudentProfile) -> bool:
    return _runs_class(user, db.session.get(ClassGroup, student.class_id))


def _grant_department(grant: RoleGrant) -> int | None:
    if grant.scope_type == Scope.CLASS:
        return db.session.get(ClassGroup, grant.scope_id).department_id
    return grant.scope_id if grant.scope_type == Scope.DEPARTMENT else None


def _revoke_grant(user, grant: RoleGrant) -> bool:
    """A school admin any grant; a department admin the grants within their department, but not
    another department admin's."""
    if has_role(user, Role.SCHOOL_ADMIN):
        return True
    dept = _grant_department(grant)
    return grant.role != Role.DEPT_ADMIN and dept is not None and any(
        g.role == Role.DEPT_ADMIN and (g.scope_type, g.scope_id) == (Scope.DEPARTMENT, dept) for g in user.grants)


ORGANISATION_RULES = {
    (ORGANISATION, "view"): lambda u, _: bool(has_role(u, Role.SCHOOL_ADMIN, Role.DEPT_ADMIN)),
    (ORGANISATION, "edit"): _school_admin,
    (Major, "view"): lambda u, _: bool(has_role(u, Role.SCHOOL_ADMIN, Role.DEPT_ADMIN)),
    (Major, "edit"): _school_admin,
    (ClassGroup, "assign_people"): _runs_class,
    (StudentProfile, "move"): _runs_student,
    (StudentProfile, "change_status"): _runs_student,
    (RoleGrant, "view"): _revoke_grant,
    (RoleGrant, "revoke"): _revoke_grant,
}


RULES = {
    (ClassGroup, "view"): _class_view,
    (ClassGroup, "view_roster"): lambda u, c: bool(roles_over_class(u, c) & STAFF_ROLES),
    (Department, "view"): lambda u, d: bool(roles_over_department(u, d) & STAFF_ROLES),
    (StudentProfile, "view"): _student_view,
    (Resource.CATALOGUE, "view"): _anyone,
    (Resource.CATALOGUE, "edit"): _school_admin,
    (Resource.TERMS, "view"): _anyone,
    (Resource.TERMS, "edit"): _school_admin,
    (Resource.ROSTER, "import"): _school_admin,
    (StudentProfile, "reset_password"): _reset_password,
    (Resource.AUDIT, "view"): _school_admin,
    (Resource.CHANNELS, "edit"): _school_admin,
    (Resource.SIGN_IN, "edit"): _school_admin,
    # A display name is one's own; a student's is their official name from the roster (what head
    # teachers, sheets and reports show), so only staff change theirs.
    (User, "rename"): lambda u, target: target.id == u.id and not is_student(u),
}
RULES.update(ORGANISATION_RULES)

"""The one authorization policy: can(user, action, obj).

Every endpoint asks it. An object the user may not even see answers 404 (so
its existence does not leak); a visible object with a forbidden action, 403.
"""
from collections.abc import Callable

from backend.auth.roles import Role, Scope
from backend.errors import Problem
from backend.extensions import db
from backend.models import (
    ClassGroup,
    Department,
    Plan,
    PortfolioItem,
    SelfDiagnosis,
    StaffProfile,
    StudentProfile,
    User,
)

STAFF_ROLES = frozenset(Role) - {Role.STUDENT}
# Need-to-know for discipline, mental-health and finance data: the roles that act on it.
SENSITIVE_READERS = frozenset({Role.HEAD_TEACHER, Role.COUNSELLOR, Role.STUDENT_AFFAIRS, Role.SCHOOL_ADMIN})
# Who reads a person's plans, self-diagnosis and portfolio besides the person: a student's head
# teacher and counsellor, a teacher's department admin. Reviewers: head teacher, department admin.
# A department admin sees students' plans only as the class summary.
MENTORS = {True: frozenset({Role.HEAD_TEACHER, Role.COUNSELLOR}), False: frozenset({Role.DEPT_ADMIN})}
REVIEWERS = {True: frozenset({Role.HEAD_TEACHER}), False: frozenset({Role.DEPT_ADMIN})}
# Plan status summaries (counts, no contents) are also for the quality office that runs the cycle.
SUMMARY_READERS = MENTORS[True] | {Role.DEPT_ADMIN, Role.SCHOOL_ADMIN}


class Resource:
    """Targets that are not rows: the catalogue, the roster, the audit log."""

    CATALOGUE = "catalogue"
    ROSTER = "roster"
    TERMS = "terms"
    AUDIT = "audit"
    WARNING_RULES = "warning_rules"


def roles_over_class(user: User, cls: ClassGroup) -> set[str]:
    """The roles a user holds over a class through class, department or school grants."""
    units = {(Scope.CLASS, cls.id), (Scope.DEPARTMENT, cls.department_id),
             (Scope.SCHOOL, cls.major.department.school_id)}
    return {g.role for g in user.grants if (g.scope_type, g.scope_id) in units}


def roles_over_department(user: User, dept: Department) -> set[str]:
    units = {(Scope.DEPARTMENT, dept.id), (Scope.SCHOOL, dept.school_id)}
    return {g.role for g in user.grants if (g.scope_type, g.scope_id) in units}


def has_role(user: User, *roles: str) -> bool:
    return any(g.role in roles for g in user.grants)


def _class_view(user, cls):
    if roles_over_class(user, cls) & STAFF_ROLES:
        return True
    return user.student is not None and user.student.class_id == cls.id


def _student_view(user, student: StudentProfile):
    if student.user_id == user.id:
        return True
    return bool(roles_over_class(user, db.session.get(ClassGroup, student.class_id)) & STAFF_ROLES)


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


def _development(roles_by_kind: dict, owner_too: bool):
    """A rule over a person's development record: a plan, a self-diagnosis, a portfolio item (their
    `owner_id`), or the person's profile itself (`user_id`)."""
    def rule(user: User, obj) -> bool:
        owner = obj.owner_id if hasattr(obj, "owner_id") else obj.user_id
        if owner == user.id:
            return owner_too  # nobody reviews their own plan
        roles, student = roles_over_person(user, owner)
        return bool(roles & roles_by_kind[student])
    return rule


_READ = _development(MENTORS, owner_too=True)
_REVIEW = _development(REVIEWERS, owner_too=False)


def _assess(user: User, student: StudentProfile) -> bool:
    """The student; their head teacher; a classmate (an others' assessment)."""
    if user.id == student.user_id:
        return True
    if user.student is not None:
        return user.student.class_id == student.class_id
    return Role.HEAD_TEACHER in roles_over_class(user, db.session.get(ClassGroup, student.class_id))


def _own(user: User, obj) -> bool:
    return obj.owner_id == user.id


_RULES: dict[tuple[type | str, str], Callable[[User, object], bool]] = {
    (ClassGroup, "view"): _class_view,
    (ClassGroup, "view_roster"): lambda u, c: bool(roles_over_class(u, c) & STAFF_ROLES),
    (Department, "view"): lambda u, d: bool(roles_over_department(u, d) & STAFF_ROLES),
    (StudentProfile, "view"): _student_view,
    (StudentProfile, "view_development"): _READ,
    (StaffProfile, "view"): _READ,
    (StudentProfile, "assess"): _assess,
    (ClassGroup, "view_plan_summary"): lambda u, c: bool(roles_over_class(u, c) & SUMMARY_READERS),
    (Department, "view_teacher_plans"): lambda u, d: bool(roles_over_department(u, d) & SUMMARY_READERS),
    (Plan, "view"): _READ,
    (Plan, "edit"): _own,
    (Plan, "review"): _REVIEW,
    (SelfDiagnosis, "view"): _READ,
    (SelfDiagnosis, "edit"): _own,
    (SelfDiagnosis, "review"): _REVIEW,
    (PortfolioItem, "view"): _READ,
    (PortfolioItem, "edit"): _own,
    (Resource.CATALOGUE, "view"): lambda u, _: True,
    (Resource.CATALOGUE, "edit"): lambda u, _: has_role(u, Role.SCHOOL_ADMIN),
    (Resource.TERMS, "view"): lambda u, _: True,
    (Resource.TERMS, "edit"): lambda u, _: has_role(u, Role.SCHOOL_ADMIN),
    (Resource.ROSTER, "import"): lambda u, _: has_role(u, Role.SCHOOL_ADMIN),
    (Resource.AUDIT, "view"): lambda u, _: has_role(u, Role.SCHOOL_ADMIN),
    (Resource.WARNING_RULES, "view"): lambda u, _: True,
    (Resource.WARNING_RULES, "edit"): lambda u, _: has_role(u, Role.SCHOOL_ADMIN),
}


def can(user: User, action: str, obj) -> bool:
    key = obj if isinstance(obj, str) else type(obj)
    rule = _RULES.get((key, action))
    return bool(rule and rule(user, obj))


def authorize(user: User, action: str, obj) -> None:
    if obj is None or (not isinstance(obj, str) and not can(user, "view", obj)):
        raise Problem(404, "未找到 / Not found")
    if not can(user, action, obj):
        raise Problem(403, "无权操作 / Not allowed", f"Your roles do not allow '{action}' here.")

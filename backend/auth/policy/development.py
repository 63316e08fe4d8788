"""Development: plans, self-diagnosis, self-assessment, the teacher's portfolio.

Who reads a person's plans, self-diagnosis and portfolio besides the person: a student's head
teacher and counsellor, a teacher's department admin. Reviewers: head teacher, department admin.
A department admin sees students' plans only as the class summary; plan status summaries (counts,
no contents) are also for the quality office that runs the cycle.
"""
from backend.auth.policy.core import Resource, is_student, roles_over_class, roles_over_department, roles_over_person
from backend.auth.roles import Role
from backend.extensions import db
from backend.models import (
    Attachment,
    ClassGroup,
    Department,
    Plan,
    PortfolioItem,
    SelfDiagnosis,
    StaffProfile,
    StudentProfile,
    User,
)

MENTORS = {True: frozenset({Role.HEAD_TEACHER, Role.COUNSELLOR}), False: frozenset({Role.DEPT_ADMIN})}
REVIEWERS = {True: frozenset({Role.HEAD_TEACHER}), False: frozenset({Role.DEPT_ADMIN})}
SUMMARY_READERS = MENTORS[True] | {Role.DEPT_ADMIN, Role.SCHOOL_ADMIN}


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


def _attachment(rule):
    return lambda user, a: rule(user, db.session.get(PortfolioItem, a.item_id))


def reviewer_roles(student_owner: bool) -> frozenset:
    """Who reviews a student's (True) or a teacher's (False) plan: whom a submitted plan goes to."""
    return REVIEWERS[student_owner]


RULES = {
    (StudentProfile, "view_development"): _READ,
    (StudentProfile, "assess"): _assess,
    (StaffProfile, "view"): _READ,
    (ClassGroup, "view_plan_summary"): lambda u, c: bool(roles_over_class(u, c) & SUMMARY_READERS),
    # Teachers by name: their own department's admins only; the school sees counts (the teacher summary).
    (Department, "view_teacher_plans"): lambda u, d: Role.DEPT_ADMIN in roles_over_department(u, d),
    (Plan, "view"): _READ,
    (Plan, "edit"): _own,
    (Plan, "review"): _REVIEW,
    (SelfDiagnosis, "view"): _READ,
    (SelfDiagnosis, "edit"): _own,
    (SelfDiagnosis, "review"): _REVIEW,
    (PortfolioItem, "view"): _READ,
    (PortfolioItem, "edit"): _own,
    (Attachment, "view"): _attachment(_READ),
    (Attachment, "edit"): _attachment(_own),
    # The growth portfolio is a teacher's.
    (Resource.PORTFOLIO, "add"): lambda u, _: not is_student(u),
    # Stage standards (issue 20): teachers and department admins read them, only a school admin edits.
    (Resource.TEACHER_STANDARDS, "view"): lambda u, _: not is_student(u),
    (Resource.TEACHER_STANDARDS, "edit"): lambda u, _: any(g.role == Role.SCHOOL_ADMIN for g in u.grants),
}

"""The value card: scoring and reversing entries, class sessions and check-in, leave.

The catalogue says which roles score a point (`ScoringRule.scorer_roles`, data, not code): a scorer
is a user holding one of them over the entry's class. Whoever does not score a point does not see
its entries as something to reverse or a dispute to resolve: 404, like a foreign object.
"""
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy import select

from backend.auth.policy.core import Resource, is_student, roles_over_class
from backend.auth.roles import Role, Scope
from backend.extensions import db
from backend.models import (
    CadreGrant,
    ClassGroup,
    ClassSession,
    LeaveRequest,
    ScoringRule,
    TeachingAssignment,
    User,
)
from backend.platform import clock

RUNNERS = frozenset({Role.COURSE_TEACHER, Role.HEAD_TEACHER})  # open class sessions
LEAVE_DECIDERS = frozenset({Role.HEAD_TEACHER, Role.COUNSELLOR})


def scores(user: User, rule: ScoringRule, cls: ClassGroup) -> bool:
    """The catalogue's scorer roles, held over the class, or a cadre's grant of the point for
    their own class: enter, reverse, resolve disputes."""
    return bool(roles_over_class(user, cls) & set(rule.scorer_roles)) or cadre_scores(user, rule, cls)


# A cadre's grant is used only inside the cadre flow (valuecard/cadres.py `record`), which refuses
# the cadre's own rows and puts the batch up for the head teacher's review. Elsewhere (POST /entries,
# reversals, corrections, disputes) a student scores nothing, so a cadre can neither slip a value
# past the review nor reverse a teacher's entry.
_cadre_flow: ContextVar[bool] = ContextVar("cadre_flow", default=False)


@contextmanager
def cadre_flow() -> Iterator[None]:
    token = _cadre_flow.set(True)
    try:
        yield
    finally:
        _cadre_flow.reset(token)


def cadre_scores(user: User, rule: ScoringRule, cls: ClassGroup) -> bool:
    """A student cadre (班干部) scores a point for their own class while a grant of it runs
    (from its first day until revoked), inside the cadre flow. Whether a row is about the cadre
    themselves is the cadre service's question: this one only knows the class."""
    if not _cadre_flow.get() or user.student is None or user.student.class_id != cls.id:
        return False
    return db.session.scalar(select(CadreGrant.id).where(
        CadreGrant.student_id == user.id, CadreGrant.class_id == cls.id, CadreGrant.point_id == rule.point_id,
        CadreGrant.revoked_at.is_(None), CadreGrant.starts_on <= clock.school_today()).limit(1)) is not None


def manages_cadres(user: User, cls: ClassGroup) -> bool:
    """The class's own head teacher names its cadres and reviews their batches."""
    return any(g.role == Role.HEAD_TEACHER and (g.scope_type, g.scope_id) == (Scope.CLASS, cls.id) for g in user.grants)


GRADE_IMPORTERS = frozenset({Role.TEACHING_OFFICE, Role.SCHOOL_ADMIN})


def imports_grades(user: User, _=None) -> bool:
    """Who may open the grades import at all: the teaching office, the school admin, a course teacher."""
    return any(g.role in GRADE_IMPORTERS | {Role.COURSE_TEACHER} for g in user.grants)


def imports_grade_of(user: User, cls: ClassGroup, course_id: int, term_id: int) -> bool:
    """One imported grade: the teaching office or school admin over the student's class, or the
    course teacher who teaches that course to that class in that term."""
    if roles_over_class(user, cls) & GRADE_IMPORTERS:
        return True
    return db.session.scalar(select(TeachingAssignment.id).where(
        TeachingAssignment.teacher_id == user.id, TeachingAssignment.class_id == cls.id,
        TeachingAssignment.course_id == course_id, TeachingAssignment.term_id == term_id).limit(1)) is not None


def runs(user: User, session: ClassSession) -> bool:
    """The teacher who opened the session, or the class's head teacher, runs it."""
    return user.id == session.teacher_id or Role.HEAD_TEACHER in roles_over_class(
        user, db.session.get(ClassGroup, session.class_id))


def records_for_session(user: User, rule: ScoringRule, session: ClassSession) -> bool:
    """A per-meeting value (S-A-05/06 for one course meeting): a scorer of the point over the class
    who runs that meeting, i.e. its own course teacher or the class's head teacher."""
    return scores(user, rule, db.session.get(ClassGroup, session.class_id)) and runs(user, session)


def decides_leave(user: User, cls: ClassGroup) -> bool:
    return bool(roles_over_class(user, cls) & LEAVE_DECIDERS)


def _leave(user: User, leave: LeaveRequest) -> bool:
    return decides_leave(user, db.session.get(ClassGroup, leave.class_id))


RULES = {
    (ClassGroup, "open_session"): lambda u, c: bool(roles_over_class(u, c) & RUNNERS),
    (ClassSession, "view"): runs,
    (ClassSession, "run"): runs,
    (LeaveRequest, "view"): _leave,
    (LeaveRequest, "decide"): _leave,
    (Resource.CHECKIN, "check_in"): lambda u, _: is_student(u),
    (Resource.LEAVE, "apply"): lambda u, _: is_student(u),
    (ClassGroup, "manage_cadres"): manages_cadres,
    (Resource.GRADES, "import"): imports_grades,
}

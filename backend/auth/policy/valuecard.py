"""The value card: scoring and reversing entries, class sessions and check-in, leave.

The catalogue says which roles score a point (`ScoringRule.scorer_roles`, data, not code): a scorer
is a user holding one of them over the entry's class. Whoever does not score a point does not see
its entries as something to reverse or a dispute to resolve: 404, like a foreign object.
"""
from backend.auth.policy.core import Resource, is_student, roles_over_class
from backend.auth.roles import Role
from backend.extensions import db
from backend.models import ClassGroup, ClassSession, LeaveRequest, ScoringRule, User

RUNNERS = frozenset({Role.COURSE_TEACHER, Role.HEAD_TEACHER})  # open class sessions
LEAVE_DECIDERS = frozenset({Role.HEAD_TEACHER, Role.COUNSELLOR})


def scores(user: User, rule: ScoringRule, cls: ClassGroup) -> bool:
    """The catalogue's scorer roles, held over the class: enter, reverse, resolve disputes."""
    return bool(roles_over_class(user, cls) & set(rule.scorer_roles))


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
}

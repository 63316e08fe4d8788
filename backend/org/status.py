"""A student's status over time: 休学 (suspended), 退学 (withdrawn), 毕业 (graduated), 复学 (resumed).

From the day a status takes effect nothing new is recorded for the student (ledger batches and
check-ins name them), they leave their class's figures (their membership ends the day before),
and their history stays where it was, visible to whoever could see it.

Login: withdrawn and graduated accounts are disabled and their sessions ended; a suspended
student keeps their login. Suspension is temporary and usually ends in 复学: the student keeps
reading their own card, plans and history (read-only in effect: nothing they could record counts
while suspended), and the college need not hand out a new password on return.
"""
from datetime import date

from sqlalchemy import select

from backend.errors import Problem
from backend.extensions import db
from backend.models import AuthSession, ClassGroup, StudentProfile, Term, User
from backend.org import membership
from backend.platform import audit, changes, clock

INVALID = membership.INVALID
ACTIONS = {"suspend": "suspended", "withdraw": "withdrawn", "graduate": "graduated", "resume": "enrolled"}
DISABLES_LOGIN = ("withdrawn", "graduated")


def disable_login(user: User) -> None:
    user.is_active = False
    for session in db.session.scalars(select(AuthSession).where(
            AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None))):
        session.revoked_at = clock.now()


def leave(actor_id: int, profile: StudentProfile, status: str, effective_on: date) -> None:
    """End the student's enrolment on `effective_on` (membership closes the day before)."""
    membership.end(profile, date.fromordinal(effective_on.toordinal() - 1))
    profile.status, profile.status_on = status, effective_on
    if status in DISABLES_LOGIN:
        disable_login(db.session.get(User, profile.user_id))


def change(actor: User, profile: StudentProfile, action: str, effective_on: date) -> dict:
    term = membership.within_term(effective_on)
    user = db.session.get(User, profile.user_id)
    before = {"status": profile.status, "status_on": profile.status_on, "class_id": profile.class_id}
    target = ACTIONS[action]
    if action == "resume":
        if profile.status != "suspended":
            raise Problem(422, INVALID, errors={"action": [f"{user.display_name} 未休学 / {user.display_name} is not suspended."]})
        if effective_on < profile.status_on:
            raise Problem(422, INVALID, errors={"effective_on": [
                f"早于休学日期 {profile.status_on} / Before the suspension began on {profile.status_on}."]})
        membership.begin(profile, profile.class_id, effective_on, actor.id)
        profile.status, profile.status_on = "enrolled", effective_on
    else:
        if profile.status != "enrolled":
            raise Problem(422, INVALID, errors={"action": [membership._not_enrolled(profile)]})
        leave(actor.id, profile, target, effective_on)
    audit.record(actor.id, f"student.{action}", "student", str(profile.user_id), {
        "name": user.display_name, "before": before, "effective_on": effective_on,
        "after": {"status": profile.status, "status_on": profile.status_on, "login": user.is_active}})
    changes.touch("class", term.id, [profile.class_id])
    db.session.flush()
    return describe(profile)


def describe(profile: StudentProfile) -> dict:
    user = db.session.get(User, profile.user_id)
    cls = db.session.get(ClassGroup, profile.class_id)
    return {"student_id": profile.user_id, "name": user.display_name, "number": user.username,
            "class_id": cls.id, "class_name": cls.name, "status": profile.status, "status_on": profile.status_on,
            "login_enabled": user.is_active}


def refusals(term: Term, student_ids, week: int) -> dict[int, str]:
    """Students who may get nothing new for a teaching week of a term: "张三 已休学"."""
    found = db.session.execute(select(StudentProfile, User.display_name).join(User, User.id == StudentProfile.user_id)
                               .where(StudentProfile.user_id.in_(set(student_ids)), StudentProfile.status != "enrolled"))
    out = {profile.user_id: refusal(term, week, profile.status, profile.status_on, name) for profile, name in found}
    return {student: why for student, why in out.items() if why}


def refusal(term: Term, week: int, status: str, since: date | None, name: str) -> str | None:
    """Why a student of this status may get nothing new for the week, or None when they may (the
    ledger's batch check reads the status in its own query and asks here)."""
    if status == "enrolled":
        return None
    if since is None or since <= term.starts_on or since <= term.ends_on and week >= term.week_of(since):
        zh, en = membership.STATUS_WORDS[status]
        return f"{name} {zh} / {name} {en}"
    return None


def refuse_today(student: User, term: Term, day: date) -> None:
    """A check-in by (or a mark for) a student who is not enrolled on that day."""
    message = refusals(term, [student.id], term.week_of(day)).get(student.id)
    if message:
        raise Problem(403, message)

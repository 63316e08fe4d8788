"""Class membership over time: which class each teaching week of a student counts for.

A student's own card keeps all their values; a class's figures (rollups, class card, roll) count
each member's values only for the weeks they belonged to it. Weeks, because every ledger entry and
attendance mark carries its teaching week: the week of a move counts for the new class, so no week
counts twice. A student with no membership rows (created before this table, or by an import that
does not know it) is in their class of the day for every week.
"""
from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import or_, select

from backend.errors import Problem
from backend.extensions import db
from backend.models import (
    ClassGroup,
    ClassMembership,
    RoleGrant,
    StudentProfile,
    StudentWarning,
    Term,
    User,
)
from backend.org import directory
from backend.platform import audit, changes, clock

INVALID = "请求数据有误 / Invalid request data"
OPEN_WARNINGS = ("raised", "notified", "acknowledged", "in_progress", "escalated")  # alerts/warnings.py OPEN
Span = tuple[int, int]  # first and last teaching week, inclusive


def _weeks(term: Term, starts_on: date | None, ends_on: date | None) -> Span | None:
    first = 1 if starts_on is None or starts_on <= term.starts_on else term.week_of(starts_on)
    last = term.weeks if ends_on is None or ends_on >= term.ends_on else term.week_of(ends_on + timedelta(days=1)) - 1
    return (first, last) if first <= last else None


def spans(term: Term, class_ids=None) -> dict[int, dict[int, Span]]:
    """Per class, its members over the term and the weeks each counts for it."""
    query = select(ClassMembership).where(
        or_(ClassMembership.starts_on.is_(None), ClassMembership.starts_on <= term.ends_on),
        or_(ClassMembership.ends_on.is_(None), ClassMembership.ends_on >= term.starts_on))
    if class_ids is not None:
        query = query.where(ClassMembership.class_id.in_(class_ids))
    out: dict = defaultdict(dict)
    for m in db.session.scalars(query.order_by(ClassMembership.student_id, ClassMembership.id)):
        span = _weeks(term, m.starts_on, m.ends_on)
        if span is not None:
            old = out[m.class_id].get(m.student_id)  # left and came back: the weeks between count too
            out[m.class_id][m.student_id] = span if old is None else (min(old[0], span[0]), max(old[1], span[1]))
    tracked = select(ClassMembership.student_id)
    untracked = select(StudentProfile.class_id, StudentProfile.user_id).where(
        StudentProfile.user_id.not_in(tracked), StudentProfile.status == "enrolled")
    if class_ids is not None:
        untracked = untracked.where(StudentProfile.class_id.in_(class_ids))
    for class_id, student_id in db.session.execute(untracked):
        out[class_id][student_id] = (1, term.weeks)
    return {c: dict(sorted(members.items())) for c, members in out.items()}


def only_weeks(values: dict, span: Span | None) -> dict:
    """A student's values (point → [(week, value)]) cut to the weeks of one class."""
    if span is None:
        return values
    lo, hi = span
    cut = {p: [(w, v) for w, v in series if lo <= w <= hi] for p, series in values.items()}
    return {p: series for p, series in cut.items() if series}


def _open_row(student_id: int) -> ClassMembership | None:
    return db.session.scalar(select(ClassMembership).where(
        ClassMembership.student_id == student_id, ClassMembership.ends_on.is_(None)))


def end(profile: StudentProfile, last_day: date) -> None:
    """Close the student's open membership on `last_day` (made first for a student with none)."""
    row = _open_row(profile.user_id)
    if row is None:
        row = ClassMembership(student_id=profile.user_id, class_id=profile.class_id, starts_on=None)
        db.session.add(row)
    if row.starts_on is not None and last_day < row.starts_on:
        raise Problem(422, INVALID, errors={"effective_on": [
            f"早于学生进入本班的日期 {row.starts_on} / Before the student joined this class on {row.starts_on}."]})
    row.ends_on = last_day
    db.session.flush()


def begin(profile: StudentProfile, class_id: int, first_day: date, actor_id: int) -> None:
    db.session.add(ClassMembership(student_id=profile.user_id, class_id=class_id, starts_on=first_day,
                                   created_by=actor_id))
    db.session.flush()


def within_term(day: date, field: str = "effective_on") -> Term:
    """The term in session today, if `day` falls in it; else a 422 naming the field."""
    term = directory.current_term(clock.school_today())
    if not term.starts_on <= day <= term.ends_on:
        raise Problem(422, INVALID, errors={field: [
            f"应在本学期 {term.starts_on} 至 {term.ends_on} 之内 / Must be within the term, "
            f"{term.starts_on} to {term.ends_on}."]})
    return term


def move(actor: User, profile: StudentProfile, target: ClassGroup, effective_on: date) -> dict:
    """The student is in `target` from `effective_on`: membership, the class of the day, the
    student's class grant and their open warnings (now answered by the new class's responders)."""
    term = within_term(effective_on)
    if profile.status != "enrolled":
        raise Problem(422, INVALID, errors={"student_id": [_not_enrolled(profile)]})
    source = db.session.get(ClassGroup, profile.class_id)
    if target.id == source.id:
        raise Problem(422, INVALID, errors={"class_id": ["学生已在该班 / The student is already in this class."]})
    end(profile, effective_on - timedelta(days=1))
    begin(profile, target.id, effective_on, actor.id)
    profile.class_id = target.id
    for grant in db.session.scalars(select(RoleGrant).where(
            RoleGrant.user_id == profile.user_id, RoleGrant.role == "student", RoleGrant.scope_type == "class")):
        grant.scope_id = target.id
    moved = db.session.scalars(select(StudentWarning).where(
        StudentWarning.student_id == profile.user_id, StudentWarning.status.in_(OPEN_WARNINGS))).all()
    for w in moved:
        w.class_id = target.id
    name = db.session.get(User, profile.user_id).display_name
    audit.record(actor.id, "student.move", "student", str(profile.user_id), {
        "name": name, "before": {"class_id": source.id, "class": source.name},
        "after": {"class_id": target.id, "class": target.name}, "effective_on": effective_on,
        "warnings_moved": [w.id for w in moved]})
    changes.touch("class", term.id, [source.id, target.id])
    db.session.flush()
    return {"student_id": profile.user_id, "name": name, "from_class": {"id": source.id, "name": source.name},
            "to_class": {"id": target.id, "name": target.name}, "effective_on": effective_on,
            "week": term.week_of(effective_on), "warnings_moved": len(moved)}


STATUS_WORDS = {"suspended": ("已休学", "is suspended"), "withdrawn": ("已退学", "has withdrawn"),
                "graduated": ("已毕业", "has graduated")}


def _not_enrolled(profile: StudentProfile) -> str:
    name = db.session.get(User, profile.user_id).display_name
    zh, en = STATUS_WORDS[profile.status]
    return f"{name} {zh} / {name} {en}"


def history(profile: StudentProfile) -> list[dict]:
    rows = db.session.execute(select(ClassMembership, ClassGroup.name).join(
        ClassGroup, ClassGroup.id == ClassMembership.class_id).where(ClassMembership.student_id == profile.user_id)
        .order_by(ClassMembership.id)).all()
    if not rows:  # never moved: in the class of the day since enrolment
        return [{"class_id": profile.class_id, "class_name": db.session.get(ClassGroup, profile.class_id).name,
                 "starts_on": None, "ends_on": None}]
    return [{"class_id": m.class_id, "class_name": name, "starts_on": m.starts_on, "ends_on": m.ends_on}
            for m, name in rows]


def correct(student_id: int, class_id: int) -> None:
    """The roster import corrects a student's class on file: their open membership says the same
    (a move on a date is `move`, with its history)."""
    row = _open_row(student_id)
    if row is not None:
        row.class_id = class_id

"""Queries over the organisation, already narrowed to what a user may see."""
from datetime import date

from sqlalchemy import and_, or_, select, true

from backend.auth.policy import STAFF_ROLES
from backend.auth.roles import Role, Scope
from backend.errors import Problem
from backend.extensions import db
from backend.models import (
    ClassGroup,
    Department,
    RoleGrant,
    School,
    StudentProfile,
    Term,
    User,
)
from backend.platform import cached, clock


def visible_classes(user: User) -> list[ClassGroup]:
    """Classes the user works with (staff) or belongs to (student)."""
    grants = [g for g in user.grants if g.role in STAFF_ROLES]
    conditions = []
    for scope, column in ((Scope.CLASS, ClassGroup.id), (Scope.DEPARTMENT, ClassGroup.department_id)):
        ids = {g.scope_id for g in grants if g.scope_type == scope}
        if ids:
            conditions.append(column.in_(ids))
    if any(g.scope_type == Scope.SCHOOL for g in grants):
        conditions = [true()]
    if user.student is not None:
        conditions.append(ClassGroup.id == user.student.class_id)
    if not conditions:
        return []
    return db.session.scalars(select(ClassGroup).where(or_(*conditions)).order_by(ClassGroup.name)).all()


def visible_departments(user: User) -> list[Department]:
    grants = [g for g in user.grants if g.role in STAFF_ROLES]
    query = select(Department).order_by(Department.name)
    if not any(g.scope_type == Scope.SCHOOL for g in grants):
        ids = {g.scope_id for g in grants if g.scope_type == Scope.DEPARTMENT}
        query = query.where(Department.id.in_(ids))
    return db.session.scalars(query).all()


def class_students(cls: ClassGroup) -> list[tuple[StudentProfile, User]]:
    return db.session.execute(
        select(StudentProfile, User).join(User, User.id == StudentProfile.user_id)
        .where(StudentProfile.class_id == cls.id).order_by(User.username)).all()


def term_on(day: date) -> Term | None:
    return db.session.scalar(select(Term).where(Term.starts_on <= day, Term.ends_on >= day))


def current_term(today: date) -> Term:
    """The term in session today, else the latest one that has started (holidays)."""
    def load():
        term = term_on(today) or db.session.scalar(
            select(Term).where(Term.starts_on <= today).order_by(Term.starts_on.desc()).limit(1))
        return cached.columns(term) if term is not None else None
    data = cached.lookup([cached.TERMS], ("current_term", today), load)
    if data is None:
        raise Problem(404, "未找到 / Not found", "No term has been set up yet.")
    return cached.attach(Term(**data))


def create_term(fields: dict) -> Term:
    school = db.session.scalar(select(School).limit(1))
    if school is None:
        raise Problem(409, "尚无学校 / No school yet", "Import a roster or build the demo college first.")
    overlap = db.session.scalar(select(Term).where(
        Term.starts_on <= fields["ends_on"], Term.ends_on >= fields["starts_on"]).limit(1))
    if overlap is not None:
        raise Problem(422, "请求数据有误 / Invalid request data",
                      errors={"starts_on": [f"与学期 {overlap.name} 重叠 / Overlaps term {overlap.name}."]})
    term = Term(school_id=school.id, **fields)
    db.session.add(term)
    db.session.flush()
    return term


def term_or_current(term_id: int | None) -> Term:
    """The term asked for, or the one in session at the school today when none is named."""
    if term_id is None:
        return current_term(clock.school_today())
    def load():
        term = db.session.get(Term, term_id)
        return cached.columns(term) if term is not None else None
    data = cached.lookup([cached.TERMS], ("term", term_id), load)
    if data is None:
        raise Problem(404, "未找到 / Not found", f"No term {term_id}.")
    return cached.attach(Term(**data))


def responders(cls: ClassGroup, role: str) -> list[int]:
    """Users holding `role` over the class, through a class, department or school grant."""
    units = ((Scope.CLASS, cls.id), (Scope.DEPARTMENT, cls.department_id), (Scope.SCHOOL, cls.major.department.school_id))
    return sorted(set(db.session.scalars(select(RoleGrant.user_id).where(RoleGrant.role == role, or_(
        *(and_(RoleGrant.scope_type == kind, RoleGrant.scope_id == unit_id) for kind, unit_id in units)))).all()))


def department_admins(department_id: int) -> list[int]:
    return sorted(db.session.scalars(select(RoleGrant.user_id).where(
        RoleGrant.role == Role.DEPT_ADMIN, RoleGrant.scope_type == Scope.DEPARTMENT,
        RoleGrant.scope_id == department_id)).all())

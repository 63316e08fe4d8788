"""Who holds which role where, over time: a class's head teacher and counsellor change hands, and
roles are revoked. A grant row is the power itself (each request reads the user's grants afresh,
tokens carry no roles), so removing the row ends the power at the holder's next request; the
audit log keeps who held what, and when it ended."""
from sqlalchemy import func, select

from backend.auth.roles import ROLE_NAMES_ZH, Role, Scope
from backend.errors import Problem
from backend.extensions import db
from backend.models import ClassGroup, Department, RoleGrant, StaffProfile, User
from backend.platform import audit

INVALID = "请求数据有误 / Invalid request data"
CLASS_PEOPLE = (Role.HEAD_TEACHER, Role.COUNSELLOR)


def _person(user: User | None) -> dict | None:
    return user and {"id": user.id, "name": user.display_name, "number": user.username}


def class_people(cls: ClassGroup) -> dict:
    """The class's head teacher and counsellor (class grants), and every class grant held over it."""
    grants = db.session.scalars(select(RoleGrant).where(
        RoleGrant.scope_type == Scope.CLASS, RoleGrant.scope_id == cls.id, RoleGrant.role != Role.STUDENT)
        .order_by(RoleGrant.role, RoleGrant.id)).all()
    holders = {role: [_person(g.user) for g in grants if g.role == role] for role in CLASS_PEOPLE}
    return {"class_id": cls.id, "class_name": cls.name, "head_teacher": holders[Role.HEAD_TEACHER],
            "counsellor": holders[Role.COUNSELLOR], "grants": [view(g) for g in grants]}


def view(g: RoleGrant) -> dict:
    unit = {Scope.CLASS: ClassGroup, Scope.DEPARTMENT: Department}.get(g.scope_type)
    unit_name = db.session.get(unit, g.scope_id).name if unit else "学校 / School"
    return {"id": g.id, "user_id": g.user_id, "name": g.user.display_name, "number": g.user.username, "role": g.role,
            "role_zh": ROLE_NAMES_ZH[Role(g.role)], "scope_type": g.scope_type, "scope_id": g.scope_id,
            "scope_name": unit_name}


def staff_grants(username: str) -> list[RoleGrant]:
    user = db.session.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))
    if user is None or user.student is not None:
        return []
    return [g for g in user.grants if g.role != Role.STUDENT]


def assign(actor: User, cls: ClassGroup, role: str, user_id: int) -> dict:
    """The class's `role` passes to `user_id`: old holders lose the class grant, the new one gains
    it, in this one transaction (ClassGroup.head_teacher_id follows). Warnings, leave and disputes
    find their responders through the grants (org/directory.py responders), so they follow too."""
    new = db.session.get(User, user_id)
    if new is None or not new.is_active or db.session.get(StaffProfile, user_id) is None:
        raise Problem(422, INVALID, errors={"user_id": ["不是在职教职工 / Not an active staff member."]})
    old = db.session.scalars(select(RoleGrant).where(RoleGrant.role == role, RoleGrant.scope_type == Scope.CLASS,
                                                     RoleGrant.scope_id == cls.id)).all()
    before = [g.user_id for g in old]
    for g in old:
        if g.user_id != user_id:
            db.session.delete(g)
    if user_id not in before:
        db.session.add(RoleGrant(user_id=user_id, role=role, scope_type=Scope.CLASS, scope_id=cls.id))
    if role == Role.HEAD_TEACHER:
        cls.head_teacher_id = user_id
    db.session.flush()
    db.session.expire(new, ["grants"])
    audit.record(actor.id, f"class.{role}", "class", str(cls.id), {
        "class": cls.name, "role": role, "before": before, "after": [user_id]})
    return class_people(cls)


def revoke(actor: User, grant: RoleGrant) -> None:
    if grant.role == Role.STUDENT:
        raise Problem(422, INVALID, errors={"role": [
            "学生身份随班级变化，请用“转班/学籍” / A student's role follows their class: move or change their status."]})
    if grant.role == Role.SCHOOL_ADMIN:
        # Lock every school-admin grant first (PostgreSQL; SQLite's BEGIN IMMEDIATE already
        # serialises writers), so two admins revoking each other cannot leave none.
        admins = db.session.scalars(select(RoleGrant).where(RoleGrant.role == Role.SCHOOL_ADMIN)
                                    .with_for_update()).all()
        if len(admins) <= 1:
            raise Problem(422, INVALID, errors={"role": [
                "不能撤销最后一位学校管理员 / The last school admin cannot be revoked."]})
    if grant.role == Role.HEAD_TEACHER and grant.scope_type == Scope.CLASS:
        cls = db.session.get(ClassGroup, grant.scope_id)
        if cls.head_teacher_id == grant.user_id:
            cls.head_teacher_id = None
    detail = view(grant)
    db.session.delete(grant)
    db.session.flush()
    audit.record(actor.id, "grant.revoke", "user", str(detail["user_id"]), {"before": detail, "after": None})


def candidates(cls: ClassGroup) -> list[dict]:
    """Staff who may take a class role: active, of the class's department or of none."""
    users = db.session.scalars(select(User).join(StaffProfile, StaffProfile.user_id == User.id).where(
        User.is_active, (StaffProfile.department_id == cls.department_id) | StaffProfile.department_id.is_(None))
        .order_by(User.display_name)).all()
    return [_person(u) for u in users]

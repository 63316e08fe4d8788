"""The organisation kept current (issue 16): majors, a class's head teacher and counsellor, revoking
roles, a student's class and status over time, and the term rollover."""
from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from backend.api.common import KEY_DOC, once
from backend.auth.current import login_required
from backend.auth.policy import authorize, can
from backend.auth.policy.org import ORGANISATION
from backend.development import rollover
from backend.errors import Problem
from backend.extensions import db
from backend.models import ClassGroup, Major, RoleGrant, StudentProfile, Term
from backend.org import directory, grants, majors, membership, status
from backend.platform import clock
from backend.schemas.organisation import (
    AssignIn,
    ClassPeopleOut,
    GrantQuery,
    MajorIn,
    MajorOut,
    MajorRenameIn,
    MoveIn,
    MoveOut,
    RoleGrantOut,
    RolloverIn,
    RolloverOut,
    RolloverQuery,
    StatusIn,
    StudentStatusOut,
)

blp = Blueprint("organisation", __name__, url_prefix="/api/v1",
                description="Majors, class people, grants, student moves and status, term rollover")
INVALID = "请求数据有误 / Invalid request data"


@blp.get("/majors")
@blp.response(200, MajorOut(many=True))
@login_required
def list_majors():
    authorize(current_user, "view", ORGANISATION)
    return majors.listing()


@blp.post("/majors")
@blp.arguments(MajorIn)
@blp.response(201, MajorOut)
@blp.doc(**KEY_DOC)
@login_required
def create_major(body):
    authorize(current_user, "edit", ORGANISATION)
    return once("majors", body, lambda: majors.view(majors.create(current_user, body["department_id"], body["name"])),
                MajorOut, 201)


@blp.patch("/majors/<int:major_id>")
@blp.arguments(MajorRenameIn)
@blp.response(200, MajorOut)
@blp.doc(**KEY_DOC)
@login_required
def rename_major(body, major_id):
    major = db.session.get(Major, major_id)
    authorize(current_user, "edit", major)
    return once(f"major:{major_id}", body, lambda: majors.view(majors.rename(current_user, major, body["name"])), MajorOut)


def _class(class_id: int) -> ClassGroup:
    cls = db.session.get(ClassGroup, class_id)
    authorize(current_user, "assign_people", cls)
    return cls


@blp.get("/classes/<int:class_id>/people")
@blp.response(200, ClassPeopleOut)
@login_required
def class_people(class_id):
    cls = _class(class_id)
    return {**grants.class_people(cls), "candidates": grants.candidates(cls)}


@blp.put("/classes/<int:class_id>/people/<any(head_teacher,counsellor):role>")
@blp.arguments(AssignIn)
@blp.response(200, ClassPeopleOut)
@blp.doc(**KEY_DOC)
@login_required
def assign_class_people(body, class_id, role):
    """The class's head teacher or counsellor passes to another staff member; grants follow."""
    cls = _class(class_id)
    return once(f"class-people:{class_id}:{role}", body, lambda: {
        **grants.assign(current_user, cls, role, body["user_id"]), "candidates": grants.candidates(cls)}, ClassPeopleOut)


@blp.get("/grants")
@blp.arguments(GrantQuery, location="query")
@blp.response(200, RoleGrantOut(many=True))
@login_required
def list_grants(query):
    """A staff member's roles (by staff number) that the caller may revoke."""
    authorize(current_user, "view", ORGANISATION)
    return [grants.view(g) for g in grants.staff_grants(query["username"]) if _may_revoke(g)]


def _may_revoke(grant: RoleGrant) -> bool:
    return can(current_user, "revoke", grant)


@blp.delete("/grants/<int:grant_id>")
@blp.response(200, RoleGrantOut)
@blp.doc(**KEY_DOC)
@login_required
def revoke_grant(grant_id):
    """The grant row is removed (audited with what it was): the holder's next request no longer has
    the power. A replay answers the first revocation."""
    grant = db.session.get(RoleGrant, grant_id)

    def write():
        authorize(current_user, "revoke", grant)
        detail = grants.view(grant)
        grants.revoke(current_user, grant)
        return detail
    return once(f"grant-revoke:{grant_id}", {}, write, RoleGrantOut)


def _student(student_id: int, action: str) -> StudentProfile:
    profile = db.session.get(StudentProfile, student_id)
    authorize(current_user, action, profile)
    return profile


@blp.get("/students/<int:student_id>/status")
@blp.response(200, StudentStatusOut)
@login_required
def student_status(student_id):
    """The student's status, their classes over time, and the classes the caller may move them to."""
    profile = _student(student_id, "change_status")
    term = directory.current_term(clock.school_today())
    return {**status.describe(profile), "history": membership.history(profile),
            "classes": [{"id": c.id, "name": c.name} for c in directory.visible_classes(current_user)],
            "term_starts_on": term.starts_on, "term_ends_on": term.ends_on}


@blp.post("/students/<int:student_id>/move")
@blp.arguments(MoveIn)
@blp.response(200, MoveOut)
@blp.doc(**KEY_DOC)
@login_required
def move_student(body, student_id):
    """The student is in another class from a date within the term."""
    profile = _student(student_id, "move")
    target = db.session.get(ClassGroup, body["class_id"])
    if target is None or not _can(target):
        raise Problem(422, INVALID, errors={"class_id": ["没有这个班级，或不在你的管理范围 / No such class, or not yours."]})
    return once(f"student-move:{student_id}", body,
                lambda: membership.move(current_user, profile, target, body["effective_on"]), MoveOut)


def _can(cls: ClassGroup) -> bool:
    return can(current_user, "assign_people", cls)


@blp.post("/students/<int:student_id>/status")
@blp.arguments(StatusIn)
@blp.response(200, StudentStatusOut)
@blp.doc(**KEY_DOC)
@login_required
def change_status(body, student_id):
    """休学, 退学, 毕业 or 复学 from a date within the term."""
    profile = _student(student_id, "change_status")
    return once(f"student-status:{student_id}", body, lambda: {
        **status.change(current_user, profile, body["action"], body["effective_on"]),
        "history": membership.history(profile)}, StudentStatusOut)


def _terms(term_id: int, to_term_id: int) -> tuple[Term, Term]:
    source = db.session.get(Term, term_id)
    if source is None:
        raise Problem(404, "未找到 / Not found")
    target = db.session.get(Term, to_term_id)
    if target is None:
        raise Problem(422, INVALID, errors={"to_term_id": ["没有这个学期 / No such term."]})
    return source, target


@blp.get("/terms/<int:term_id>/rollover")
@blp.arguments(RolloverQuery, location="query")
@blp.response(200, RolloverOut)
@login_required
def rollover_preview(query, term_id):
    """What applying the rollover to `to_term_id` will do; writes nothing."""
    authorize(current_user, "edit", ORGANISATION)
    return rollover.preview(*_terms(term_id, query["to_term_id"]))


@blp.post("/terms/<int:term_id>/rollover")
@blp.arguments(RolloverIn)
@blp.response(200, RolloverOut)
@blp.doc(**KEY_DOC)
@login_required
def rollover_apply(body, term_id):
    """Exactly the preview, once: a second apply of the same term answers 409."""
    authorize(current_user, "edit", ORGANISATION)
    source, target = _terms(term_id, body["to_term_id"])
    return once(f"rollover:{term_id}", body, lambda: rollover.apply(current_user, source, target), RolloverOut)

"""The teacher portrait: the teacher's own, and their department admin's read of it (audited)."""
from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from backend.auth.current import login_required
from backend.auth.policy import authorize
from backend.development import plans, teacher_portrait
from backend.errors import Problem
from backend.extensions import db
from backend.models import StaffProfile, User
from backend.platform import audit
from backend.schemas.portrait import PortraitOut, PortraitQuery

blp = Blueprint("portrait", __name__, url_prefix="/api/v1", description="The teacher portrait (教师画像)")


def read(viewer: User, teacher_id: int, year: int | None) -> dict:
    """The right first (404 for a teacher the viewer may not see: another teacher, a student), then
    the audit row for anyone but the teacher: a portrait is a person's appraisal data."""
    authorize(viewer, "view", db.session.get(StaffProfile, teacher_id))
    year = year or plans.academic_year_now()
    if viewer.id != teacher_id:
        audit.sensitive_read(viewer.id, "teacher_portrait", str(teacher_id), {"year": year})
    return teacher_portrait.portrait(db.session.get(User, teacher_id), year)


@blp.get("/me/portrait")
@blp.arguments(PortraitQuery, location="query")
@blp.response(200, PortraitOut)
@login_required
def my_portrait(query):
    """The caller's own portrait (teachers only): the radar over seed 002 table 13's dimensions and the indicators."""
    if db.session.get(StaffProfile, current_user.id) is None:
        raise Problem(403, "仅教师有教师画像 / Only teachers have a teacher portrait")
    return read(current_user, current_user.id, query["year"])


@blp.get("/teachers/<int:teacher_id>/portrait")
@blp.arguments(PortraitQuery, location="query")
@blp.response(200, PortraitOut)
@login_required
def teacher_portrait_read(query, teacher_id):
    """A teacher's portrait, for the teacher and their department admin (whose read is audited)."""
    return read(current_user, teacher_id, query["year"])

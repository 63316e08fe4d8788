"""Teacher warnings (issue 20): the department admin's list, a warning's evidence and timeline,
acknowledge, notes and actions, resolve. Only the department admins of the teacher's department;
everyone else gets 404 (auth/policy/teacher_warnings.py); every read is audited."""
from flask import request
from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from backend.alerts import teacher_warnings
from backend.api.common import KEY_DOC, once
from backend.auth.current import login_required
from backend.extensions import db
from backend.schemas.teacher_warnings import (
    TeacherInterventionIn,
    TeacherResolveIn,
    TeacherWarningDetailOut,
    TeacherWarningOut,
    TeacherWarningQuery,
)

blp = Blueprint("teacher_warnings", __name__, url_prefix="/api/v1", description="Teacher warnings (department admins)")


def _detail(warning_id: int):
    return teacher_warnings.with_names([teacher_warnings.open_warning(current_user, warning_id, request.path)])[0]


def _flushed(obj):
    """Inside `once`, which commits the change with its answer."""
    db.session.flush()
    return teacher_warnings.with_names([obj])[0]


@blp.get("/teacher-warnings")
@blp.arguments(TeacherWarningQuery, location="query")
@blp.response(200, TeacherWarningOut(many=True))
@login_required
def list_teacher_warnings(query):
    """The teacher warnings of the caller's departments, worst and oldest first (audited)."""
    return teacher_warnings.with_names(teacher_warnings.staff_list(current_user, query["status"], request.path))


@blp.get("/teacher-warnings/<int:warning_id>")
@blp.response(200, TeacherWarningDetailOut)
@login_required
def get_teacher_warning(warning_id):
    """The evidence (the figure, the line, the stage standard, where the figure comes from, since
    when) and the timeline."""
    return _detail(warning_id)


@blp.post("/teacher-warnings/<int:warning_id>/acknowledge")
@blp.response(200, TeacherWarningDetailOut)
@blp.doc(**KEY_DOC)
@login_required
def acknowledge(warning_id):
    w = _detail(warning_id)
    return once(f"teacher-warning-ack:{warning_id}", {},
                lambda: _flushed(teacher_warnings.acknowledge(current_user, w)), TeacherWarningDetailOut)


@blp.post("/teacher-warnings/<int:warning_id>/interventions")
@blp.arguments(TeacherInterventionIn)
@blp.response(201, TeacherWarningDetailOut)
@blp.doc(**KEY_DOC)
@login_required
def intervene(body, warning_id):
    """A note or an action agreed with the teacher, with an optional follow-up date."""
    w = _detail(warning_id)
    return once(f"teacher-warning-note:{warning_id}", body, lambda: _flushed(teacher_warnings.intervene(
        current_user, w, body["kind"], body["text"], body["follow_up_on"])), TeacherWarningDetailOut, 201)


@blp.post("/teacher-warnings/<int:warning_id>/resolve")
@blp.arguments(TeacherResolveIn)
@blp.response(200, TeacherWarningDetailOut)
@blp.doc(**KEY_DOC)
@login_required
def resolve(body, warning_id):
    w = _detail(warning_id)
    return once(f"teacher-warning-resolve:{warning_id}", body,
                lambda: _flushed(teacher_warnings.resolve(current_user, w, body["text"])), TeacherWarningDetailOut)

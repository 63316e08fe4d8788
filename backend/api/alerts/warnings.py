from flask import jsonify, request
from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from backend.alerts import special_groups, warnings
from backend.api.common import KEY_DOC, once
from backend.auth.current import login_required
from backend.auth.policy import can
from backend.errors import Problem
from backend.extensions import db
from backend.models import SpecialGroupRecord
from backend.schemas.alerts import (
    CloseIn,
    InterventionIn,
    OwnWarningOut,
    SpecialGroupIn,
    SpecialGroupOut,
    SpecialGroupQuery,
    WarningDetailOut,
    WarningOut,
    WarningQuery,
    WarningResolveIn,
)

blp = Blueprint("warnings", __name__, url_prefix="/api/v1", description="Warnings and special groups")


def _detail(warning_id: int):
    return warnings.with_names([warnings.open_warning(current_user, warning_id, request.path)])[0]


@blp.get("/warnings")
@blp.arguments(WarningQuery, location="query")
@blp.response(200, WarningOut(many=True))
@login_required
def list_warnings(query):
    """Warnings the caller acts on, worst and oldest first (the alert inbox, a class's warnings)."""
    return warnings.with_names(warnings.staff_list(current_user, query["status"], query["class_id"], request.path))


@blp.get("/warnings/<int:warning_id>")
@blp.response(200, {"anyOf": [WarningDetailOut, OwnWarningOut]},
              description="The staff view (WarningDetailOut) to the roles the warning goes to; the student view "
                          "(OwnWarningOut) to the student it is about.")
@login_required
def get_warning(warning_id):
    """Evidence (the values past the line and the entries behind them) and the timeline, for the
    roles of the rule's chain. The student the warning is about gets the student view only (level,
    the rule's explanation and advice, status, dates, their own values): no case notes, no staff
    ids, no chain (least exposure, docs/DESIGN.md decision 7)."""
    w = _detail(warning_id)
    return jsonify((WarningDetailOut if can(current_user, "act", w) else OwnWarningOut)().dump(w))


@blp.post("/warnings/<int:warning_id>/acknowledge")
@blp.response(200, WarningDetailOut)
@blp.doc(**KEY_DOC)
@login_required
def acknowledge(warning_id):
    w = _detail(warning_id)
    return once(f"warning-ack:{warning_id}", {}, lambda: _flushed(warnings.acknowledge(current_user, w)), WarningDetailOut)


@blp.post("/warnings/<int:warning_id>/interventions")
@blp.arguments(InterventionIn)
@blp.response(201, WarningDetailOut)
@blp.doc(**KEY_DOC)
@login_required
def intervene(body, warning_id):
    """A case note or an action, with an optional follow-up date."""
    w = _detail(warning_id)
    return once(f"warning-note:{warning_id}", body, lambda: _flushed(warnings.intervene(
        current_user, w, body["kind"], body["text"], body["follow_up_on"])), WarningDetailOut, 201)


@blp.post("/warnings/<int:warning_id>/resolve")
@blp.arguments(WarningResolveIn)
@blp.response(200, WarningDetailOut)
@blp.doc(**KEY_DOC)
@login_required
def resolve(body, warning_id):
    w = _detail(warning_id)
    return once(f"warning-resolve:{warning_id}", body,
                lambda: _flushed(warnings.resolve(current_user, w, body["text"])), WarningDetailOut)


def _commit(obj):
    db.session.commit()
    return obj


def _flushed(obj):
    """Inside `once`, which commits the change with its answer: flush so the answer has ids."""
    db.session.flush()
    return obj


@blp.get("/me/warnings")
@blp.response(200, OwnWarningOut(many=True))
@login_required
def my_warnings():
    """The student's own warnings (not the need-to-know ones), with what to do next."""
    return warnings.own(current_user)


@blp.post("/special-groups")
@blp.arguments(SpecialGroupIn)
@blp.response(201, SpecialGroupOut)
@blp.doc(**KEY_DOC)
@login_required
def register(body):
    """Register a student in a special group with a reason and the person responsible."""
    return once("special-group", body, lambda: _flushed(special_groups.register(current_user, body)),
                SpecialGroupOut, 201)


@blp.get("/special-groups")
@blp.arguments(SpecialGroupQuery, location="query")
@blp.response(200, SpecialGroupOut(many=True))
@login_required
def list_groups(query):
    """Records the caller needs to know (audited)."""
    return special_groups.listing(current_user, query["group"], query["include_closed"], request.path)


@blp.post("/special-groups/<int:record_id>/close")
@blp.arguments(CloseIn)
@blp.response(200, SpecialGroupOut)
@login_required
def close_group(body, record_id):
    record = db.session.get(SpecialGroupRecord, record_id)
    if record is None:
        raise Problem(404, "未找到 / Not found")
    return _commit(special_groups.close(current_user, record, body["note"]))

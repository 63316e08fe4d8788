"""Mass-event incidents (issue 15): the class-level notice's screen, its decision, and reversing
a whole batch in one step."""
from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from backend.alerts import incidents
from backend.api.common import KEY_DOC, once
from backend.auth.current import login_required
from backend.extensions import db
from backend.schemas.alerts import (
    BatchReverseIn,
    BatchReverseOut,
    IncidentDecisionIn,
    IncidentOut,
    IncidentQuery,
)

blp = Blueprint("incidents", __name__, url_prefix="/api/v1",
                description="Mass events: one incident per closed session or batch that moved a class past a line")


@blp.get("/incidents")
@blp.arguments(IncidentQuery, location="query")
@blp.response(200, IncidentOut(many=True))
@login_required
def list_incidents(query):
    """The incidents the caller decides (the classes they head, the writes they made), open first."""
    return [incidents.describe(current_user, i) for i in incidents.visible(current_user, query["status"])]


@blp.get("/incidents/<int:incident_id>")
@blp.response(200, IncidentOut)
@login_required
def get_incident(incident_id):
    """What happened, to how many, the route to the correction, and whether the caller may decide."""
    return incidents.describe(current_user, incidents.get(current_user, incident_id))


@blp.post("/incidents/<int:incident_id>/decision")
@blp.arguments(IncidentDecisionIn)
@blp.response(200, IncidentOut)
@blp.doc(**KEY_DOC)
@login_required
def decide(body, incident_id):
    """记录无误 (confirmed) or 已更正 (corrected): the held warnings are evaluated on the records as they stand."""
    incident = incidents.get(current_user, incident_id)

    def write():
        incidents.decide(current_user, incident, body["decision"], body["note"])
        db.session.flush()
        return incidents.describe(current_user, incident)
    return once(f"incident:{incident_id}", body, write, IncidentOut)


@blp.post("/incidents/<int:incident_id>/reverse-batch")
@blp.arguments(BatchReverseIn)
@blp.response(200, BatchReverseOut)
@blp.doc(**KEY_DOC)
@login_required
def reverse_batch(body, incident_id):
    """Reverse every entry of the incident's batch in its class with one reason, all or nothing."""
    incident = incidents.get(current_user, incident_id)
    return once(f"incident-reverse:{incident_id}", body,
                lambda: incidents.reverse_batch(current_user, incident, body["reason"]), BatchReverseOut)

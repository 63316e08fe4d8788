"""Student cadres (班干部): the head teacher's grants and review, the cadre's own batches."""
from functools import partial

from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from backend.api.common import KEY_DOC, once
from backend.auth.current import login_required
from backend.org import directory
from backend.schemas.cadres import (
    CadreBatchOut,
    CadreBatchQuery,
    CadreGrantIn,
    CadreGrantOut,
    CadreReviewIn,
    ClassCadresOut,
    MyCadreOut,
)
from backend.schemas.org import TermQuery
from backend.schemas.valuecard import BatchOut, EntryBatchIn
from backend.valuecard import cadres

GRANTS = partial(CadreGrantOut, many=True)  # `once` dumps through schema()
blp = Blueprint("cadres", __name__, url_prefix="/api/v1",
                description="Student cadres: points a head teacher lets a student record for the class, and their review")


@blp.get("/classes/<int:class_id>/cadres")
@blp.arguments(TermQuery, location="query")
@blp.response(200, ClassCadresOut)
@login_required
def class_cadres(query, class_id):
    """The class's cadres and the points a cadre may be given (the class's head teacher)."""
    cls = cadres.get_class(current_user, class_id)
    return cadres.overview(cls, directory.term_or_current(query["term_id"]))


@blp.post("/classes/<int:class_id>/cadres")
@blp.arguments(CadreGrantIn)
@blp.response(201, CadreGrantOut(many=True))
@blp.doc(**KEY_DOC)
@login_required
def grant(body, class_id):
    """Let a student of the class record the given points from `starts_on` until revoked. 422 naming
    `student_id` (not of this class) or `points[i]` (not a cadre's point, or already granted). Audited."""
    cls = cadres.get_class(current_user, class_id)
    return once(f"cadres:{class_id}", body, lambda: cadres.grant(current_user, cls, directory.term_or_current(None), body),
                GRANTS, 201)


@blp.post("/cadre-grants/<int:grant_id>/revoke")
@blp.response(200, CadreGrantOut(many=True))
@blp.doc(**KEY_DOC)
@login_required
def revoke(grant_id):
    """End a grant now (the class's head teacher); what the cadre recorded stays. Audited."""
    return once(f"cadre-revoke:{grant_id}", {}, lambda: cadres.revoke(current_user, grant_id), GRANTS)


@blp.get("/cadre/me")
@blp.arguments(TermQuery, location="query")
@blp.response(200, MyCadreOut)
@login_required
def my_cadre(query):
    """A cadre's grants that run today, their classmates and their batches with the head teacher's review."""
    return cadres.mine(current_user, directory.term_or_current(query["term_id"]))


@blp.post("/cadre/entries")
@blp.arguments(EntryBatchIn)
@blp.response(201, BatchOut)
@blp.doc(**KEY_DOC)
@login_required
def record(body):
    """A cadre's batch, as POST /entries takes it, in the cadre's name; it waits for the head teacher's
    review. 422 naming `entries[i].student_id` for the cadre's own row, an ungranted point or another
    class; nothing is written then."""
    return once("cadre-entries", body,
                lambda: cadres.record(current_user, directory.term_or_current(body["term_id"]), body), BatchOut, 201)


@blp.get("/cadre-batches")
@blp.arguments(CadreBatchQuery, location="query")
@blp.response(200, CadreBatchOut(many=True))
@login_required
def batches(query):
    """The cadre batches of the classes the caller heads, newest first (`state=pending`: 待确认)."""
    return cadres.for_review(current_user, directory.term_or_current(query["term_id"]), query["state"])


@blp.post("/cadre-batches/<string:batch_id>/review")
@blp.arguments(CadreReviewIn)
@blp.response(200, CadreBatchOut)
@blp.doc(**KEY_DOC)
@login_required
def review(body, batch_id):
    """Confirm a cadre's batch, or reverse it with a reason (each entry's ledger reversal). One
    decision a batch: 409 after; 404 for a batch of a class the caller does not head."""
    return once(f"cadre-review:{batch_id}", body,
                lambda: cadres.review(current_user, batch_id, body["decision"], body["reason"]), CadreBatchOut)

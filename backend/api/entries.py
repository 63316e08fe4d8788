from flask import request
from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from backend.auth.current import login_required
from backend.auth.policy import SENSITIVE_READERS, authorize, roles_over_class
from backend.errors import Problem
from backend.extensions import db
from backend.models import ClassGroup, ScoreEntry, StudentProfile
from backend.schemas.entries import BatchOut, CardOut, EntryBatchIn, EntryOut, ReverseIn
from backend.schemas.org import TermQuery
from backend.services import audit, card, idempotency, ledger, org

blp = Blueprint("entries", __name__, url_prefix="/api/v1", description="Score entries (the value-card ledger)")


@blp.post("/entries")
@blp.arguments(EntryBatchIn)
@blp.response(201, BatchOut)
@blp.doc(parameters=[{"in": "header", "name": "Idempotency-Key", "required": True, "schema": {"type": "string"}}])
@login_required
def record_batch(body):
    """Enter one scoring point for one student or a whole class (up to 200 rows).

    All or nothing: any bad row answers 422 naming every bad row and field.
    Send a device-made Idempotency-Key: a retry returns the first answer and
    writes nothing.
    """
    return idempotency.run_once(current_user.id, request.headers.get(idempotency.KEY_HEADER), "entries", body,
                                lambda: (ledger.record_batch(current_user, org.term_or_current(body["term_id"]), body), 201))


@blp.post("/entries/<int:entry_id>/reverse")
@blp.arguments(ReverseIn)
@blp.response(201)
@login_required
def reverse(body, entry_id):
    """Correct an entry by reversing it, with a reason; then enter the right value."""
    entry = db.session.get(ScoreEntry, entry_id)
    if entry is None:
        raise Problem(404, "未找到 / Not found")
    return idempotency.run_once(current_user.id, request.headers.get(idempotency.KEY_HEADER),
                                f"reverse:{entry_id}", body,
                                lambda: (ledger.reverse(current_user, entry, body["reason"]), 201))


def _student_scope(student_id: int) -> tuple[StudentProfile, bool]:
    """The student, if visible, and whether this viewer may see sensitive points (reads are audited)."""
    profile = db.session.get(StudentProfile, student_id)
    authorize(current_user, "view", profile)
    own = profile.user_id == current_user.id
    sensitive = own or bool(roles_over_class(current_user, db.session.get(ClassGroup, profile.class_id))
                            & SENSITIVE_READERS)
    if sensitive and not own:
        audit.record(current_user.id, "read.sensitive", "student", str(student_id), request.path)
        db.session.commit()
    return profile, sensitive


@blp.get("/students/<int:student_id>/entries")
@blp.arguments(TermQuery, location="query")
@blp.response(200, EntryOut(many=True))
@login_required
def student_entries(query, student_id):
    """Every entry about a student this term; sensitive points only for those who act on them."""
    profile, sensitive = _student_scope(student_id)
    return ledger.student_entries(profile.user_id, org.term_or_current(query["term_id"]).id, include_sensitive=sensitive)


@blp.get("/students/<int:student_id>/card")
@blp.arguments(TermQuery, location="query")
@blp.response(200, CardOut)
@login_required
def student_card(query, student_id):
    """The development value card: points, domain subtotals, total, value added, class median."""
    profile, sensitive = _student_scope(student_id)
    return card.student_card(profile, org.term_or_current(query["term_id"]), include_sensitive=sensitive)

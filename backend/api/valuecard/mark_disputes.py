"""A student's own attendance marks, and disputes about them (issue 20)."""
from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from backend.api.common import KEY_DOC, once
from backend.auth.current import login_required
from backend.errors import Problem
from backend.notify import disputes as dispute_news
from backend.org import directory
from backend.schemas.org import TermQuery
from backend.schemas.valuecard import MarkDisputeIn, MarkDisputeOut, MarkResolveIn, MyMarksOut
from backend.valuecard import mark_disputes

blp = Blueprint("mark_disputes", __name__, url_prefix="/api/v1", description="My attendance marks and their disputes")


@blp.get("/me/attendance")
@blp.arguments(TermQuery, location="query")
@blp.response(200, MyMarksOut)
@login_required
def my_attendance(query):
    """Every attendance mark of mine this term (or `term_id`): date, course, status, who marked it, its dispute."""
    if current_user.student is None:
        raise Problem(403, "仅学生可查看 / Only students have attendance marks")
    return mark_disputes.my_marks(current_user, directory.term_or_current(query["term_id"]))


@blp.post("/me/attendance/disputes")
@blp.arguments(MarkDisputeIn)
@blp.response(201, MarkDisputeOut)
@blp.doc(**KEY_DOC)
@login_required
def dispute_mark(body):
    """Dispute my mark of a session, with a reason: 404 for a mark that is not mine, 409 while one is open,
    422 naming `session_id` past ATTENDANCE_DISPUTE_DAYS."""
    return once("mark-dispute", body, lambda: mark_disputes.raise_dispute(current_user, body["session_id"], body["reason"]),
                MarkDisputeOut, 201)


@blp.get("/me/attendance/disputes")
@blp.response(200, MarkDisputeOut(many=True))
@login_required
def my_mark_disputes():
    return mark_disputes.mine(current_user)


@blp.get("/mark-disputes")
@blp.response(200, MarkDisputeOut(many=True))
@login_required
def open_mark_disputes():
    """Open disputes about marks of sessions I run (my own sessions; my class's as head teacher)."""
    return mark_disputes.for_resolver(current_user)


@blp.post("/mark-disputes/<int:dispute_id>/resolve")
@blp.arguments(MarkResolveIn)
@blp.response(200, MarkDisputeOut)
@blp.doc(**KEY_DOC)
@login_required
def resolve_mark_dispute(body, dispute_id):
    """Uphold (the mark is corrected to `status`, audited, the card follows) or reject, with a reason;
    the student is told either way."""
    def write():
        answer = mark_disputes.resolve(current_user, dispute_id, body["action"], body["reason"], body["status"])
        dispute_news.mark_resolved(answer)
        return answer
    return once(f"mark-resolve:{dispute_id}", body, write, MarkDisputeOut)

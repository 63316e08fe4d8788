from flask import request
from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from backend.api.common import KEY_DOC, answers, download, once, once_prepared, uploaded
from backend.auth import access
from backend.auth.current import login_required
from backend.auth.policy import Resource, authorize
from backend.errors import Problem
from backend.extensions import db
from backend.models import ClassGroup, ScoreEntry
from backend.notify import disputes as dispute_news
from backend.org import directory
from backend.platform import clock
from backend.schemas.org import TermQuery
from backend.schemas.valuecard import (
    BatchOut,
    CardOut,
    ClassCardOut,
    CorrectionIn,
    CorrectionOut,
    DisputeIn,
    DisputeOut,
    EntryBatchIn,
    EntryOut,
    MeetingOut,
    MeetingsQuery,
    PeriodOut,
    PeriodsQuery,
    ResolveIn,
    ReverseIn,
    ReverseOut,
    SheetQuery,
)
from backend.valuecard import card, catalogue, disputes, ledger, occasions, scoring_sheet

blp = Blueprint("entries", __name__, url_prefix="/api/v1", description="Score entries (the value-card ledger)")


@blp.post("/entries")
@blp.arguments(EntryBatchIn)
@blp.response(201, BatchOut)
@blp.doc(**KEY_DOC)
@login_required
def record_batch(body):
    """Enter one scoring point for one student or a whole class (up to 200 rows).

    Individual points take `student_id` per row, class points `class_id`.
    All or nothing: any bad row answers 422 naming every bad row and field.
    A retry with the same Idempotency-Key returns the first answer and writes nothing.
    """
    return once_prepared("entries", body,
                         lambda: ledger.prepare_batch(current_user, directory.term_or_current(body["term_id"]), body),
                         BatchOut, 201)


@blp.post("/entries/<int:entry_id>/reverse")
@blp.arguments(ReverseIn)
@blp.response(201, ReverseOut)
@blp.doc(**KEY_DOC)
@login_required
def reverse(body, entry_id):
    """Correct an entry by reversing it, with a reason; then enter the right value."""
    entry = db.session.get(ScoreEntry, entry_id)
    if entry is None:
        raise Problem(404, "未找到 / Not found")
    return once(f"reverse:{entry_id}", body, lambda: ledger.reverse(current_user, entry, body["reason"]), ReverseOut, 201)


@blp.post("/entries/<int:entry_id>/correction")
@blp.arguments(CorrectionIn)
@blp.response(201, CorrectionOut)
@blp.doc(**KEY_DOC)
@login_required
def correction(body, entry_id):
    """Correct an entry in one step: reverse it with a reason and enter the right value, in one transaction.

    422 naming `value` when the value is outside the point's range (nothing written); 404 for an entry
    the caller does not score; an open dispute on the entry is resolved by it and its student told."""
    def write():
        answer = disputes.correct(current_user, entry_id, body["reason"], body["value"])
        if answer["dispute"]:
            dispute_news.resolved(answer["dispute"])
        return answer
    return once(f"correction:{entry_id}", body, write, CorrectionOut, 201)


@blp.get("/points/<code>/periods")
@blp.arguments(PeriodsQuery, location="query")
@blp.response(200, PeriodOut(many=True))
@login_required
def periods(query, code):
    """The periods a point may be entered for in the term, newest first, in words (zh and en)."""
    authorize(current_user, "view", Resource.CATALOGUE)
    term = directory.term_or_current(query["term_id"])
    return ledger.allowed_periods(catalogue.rule(term, code), term, clock.school_today())


@blp.get("/classes/<int:class_id>/meetings")
@blp.arguments(MeetingsQuery, location="query")
@blp.response(200, MeetingOut(many=True))
@login_required
def meetings(query, class_id):
    """The course meetings of a class I may record a per-meeting point for (my own sessions of the
    last two weeks; all of them for the head teacher), newest first, with date, time and course."""
    cls = db.session.get(ClassGroup, class_id)
    authorize(current_user, "view_roster", cls)
    term = directory.term_or_current(query["term_id"])
    return occasions.recent_sessions(current_user, catalogue.rule(term, query["point"]), cls, term)


@blp.get("/students/<int:student_id>/entries")
@blp.arguments(TermQuery, location="query")
@blp.response(200, EntryOut(many=True))
@login_required
def student_entries(query, student_id):
    """Every entry about a student this term; sensitive points only for those who act on them."""
    profile, sensitive = access.student(current_user, student_id, request.path)
    return ledger.student_entries(profile.user_id, directory.term_or_current(query["term_id"]).id, include_sensitive=sensitive)


@blp.get("/students/<int:student_id>/card")
@blp.arguments(TermQuery, location="query")
@blp.response(200, CardOut)
@login_required
def student_card(query, student_id):
    """The development value card: points, subtotals, total, value added, class median, weekly and monthly history."""
    profile, sensitive = access.student(current_user, student_id, request.path)
    return card.student_card(profile, directory.term_or_current(query["term_id"]), include_sensitive=sensitive)


@blp.get("/classes/<int:class_id>/card")
@blp.arguments(TermQuery, location="query")
@blp.response(200, ClassCardOut)
@login_required
def class_card(query, class_id):
    """The class's collective card: aggregates computed from its students, the rest as entered."""
    cls, sensitive = access.class_group(current_user, class_id, request.path)
    return card.class_card(cls, directory.term_or_current(query["term_id"]), include_sensitive=sensitive)


@blp.post("/entries/<int:entry_id>/disputes")
@blp.arguments(DisputeIn)
@blp.response(201, DisputeOut)
@blp.doc(**KEY_DOC)
@login_required
def dispute(body, entry_id):
    """A student disputes an entry about them; the scorer sees it and resolves it."""
    return once(f"dispute:{entry_id}", body, lambda: disputes.raise_dispute(current_user, entry_id, body["reason"]),
                DisputeOut, 201)


@blp.get("/me/disputes")
@blp.response(200, DisputeOut(many=True))
@login_required
def my_disputes():
    return disputes.mine(current_user)


@blp.get("/disputes")
@blp.response(200, DisputeOut(many=True))
@login_required
def open_disputes():
    """Open disputes about points I score."""
    return disputes.for_scorer(current_user)


@blp.post("/disputes/<int:dispute_id>/resolve")
@blp.arguments(ResolveIn)
@blp.response(200, DisputeOut)
@blp.doc(**KEY_DOC)
@login_required
def resolve(body, dispute_id):
    """Reverse the entry (optionally entering the right value) or reject the dispute, with a reason."""
    def write():
        answer = disputes.resolve(current_user, dispute_id, body["action"], body["reason"], body["value"])
        dispute_news.resolved(answer)
        return answer
    return once(f"resolve:{dispute_id}", body, write, DisputeOut)


@blp.get("/classes/<int:class_id>/scoring-sheet")
@blp.arguments(SheetQuery, location="query")
@answers(blp, "xlsx", description="The scoring sheet")
@login_required
def scoring_sheet_download(query, class_id):
    """An .xlsx scoring sheet for a class, point and period, with the students filled in."""
    cls, _ = access.class_group(current_user, class_id, request.path)
    data = scoring_sheet.build(cls, directory.term_or_current(query["term_id"]), query["point"], query["period"],
                               query["session_id"])
    return download(data, "xlsx", f"{cls.name}-{query['point']}")


@blp.post("/classes/<int:class_id>/scoring-sheet")
@blp.response(201, BatchOut)
@blp.doc(**KEY_DOC)
@login_required
def scoring_sheet_upload(class_id):
    """Upload a filled scoring sheet (multipart field `file`): same checks and all-or-nothing as POST /entries;
    errors name the cell (e.g. C7)."""
    cls, _ = access.class_group(current_user, class_id, request.path)
    batch, cells = scoring_sheet.parse(cls, uploaded()[1])  # 413 past UPLOAD_MAX_BYTES
    return once("entries", batch, lambda: scoring_sheet.record(current_user, batch, cells), BatchOut, 201)

from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from backend.api.common import KEY_DOC, once
from backend.auth.current import login_required
from backend.auth.policy import authorize
from backend.extensions import db
from backend.models import ClassGroup
from backend.org import directory
from backend.platform import clock
from backend.schemas.org import TermQuery
from backend.schemas.valuecard import (
    CheckinCodeOut,
    CheckinIn,
    CheckinOut,
    DecisionIn,
    LeaveIn,
    LeaveOut,
    MarksIn,
    MarksOut,
    SessionBriefOut,
    SessionIn,
    SessionOut,
)
from backend.valuecard import attendance, leave

blp = Blueprint("attendance", __name__, url_prefix="/api/v1", description="Class sessions, check-in and leave")


@blp.post("/sessions")
@blp.arguments(SessionIn)
@blp.response(201, SessionOut)
@blp.doc(**KEY_DOC)
@login_required
def open_session(body):
    """Open a class session (course teacher or head teacher); students check in with its rotating code."""
    return once("sessions", body, lambda: attendance.describe(attendance.open_session(
        current_user, body["class_id"], body["course_id"], body["starts_at"], body["grace_minutes"]), clock.now()),
        SessionOut, 201)


@blp.get("/sessions/<int:session_id>")
@blp.response(200, SessionOut)
@login_required
def get_session(session_id):
    """Who is in, who is not, and the current check-in code."""
    return attendance.describe(attendance.get_session(current_user, session_id), clock.now())


@blp.get("/sessions/<int:session_id>/code")
@blp.response(200, CheckinCodeOut)
@login_required
def session_code(session_id):
    """The code to show the class now; it rotates every 30 seconds."""
    return attendance.current_code(attendance.get_session(current_user, session_id), clock.now())


@blp.put("/sessions/<int:session_id>/marks")
@blp.arguments(MarksIn)
@blp.response(200, MarksOut)
@blp.doc(**KEY_DOC)
@login_required
def set_marks(body, session_id):
    """Mark or correct students in bulk: present, late, absent or leave. All or nothing."""
    session = attendance.get_session(current_user, session_id)
    return once(f"marks:{session_id}", body, lambda: attendance.set_marks(current_user, session, body["marks"]),
                MarksOut)


@blp.post("/sessions/<int:session_id>/close")
@blp.response(200, SessionOut)
@blp.doc(**KEY_DOC)
@login_required
def close_session(session_id):
    """Stop check-in; everyone unmarked becomes absent (or on leave where leave was approved)."""
    session = attendance.get_session(current_user, session_id)
    return once(f"close:{session_id}", {}, lambda: attendance.close(current_user, session, clock.now()), SessionOut)


@blp.get("/classes/<int:class_id>/sessions")
@blp.arguments(TermQuery, location="query")
@blp.response(200, SessionBriefOut(many=True))
@login_required
def class_sessions(query, class_id):
    cls = db.session.get(ClassGroup, class_id)
    authorize(current_user, "view_roster", cls)
    return attendance.class_sessions(cls, directory.term_or_current(query["term_id"]).id)


@blp.post("/checkin")
@blp.arguments(CheckinIn)
@blp.response(200, CheckinOut)
@blp.doc(**KEY_DOC)
@login_required
def check_in(body):
    """A student checks in with the code on the teacher's screen; after the grace period it counts as late."""
    return once("checkin", body, lambda: attendance.check_in(current_user, body["code"], clock.now()), CheckinOut)


@blp.get("/me/sessions")
@blp.response(200, SessionBriefOut(many=True))
@login_required
def my_sessions():
    """My class's sessions taking check-ins now."""
    return attendance.open_sessions_for(current_user, clock.now())


@blp.post("/leave-requests")
@blp.arguments(LeaveIn)
@blp.response(201, LeaveOut)
@blp.doc(**KEY_DOC)
@login_required
def apply_leave(body):
    """A student applies for leave; the head teacher decides."""
    return once("leave", body, lambda: leave.apply(current_user, body["starts_at"], body["ends_at"], body["reason"]),
                LeaveOut, 201)


@blp.get("/me/leave-requests")
@blp.response(200, LeaveOut(many=True))
@login_required
def my_leave():
    return leave.mine(current_user)


@blp.get("/leave-requests")
@blp.response(200, LeaveOut(many=True))
@login_required
def pending_leave():
    """Pending requests from the classes I decide leave for."""
    return leave.pending(current_user)


@blp.post("/leave-requests/<int:leave_id>/decision")
@blp.arguments(DecisionIn)
@blp.response(200, LeaveOut)
@blp.doc(**KEY_DOC)
@login_required
def decide_leave(body, leave_id):
    """Approve (absences in the window become leave) or reject, with a comment."""
    return once(f"leave:{leave_id}", body, lambda: leave.decide(current_user, leave_id, body["approve"], body["comment"]),
                LeaveOut)

"""The student's home in one answer: what the dashboard shows and nothing more.

The full card (`/students/<id>/card`) also works out the class median and the card at the end of
every week of the term; the home shows only the total and the change since last term, so this
answer computes only those, with the check-ins open now and how far the self-assessment is,
in one request instead of four (issue 14: a home over a slow phone link).
"""
from flask import request
from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from backend.auth import access
from backend.auth.current import login_required
from backend.development import assessment
from backend.errors import Problem
from backend.extensions import db
from backend.models import ClassGroup
from backend.org import directory
from backend.platform import clock
from backend.schemas.home import StudentHomeOut
from backend.valuecard import attendance, card

blp = Blueprint("home", __name__, url_prefix="/api/v1/me", description="The home screen's summary")


@blp.get("/home")
@blp.response(200, StudentHomeOut)
@login_required
def student_home():
    """A student's dashboard: class, card total and change since last term, check-ins open now,
    self-assessment progress this term. Staff homes read their lists (warnings, leave, disputes)."""
    if current_user.student is None:
        raise Problem(404, "未找到 / Not found")
    profile, sensitive = access.student(current_user, current_user.id, request.path)
    term = directory.term_or_current(None)
    total = card.cards_for([profile.user_id], term, sensitive)[profile.user_id].total
    before = card.previous_term(term)
    previous = card.cards_for([profile.user_id], before, sensitive)[profile.user_id].total if before else None
    mine = assessment.find(profile.user_id, current_user.id, term)
    cls = db.session.get(ClassGroup, profile.class_id)
    return {
        "class_name": cls.name,
        "department": cls.major.department.name,
        "total": total,
        "value_added": round(total - previous, 2) if total is not None and previous is not None else None,
        "open_sessions": len(attendance.open_sessions_for(current_user, clock.now())),
        "assessment_status": mine.status if mine else "not_started",
        "assessment_answered": len(mine.answers or {}) if mine else 0,
    }

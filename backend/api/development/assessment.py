from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from backend.api.common import answers
from backend.auth.current import login_required
from backend.auth.policy import authorize, can
from backend.development import assessment
from backend.errors import Problem
from backend.extensions import db
from backend.models import SelfAssessment, StudentProfile
from backend.org import directory
from backend.schemas.development import AssessmentIn, AssessmentOut, ResultOut
from backend.schemas.org import TermQuery

blp = Blueprint("assessment", __name__, url_prefix="/api/v1", description="The self-assessment questionnaire (seed 001)")


def _subject(student_id: int) -> StudentProfile:
    """A student the caller may assess: themselves, a classmate, a student of their class."""
    profile = db.session.get(StudentProfile, student_id)
    if profile is None or not can(current_user, "assess", profile):
        raise Problem(404, "未找到 / Not found")
    return profile


@blp.get("/self-assessment")
@answers(blp, "json", description="The questionnaire")
@login_required
def instrument():
    """The questionnaire: 4 dimensions × 5 elements × 4 levels in zh-CN and English, the levels,
    and the 7 second-classroom modules."""
    return assessment.instrument()


@blp.get("/students/<int:student_id>/self-assessment")
@blp.arguments(TermQuery, location="query")
@blp.response(200, AssessmentOut)
@login_required
def my_answers(query, student_id):
    """The caller's answers about the student this term (their own, or an others' assessment), to resume."""
    profile, term = _subject(student_id), directory.term_or_current(query["term_id"])
    return assessment.find(profile.user_id, current_user.id, term) or SelfAssessment(
        subject_id=profile.user_id, term_id=term.id, answers={}, status="not_started")


@blp.put("/students/<int:student_id>/self-assessment")
@blp.arguments(AssessmentIn)
@blp.response(200, AssessmentOut)
@login_required
def save_answers(body, student_id):
    """Save some or all answers (resumable); `submit` needs all twenty and makes them read-only.
    Saving the same answers again changes nothing, so a retry is safe."""
    profile, term = _subject(student_id), directory.term_or_current(body["term_id"])
    found = assessment.save(current_user, profile, term, body["answers"], body["submit"])
    db.session.commit()
    return found


@blp.get("/students/<int:student_id>/self-assessment/result")
@blp.arguments(TermQuery, location="query")
@blp.response(200, ResultOut)
@login_required
def result(query, student_id):
    """The radar: this term, the previous term, the class median, others' view; and suggestions."""
    profile = db.session.get(StudentProfile, student_id)
    authorize(current_user, "view_development", profile)
    return assessment.result(profile, directory.term_or_current(query["term_id"]))

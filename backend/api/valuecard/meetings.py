from datetime import date

from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from backend.api.common import KEY_DOC, once
from backend.auth.current import login_required
from backend.auth.policy import authorize
from backend.errors import Problem
from backend.extensions import db
from backend.models import CourseOffering
from backend.platform import clock
from backend.schemas.timetable import CourseAttendanceOut, MeetingSessionIn, MeetingSessionOut, TodayOut
from backend.valuecard import meetings

blp = Blueprint("meetings", __name__, url_prefix="/api/v1", description="Class sessions from timetabled meetings")


@blp.get("/me/meetings/today")
@blp.response(200, TodayOut)
@login_required
def my_meetings_today():
    """A course teacher's meetings today from the timetable, with any sessions already opened."""
    return meetings.today(current_user, clock.now())


@blp.post("/meetings/<int:slot_id>/<string:day>/session")
@blp.arguments(MeetingSessionIn)
@blp.response(200, MeetingSessionOut)
@blp.doc(**KEY_DOC)
@login_required
def open_meeting(body, slot_id, day):
    """Open the meeting's class session(s): one per class, sharing one check-in code; unique per
    slot, class and day (a second call answers the same sessions). `checkin: false` makes a plain
    meeting record to mark and score against."""
    try:
        when = date.fromisoformat(day)
    except ValueError:
        when = None
    if when is None:
        raise Problem(422, "请求数据有误 / Invalid request data", errors={"day": ["日期格式应为 YYYY-MM-DD / Use YYYY-MM-DD."]})
    return once(f"meeting:{slot_id}:{day}", body, lambda: meetings.open_meeting(
        current_user, slot_id, when, body["checkin"], body["grace_minutes"]), MeetingSessionOut)


@blp.get("/offerings/<int:offering_id>/attendance")
@blp.response(200, CourseAttendanceOut)
@login_required
def course_attendance(offering_id):
    """Attendance in this course's sessions, per class of the offering."""
    offering = db.session.get(CourseOffering, offering_id)
    authorize(current_user, "view", offering)
    return meetings.course_attendance(offering)

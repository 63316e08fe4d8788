from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from backend.api.common import KEY_DOC, answers, download, once, uploaded
from backend.auth.current import login_required
from backend.auth.policy import authorize
from backend.auth.policy.timetable import TIMETABLE
from backend.errors import Problem
from backend.extensions import db
from backend.models import CourseOffering, Term, TimetableSlot
from backend.org import directory, school_calendar, timetable, timetable_import
from backend.platform import clock
from backend.schemas.timetable import (
    CalendarIn,
    CalendarOut,
    CourseOut,
    ImportOut,
    ImportQuery,
    OfferingIn,
    OfferingOut,
    SlotIn,
    SlotOut,
    TemplateQuery,
    TimetableQuery,
    WeekOut,
    WeekQuery,
)

blp = Blueprint("timetable", __name__, url_prefix="/api/v1",
                description="Course offerings, the weekly timetable and its import, the holiday calendar")


def _term(term_id: int) -> Term:
    term = db.session.get(Term, term_id)
    if term is None:
        raise Problem(404, "未找到 / Not found")
    return term


def _week(term: Term, week: int | None) -> int:
    return week or min(max(term.week_of(clock.school_today()), 1), term.weeks)


@blp.get("/courses")
@blp.response(200, CourseOut(many=True))
@login_required
def courses():
    """Every course of the school (the import creates new ones from the academic-affairs export)."""
    authorize(current_user, "view", TIMETABLE)
    return timetable.courses()


@blp.get("/terms/<int:term_id>/offerings")
@blp.response(200, OfferingOut(many=True))
@login_required
def offerings(term_id):
    """The term's course offerings with their classes and weekly slots."""
    authorize(current_user, "view", TIMETABLE)
    return timetable.list_offerings(_term(term_id))


@blp.post("/terms/<int:term_id>/offerings")
@blp.arguments(OfferingIn)
@blp.response(201, OfferingOut)
@blp.doc(**KEY_DOC)
@login_required
def add_offering(body, term_id):
    """A course taught by a teacher to one or more (merged) classes; the teacher becomes a course teacher of each."""
    authorize(current_user, "edit", TIMETABLE)
    term = _term(term_id)
    return once(f"offerings:{term_id}", body, lambda: timetable.save_offering(current_user, term, body),
                OfferingOut, 201)


@blp.put("/offerings/<int:offering_id>")
@blp.arguments(OfferingIn)
@blp.response(200, OfferingOut)
@blp.doc(**KEY_DOC)
@login_required
def change_offering(body, offering_id):
    offering = db.session.get(CourseOffering, offering_id)
    authorize(current_user, "edit", offering)
    term = db.session.get(Term, offering.term_id)
    return once(f"offering:{offering_id}", body, lambda: timetable.save_offering(current_user, term, body, offering),
                OfferingOut)


@blp.delete("/offerings/<int:offering_id>")
@blp.response(204)
@login_required
def remove_offering(offering_id):
    offering = db.session.get(CourseOffering, offering_id)
    authorize(current_user, "edit", offering)
    timetable.delete_offering(current_user, offering)
    db.session.commit()


@blp.post("/offerings/<int:offering_id>/slots")
@blp.arguments(SlotIn)
@blp.response(201, SlotOut)
@blp.doc(**KEY_DOC)
@login_required
def add_slot(body, offering_id):
    """A weekly meeting. Overlapping another slot of a class, the teacher or the room (same weekday,
    a common period and week) is a 422 naming `periods` or `room`."""
    offering = db.session.get(CourseOffering, offering_id)
    authorize(current_user, "edit", offering)
    return once(f"slots:{offering_id}", body, lambda: timetable.add_slot(current_user, offering, body), SlotOut, 201)


@blp.delete("/slots/<int:slot_id>")
@blp.response(204)
@login_required
def remove_slot(slot_id):
    slot = db.session.get(TimetableSlot, slot_id)
    authorize(current_user, "edit", slot)
    timetable.delete_slot(current_user, slot)
    db.session.commit()


@blp.get("/terms/<int:term_id>/timetable")
@blp.arguments(TimetableQuery, location="query")
@blp.response(200, WeekOut)
@login_required
def term_timetable(query, term_id):
    """One week (default: this one) of a class's or a teacher's timetable, a list of meetings per day."""
    authorize(current_user, "view", TIMETABLE)
    term = _term(term_id)
    return timetable.week(term, _week(term, query["week"]), timetable.list_offerings(
        term, teacher_id=query["teacher_id"], class_id=query["class_id"]))


@blp.get("/me/timetable")
@blp.arguments(WeekQuery, location="query")
@blp.response(200, WeekOut)
@login_required
def my_timetable(query):
    """My week: a student's class timetable, a teacher's own meetings; holidays and make-up days applied."""
    term = directory.term_or_current(query["term_id"])
    if current_user.student is not None:
        rows = timetable.list_offerings(term, class_id=current_user.student.class_id)
    else:
        rows = timetable.list_offerings(term, teacher_id=current_user.id)
    return timetable.week(term, _week(term, query["week"]), rows)


@blp.get("/terms/<int:term_id>/holidays")
@blp.response(200, CalendarOut)
@login_required
def holidays(term_id):
    """The term's holidays and make-up working days, and its teaching weeks."""
    return school_calendar.describe(_term(term_id))


@blp.put("/terms/<int:term_id>/holidays")
@blp.arguments(CalendarIn)
@blp.response(200, CalendarOut)
@blp.doc(**KEY_DOC)
@login_required
def set_holidays(body, term_id):
    """Replace the term's calendar with this list (all or nothing; audited)."""
    authorize(current_user, "edit", TIMETABLE)
    term = _term(term_id)
    return once(f"holidays:{term_id}", body, lambda: school_calendar.replace_days(current_user, term, body["days"]),
                CalendarOut)


@blp.post("/timetable/import")
@blp.arguments(ImportQuery, location="query")
@blp.response(200, ImportOut)
@login_required
def import_timetable(query):
    """Upload the academic-affairs export (.xlsx or .csv, multipart field `file`). Without `apply`
    a preview: what would be created. Any bad row answers 422 listing every row, column and value,
    and nothing is written; importing the same file twice changes nothing."""
    authorize(current_user, "edit", TIMETABLE)
    term = directory.term_or_current(query["term_id"])
    result = timetable_import.import_timetable(current_user, term, *uploaded(), query["apply"])
    db.session.commit()
    return result


@blp.get("/timetable/template")
@blp.arguments(TemplateQuery, location="query")
@answers(blp, "csv", "xlsx", description="The template, as `format` asks")
@login_required
def template(query):
    """The import template with two example rows (one of merged classes on odd weeks)."""
    authorize(current_user, "edit", TIMETABLE)
    if query["format"] == "xlsx":
        return download(timetable_import.template_xlsx(), "xlsx", "spiral-timetable-template")
    return download(timetable_import.template_csv(), "csv", "spiral-timetable-template")

"""Courses, the timetable, the holiday calendar and sessions from meetings (issue 16)."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from backend.schemas.common import StrictSchema

WEEKDAY = validate.Range(1, 7)
PERIOD = validate.Range(1, 12)


class OfferingIn(StrictSchema):
    course_id = fields.Integer(required=True)
    teacher_id = fields.Integer(load_default=None, metadata={"description": "or teacher_number"})
    teacher_number = fields.String(load_default=None, validate=validate.Length(1, 32),
                                   metadata={"description": "the teacher's staff number (工号), instead of teacher_id"})
    class_ids = fields.List(fields.Integer(), required=True, validate=validate.Length(min=1, max=20))

    @validates_schema
    def _one_teacher(self, data, **_):
        if (data.get("teacher_id") is None) == (data.get("teacher_number") is None):
            raise ValidationError("请给出教师工号或教师 id（二选一） / Give teacher_number or teacher_id, one of them.",
                                  "teacher_number")


class CourseOut(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()


class SlotIn(StrictSchema):
    weekday = fields.Integer(required=True, validate=WEEKDAY)
    first_period = fields.Integer(required=True, validate=PERIOD)
    last_period = fields.Integer(required=True, validate=PERIOD)
    weeks = fields.String(required=True, validate=validate.Length(1, 60),
                          metadata={"description": "e.g. 1-16, 1-8,10-16, 1-16(单), 2-16(双)"})
    room = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=60))


class SlotOut(Schema):
    id = fields.Integer()
    offering_id = fields.Integer()
    weekday = fields.Integer()
    first_period = fields.Integer()
    last_period = fields.Integer()
    room = fields.String(allow_none=True)
    weeks = fields.String()
    week_list = fields.List(fields.Integer())


class ClassNameOut(Schema):
    id = fields.Integer()
    name = fields.String()


class OfferingOut(Schema):
    id = fields.Integer()
    term_id = fields.Integer()
    course_id = fields.Integer()
    course = fields.String()
    teacher_id = fields.Integer()
    teacher = fields.String()
    classes = fields.List(fields.Nested(ClassNameOut))
    slots = fields.List(fields.Nested(SlotOut))


class MeetingOut(Schema):
    slot_id = fields.Integer()
    offering_id = fields.Integer()
    course = fields.String()
    teacher = fields.String()
    classes = fields.List(fields.Nested(ClassNameOut))
    room = fields.String(allow_none=True)
    first_period = fields.Integer()
    last_period = fields.Integer()
    starts = fields.String()
    ends = fields.String()
    sessions = fields.List(fields.Dict())


class DayOut(Schema):
    day = fields.Date()
    weekday = fields.Integer()
    runs_weekday = fields.Integer(allow_none=True)
    holiday = fields.String(allow_none=True)
    kind = fields.String(allow_none=True)
    meetings = fields.List(fields.Nested(MeetingOut))


class WeekOut(Schema):
    term_id = fields.Integer()
    week = fields.Integer()
    weeks = fields.Integer()
    teaching = fields.Boolean()
    days = fields.List(fields.Nested(DayOut))


class WeekQuery(StrictSchema):
    week = fields.Integer(load_default=None, validate=validate.Range(1, 30))
    term_id = fields.Integer(load_default=None)


class TimetableQuery(WeekQuery):
    class_id = fields.Integer(load_default=None)
    teacher_id = fields.Integer(load_default=None)


class TodayOut(Schema):
    day = fields.Date()
    week = fields.Integer(allow_none=True)
    meetings = fields.List(fields.Nested(MeetingOut))


class TermDayIn(StrictSchema):
    day = fields.Date(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(["holiday", "workday"]))
    name = fields.String(required=True, validate=validate.Length(1, 60))
    runs_weekday = fields.Integer(load_default=None, allow_none=True, validate=WEEKDAY)


class CalendarIn(StrictSchema):
    days = fields.List(fields.Nested(TermDayIn), required=True, validate=validate.Length(max=120))


class TermDayOut(Schema):
    day = fields.Date()
    kind = fields.String()
    name = fields.String()
    runs_weekday = fields.Integer(allow_none=True)
    week = fields.Integer()


class CalendarOut(Schema):
    term_id = fields.Integer()
    weeks = fields.Integer()
    teaching_weeks = fields.List(fields.Integer())
    days = fields.List(fields.Nested(TermDayOut))


class MeetingSessionIn(StrictSchema):
    checkin = fields.Boolean(load_default=True, metadata={"description": "false: a meeting record, no check-in"})
    grace_minutes = fields.Integer(load_default=10, validate=validate.Range(0, 60))


class MeetingSessionRefOut(Schema):
    id = fields.Integer()
    class_id = fields.Integer()
    class_name = fields.String()
    course_id = fields.Integer()
    starts_at = fields.AwareDateTime()
    closed = fields.Boolean()


class MeetingSessionOut(Schema):
    slot_id = fields.Integer()
    day = fields.Date()
    created = fields.Integer()
    sessions = fields.List(fields.Nested(MeetingSessionRefOut))


class CourseAttendanceOut(Schema):
    offering_id = fields.Integer()
    course_id = fields.Integer()
    course_name = fields.String()
    classes = fields.List(fields.Dict())


class ImportQuery(StrictSchema):
    term_id = fields.Integer(load_default=None)
    apply = fields.Boolean(load_default=False)


class ImportOut(Schema):
    rows = fields.Integer()
    courses_created = fields.List(fields.String())
    offerings_created = fields.Integer()
    slots_created = fields.Integer()
    slots_unchanged = fields.Integer()
    applied = fields.Boolean()
    preview = fields.List(fields.Dict())


class TemplateQuery(StrictSchema):
    format = fields.String(load_default="xlsx", validate=validate.OneOf(["xlsx", "csv"]))

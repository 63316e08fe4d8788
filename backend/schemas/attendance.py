from marshmallow import Schema, fields, validate

from backend.models.attendance import MARKS
from backend.schemas.common import StrictSchema


class SessionIn(StrictSchema):
    class_id = fields.Integer(required=True)
    course_id = fields.Integer(load_default=None)
    starts_at = fields.AwareDateTime(load_default=None, metadata={"description": "defaults to now"})
    grace_minutes = fields.Integer(load_default=10, validate=validate.Range(0, 60))


class CheckinCodeOut(Schema):
    code = fields.String()
    seconds_left = fields.Integer()
    rotates_every = fields.Integer()


class MarkOut(Schema):
    student_id = fields.Integer()
    name = fields.String()
    username = fields.String()
    status = fields.String(allow_none=True)
    source = fields.String(allow_none=True)
    marked_at = fields.DateTime(allow_none=True)


class SessionOut(Schema):
    id = fields.Integer()
    class_id = fields.Integer()
    course_id = fields.Integer(allow_none=True)
    starts_at = fields.DateTime()
    grace_minutes = fields.Integer()
    day = fields.Date()
    week = fields.Integer()
    closed = fields.Boolean()
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    students = fields.List(fields.Nested(MarkOut))
    checkin = fields.Nested(CheckinCodeOut, allow_none=True)


class SessionBriefOut(Schema):
    id = fields.Integer()
    course_id = fields.Integer(allow_none=True)
    starts_at = fields.DateTime()
    teacher_id = fields.Integer()
    closed = fields.Boolean()
    status = fields.String(allow_none=True, metadata={"description": "the student's own mark"})


class MarkIn(StrictSchema):
    student_id = fields.Integer(required=True)
    status = fields.String(required=True, validate=validate.OneOf(MARKS))


class MarksIn(StrictSchema):
    marks = fields.List(fields.Nested(MarkIn), required=True, validate=validate.Length(1, 200))


class MarksOut(Schema):
    session_id = fields.Integer()
    marked = fields.Integer()
    corrected = fields.Integer()


class CheckinIn(StrictSchema):
    code = fields.String(required=True, validate=validate.Regexp(r"^\d{6}$", error="6 位数字 / Six digits."))


class CheckinOut(Schema):
    session_id = fields.Integer()
    status = fields.String()
    starts_at = fields.DateTime()


class LeaveIn(StrictSchema):
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    reason = fields.String(required=True, validate=validate.Length(2, 500))


class DecisionIn(StrictSchema):
    approve = fields.Boolean(required=True)
    comment = fields.String(load_default=None, validate=validate.Length(max=500))


class LeaveOut(Schema):
    id = fields.Integer()
    student_id = fields.Integer()
    student_name = fields.String(allow_none=True)
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    reason = fields.String()
    status = fields.String()
    comment = fields.String(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)

"""Validation for the value card: entries and batches, the card, attendance and leave, the catalogue."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from backend.auth.roles import Role
from backend.models.attendance import MARKS
from backend.schemas.common import StrictSchema
from backend.valuecard.ledger import MAX_BATCH


def reason_field() -> fields.String:
    """Why an entry is reversed, disputed or a dispute resolved: required, said in words."""
    return fields.String(required=True, validate=validate.Length(2, 500, error="原因须为 2–500 字 / A reason of 2–500 characters."),
                         error_messages={"required": "请填写原因 / Give a reason."})


class EntryRowIn(StrictSchema):
    student_id = fields.Integer(metadata={"description": "for individual points"})
    class_id = fields.Integer(metadata={"description": "for class (collective) points"})
    value = fields.Float(required=True, allow_nan=False)


class EntryBatchIn(StrictSchema):
    point = fields.String(required=True, metadata={"example": "S-A-06"})
    period = fields.String(load_default=None, metadata={"description": "week:N, month:YYYY-MM, day:YYYY-MM-DD or term"})
    term_id = fields.Integer(load_default=None, metadata={"description": "defaults to the current term"})
    session_id = fields.Integer(load_default=None, metadata={
        "description": "the course meeting (class session) a per-meeting point (S-A-05/06) is for; fixes the period"})
    occasion_title = fields.String(load_default=None, validate=validate.Length(max=80), metadata={
        "description": "a class meeting's theme (points scored per class meeting)"})
    entries = fields.List(fields.Nested(EntryRowIn), required=True,
                          validate=validate.Length(1, MAX_BATCH, error=f"1–{MAX_BATCH} rows per batch."))


class BatchOut(Schema):
    batch_id = fields.String()
    point = fields.String()
    period = fields.String()
    term_id = fields.Integer()
    count = fields.Integer()
    occasion = fields.String(metadata={"description": "session:<id>, meeting:<date>, or empty for a per-period point"})


class ReverseIn(StrictSchema):
    reason = reason_field()


class CorrectionIn(StrictSchema):
    reason = reason_field()
    value = fields.Float(required=True, allow_nan=False, metadata={"description": "the right value, within the point's range"},
                         error_messages={"required": "请填写正确的值 / Give the right value."})


class PeriodWords(Schema):
    period = fields.String(metadata={"description": "the key the API takes: week:N, month:YYYY-MM, day:YYYY-MM-DD, term"})
    period_zh = fields.String(metadata={"example": "第14周"})
    period_en = fields.String(metadata={"example": "Week 14"})


class CorrectionOut(PeriodWords):
    reversed = fields.Integer(metadata={"description": "the entry reversed"})
    reversal_batch_id = fields.String()
    entry_id = fields.Integer(metadata={"description": "the entry holding the right value"})
    point = fields.String()
    value = fields.Float()
    dispute = fields.Nested("DisputeOut", allow_none=True, metadata={"description": "an open dispute this resolved"})


class PeriodOut(Schema):
    key = fields.String(metadata={"description": "what POST /entries takes as period"})
    label_zh = fields.String()
    label_en = fields.String()
    current = fields.Boolean(metadata={"description": "today's period: the picker's default"})


class PeriodsQuery(StrictSchema):
    term_id = fields.Integer(load_default=None)


class MeetingsQuery(StrictSchema):
    point = fields.String(required=True, metadata={"example": "S-A-06"})
    term_id = fields.Integer(load_default=None)


class MeetingOut(Schema):
    id = fields.Integer(metadata={"description": "the session_id POST /entries takes"})
    day = fields.Date()
    starts_at = fields.DateTime()
    course_name = fields.String(allow_none=True)
    period = fields.String()
    label_zh = fields.String()
    label_en = fields.String()
    started = fields.Boolean(metadata={"description": "the lesson has begun (the picker's default is the latest that has)"})


class EntryOut(PeriodWords):
    id = fields.Integer()
    point = fields.String()
    name_zh = fields.String()
    name_en = fields.String()
    value = fields.Float(allow_none=True)
    recorded_by = fields.String()
    recorded_at = fields.DateTime()
    reversed = fields.Boolean()
    reversal_reason = fields.String(allow_none=True)
    dispute = fields.String(allow_none=True, metadata={"description": "its latest dispute: open, reversed or rejected"})
    occasion = fields.Dict(allow_none=True, metadata={"description": "the course or class meeting it is for, in words"})


class CardPointOut(Schema):
    code = fields.String()
    domain = fields.String()
    name_zh = fields.String()
    name_en = fields.String()
    indicator = fields.Float()
    points = fields.Float()
    weight = fields.Float()
    weighted = fields.Float()
    standard_value = fields.Float()
    warning_value = fields.Float(allow_none=True)
    below_warning = fields.Boolean()
    sensitive = fields.String(allow_none=True)
    source = fields.String(metadata={"description": "entered, attendance or aggregate"})
    periods = fields.Integer(metadata={"description": "how many periods the indicator averages"})


class SubtotalOut(Schema):
    score = fields.Float(allow_none=True)
    covered_weight = fields.Float(metadata={"description": "share of the domain's weight scored so far"})


class ValueAddedOut(Schema):
    previous_term = fields.Float(allow_none=True)
    previous_term_total = fields.Float(allow_none=True)
    term_start = fields.Float(allow_none=True, metadata={"description": "against the first week with data"})
    term_start_total = fields.Float(allow_none=True)
    term_start_week = fields.Integer(allow_none=True, metadata={"description": "the week term_start_total is from"})


class CoverageOut(Schema):
    scored = fields.Integer(metadata={"description": "points with a value"})
    of = fields.Integer(metadata={"description": "points shown"})


class HistoryWeekOut(Schema):
    week = fields.Integer()
    total = fields.Float(allow_none=True)
    subtotals = fields.Dict(keys=fields.String(), values=fields.Float(allow_none=True))


class HistoryMonthOut(Schema):
    month = fields.String()
    label_zh = fields.String(metadata={"example": "2026年11月"})
    label_en = fields.String(metadata={"example": "Nov 2026"})
    total = fields.Float(allow_none=True)


class HistoryOut(Schema):
    weeks = fields.List(fields.Nested(HistoryWeekOut))
    months = fields.List(fields.Nested(HistoryMonthOut))


class TrendsOut(Schema):
    """The weekly trend of each domain subtotal and the total: per teaching week with values, the
    figure of that week's values alone (as a point's weekly trend), stored by the rollups."""
    weeks = fields.List(fields.Integer())
    academic = fields.List(fields.Float(allow_none=True))
    personal = fields.List(fields.Float(allow_none=True))
    career = fields.List(fields.Float(allow_none=True))
    total = fields.List(fields.Float(allow_none=True))


class CardOut(Schema):
    term_id = fields.Integer()
    student_id = fields.Integer()
    total = fields.Float(allow_none=True)
    subtotals = fields.Dict(keys=fields.String(), values=fields.Nested(SubtotalOut))
    coverage = fields.Dict(keys=fields.String(), values=fields.Nested(CoverageOut),
                           metadata={"description": "per domain and `all`: how many of the points have a value"})
    value_added = fields.Nested(ValueAddedOut)
    class_median = fields.Float(allow_none=True, metadata={"description": "none from fewer than min_group students"})
    class_median_n = fields.Integer(metadata={"description": "classmates with a total, the median's n"})
    min_group = fields.Integer(metadata={"description": "fewest students a class figure is shown for"})
    sensitive_hidden = fields.Boolean(metadata={"description": "need-to-know points left out of every figure"})
    points = fields.List(fields.Nested(CardPointOut))
    history = fields.Nested(HistoryOut)
    trends = fields.Nested(TrendsOut)


class ReverseOut(Schema):
    batch_id = fields.String()
    reversed = fields.Integer()


class ClassCardPointOut(CardPointOut):
    students_with_data = fields.Integer(allow_none=True, metadata={"description": "for computed aggregates"})


class ClassCardOut(Schema):
    term_id = fields.Integer()
    class_id = fields.Integer()
    class_name = fields.String()
    students = fields.Integer()
    total = fields.Float(allow_none=True)
    subtotals = fields.Dict(keys=fields.String(), values=fields.Nested(SubtotalOut))
    coverage = fields.Dict(keys=fields.String(), values=fields.Nested(CoverageOut))
    points = fields.List(fields.Nested(ClassCardPointOut))


class DisputeIn(StrictSchema):
    reason = reason_field()


class ResolveIn(StrictSchema):
    action = fields.String(required=True, validate=validate.OneOf(["reverse", "reject"]))
    reason = reason_field()
    value = fields.Float(load_default=None, allow_nan=False,
                         metadata={"description": "with reverse: the right value, entered in its place"})


class DisputeOut(PeriodWords):
    id = fields.Integer()
    entry_id = fields.Integer()
    student_id = fields.Integer()
    student_name = fields.String(allow_none=True)
    point = fields.String()
    name_zh = fields.String()
    name_en = fields.String()
    value = fields.Float(allow_none=True)
    reason = fields.String()
    status = fields.String()
    created_at = fields.DateTime()
    resolution = fields.String(allow_none=True)
    resolved_at = fields.DateTime(allow_none=True)


class SheetQuery(StrictSchema):
    point = fields.String(required=True)
    period = fields.String(load_default=None)
    session_id = fields.Integer(load_default=None, metadata={"description": "the course meeting of a per-meeting point"})
    term_id = fields.Integer(load_default=None)


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
    class_name = fields.String()
    course_id = fields.Integer(allow_none=True)
    course_name = fields.String(allow_none=True)
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


class LevelSchema(StrictSchema):
    zh = fields.String(required=True)
    en = fields.String(required=True)
    points = fields.Float(required=True, validate=validate.Range(0, 100))


class RuleOut(Schema):
    code = fields.String(attribute="point.code")
    level = fields.String(attribute="point.level")
    domain = fields.String(attribute="point.domain")
    number = fields.Integer(attribute="point.number")
    name_zh = fields.String(attribute="point.name_zh")
    name_en = fields.String(attribute="point.name_en")
    timing = fields.String()
    scorer_roles = fields.List(fields.String())
    value_type = fields.String()
    unit = fields.String(allow_none=True)
    min_value = fields.Float()
    max_value = fields.Float()
    levels = fields.List(fields.Nested(LevelSchema), allow_none=True)
    source = fields.String()
    aggregate = fields.Dict(allow_none=True)
    conversion = fields.Dict()
    weight = fields.Float()
    direction = fields.String()
    standard_value = fields.Float()
    warning_value = fields.Float(allow_none=True)
    sensitive = fields.String(allow_none=True)
    rationale = fields.String()


class CatalogueOut(Schema):
    term_id = fields.Integer()
    domain_weights = fields.Dict()
    rules = fields.List(fields.Nested(RuleOut))


TIMINGS = ["session", "class_meeting", "weekly", "monthly", "semester_end", "year_start", "year_end",
           "mid_first_semester", "before_graduation"]


VALUE_TYPES = ["score", "count", "rate", "level", "document"]
WEIGHTS_DOC = {"description": "other points of the domain re-balanced in the same step: {code: weight}; "
                              "the domain's weights must then add up to 1"}


class RulePatchIn(StrictSchema):
    value_type = fields.String(validate=validate.OneOf(VALUE_TYPES),
                               metadata={"description": "refused (422) once the point has entries this term"})
    unit = fields.String(allow_none=True, validate=validate.Length(max=16))
    timing = fields.String(validate=validate.OneOf(TIMINGS))
    scorer_roles = fields.List(fields.String(validate=validate.OneOf([r.value for r in Role if r != Role.STUDENT])),
                               validate=validate.Length(min=1))
    conversion = fields.Dict()
    weight = fields.Float(validate=validate.Range(0, 1))
    direction = fields.String(validate=validate.OneOf(["higher_better", "lower_better"]))
    standard_value = fields.Float()
    warning_value = fields.Float(allow_none=True)
    levels = fields.List(fields.Nested(LevelSchema))
    min_value = fields.Float()
    max_value = fields.Float()
    rationale = fields.String(validate=validate.Length(min=1, max=500))


class WeightsIn(StrictSchema):
    """A domain's weights set together (individual or class points), so no state in between is refused."""
    level = fields.String(load_default="individual", validate=validate.OneOf(["individual", "class"]))
    domain = fields.String(required=True, validate=validate.OneOf(["academic", "personal", "career"]))
    weights = fields.Dict(keys=fields.String(), values=fields.Float(validate=validate.Range(0, 1)), required=True,
                          validate=validate.Length(min=1), metadata=WEIGHTS_DOC)


class PointIn(StrictSchema):
    """A college's own scoring point (individual, entered by staff), added to one term's catalogue."""
    domain = fields.String(required=True, validate=validate.OneOf(["academic", "personal", "career"]))
    name_zh = fields.String(required=True, validate=validate.Length(2, 120))
    name_en = fields.String(required=True, validate=validate.Length(2, 160))
    value_type = fields.String(required=True, validate=validate.OneOf(VALUE_TYPES), metadata={
        "description": "score: min–max; count: 0–max; rate: 0–100; level: one of levels; document: 0 or 1"})
    unit = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=16))
    levels = fields.List(fields.Nested(LevelSchema), load_default=None, validate=validate.Length(min=2))
    conversion = fields.Dict(load_default=None, metadata={"description": "default: linear over the range "
                                                          "(boolean for a document, levels for a level)"})
    min_value = fields.Float(load_default=None)
    max_value = fields.Float(load_default=None)
    timing = fields.String(required=True, validate=validate.OneOf(TIMINGS))
    scorer_roles = fields.List(fields.String(validate=validate.OneOf([r.value for r in Role if r != Role.STUDENT])),
                               required=True, validate=validate.Length(min=1))
    weight = fields.Float(required=True, validate=validate.Range(0, 1))
    direction = fields.String(load_default="higher_better", validate=validate.OneOf(["higher_better", "lower_better"]))
    standard_value = fields.Float(required=True)
    warning_value = fields.Float(load_default=None, allow_none=True)
    rationale = fields.String(required=True, validate=validate.Length(min=1, max=500))
    weights = fields.Dict(keys=fields.String(), values=fields.Float(validate=validate.Range(0, 1)),
                          load_default=dict, metadata=WEIGHTS_DOC)

    @validates_schema
    def range_given(self, data, **kwargs):
        if data.get("value_type") == "score" and (data.get("min_value") is None or data.get("max_value") is None):
            raise ValidationError("分数型采分点需要最小值和最大值 / A score point needs a minimum and a maximum.",
                                  "max_value")


# Attendance marks as their student sees them, and disputes about them (issue 20).
class MarkDisputeIn(StrictSchema):
    session_id = fields.Integer(required=True, metadata={"description": "the session of my mark"})
    reason = reason_field()


class MarkResolveIn(StrictSchema):
    action = fields.String(required=True, validate=validate.OneOf(["uphold", "reject"]))
    reason = reason_field()
    status = fields.String(load_default=None, validate=validate.OneOf(MARKS),
                           metadata={"description": "with uphold: the corrected mark"})


class MarkDisputeBriefOut(Schema):
    id = fields.Integer()
    status = fields.String(metadata={"description": "open | upheld | rejected"})
    was = fields.String()
    reason = fields.String()
    created_at = fields.DateTime()
    resolution = fields.String(allow_none=True)
    resolved_at = fields.DateTime(allow_none=True)
    corrected_to = fields.String(allow_none=True)


class MarkDisputeOut(MarkDisputeBriefOut):
    session_id = fields.Integer()
    student_id = fields.Integer()
    student_name = fields.String(allow_none=True)
    day = fields.Date()
    starts_at = fields.DateTime()
    week = fields.Integer()
    course_name = fields.String(allow_none=True)
    mark_status = fields.String(allow_none=True, metadata={"description": "the mark as it is now"})


class MyMarkOut(Schema):
    session_id = fields.Integer()
    day = fields.Date()
    starts_at = fields.DateTime()
    week = fields.Integer()
    course_name = fields.String(allow_none=True)
    status = fields.String()
    source = fields.String(metadata={"description": "checkin | teacher | close | leave"})
    marked_by_name = fields.String()
    marked_by_self = fields.Boolean()
    marked_at = fields.DateTime()
    dispute = fields.Nested(MarkDisputeBriefOut, allow_none=True)
    disputable = fields.Boolean()


class MyMarksOut(Schema):
    term_id = fields.Integer()
    dispute_days = fields.Integer(metadata={"description": "ATTENDANCE_DISPUTE_DAYS"})
    marks = fields.List(fields.Nested(MyMarkOut))

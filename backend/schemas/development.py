"""Plans, goals, self-diagnosis, self-assessment, portfolio and the development reports."""
from marshmallow import (
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from backend.development.plans import PARTS, STAGES
from backend.development.portfolio import KINDS as EVIDENCE
from backend.schemas.common import StrictSchema

TEXT = validate.Length(max=4000)
YEAR = validate.Range(2000, 2100)


class PlanIn(StrictSchema):
    kind = fields.String(required=True, validate=validate.OneOf(tuple(PARTS)))
    term_id = fields.Integer()
    start_year = fields.Integer(validate=YEAR)
    stage = fields.String(validate=validate.OneOf(STAGES))
    summary = fields.String(validate=TEXT)
    private_note = fields.String(validate=TEXT)


class PlanPatchIn(StrictSchema):
    stage = fields.String(validate=validate.OneOf(STAGES))
    summary = fields.String(validate=TEXT)
    private_note = fields.String(validate=TEXT)


class MilestoneIn(StrictSchema):
    title = fields.String(required=True, validate=validate.Length(1, 200))
    due_on = fields.Date(load_default=None)
    done = fields.Boolean(load_default=False)

    @post_load
    def as_json(self, data, **kwargs):
        """Milestones are stored as JSON: the date as an ISO string."""
        return {**data, "due_on": data["due_on"] and data["due_on"].isoformat()}


class GoalPatchIn(StrictSchema):
    part = fields.String()
    title = fields.String(validate=validate.Length(1, 200))
    point_code = fields.String(allow_none=True)
    direction = fields.String(validate=validate.OneOf(("higher_better", "lower_better")))
    unit = fields.String(allow_none=True, validate=validate.Length(max=16))
    target = fields.Float()
    standard = fields.Float()
    warning = fields.Float()
    milestones = fields.List(fields.Nested(MilestoneIn), validate=validate.Length(max=20))


class GoalIn(GoalPatchIn):
    part = fields.String(required=True)
    title = fields.String(required=True, validate=validate.Length(1, 200))
    target = fields.Float(required=True)
    standard = fields.Float(required=True)
    warning = fields.Float(required=True)


class LogIn(StrictSchema):
    value = fields.Float(allow_none=True, load_default=None)
    note = fields.String(load_default="", validate=TEXT)
    logged_on = fields.Date(load_default=None)

    @validates_schema
    def value_or_note(self, data, **kwargs):
        if data["value"] is None and not data["note"].strip():
            raise ValidationError("记录一个数值或一句话 / Log a value or a note.", "value")


class LogOut(Schema):
    id = fields.Integer()
    value = fields.Float(allow_none=True)
    note = fields.String()
    logged_on = fields.Date()


class MilestoneOut(Schema):
    title = fields.String()
    due_on = fields.String(allow_none=True)
    done = fields.Boolean()


class GoalOut(Schema):
    id = fields.Integer()
    part = fields.String()
    title = fields.String()
    point_code = fields.String(allow_none=True)
    direction = fields.String()
    unit = fields.String(allow_none=True)
    target = fields.Float()
    standard = fields.Float()
    warning = fields.Float()
    milestones = fields.List(fields.Nested(MilestoneOut))
    carried_from_id = fields.Integer(allow_none=True)
    actual = fields.Float(allow_none=True)
    standing = fields.String()
    logs = fields.List(fields.Nested(LogOut))


class PlanBriefOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    period = fields.String()
    term_id = fields.Integer(allow_none=True)
    start_year = fields.Integer()
    stage = fields.String(allow_none=True)
    status = fields.String()
    goals = fields.Function(lambda p: len(p.goals))


class PlanOut(PlanBriefOut):
    summary = fields.String()
    private_note = fields.String(allow_none=True)
    owner = fields.Dict()
    parts = fields.List(fields.String())
    submitted_at = fields.DateTime(allow_none=True)
    reviewed_at = fields.DateTime(allow_none=True)
    review_comment = fields.String(allow_none=True)
    goals = fields.List(fields.Nested(GoalOut))
    diagnosis = fields.Dict(allow_none=True)


class ReviewIn(StrictSchema):
    decision = fields.String(required=True, validate=validate.OneOf(("approve", "return")))
    comment = fields.String(load_default=None, validate=TEXT)


class DiagnosisItemIn(StrictSchema):
    goal_id = fields.Integer(required=True)
    cause = fields.String(load_default="", validate=TEXT)
    measure = fields.String(load_default="", validate=TEXT)


class DiagnosisIn(StrictSchema):
    items = fields.List(fields.Nested(DiagnosisItemIn), load_default=list)
    summary = fields.String(validate=TEXT)


class CommentIn(StrictSchema):
    comment = fields.String(required=True, validate=validate.Length(1, 4000))


class DiagnosisOut(Schema):
    id = fields.Integer(allow_none=True)
    plan_id = fields.Integer()
    status = fields.String()
    items = fields.List(fields.Dict())
    summary = fields.String()
    submitted_at = fields.DateTime(allow_none=True)
    next_plan_id = fields.Integer(allow_none=True)
    comment = fields.String(allow_none=True)
    commented_at = fields.DateTime(allow_none=True)


class AssessmentIn(StrictSchema):
    term_id = fields.Integer(load_default=None)
    answers = fields.Dict(keys=fields.String(), values=fields.Integer(), load_default=dict)
    submit = fields.Boolean(load_default=False)


class AssessmentOut(Schema):
    subject_id = fields.Integer()
    term_id = fields.Integer()
    answers = fields.Dict()
    status = fields.String()
    updated_at = fields.DateTime(allow_none=True, metadata={"description": "null while not_started (nothing saved yet)"})
    submitted_at = fields.DateTime(allow_none=True)


class ResultOut(Schema):
    term_id = fields.Integer()
    student_id = fields.Integer()
    status = fields.String()
    answered = fields.Integer()
    of = fields.Integer(metadata={"description": "elements in the questionnaire (20)"})
    elements = fields.List(fields.Dict())
    series = fields.Dict()
    so_far = fields.Dict(metadata={"description": "my answers so far, draft or submitted; null = unanswered"})
    comparison = fields.Dict(metadata={"description": "so_far against the other series over the answered elements only"})
    dimensions = fields.Dict()
    class_count = fields.Integer()
    others_count = fields.Integer()
    suggestions = fields.List(fields.Dict())


class PortfolioIn(StrictSchema):
    kind = fields.String(required=True, validate=validate.OneOf(EVIDENCE))
    title = fields.String(required=True, validate=validate.Length(1, 200))
    occurred_on = fields.Date(required=True)
    hours = fields.Float(load_default=None, validate=validate.Range(0, 2000))
    detail = fields.String(load_default="", validate=TEXT)


class AttachmentOut(Schema):
    id = fields.Integer()
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    created_at = fields.DateTime()


class PortfolioOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    title = fields.String()
    occurred_on = fields.Date()
    hours = fields.Float(allow_none=True)
    detail = fields.String()
    attachments = fields.List(fields.Nested(AttachmentOut))


class ClassPlanOut(Schema):
    student_id = fields.Integer()
    name = fields.String()
    username = fields.String()
    plan_id = fields.Integer(allow_none=True)
    term_plan = fields.String(allow_none=True)
    cycle_plan = fields.String(allow_none=True)
    goals = fields.Integer()
    goals_at_target = fields.Integer()
    self_assessment = fields.String()
    diagnosis = fields.String(allow_none=True)


class TeacherPlanOut(Schema):
    teacher_id = fields.Integer()
    name = fields.String()
    title = fields.String(allow_none=True)
    stage = fields.String(allow_none=True)
    cycle_plan = fields.String(allow_none=True)
    cycle_plan_id = fields.Integer(allow_none=True)  # to open and review it
    year_plan = fields.String(allow_none=True)
    year_plan_id = fields.Integer(allow_none=True)
    diagnosis = fields.String(allow_none=True)
    evidence = fields.Integer()


class ReportQuery(StrictSchema):
    term_id = fields.Integer(load_default=None)
    year = fields.Integer(load_default=None, validate=YEAR)
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "pdf", "xlsx")))


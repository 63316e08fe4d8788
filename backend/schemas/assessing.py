"""The department's assessing diagnosis of a teacher's year, and the department's teacher summary."""
from marshmallow import Schema, fields, validate

from backend.models.assessing import CONCLUSIONS
from backend.schemas.common import StrictSchema

TEXT = validate.Length(max=4000)


class MeasureIn(StrictSchema):
    part = fields.String(required=True)
    title = fields.String(required=True, validate=validate.Length(1, 200))
    point_code = fields.String(allow_none=True, validate=validate.Length(max=16))
    direction = fields.String(validate=validate.OneOf(("higher_better", "lower_better")))
    unit = fields.String(allow_none=True, validate=validate.Length(max=16))
    target = fields.Float(allow_none=True)
    standard = fields.Float(allow_none=True)
    warning = fields.Float(allow_none=True)


class AssessingIn(StrictSchema):
    text = fields.String(validate=TEXT)
    conclusion = fields.String(allow_none=True, validate=validate.OneOf(CONCLUSIONS))
    measures = fields.List(fields.Nested(MeasureIn), validate=validate.Length(max=20))


class MeasureOut(Schema):
    part = fields.String()
    title = fields.String()
    point_code = fields.String(allow_none=True)
    direction = fields.String()
    unit = fields.String(allow_none=True)
    target = fields.Float(allow_none=True)
    standard = fields.Float(allow_none=True)
    warning = fields.Float(allow_none=True)
    goal_id = fields.Integer(allow_none=True)


class IndicatorOut(Schema):
    code = fields.String()
    label = fields.String()
    dimension = fields.String()
    direction = fields.String()
    unit = fields.String()
    source = fields.String()
    value = fields.Float(allow_none=True)
    target = fields.Float(allow_none=True)
    standard = fields.Float(allow_none=True)
    warning = fields.Float(allow_none=True)
    short = fields.Boolean()


class ReviewOut(Schema):
    teacher = fields.Dict()
    year = fields.Integer()
    stage = fields.String(allow_none=True)
    self_diagnosis = fields.Dict()
    indicators = fields.List(fields.Nested(IndicatorOut))


class AssessingOut(Schema):
    id = fields.Integer(allow_none=True)
    plan_id = fields.Integer()
    year = fields.Integer()
    status = fields.String(metadata={"description": "new | draft | agreed; `pending` to the teacher before it is agreed"})
    text = fields.String()
    conclusion = fields.String(allow_none=True)
    measures = fields.List(fields.Nested(MeasureOut))
    agreed_at = fields.DateTime(allow_none=True)
    updated_at = fields.DateTime(allow_none=True)
    next_plan_id = fields.Integer(allow_none=True)
    carried = fields.Dict(allow_none=True, metadata={"description": "where the agreed measures went: next year's plan"})
    review = fields.Nested(ReviewOut, allow_none=True)


class AssessingTeacherOut(Schema):
    teacher_id = fields.Integer()
    name = fields.String()
    title = fields.String(allow_none=True)
    stage = fields.String(allow_none=True)
    plan_id = fields.Integer(allow_none=True)
    year_plan = fields.String(allow_none=True)
    diagnosis = fields.String(allow_none=True)
    assessing = fields.String(allow_none=True)


class PlanCounts(Schema):
    submitted = fields.Integer()
    reviewed = fields.Integer()
    approved = fields.Integer()


class ShortOut(Schema):
    code = fields.String()
    label = fields.String()
    teachers = fields.Integer()


class DepartmentSummaryOut(Schema):
    department_id = fields.Integer()
    department = fields.String()
    year = fields.Integer()
    teachers = fields.Integer()
    stages = fields.Dict(keys=fields.String(), values=fields.Integer())
    cycle_plans = fields.Nested(PlanCounts)
    year_plans = fields.Nested(PlanCounts)
    diagnoses_submitted = fields.Integer()
    assessing_agreed = fields.Integer()
    assessing_drafts = fields.Integer()
    short_of_standard = fields.List(fields.Nested(ShortOut))
    short_computed_at = fields.DateTime(allow_none=True, metadata={
        "description": "when the stored counts were computed (a job, every six hours); null: computed for this read"})


class YearQuery(StrictSchema):
    year = fields.Integer(load_default=None, validate=validate.Range(2000, 2100))

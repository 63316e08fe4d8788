"""Teacher stage standards and indicators (issue 20)."""
from marshmallow import Schema, fields, validate

from backend.development.plans import STAGES
from backend.schemas.common import StrictSchema

YEAR = validate.Range(2000, 2100)
VALUE = validate.Range(-1e6, 1e6)


class YearQuery(StrictSchema):
    year = fields.Integer(load_default=None, validate=YEAR)


class IndicatorQuery(StrictSchema):
    year = fields.Integer(load_default=None, validate=YEAR)
    term_id = fields.Integer(load_default=None)


class StandardIn(StrictSchema):
    stage = fields.String(required=True, validate=validate.OneOf(STAGES))
    indicator_code = fields.String(required=True, validate=validate.Length(1, 16))
    target = fields.Float(validate=VALUE)
    standard = fields.Float(validate=VALUE)
    warning = fields.Float(validate=VALUE)
    rationale = fields.String(validate=validate.Length(max=2000))


class StandardOut(Schema):
    id = fields.Integer(allow_none=True)
    year = fields.Integer()
    stage = fields.String()
    dimension = fields.String()
    indicator_code = fields.String()
    title = fields.String()
    target = fields.Float()
    standard = fields.Float()
    warning = fields.Float()
    source = fields.String()
    rationale = fields.String()
    updated_by = fields.Integer(allow_none=True)
    updated_at = fields.DateTime(allow_none=True)


class IndicatorOut(Schema):
    code = fields.String()
    dimension = fields.String()
    direction = fields.String()
    unit = fields.String()
    label = fields.String()
    source = fields.String()


class StandardsOut(Schema):
    year = fields.Integer()
    version_year = fields.Integer(allow_none=True, metadata={"description": "the year the standards in force were "
                                                                            "set for; null = the seed's defaults"})
    can_edit = fields.Boolean()
    stages = fields.List(fields.String())
    dimensions = fields.List(fields.String())
    indicators = fields.List(fields.Nested(IndicatorOut))
    standards = fields.List(fields.Nested(StandardOut))


class StandardValuesOut(Schema):
    target = fields.Float()
    standard = fields.Float()
    warning = fields.Float()


class TeacherIndicatorOut(IndicatorOut):
    value = fields.Float(allow_none=True)
    standard = fields.Nested(StandardValuesOut, allow_none=True)


class CourseFiguresOut(Schema):
    course_id = fields.Integer()
    course = fields.String(allow_none=True)
    grades = fields.Integer()
    gpa = fields.Float(data_key="T-GPA", attribute="T-GPA")
    fail = fields.Float(data_key="T-FAIL", attribute="T-FAIL", allow_none=True)


class TeacherIndicatorsOut(Schema):
    teacher_id = fields.Integer()
    year = fields.Integer()
    term_id = fields.Integer(allow_none=True)
    stage = fields.String(allow_none=True)
    indicators = fields.List(fields.Nested(TeacherIndicatorOut))
    courses = fields.List(fields.Nested(CourseFiguresOut), metadata={"description": "T-GPA and T-FAIL per course"})


class EvaluationIn(StrictSchema):
    score = fields.Integer(required=True, validate=validate.Range(1, 5))


class EvaluationOut(Schema):
    offering_id = fields.Integer()
    course = fields.String()
    teacher = fields.String()
    done = fields.Boolean()

from marshmallow import Schema, fields, validate

from backend.auth.roles import Role
from backend.schemas.common import StrictSchema


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


TIMINGS = ["session", "weekly", "monthly", "semester_end", "year_start", "year_end",
           "mid_first_semester", "before_graduation"]


class RulePatchIn(StrictSchema):
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

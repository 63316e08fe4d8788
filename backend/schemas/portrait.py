"""The teacher portrait (development/teacher_portrait.py)."""
from marshmallow import Schema, fields

from backend.schemas.common import StrictSchema
from backend.schemas.development import YEAR


class PortraitQuery(StrictSchema):
    year = fields.Integer(load_default=None, validate=YEAR)


class PortraitDimensionOut(Schema):
    code = fields.String()
    label = fields.String()
    this_year = fields.Float(allow_none=True)  # 0–100; None: no data in this dimension
    standard = fields.Float(allow_none=True)
    last_year = fields.Float(allow_none=True)
    department_median = fields.Float(allow_none=True)


class PortraitIndicatorOut(Schema):
    code = fields.String()
    dimension = fields.String()
    label = fields.String()
    unit = fields.String()
    direction = fields.String()
    source = fields.String()
    actual = fields.Float(allow_none=True)
    last_year = fields.Float(allow_none=True)
    target = fields.Float(allow_none=True)
    standard = fields.Float(allow_none=True)
    warning = fields.Float(allow_none=True)
    attainment = fields.Float(allow_none=True)
    standing = fields.String()


class PortraitMedianOut(Schema):
    shown = fields.Boolean()
    reason = fields.String(allow_none=True)  # no_stage | no_department | not_computed | too_few
    why_absent = fields.String(allow_none=True)
    min_teachers = fields.Integer()
    computed_at = fields.String()


class PortraitOut(Schema):
    teacher_id = fields.Integer()
    name = fields.String()
    year = fields.Integer()
    stage = fields.String(allow_none=True)
    department_id = fields.Integer(allow_none=True)
    scale = fields.String()
    dimensions = fields.List(fields.Nested(PortraitDimensionOut))
    indicators = fields.List(fields.Nested(PortraitIndicatorOut))
    median = fields.Nested(PortraitMedianOut)

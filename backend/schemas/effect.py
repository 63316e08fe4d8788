"""Intervention effect (issue 15, point 4): the weekly trend of a warning and the effect report."""
from marshmallow import Schema, fields, validate

from backend.schemas.common import StrictSchema


class EffectQuery(StrictSchema):
    term_id = fields.Integer(load_default=None)


class EffectExportQuery(EffectQuery):
    format = fields.String(load_default="xlsx", validate=validate.OneOf(["csv", "xlsx"]))


class KindOut(Schema):
    code = fields.String()
    name_zh = fields.String()
    name_en = fields.String()


class SeriesOut(Schema):
    code = fields.String()
    name_zh = fields.String()
    name_en = fields.String()
    warning_value = fields.Float(metadata={"description": "The line: the point's warning value, or a "
                                                          "composite rule's signal value"})
    standard_value = fields.Float(allow_none=True)
    direction = fields.String(metadata={"description": "higher_better | lower_better"})
    values = fields.List(fields.Float(allow_none=True), metadata={"description": "The indicator as of each week"})


class MarkerOut(Schema):
    week = fields.Integer()
    kind = fields.String()
    at = fields.String()
    effect = fields.Dict(keys=fields.String(), values=fields.String(),
                         metadata={"description": "Horizon in weeks → improved | held | worsened | too_early | no_data"})


class TrendOut(Schema):
    term_id = fields.Integer()
    weeks = fields.List(fields.Integer())
    current_week = fields.Integer()
    band = fields.Float()
    horizons = fields.List(fields.Integer())
    measure = fields.List(fields.Float(allow_none=True),
                          metadata={"description": "Worst distance past the line, % of scale, per week"})
    series = fields.List(fields.Nested(SeriesOut))
    interventions = fields.List(fields.Nested(MarkerOut))


class EffectRowOut(Schema):
    kind = fields.String()
    cases = fields.Integer()
    # "4" and "8": {improved, held, worsened, too_early, no_data}
    by_horizon = fields.Function(lambda row: {k: v for k, v in row.items() if k not in ("kind", "cases")})


class EffectGroupOut(Schema):
    id = fields.Integer(allow_none=True)
    name = fields.String(allow_none=True)
    rows = fields.List(fields.Nested(EffectRowOut))


class EffectReportOut(Schema):
    term_id = fields.Integer()
    term = fields.String()
    term_en = fields.String()
    scope = fields.String(metadata={"description": "school | department | counsellor"})
    current_week = fields.Integer()
    band = fields.Float()
    horizons = fields.List(fields.Integer())
    kinds = fields.List(fields.Nested(KindOut))
    departments = fields.List(fields.Nested(EffectGroupOut))
    counsellors = fields.List(fields.Nested(EffectGroupOut))

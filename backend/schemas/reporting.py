"""Validation for class, department and school reports and their downloads."""
from marshmallow import Schema, fields, validate

from backend.schemas.common import StrictSchema


class ReportQuery(StrictSchema):
    term_id = fields.Integer(load_default=None)


class ExportQuery(ReportQuery):
    format = fields.String(load_default="xlsx", validate=validate.OneOf(["csv", "xlsx"]))


class DiagnosisQuery(ReportQuery):
    format = fields.String(load_default="xlsx", validate=validate.OneOf(["xlsx", "pdf"]))


class TrendPointOut(Schema):
    week = fields.Integer()
    count = fields.Integer()
    mean = fields.Float()


class MetricOut(Schema):
    metric = fields.String(metadata={"description": "a point code, a domain, or total"})
    name_zh = fields.String()
    name_en = fields.String()
    domain = fields.String(allow_none=True)
    level = fields.String(metadata={"description": "individual | class | summary"})
    count = fields.Integer()
    mean = fields.Float()
    median = fields.Float()
    min = fields.Float()
    max = fields.Float()
    standard_value = fields.Float(allow_none=True)
    warning_value = fields.Float(allow_none=True)
    direction = fields.String()
    short_of_standard = fields.Integer(allow_none=True)
    past_warning = fields.Integer(allow_none=True)
    buckets = fields.List(fields.List(fields.Float()), metadata={"description": "[[lower edge, students], ...]"})
    trend = fields.List(fields.Nested(TrendPointOut))
    updated_at = fields.DateTime()


class NamedOut(Schema):
    id = fields.Integer()
    name = fields.String()


class UnderWarningOut(Schema):
    metric = fields.String()
    name_zh = fields.String()
    name_en = fields.String()
    students = fields.List(fields.Nested(NamedOut))


class UnitMetricOut(Schema):
    mean = fields.Float()
    count = fields.Integer()
    past_warning = fields.Integer(allow_none=True)


class SideBySideOut(Schema):
    id = fields.Integer()
    name = fields.String()
    rank = fields.Integer(allow_none=True, metadata={"description": "by mean total within the department"})
    metrics = fields.Dict(keys=fields.String(), values=fields.Nested(UnitMetricOut))


class SlippedOut(Schema):
    class_id = fields.Integer()
    class_name = fields.String()
    metric = fields.String()
    name_zh = fields.String()
    name_en = fields.String()
    previous_mean = fields.Float()
    mean = fields.Float()
    change = fields.Float()


class RankOut(Schema):
    position = fields.Integer(allow_none=True)
    of = fields.Integer()


class ReportOut(Schema):
    term_id = fields.Integer()
    term_name = fields.String()
    unit = fields.String()
    unit_id = fields.Integer()
    unit_name = fields.String()
    students = fields.Integer()
    metrics = fields.List(fields.Nested(MetricOut))
    sensitive_hidden = fields.Boolean()
    rank = fields.Nested(RankOut, metadata={"description": "class reports"})
    under_warning = fields.List(fields.Nested(UnderWarningOut), metadata={"description": "head teacher and counsellor"})
    classes = fields.List(fields.Nested(SideBySideOut), metadata={"description": "department reports"})
    week = fields.Integer(allow_none=True)
    slipped = fields.List(fields.Nested(SlippedOut))
    departments = fields.List(fields.Nested(SideBySideOut), metadata={"description": "school reports"})

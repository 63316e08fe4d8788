"""Validation for class, department and school reports and their downloads."""
from marshmallow import Schema, fields, validate

from backend.reporting.roll import SORTS
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
    points_scored = fields.Integer(allow_none=True, metadata={"description": "subtotals and total: points with data"})
    points_of = fields.Integer(allow_none=True, metadata={"description": "subtotals and total: points shown"})


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
    min_group = fields.Integer(metadata={"description": "fewest students a class figure is shown for"})
    metrics = fields.List(fields.Nested(MetricOut))
    sensitive_hidden = fields.Boolean()
    rank = fields.Nested(RankOut, metadata={"description": "class reports"})
    under_warning = fields.List(fields.Nested(UnderWarningOut), metadata={"description": "head teacher and counsellor"})
    classes = fields.List(fields.Nested(SideBySideOut), metadata={"description": "department reports"})
    week = fields.Integer(allow_none=True)
    slipped = fields.List(fields.Nested(SlippedOut))
    departments = fields.List(fields.Nested(SideBySideOut), metadata={"description": "school reports"})


class RollQuery(ReportQuery):
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "xlsx"]))
    sort = fields.String(load_default="number", validate=validate.OneOf(list(SORTS)))
    descending = fields.Boolean(load_default=False)


class GroupOut(Schema):
    count = fields.Integer(metadata={"description": "students with a value: the n behind the figures"})
    median = fields.Float(allow_none=True, metadata={"description": "none from fewer than min_group students"})
    mean = fields.Float(allow_none=True)


class RollColumnOut(GroupOut):
    code = fields.String()
    domain = fields.String()
    name_zh = fields.String()
    name_en = fields.String()
    weight = fields.Float()


class RollCoverageOut(Schema):
    scored = fields.Integer()
    of = fields.Integer()


class RollSubtotalOut(Schema):
    score = fields.Float(allow_none=True)
    covered_weight = fields.Float()


class RollAddedOut(Schema):
    previous_term = fields.Float(allow_none=True)
    previous_term_total = fields.Float(allow_none=True)
    term_start = fields.Float(allow_none=True)
    term_start_total = fields.Float(allow_none=True)
    term_start_week = fields.Integer(allow_none=True)


class RollRowOut(Schema):
    student_id = fields.Integer()
    number = fields.String(metadata={"description": "学号 (the student's username)"})
    name = fields.String()
    points = fields.Dict(keys=fields.String(), values=fields.Float(), metadata={"description": "code → card points"})
    indicators = fields.Dict(keys=fields.String(), values=fields.Float(), metadata={"description": "code → indicator"})
    below_warning = fields.List(fields.String())
    subtotals = fields.Dict(keys=fields.String(), values=fields.Nested(RollSubtotalOut))
    coverage = fields.Dict(keys=fields.String(), values=fields.Nested(RollCoverageOut))
    total = fields.Float(allow_none=True)
    value_added = fields.Nested(RollAddedOut)


class RollOut(Schema):
    term_id = fields.Integer()
    term_name = fields.String()
    class_id = fields.Integer()
    class_name = fields.String()
    students = fields.Integer()
    sensitive_hidden = fields.Boolean()
    min_group = fields.Integer()
    previous_term_name = fields.String(allow_none=True)
    term_start_weeks = fields.List(fields.Integer(), metadata={"description": "the weeks value added since the start is from"})
    sort = fields.String()
    descending = fields.Boolean()
    columns = fields.List(fields.Nested(RollColumnOut))
    summary = fields.Dict(keys=fields.String(), values=fields.Nested(GroupOut))
    rows = fields.List(fields.Nested(RollRowOut))

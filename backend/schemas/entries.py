from marshmallow import Schema, fields, validate

from backend.schemas.common import StrictSchema
from backend.services.ledger import MAX_BATCH


class EntryRowIn(StrictSchema):
    student_id = fields.Integer(metadata={"description": "for individual points"})
    class_id = fields.Integer(metadata={"description": "for class (collective) points"})
    value = fields.Float(required=True, allow_nan=False)


class EntryBatchIn(StrictSchema):
    point = fields.String(required=True, metadata={"example": "S-A-06"})
    period = fields.String(load_default=None, metadata={"description": "week:N, month:YYYY-MM, day:YYYY-MM-DD or term"})
    term_id = fields.Integer(load_default=None, metadata={"description": "defaults to the current term"})
    entries = fields.List(fields.Nested(EntryRowIn), required=True,
                          validate=validate.Length(1, MAX_BATCH, error=f"1–{MAX_BATCH} rows per batch."))


class BatchOut(Schema):
    batch_id = fields.String()
    point = fields.String()
    period = fields.String()
    term_id = fields.Integer()
    count = fields.Integer()


class ReverseIn(StrictSchema):
    reason = fields.String(required=True, validate=validate.Length(2, 500))


class EntryOut(Schema):
    id = fields.Integer()
    point = fields.String()
    name_zh = fields.String()
    name_en = fields.String()
    period = fields.String()
    value = fields.Float(allow_none=True)
    recorded_by = fields.String()
    recorded_at = fields.DateTime()
    reversed = fields.Boolean()
    reversal_reason = fields.String(allow_none=True)


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


class HistoryWeekOut(Schema):
    week = fields.Integer()
    total = fields.Float(allow_none=True)
    subtotals = fields.Dict(keys=fields.String(), values=fields.Float(allow_none=True))


class HistoryMonthOut(Schema):
    month = fields.String()
    total = fields.Float(allow_none=True)


class HistoryOut(Schema):
    weeks = fields.List(fields.Nested(HistoryWeekOut))
    months = fields.List(fields.Nested(HistoryMonthOut))


class CardOut(Schema):
    term_id = fields.Integer()
    student_id = fields.Integer()
    total = fields.Float(allow_none=True)
    subtotals = fields.Dict(keys=fields.String(), values=fields.Nested(SubtotalOut))
    value_added = fields.Nested(ValueAddedOut)
    class_median = fields.Float(allow_none=True)
    sensitive_hidden = fields.Boolean(metadata={"description": "need-to-know points left out of every figure"})
    points = fields.List(fields.Nested(CardPointOut))
    history = fields.Nested(HistoryOut)


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
    points = fields.List(fields.Nested(ClassCardPointOut))


class DisputeIn(StrictSchema):
    reason = fields.String(required=True, validate=validate.Length(2, 500))


class ResolveIn(StrictSchema):
    action = fields.String(required=True, validate=validate.OneOf(["reverse", "reject"]))
    reason = fields.String(required=True, validate=validate.Length(2, 500))
    value = fields.Float(load_default=None, allow_nan=False,
                         metadata={"description": "with reverse: the right value, entered in its place"})


class DisputeOut(Schema):
    id = fields.Integer()
    entry_id = fields.Integer()
    student_id = fields.Integer()
    student_name = fields.String(allow_none=True)
    point = fields.String()
    name_zh = fields.String()
    name_en = fields.String()
    period = fields.String()
    value = fields.Float(allow_none=True)
    reason = fields.String()
    status = fields.String()
    created_at = fields.DateTime()
    resolution = fields.String(allow_none=True)
    resolved_at = fields.DateTime(allow_none=True)


class SheetQuery(StrictSchema):
    point = fields.String(required=True)
    period = fields.String(load_default=None)
    term_id = fields.Integer(load_default=None)

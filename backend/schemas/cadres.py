"""Student cadres: grants, the cadre's own view, and the head teacher's review of their batches."""
from marshmallow import Schema, fields, validate

from backend.schemas.common import StrictSchema
from backend.schemas.valuecard import PeriodWords


class CadreGrantIn(StrictSchema):
    student_id = fields.Integer(required=True)
    title = fields.String(required=True, validate=validate.Length(1, 32, error="职务 1–32 字 / A title of 1–32 characters."),
                          metadata={"example": "学习委员"})
    points = fields.List(fields.String(validate=validate.Length(1, 16)), required=True,
                         validate=validate.Length(1, 10, error="选择 1–10 个采分点 / Choose 1–10 points."))
    starts_on = fields.Date(load_default=None, metadata={"description": "defaults to today"})


class CadreGrantOut(Schema):
    id = fields.Integer()
    class_id = fields.Integer()
    student_id = fields.Integer()
    student_name = fields.String()
    point = fields.String()
    name_zh = fields.String()
    name_en = fields.String()
    title = fields.String()
    starts_on = fields.Date()
    revoked_at = fields.DateTime(allow_none=True)


class GrantablePointOut(Schema):
    point = fields.String()
    name_zh = fields.String()
    name_en = fields.String()


class ClassCadresOut(Schema):
    class_id = fields.Integer()
    class_name = fields.String()
    grants = fields.List(fields.Nested(CadreGrantOut))
    grantable = fields.List(fields.Nested(GrantablePointOut))


class CadreEntryOut(Schema):
    entry_id = fields.Integer()
    student_id = fields.Integer()
    student_name = fields.String()
    value = fields.Float(allow_none=True)
    reversed = fields.Boolean()


class CadreBatchOut(PeriodWords):
    batch_id = fields.String()
    class_id = fields.Integer()
    cadre_id = fields.Integer()
    cadre_name = fields.String()
    point = fields.String()
    name_zh = fields.String()
    name_en = fields.String()
    recorded_at = fields.DateTime()
    state = fields.String(metadata={"description": "pending (待班主任确认) | confirmed | reversed"})
    reason = fields.String(allow_none=True)
    entries = fields.List(fields.Nested(CadreEntryOut))


class ClassmateOut(Schema):
    id = fields.Integer()
    display_name = fields.String()


class MyCadreOut(Schema):
    class_id = fields.Integer()
    class_name = fields.String()
    grants = fields.List(fields.Nested(CadreGrantOut))
    classmates = fields.List(fields.Nested(ClassmateOut))
    batches = fields.List(fields.Nested(CadreBatchOut))


class CadreBatchQuery(StrictSchema):
    term_id = fields.Integer(load_default=None)
    state = fields.String(load_default=None, validate=validate.OneOf(["pending", "confirmed", "reversed"]))


class CadreReviewIn(StrictSchema):
    decision = fields.String(required=True, validate=validate.OneOf(["confirmed", "reversed"]))
    reason = fields.String(load_default=None, validate=validate.Length(max=500))

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from backend.schemas.common import StrictSchema


class AuditQuery(StrictSchema):
    actor = fields.String(load_default=None, validate=validate.Length(1, 120),
                          metadata={"description": "who: a login, or part of a name"})
    action = fields.String(load_default=None, validate=validate.Length(1, 64),
                           metadata={"description": "what: an action (catalogue.update), its prefix (catalogue) "
                                                    "or an object type (student)"})
    since = fields.DateTime(load_default=None)
    date_from = fields.Date(load_default=None, metadata={"description": "school date, inclusive"})
    date_to = fields.Date(load_default=None, metadata={"description": "school date, inclusive"})
    student_id = fields.Integer(load_default=None, validate=validate.Range(1, 2**31 - 1),
                                metadata={"description": "events about this student"})
    student = fields.String(load_default=None, validate=validate.Length(1, 32),
                            metadata={"description": "events about the student with this number"})
    page = fields.Integer(load_default=1, validate=validate.Range(1, 100_000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(1, 200))
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv")))

    @validates_schema
    def dates_in_order(self, data, **kwargs):
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise ValidationError("结束日期不能早于开始日期 / The end date is before the start date.", "date_to")


class AuditOut(Schema):
    id = fields.Integer()
    at = fields.DateTime()
    actor_id = fields.Integer(allow_none=True)
    actor_name = fields.String(allow_none=True)
    actor_username = fields.String(allow_none=True)
    action = fields.String()
    object_type = fields.String()
    object_id = fields.String(allow_none=True)
    detail = fields.String(allow_none=True)


class AuditPageOut(Schema):
    items = fields.List(fields.Nested(AuditOut))
    total = fields.Integer()
    student = fields.String(load_default=None, validate=validate.Length(1, 32),
                            metadata={"description": "events about the student with this number"})
    page = fields.Integer()
    per_page = fields.Integer()

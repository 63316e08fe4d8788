"""The home screen's summary (api/platform/home.py)."""
from marshmallow import Schema, fields


class StudentHomeOut(Schema):
    class_name = fields.String()
    department = fields.String()
    total = fields.Float(allow_none=True, metadata={"description": "the card's total this term, as on the card"})
    value_added = fields.Float(allow_none=True, metadata={"description": "total minus last term's total"})
    open_sessions = fields.Integer(metadata={"description": "the class's sessions taking check-ins now"})
    assessment_status = fields.String(metadata={"description": "not_started, draft or submitted"})
    assessment_answered = fields.Integer()

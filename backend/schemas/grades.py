"""Course grades imported from the academic-affairs system."""
from marshmallow import Schema, fields, validate

from backend.schemas.common import StrictSchema


class GradeImportQuery(StrictSchema):
    term_id = fields.Integer(load_default=None)
    preview = fields.Boolean(load_default=False, metadata={"description": "check and count, write nothing"})


class GradeChangeOut(Schema):
    student_name = fields.String()
    number = fields.String()
    course_code = fields.String()
    course_name = fields.String()
    was = fields.String(allow_none=True, metadata={"description": "the grade stored before; null for a new one"})
    now = fields.String()


class GradeImportOut(Schema):
    term_id = fields.Integer()
    applied = fields.Boolean()
    created = fields.Integer()
    updated = fields.Integer()
    unchanged = fields.Integer()
    changes = fields.List(fields.Nested(GradeChangeOut), metadata={"description": "the first 100 new or changed grades"})
    takes_over = fields.List(fields.String(), metadata={
        "description": "grade points this import makes computed from grades in this term (no longer typed)"})


class GradeTemplateQuery(StrictSchema):
    format = fields.String(load_default="xlsx", validate=validate.OneOf(["xlsx", "csv"]))

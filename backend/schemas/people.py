from marshmallow import Schema, fields, validate

from backend.schemas.common import StrictSchema


class GrantOut(Schema):
    role = fields.String()
    scope_type = fields.String()
    scope_id = fields.Integer()


class MeOut(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    locale = fields.String()
    must_change_password = fields.Boolean()
    roles = fields.List(fields.Nested(GrantOut), attribute="grants")
    class_id = fields.Function(lambda u: u.student.class_id if u.student else None)


class MePatchIn(StrictSchema):
    display_name = fields.String(validate=validate.Length(min=1, max=120))
    locale = fields.String(validate=validate.OneOf(["zh-CN", "en"]))


class StudentOut(Schema):
    id = fields.Integer(attribute="user_id")
    username = fields.String(attribute="user.username")
    display_name = fields.String(attribute="user.display_name")
    gender = fields.String()
    class_id = fields.Integer()
    status = fields.String()

"""Validation for sign-in, tokens and the signed-in person."""
from marshmallow import Schema, fields, validate

from backend.auth.passwords import MIN_LENGTH
from backend.schemas.common import StrictSchema


class LoginIn(StrictSchema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=256))


class TokenOut(Schema):
    access_token = fields.String()
    expires_in = fields.Integer(metadata={"description": "seconds"})
    must_change_password = fields.Boolean()


class PasswordChangeIn(StrictSchema):
    current_password = fields.String(required=True, load_only=True)
    new_password = fields.String(required=True, load_only=True, validate=[
        validate.Length(min=MIN_LENGTH, max=256, error=f"密码至少{MIN_LENGTH}位 / At least {MIN_LENGTH} characters."),
        validate.Regexp(r"(?=.*[A-Za-z])(?=.*\d)", error="密码需同时包含字母和数字 / Use letters and digits."),
    ])


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

from marshmallow import Schema, fields, validate

from backend.schemas.common import StrictSchema
from backend.services.passwords import MIN_LENGTH


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

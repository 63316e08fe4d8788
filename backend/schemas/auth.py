"""Validation for sign-in, tokens and the signed-in person."""
from flask_jwt_extended import get_jwt
from marshmallow import Schema, ValidationError, fields, validate

from backend.auth import passwords, sessions
from backend.platform import language
from backend.schemas.common import ChangeIn, StrictSchema


class LoginIn(StrictSchema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=256))


class TokenOut(Schema):
    access_token = fields.String()
    expires_in = fields.Integer(metadata={"description": "seconds"})
    must_change_password = fields.Boolean()


def _strong(password: str) -> None:
    if len(password) < passwords.MIN_LENGTH:
        return  # the length validator says so
    if found := passwords.weaknesses(password):
        raise ValidationError(found)


class PasswordChangeIn(StrictSchema):
    current_password = fields.String(required=True, load_only=True)
    # NIST SP 800-63B: a length, any Unicode, no composition rules, not a common password
    # (auth/passwords.py); that it does not contain the username is checked where the user is known.
    new_password = fields.String(required=True, load_only=True, validate=[
        validate.Length(min=passwords.MIN_LENGTH, max=passwords.MAX_LENGTH,
                        error="密码应为{min}–{max}个字符 / Use {min} to {max} characters."),
        _strong,
    ])


class GrantOut(Schema):
    role = fields.String()
    scope_type = fields.String()
    scope_id = fields.Integer()


class MeOut(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    locale = fields.String(attribute="language", allow_none=True, metadata={
        "description": "zh-CN or en as the user chose; null follows the device's Accept-Language"})
    must_change_password = fields.Function(lambda u: sessions.password_change_due(u, get_jwt()), metadata={
        "description": "an initial password to change first (not asked of a campus sign-in session)"})
    roles = fields.List(fields.Nested(GrantOut), attribute="grants")
    class_id = fields.Function(lambda u: u.student.class_id if u.student else None)


class MePatchIn(ChangeIn):
    display_name = fields.String(validate=validate.Length(min=1, max=120))
    locale = fields.String(attribute="language", allow_none=True, validate=validate.OneOf(language.LANGUAGES))


class StudentOut(Schema):
    id = fields.Integer(attribute="user_id")
    username = fields.String(attribute="user.username")
    display_name = fields.String(attribute="user.display_name")
    gender = fields.String()
    class_id = fields.Integer()
    status = fields.String()

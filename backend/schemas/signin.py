"""Campus sign-in (CAS): the login screen's settings and the school admin's password-login choices."""
from marshmallow import Schema, fields, validate

from backend.auth.password_login import CHOICES
from backend.schemas.common import ChangeIn, StrictSchema


class CasOut(Schema):
    enabled = fields.Boolean(metadata={"description": "the login screen offers 统一身份认证登录"})
    login_url = fields.String(allow_none=True, metadata={"description": "where the browser goes to sign in (a navigation, not a fetch)"})
    logout_url = fields.String(allow_none=True, metadata={"description": "the CAS server's logout, back to the app"})


class PasswordLoginQuery(StrictSchema):
    q = fields.String(load_default="", validate=validate.Length(max=64))


class PasswordLoginIn(ChangeIn):
    password_login = fields.String(required=True, validate=validate.OneOf(list(CHOICES), error=(
        "应为 allowed、denied 或 default / One of allowed, denied, default")), metadata={
        "description": "allowed or denied while CAS is on; default follows the roles (school admins allowed)"})


class PasswordLoginOut(Schema):
    user_id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    password_login = fields.String(metadata={"description": "allowed | denied | default"})
    by_default = fields.Boolean(metadata={"description": "what default means for this account"})
    allowed = fields.Boolean(metadata={"description": "a password login works now (always, while CAS is off)"})

"""WeCom / DingTalk settings and users' ids there (school admin)."""
from marshmallow import Schema, fields, validate

from backend.schemas.common import ChangeIn, JsonBoolean, StrictSchema

DIGITS = validate.Regexp(r"^[0-9]{0,20}$", error="应为数字 / Digits only")
ID_TEXT = validate.Regexp(r"^[A-Za-z0-9_.@-]{0,64}$", error="只能包含字母、数字和 _ - . @（最多 64 位） / Letters, digits and _ - . @ only (at most 64)")


class ChannelIn(ChangeIn):
    app_id = fields.String(validate=[validate.Length(max=128), validate.Regexp(r"^[A-Za-z0-9_-]*$",
                           error="只能包含字母、数字、_ 和 - / Letters, digits, _ and - only")],
                           metadata={"description": "WeCom corp id (corpid) or DingTalk app key (client id); empty: the environment's"})
    agent_id = fields.String(validate=[validate.Length(max=20), DIGITS],
                             metadata={"description": "the app's AgentId (digits); empty: the environment's"})
    secret = fields.String(load_only=True, validate=[validate.Length(max=256), validate.Regexp(r"^[\x21-\x7e]*$",
                           error="只能包含可见 ASCII 字符 / Printable ASCII only")],
                           metadata={"description": "the app's Secret / AppSecret; empty keeps the stored one. Never returned."})
    clear_secret = JsonBoolean(metadata={"description": "forget the secret stored here (the environment's applies)"})


class ChannelOut(Schema):
    channel = fields.String()
    name = fields.String()
    app_id = fields.String()
    agent_id = fields.String()
    secret_set = fields.Boolean()
    secret_hint = fields.String(metadata={"description": "at most the last 4 characters, after …"})
    source = fields.String(metadata={"description": "where the secret comes from: app | env | none"})
    ready = fields.Boolean(metadata={"description": "id, secret and agent id all known: messages are sent"})
    linked_users = fields.Integer()


class AccountQuery(StrictSchema):
    q = fields.String(load_default="", validate=validate.Length(max=64))


class AccountIn(ChangeIn):
    wecom = fields.String(allow_none=True, validate=ID_TEXT, metadata={"description": "WeCom userid; empty or null clears"})
    dingtalk = fields.String(allow_none=True, validate=ID_TEXT, metadata={"description": "DingTalk userid; empty or null clears"})


class AccountOut(Schema):
    user_id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    wecom = fields.String(allow_none=True)
    dingtalk = fields.String(allow_none=True)

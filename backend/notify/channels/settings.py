"""Each channel's app: from the environment, or as the school admin set it in the app.

A value the admin set wins over the environment's, field by field. The secret is stored
encrypted (Fernet, with a key derived from SECRET_KEY, as the roster slips are) and never leaves
the server: views show whether it is set and its last four characters at most. Writing an empty
secret keeps the stored one. Every change is audited, never with the secret in it.
"""
import base64
import hashlib
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app
from sqlalchemy import func, select

from backend.extensions import db
from backend.models import ChannelAccount, ChannelConfig
from backend.models.channel import CHANNELS
from backend.platform import audit, clock

# Which settings name each channel's fields in the environment (backend/config.py).
ENV = {"wecom": {"app_id": "WECOM_CORP_ID", "secret": "WECOM_SECRET", "agent_id": "WECOM_AGENT_ID",
                 "api_base": "WECOM_API_BASE"},
       "dingtalk": {"app_id": "DINGTALK_APP_KEY", "secret": "DINGTALK_APP_SECRET", "agent_id": "DINGTALK_AGENT_ID",
                    "api_base": "DINGTALK_API_BASE"}}
NAMES = {"wecom": "企业微信 / WeCom", "dingtalk": "钉钉 / DingTalk"}


@dataclass(frozen=True)
class Settings:
    channel: str
    app_id: str
    secret: str
    agent_id: str
    api_base: str
    source: str  # env | app | none: where the secret comes from

    @property
    def ready(self) -> bool:
        return bool(self.app_id and self.secret and self.agent_id)


def _fernet() -> Fernet:
    key = hashlib.sha256(b"spiral-channels:" + current_app.config["SECRET_KEY"].encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def _decrypt(token: str | None) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:  # SECRET_KEY changed since it was stored: as if unset, set it again
        return ""


def effective(channel: str) -> Settings:
    cfg, names = current_app.config, ENV[channel]
    row = db.session.get(ChannelConfig, channel)
    stored = _decrypt(row.secret) if row else ""
    secret = stored or cfg.get(names["secret"]) or ""
    return Settings(channel, (row and row.app_id) or cfg.get(names["app_id"]) or "", secret,
                    (row and row.agent_id) or str(cfg.get(names["agent_id"]) or ""),
                    (cfg.get(names["api_base"]) or "").rstrip("/"),
                    "app" if stored else "env" if secret else "none")


def ready_channels() -> list[str]:
    return [c for c in CHANNELS if effective(c).ready]


def view(channel: str) -> dict:
    """What the admin screen shows: never the secret, only whether it is set and its last 4 characters."""
    s = effective(channel)
    linked = db.session.scalar(select(func.count()).select_from(ChannelAccount).where(ChannelAccount.channel == channel))
    return {"channel": channel, "name": NAMES[channel], "app_id": s.app_id, "agent_id": s.agent_id,
            "secret_set": bool(s.secret), "secret_hint": f"…{s.secret[-4:]}" if len(s.secret) >= 12 else ("…" if s.secret else ""),
            "source": s.source, "ready": s.ready, "linked_users": linked}


def configure(channel: str, changes: dict, actor_id: int) -> dict:
    """Set the app id, agent id and/or secret as the admin typed them; an empty secret keeps the
    stored one, an empty id falls back to the environment's. Audited (which fields, not the secret)."""
    row = db.session.get(ChannelConfig, channel)
    if row is None:
        row = ChannelConfig(channel=channel)
        db.session.add(row)
    changed = []
    for field in ("app_id", "agent_id"):
        if field in changes and (changes[field] or None) != getattr(row, field):
            setattr(row, field, changes[field] or None)
            changed.append(field)
    if changes.get("secret"):
        row.secret = _fernet().encrypt(changes["secret"].encode()).decode()
        changed.append("secret")
    if changes.get("clear_secret"):
        row.secret = None
        changed.append("secret")
    if changed:
        row.updated_at, row.updated_by = clock.now(), actor_id
        audit.record(actor_id, "channel.configure", "channel", channel,
                     {"fields": changed, **{f: getattr(row, f) for f in ("app_id", "agent_id") if f in changed}})
    db.session.flush()
    return view(channel)

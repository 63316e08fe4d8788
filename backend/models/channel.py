"""WeCom (企业微信) and DingTalk (钉钉): a school's app credentials, who is who there, and the
messages to send. Alerts reach phones in mainland China through these, since the browser
vendors' Web Push services mostly do not (notify/channels)."""
import re
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.models.base import Base
from backend.models.notification import Notification
from backend.platform import clock

CHANNELS = ("wecom", "dingtalk")
# A WeCom or DingTalk userid as Spiral accepts it (both vendors: at most 64 letters, digits, _ - . @).
EXTERNAL_ID = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
ID_PROBLEM = "只能包含字母、数字和 _ - . @（1–64 位） / Letters, digits and _ - . @ only (1–64)"


def normalise_external_id(channel: str, value: str | None) -> str | None:
    """WeCom userids are case-insensitive (it answers them in lower case): kept in lower case, so
    the unique constraint sees two spellings as one. Blank is None."""
    value = (value or "").strip() or None
    return value.lower() if value and channel == "wecom" else value


class ChannelConfig(Base):
    """A channel's app as an admin set it (the environment's WECOM_* / DINGTALK_* fill in what is
    not set here). `app_id` is WeCom's corp id or DingTalk's app key (client id); the secret is
    stored encrypted (Fernet, key derived from SECRET_KEY) and never shown back."""

    __tablename__ = "channel_config"
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)  # wecom | dingtalk
    app_id: Mapped[str | None] = mapped_column(String(128))
    agent_id: Mapped[str | None] = mapped_column(String(32))
    secret: Mapped[str | None] = mapped_column(Text)  # Fernet token
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("user.id"))


class ChannelAccount(Base):
    """A user's id in WeCom or DingTalk: one per user and channel, one user per id."""

    __tablename__ = "channel_account"
    __table_args__ = (UniqueConstraint("channel", "external_id"), UniqueConstraint("user_id", "channel"))
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class ChannelDelivery(Base):
    """One notification to one channel (exactly once: unique), claimed like a PushDelivery."""

    __tablename__ = "channel_delivery"
    __table_args__ = (UniqueConstraint("notification_id", "channel"),
                      Index("ix_channel_delivery_state_due", "state", "due_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notification.id"))
    channel: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(10), default="due")  # due | sending | sent | failed | cancelled
    attempts: Mapped[int] = mapped_column(default=0)
    due_at: Mapped[datetime] = mapped_column(default=clock.now)
    claim: Mapped[str | None] = mapped_column(String(36))
    last_status: Mapped[str | None] = mapped_column(String(64))
    notification: Mapped[Notification] = relationship()

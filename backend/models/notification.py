"""The in-app inbox, push subscriptions, their deliveries and each user's alert budget."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.models.base import Base
from backend.platform import clock


class Notification(Base):
    """Every alert lands here first, so nothing depends on a push arriving. `title` and
    `body` are for the app; the lock screen gets notify/push.py's neutral text only."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_user_created", "user_id", "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    warning_id: Mapped[int | None] = mapped_column(ForeignKey("student_warning.id"))
    kind: Mapped[str] = mapped_column(String(16))  # warning | escalation | nudge | digest
    level: Mapped[str | None] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(String(200))
    # now | quiet (held until quiet hours end) | digest (waits for the daily digest) | off | none
    push: Mapped[str] = mapped_column(String(8))
    digest_id: Mapped[int | None] = mapped_column(ForeignKey("notification.id"))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    read_at: Mapped[datetime | None]


class PushSubscription(Base):
    """One device's Web Push subscription; a user may have several."""

    __tablename__ = "push_subscription"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    endpoint: Mapped[str] = mapped_column(String(1024), unique=True)
    p256dh: Mapped[str] = mapped_column(String(128))
    auth: Mapped[str] = mapped_column(String(64))
    device: Mapped[str | None] = mapped_column(String(120))
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    last_sent_at: Mapped[datetime | None]


class PushDelivery(Base):
    """One notification to one device. Rows make retries exact: a retry sends only what failed."""

    __tablename__ = "push_delivery"
    __table_args__ = (Index("ix_push_delivery_state_due", "state", "due_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notification.id"), index=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("push_subscription.id"), index=True)
    state: Mapped[str] = mapped_column(String(16), default="due")  # due | sending | sent | failed | cancelled
    attempts: Mapped[int] = mapped_column(default=0)
    due_at: Mapped[datetime] = mapped_column(default=clock.now)
    claim: Mapped[str | None] = mapped_column(String(36))
    last_status: Mapped[str | None] = mapped_column(String(32))
    notification: Mapped[Notification] = relationship(lazy="joined")
    subscription: Mapped[PushSubscription] = relationship(lazy="joined")


class NotificationPreference(Base):
    """A user's alert budget. Hours are in the school's time zone."""

    __tablename__ = "notification_preference"
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True)
    quiet_from: Mapped[int | None] = mapped_column(default=22)  # hour; None = no quiet hours
    quiet_until: Mapped[int | None] = mapped_column(default=7)
    digest: Mapped[bool] = mapped_column(default=True)  # yellow alerts wait for the daily digest
    digest_hour: Mapped[int] = mapped_column(default=17)
    last_digest_on: Mapped[str | None] = mapped_column(String(10))  # local date of the last digest

"""Login sessions, failed logins, idempotency records and the audit log."""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base
from backend.platform import clock


class AuthSession(Base):
    """One login on one device. Both tokens carry its id (`sid`).

    Kept in the database so that revocations survive restarts of the app and
    of Redis; refresh rotation replaces `refresh_jti`, and a refresh token that
    is not the current one revokes the whole session (replay of a stolen token).
    """

    __tablename__ = "auth_session"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    refresh_jti: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    user_agent: Mapped[str | None] = mapped_column(String(255))
    # How the session began: "password" or "cas" (None: before campus sign-in existed). A CAS session
    # is not held to an initial-password change: that password is not what it signed in with.
    method: Mapped[str | None] = mapped_column(String(8))
    # SHA-256 of the CAS service ticket it began with: the CAS server's single logout names it.
    cas_ticket: Mapped[str | None] = mapped_column(String(64), index=True)


class LoginFailure(Base):
    __tablename__ = "login_failure"
    __table_args__ = (Index("ix_login_failure_username_at", "username", "at"), Index("ix_login_failure_ip_at", "ip", "at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str] = mapped_column(String(45))
    # Set when the client presented a valid device cookie for this account.
    trusted_device: Mapped[bool] = mapped_column(default=False)
    at: Mapped[datetime] = mapped_column(default=clock.now)


class IdempotencyRecord(Base):
    """The first answer to a write carrying an Idempotency-Key, replayed on retries."""

    __tablename__ = "idempotency_record"
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int]
    response: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class AuditEvent(Base):
    """Who read or changed what. Written for imports, catalogue edits and sensitive reads."""

    __tablename__ = "audit_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=clock.now, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(Text)

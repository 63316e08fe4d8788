"""People: accounts, student and staff profiles, scoped role grants."""
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.models.base import Base
from backend.platform import clock


class User(Base):
    __tablename__ = "user"
    # Login matches a username in any case, so two that differ only in case could not both log in:
    # unique case-insensitively (migration 18a1usernames).
    __table_args__ = (Index("uq_user_username_lower", func.lower(text("username")), unique=True),)
    id: Mapped[int] = mapped_column(primary_key=True)
    # Student number (学号) or staff number (工号).
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    must_change_password: Mapped[bool] = mapped_column(default=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    # Password login while campus sign-in (CAS) is on: True allowed, False denied, None the default
    # for the account's roles (auth/password_login.py: school admins keep theirs, for when CAS is down).
    password_login: Mapped[bool | None]
    # zh-CN or en once the user chose; None follows the device (platform/language.py).
    language: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    grants: Mapped[list["RoleGrant"]] = relationship(lazy="selectin", back_populates="user")
    # Joined (a single row): every request needs the profile, and it costs no extra query.
    student: Mapped["StudentProfile | None"] = relationship(lazy="joined", back_populates="user")


class StudentProfile(Base):
    __tablename__ = "student_profile"
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("class_group.id"), index=True)
    gender: Mapped[str | None] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default="enrolled")
    # The day the status took effect (enrolled: None, or the day of 复学); entries and check-ins
    # on or after it are refused while the student is not enrolled (org/status.py).
    status_on: Mapped[date | None]
    # When the sensitive records of a student who left were purged (privacy/purge.py; migration pipl19).
    sensitive_purged_at: Mapped[datetime | None]
    user: Mapped[User] = relationship(back_populates="student")


class StaffProfile(Base):
    __tablename__ = "staff_profile"
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    title: Mapped[str | None] = mapped_column(String(64))


class RoleGrant(Base):
    """A role held over one org unit: head teacher of class 7, dept admin of department 2..."""

    __tablename__ = "role_grant"
    __table_args__ = (UniqueConstraint("user_id", "role", "scope_type", "scope_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    scope_type: Mapped[str] = mapped_column(String(16))  # class | department | school
    scope_id: Mapped[int]
    user: Mapped[User] = relationship(back_populates="grants")

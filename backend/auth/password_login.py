"""Who may still log in with a password once campus sign-in (CAS) is on.

The school chooses per account (`User.password_login`: allowed, denied, or unset). Unset follows
the account's roles: a school admin keeps a local password, everyone else signs in through CAS.
Why admins: when the CAS server is down or misconfigured nobody could sign in at all, and the
school admin is who must get in to help (read the audit log, reset a student, tell people); a
CAS-only admin would be locked out exactly when needed. Turning CAS off is the other way back in,
but that is a deployment change, not something to wait for in a school day.
"""
from flask import current_app
from sqlalchemy import func, or_, select

from backend.auth.roles import Role
from backend.extensions import db
from backend.models import RoleGrant, User
from backend.platform import audit

USE_CAS = "此账号请使用统一身份认证登录 / This account signs in through campus sign-in (统一身份认证)"
CHOICES = {"allowed": True, "denied": False, "default": None}


def by_default(user: User) -> bool:
    return any(g.role == Role.SCHOOL_ADMIN for g in user.grants)


def allowed(user: User) -> bool:
    if not current_app.config["CAS_ENABLED"]:
        return True
    return by_default(user) if user.password_login is None else user.password_login


def row(user: User) -> dict:
    choice = next(k for k, v in CHOICES.items() if v is user.password_login)
    return {"user_id": user.id, "username": user.username, "display_name": user.display_name,
            "password_login": choice, "by_default": by_default(user), "allowed": allowed(user)}


def search(text: str, limit: int = 30) -> list[dict]:
    """Users whose login or name contains `text`; an empty search lists the accounts whose choice
    differs from their roles' default (the exceptions the school made)."""
    query = select(User).order_by(User.username).limit(limit)
    if text:
        like = f"%{text.lower()}%"
        query = query.where(or_(func.lower(User.username).like(like), func.lower(User.display_name).like(like)))
    else:
        admins = select(RoleGrant.user_id).where(RoleGrant.role == Role.SCHOOL_ADMIN)
        query = query.where(or_(User.password_login.is_(True) & User.id.not_in(admins),
                                User.password_login.is_(False) & User.id.in_(admins)))
    return [row(u) for u in db.session.scalars(query)]


def choose(user: User, choice: str, actor_id: int) -> dict:
    before = row(user)["password_login"]
    user.password_login = CHOICES[choice]
    if before != choice:
        audit.record(actor_id, "auth.password_login", "user", str(user.id),
                     {"username": user.username, "from": before, "to": choice})
    return row(user)

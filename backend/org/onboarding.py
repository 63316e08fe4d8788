"""New accounts' initial passwords, handed to the person who made them once, for a short time.

After a roster import or a password reset the passwords are kept in Redis, encrypted with a key
derived from the app's secret, under a random token that expires (ROSTER_SLIPS_TTL, 30 minutes by
default). Only the user who made them may fetch them (anyone else: 404, as if nothing were there);
every fetch is audited; after the expiry they are gone. They never reach a log, the database or
an idempotency answer: a reset answers with the token, never with the password.
"""
import base64
import hashlib
import json
import secrets

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import func, select

from backend import database
from backend.auth import passwords
from backend.errors import Problem
from backend.extensions import db
from backend.models import AuthSession, ClassGroup, StudentProfile, User
from backend.platform import audit, clock, queue

SLIPS_TTL = 1800  # seconds the initial passwords stay downloadable


def _key(token: str) -> str:
    return f"spiral:slips:{token}"


def _fernet() -> Fernet:
    secret = hashlib.sha256(b"spiral-slips:" + current_app.config["SECRET_KEY"].encode()).digest()
    return Fernet(base64.urlsafe_b64encode(secret))


def slips_for(credentials: list[dict]) -> list[dict]:
    """One slip per new account, students grouped by class (then number), staff last."""
    if not credentials:
        return []
    names = [c["username"].lower() for c in credentials]
    classes = dict(db.session.execute(
        select(func.lower(User.username), ClassGroup.name).join(StudentProfile, StudentProfile.user_id == User.id)
        .join(ClassGroup, ClassGroup.id == StudentProfile.class_id).where(func.lower(User.username).in_(names))).all())
    slips = [{"class_name": classes.get(c["username"].lower()), "username": c["username"],
              "display_name": c["display_name"], "initial_password": c["initial_password"]} for c in credentials]
    return sorted(slips, key=lambda s: (s["class_name"] is None, s["class_name"] or "", s["username"]))


def keep(actor_id: int, credentials: list[dict], kind: str) -> str | None:
    """Keep the slips for their maker; the token, or None when there is nothing to keep or no Redis."""
    slips = slips_for(credentials)
    if not slips:
        return None
    token = secrets.token_urlsafe(24)
    body = json.dumps({"actor_id": actor_id, "kind": kind, "made_at": clock.now().isoformat(), "slips": slips},
                      ensure_ascii=False).encode()
    try:
        queue.redis_connection().set(_key(token), _fernet().encrypt(body), ex=current_app.config.get("ROSTER_SLIPS_TTL", SLIPS_TTL))
    except RedisError:
        return None
    return token


def fetch(token: str, actor_id: int, fmt: str) -> dict:
    """The slips for the user who made them (audited), or 404 for anyone else, a wrong or an
    expired token."""
    try:
        stored = queue.redis_connection().get(_key(token)) if 8 <= len(token) <= 64 else None
        found = json.loads(_fernet().decrypt(stored)) if stored else None
    except (RedisError, InvalidToken, ValueError):
        found = None
    if found is None or found["actor_id"] != actor_id:
        raise Problem(404, "未找到或已过期 / Not found or expired",
                      "初始密码只在生成后短时间内可下载 / Initial passwords can be downloaded only for a short time.")
    with database.write_apart():  # a GET
        audit.record(actor_id, "slips.download", "initial_passwords", found["kind"],
                     {"format": fmt, "accounts": [s["username"] for s in found["slips"]]})
    return found


def reset_password(actor_id: int, student: StudentProfile) -> str | None:
    """A new initial password for a student, to change at next login; every session of theirs ends.
    Returns the slips token (the password itself is only in the slips). Does not commit."""
    user = db.session.get(User, student.user_id)
    initial = passwords.random_password()
    user.password_hash = passwords.hash_password(initial)
    user.must_change_password = True
    for session in db.session.scalars(select(AuthSession).where(
            AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None))):
        session.revoked_at = clock.now()
    audit.record(actor_id, "account.password_reset", "student", str(user.id), {"username": user.username})
    db.session.flush()
    token = keep(actor_id, [{"username": user.username, "display_name": user.display_name,
                             "initial_password": initial}], "reset")
    if token is None:
        raise Problem(503, "暂时无法重置密码 / Password reset is unavailable now",
                      "The short-lived store for initial passwords (Redis) cannot be reached.")
    return token  # the caller commits (with the idempotent answer)

"""Login, refresh rotation, logout and password change."""
import uuid
from datetime import timedelta

from flask import current_app
from flask_jwt_extended import create_access_token, create_refresh_token, decode_token
from sqlalchemy import func, select

from backend.auth import password_login, passwords, throttle
from backend.errors import Problem
from backend.extensions import db
from backend.models import AuthSession, User
from backend.platform import cached, clock

INVALID_LOGIN = "用户名或密码错误 / Wrong username or password"
DISABLED = ("账号已停用（毕业或退学），不能登录。如有疑问请联系辅导员或教务处 / This account is disabled "
            "(graduated or withdrawn) and cannot log in; ask your counsellor or the academic affairs office")


def find(username: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.username) == username.lower()))


def login(username: str, password: str, ip: str, trusted_device: bool, user_agent: str | None) -> tuple[User, dict]:
    # A CAS-only account has no password worth guessing: refused before any is checked or counted.
    known = find(username)
    if known is not None and known.is_active and not password_login.allowed(known):
        raise Problem(403, password_login.USE_CAS, type_="/problems/use-campus-sign-in")
    throttle.begin(username, ip, trusted_device)  # counted as a failure before the password is checked
    user = find(username)
    if user is None:
        passwords.burn_time(password)
    if user is None or not passwords.check(user, password):
        db.session.rollback()
        raise Problem(401, INVALID_LOGIN)
    if not user.is_active:
        # Said only to whoever knows the password, so it tells a guesser nothing: a graduate or a
        # student who withdrew learns why the app refuses them instead of resetting in vain.
        db.session.rollback()
        raise Problem(403, DISABLED, type_="/problems/account-disabled")
    throttle.clear(username)
    return user, start(user, "password", user_agent)


def start(user: User, method: str, user_agent: str | None, cas_ticket: str | None = None) -> dict:
    """A new session for a user who proved who they are (by password, or a CAS ticket: kept as
    its hash, for the CAS server's single logout)."""
    return _issue(user, AuthSession(id=str(uuid.uuid4()), user_id=user.id, method=method, cas_ticket=cas_ticket,
                                    user_agent=(user_agent or "")[:255]))


def _issue(user: User, session: AuthSession) -> dict:
    claims = {"sid": session.id, "via": session.method or "password"}
    access = create_access_token(identity=str(user.id), additional_claims=claims)
    refresh = create_refresh_token(identity=str(user.id), additional_claims=claims)
    session.refresh_jti = decode_token(refresh)["jti"]
    session.expires_at = clock.now() + timedelta(seconds=current_app.config["JWT_REFRESH_TOKEN_EXPIRES"])
    db.session.add(session)
    db.session.commit()
    return {"access_token": access, "refresh_token": refresh,
            "expires_in": current_app.config["JWT_ACCESS_TOKEN_EXPIRES"],
            "must_change_password": password_change_due(user, claims)}


def password_change_due(user: User, claims: dict) -> bool:
    """An initial password must be changed before anything else, unless the session did not
    come from it (campus sign-in)."""
    return user.must_change_password and claims.get("via") != "cas"


def refresh(user: User, claims: dict) -> dict:
    """Rotate: the presented refresh token is spent, a new pair is issued.

    A refresh token that is not the session's current one has been used
    before, so somebody holds a copy: the whole session is revoked.
    """
    session = db.session.get(AuthSession, claims["sid"])
    if session is None or session.revoked_at is not None:
        raise Problem(401, "登录已失效 / Session ended", "Log in again.")
    if session.refresh_jti != claims["jti"]:
        session.revoked_at = clock.now()
        db.session.commit()
        raise Problem(401, "登录已失效 / Session ended", "This refresh token was already used; log in again.")
    return _issue(user, session)


def is_revoked(claims: dict) -> bool:
    """Whether the token's session has ended: cached per process until any of its user's sessions
    changes (platform/cached.py), so a logout on any worker refuses the token at once."""
    def load():
        session = db.session.get(AuthSession, claims.get("sid"))
        # A spent refresh token is not "revoked" here: refresh() must see it to detect reuse.
        return {"revoked": session is None or session.revoked_at is not None}
    kinds = [cached.PEOPLE, cached.user_kind(int(claims["sub"]))]
    return cached.lookup(kinds, ("session", claims.get("sid")), load)["revoked"]


def logout(claims: dict) -> None:
    session = db.session.get(AuthSession, claims["sid"])
    if session is not None and session.revoked_at is None:
        session.revoked_at = clock.now()
        db.session.commit()


def change_password(user: User, current: str, new: str, keep_session: str | None) -> None:
    if not passwords.verify_password(user.password_hash, current):
        raise Problem(422, "请求数据有误 / Invalid request data",
                      errors={"current_password": ["当前密码不正确 / The current password is wrong."]})
    if new == current:
        raise Problem(422, "请求数据有误 / Invalid request data",
                      errors={"new_password": ["新密码不能与旧密码相同 / Choose a password you have not used."]})
    user.password_hash = passwords.hash_password(new)
    user.must_change_password = False
    # Every other device logged in with the old password is signed out.
    for session in db.session.scalars(select(AuthSession).where(
            AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None), AuthSession.id != keep_session)):
        session.revoked_at = clock.now()
    db.session.commit()

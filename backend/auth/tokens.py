"""flask-jwt-extended callbacks: who a token is, whether it is revoked, error shapes."""
from flask_jwt_extended import JWTManager

from backend.auth import sessions
from backend.errors import problem_body, problem_response
from backend.extensions import db
from backend.models import RoleGrant, StudentProfile, User
from backend.platform import cached, language


def _unauthorized(detail: str):
    return problem_response(problem_body(401, "需要登录 / Authentication required", detail),
                            {"WWW-Authenticate": "Bearer"})


def _user_data(user_id: int) -> dict | None:
    user = db.session.get(User, user_id)
    if user is None:
        return None
    return {"user": cached.columns(user), "grants": [cached.columns(g) for g in user.grants],
            "student": cached.columns(user.student) if user.student is not None else None}


def token_user(user_id: int) -> User | None:
    """The token's user with their grants and student profile: from this process's cache while
    none of their rows changed (platform/cached.py), an ordinary object of the request's session."""
    data = cached.lookup([cached.PEOPLE, cached.user_kind(user_id)], ("user", user_id), lambda: _user_data(user_id))
    if data is None:
        return None
    data = cached.fresh(data)
    return cached.attach(User(**data["user"], grants=[RoleGrant(**g) for g in data["grants"]],
                              student=StudentProfile(**data["student"]) if data["student"] else None))


def register_token_callbacks(jwt: JWTManager) -> None:
    @jwt.user_lookup_loader
    def load_user(_header, claims):
        user = token_user(int(claims["sub"]))
        if user is None or not user.is_active:
            return None
        language.use(user.language)  # the user's own choice answers, whatever the device says
        return user

    @jwt.token_in_blocklist_loader
    def revoked(_header, claims):
        return sessions.is_revoked(claims)

    jwt.unauthorized_loader(lambda reason: _unauthorized(reason))
    jwt.invalid_token_loader(lambda reason: _unauthorized(reason))
    jwt.expired_token_loader(lambda _h, _c: _unauthorized("The token has expired."))
    jwt.revoked_token_loader(lambda _h, _c: _unauthorized("The session has ended; log in again."))
    jwt.user_lookup_error_loader(lambda _h, _c: _unauthorized("The account is not active."))
    jwt.needs_fresh_token_loader(lambda _h, _c: _unauthorized("A fresh login is required."))

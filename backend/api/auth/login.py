from flask import after_this_request, current_app, request
from flask_jwt_extended import (
    current_user,
    get_jwt,
    jwt_required,
    set_refresh_cookies,
    unset_jwt_cookies,
    verify_jwt_in_request,
)
from flask_smorest import Blueprint
from itsdangerous import BadSignature, URLSafeTimedSerializer

from backend.auth import passwords, sessions
from backend.auth.current import login_required
from backend.errors import Problem
from backend.schemas.auth import LoginIn, PasswordChangeIn, TokenOut

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Log in, refresh, log out")

DEVICE_COOKIE = "spiral_device"
DEVICE_MAX_AGE = 365 * 86400


def _device_signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="trusted-device")


def _trusted_device(username: str) -> bool:
    token = request.cookies.get(DEVICE_COOKIE)
    if not token:
        return False
    try:
        return _device_signer().loads(token, max_age=DEVICE_MAX_AGE) == username.lower()
    except BadSignature:
        return False


def _answer(tokens: dict, username: str | None = None) -> dict:
    """The access token goes in the body; the refresh token only in an HttpOnly cookie."""
    @after_this_request
    def cookies(response):
        set_refresh_cookies(response, tokens["refresh_token"])
        if username:
            response.set_cookie(DEVICE_COOKIE, _device_signer().dumps(username.lower()), max_age=DEVICE_MAX_AGE,
                                httponly=True, samesite="Strict", path="/api/v1/auth/",
                                secure=current_app.config["JWT_COOKIE_SECURE"])
        return response
    return tokens


@blp.post("/login")
@blp.arguments(LoginIn)
@blp.response(200, TokenOut)
@blp.doc(security=[])
def login(body):
    """Log in with student or staff number and password.

    Sets the refresh token as an HttpOnly cookie (path /api/v1/auth/) and a
    readable `csrf_refresh_token` cookie whose value must be sent back in the
    X-CSRF-TOKEN header when refreshing.
    """
    user, tokens = sessions.login(body["username"], body["password"], request.remote_addr or "?",
                                  _trusted_device(body["username"]), request.headers.get("User-Agent"))
    return _answer(tokens, user.username)


@blp.post("/refresh")
@blp.response(200, TokenOut)
@blp.doc(security=[])
@jwt_required(refresh=True, locations=["cookies"])
def refresh():
    """Exchange the refresh cookie for a new access token; the refresh token rotates."""
    return _answer(sessions.refresh(current_user, get_jwt()))


@blp.post("/logout")
@blp.response(204)
def logout():
    """End this device's session: its access and refresh tokens stop working."""
    verify_jwt_in_request(locations=["headers"])
    sessions.logout(get_jwt())

    @after_this_request
    def clear(response):
        unset_jwt_cookies(response)
        return response


@blp.post("/password")
@blp.arguments(PasswordChangeIn)
@blp.response(204)
@login_required(allow_password_change=True)
def change_password(body):
    """Change the password (required after an import or reset); other devices are logged out.

    The new password: at least 8 characters of any script, no composition rules, not one of the
    common passwords shipped with the app, not the username nor containing it (NIST SP 800-63B).
    """
    if found := passwords.weaknesses(body["new_password"], current_user.username):
        raise Problem(422, "请求数据有误 / Invalid request data", errors={"new_password": found})
    sessions.change_password(current_user, body["current_password"], body["new_password"], get_jwt()["sid"])

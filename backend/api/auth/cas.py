"""Campus sign-in (统一身份认证, CAS): the browser's way out to the CAS server and back, and the
school admin's choice of who keeps a password login.

/auth/cas/login and /auth/cas/callback are browser navigations, not fetches: they answer with
redirects, and a refused sign-in lands on the PWA's error screen (#/cas-error?reason=...), which
says what to do. The refresh cookie and CSRF cookie are set as the password login sets them.
"""
from urllib.parse import urlencode

from flask import current_app, redirect, request
from flask_jwt_extended import current_user, set_refresh_cookies
from flask_smorest import Blueprint
from itsdangerous import BadSignature, URLSafeTimedSerializer

from backend import database
from backend.api.auth.login import DEVICE_COOKIE, DEVICE_MAX_AGE, _device_signer
from backend.auth import cas, password_login
from backend.auth.current import login_required
from backend.auth.policy import Resource, authorize, can, roles_over_person
from backend.errors import Problem
from backend.extensions import db
from backend.models import User
from backend.schemas.signin import CasOut, PasswordLoginIn, PasswordLoginOut, PasswordLoginQuery

blp = Blueprint("cas", __name__, url_prefix="/api/v1", description="Campus sign-in (统一身份认证, CAS)")

STATE_COOKIE = "spiral_cas_state"
STATE_PATH = "/api/v1/auth/cas/"
STATE_MAX_AGE = 600  # seconds to sign in at the CAS server, password typing included


def _state_signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="cas-state")


def _private(response):
    # The callback's URL holds a ticket: not cached, not sent on as a Referer.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _to_error(refused: cas.Refused):
    query = {"reason": refused.reason, **({"account": refused.account} if refused.account else {})}
    response = _private(redirect("/#/cas-error?" + urlencode(query)))
    response.delete_cookie(STATE_COOKIE, path=STATE_PATH)
    return response


@blp.get("/auth/cas")
@blp.response(200, CasOut)
@blp.doc(security=[])
def settings():
    """Whether campus sign-in is on, and its login and logout addresses (for the login screen)."""
    on = cas.enabled()
    return {"enabled": on, "login_url": "/api/v1/auth/cas/login" if on else None, "logout_url": cas.logout_url()}


@blp.get("/auth/cas/login")
@blp.doc(security=[], responses={"302": {"description": "to the CAS server's /login"}})
def start():
    """Go to the CAS server to sign in; a nonce bound to this browser (a cookie) comes back in
    the service URL."""
    if not cas.enabled():
        return _to_error(cas.Refused("off"))
    state = cas.new_state()
    response = _private(redirect(cas.login_url(state)))
    # Lax, not Strict: the way back is a top-level navigation from the CAS server's site.
    response.set_cookie(STATE_COOKIE, _state_signer().dumps(state), max_age=STATE_MAX_AGE, httponly=True,
                        samesite="Lax", path=STATE_PATH, secure=current_app.config["JWT_COOKIE_SECURE"])
    return response


def _state_ok(state: str) -> bool:
    try:
        return bool(state) and _state_signer().loads(request.cookies.get(STATE_COOKIE, ""), max_age=STATE_MAX_AGE) == state
    except BadSignature:
        return False


@blp.get("/auth/cas/callback")
@blp.doc(security=[], responses={"302": {"description": "to the PWA: its home, or #/cas-error?reason=..."}})
def callback():
    """The CAS server's way back with a ticket: validated once, for this service URL, then the
    user's Spiral session (refresh and CSRF cookies, as after a password login)."""
    if not cas.enabled():
        return _to_error(cas.Refused("off"))
    state, ticket = request.args.get("state", "")[:64], request.args.get("ticket", "")[:512]
    try:
        # A GET that writes (a session, or the audited refusal): its writes take SQLite's lock up front.
        with database.write_apart():
            if not _state_ok(state):
                raise cas.refused_state()
            user, tokens = cas.sign_in(ticket, state, request.headers.get("User-Agent"))
    except cas.Refused as refused:
        return _to_error(refused)
    response = _private(redirect("/#/cas-done"))
    response.delete_cookie(STATE_COOKIE, path=STATE_PATH)
    set_refresh_cookies(response, tokens["refresh_token"])
    response.set_cookie(DEVICE_COOKIE, _device_signer().dumps(user.username.lower()), max_age=DEVICE_MAX_AGE,
                        httponly=True, samesite="Strict", path="/api/v1/auth/",
                        secure=current_app.config["JWT_COOKIE_SECURE"])
    return response


@blp.post("/auth/cas/callback")
@blp.response(204)
@blp.doc(security=[])
def single_logout():
    """The CAS server's single logout: a form field `logoutRequest` (SAML) naming the ticket a
    session began with ends that session. Always 204: the answer says nothing about sessions."""
    if cas.enabled():
        cas.single_logout(request.form.get("logoutRequest", ""))


@blp.get("/password-logins")
@blp.arguments(PasswordLoginQuery, location="query")
@blp.response(200, PasswordLoginOut(many=True))
@login_required
def search(query):
    """Accounts whose login or name contains `q`, with their password-login choice (empty `q`:
    the accounts that differ from their roles' default). School admin."""
    authorize(current_user, "edit", Resource.SIGN_IN)
    return password_login.search(query["q"].strip())


@blp.put("/password-logins/<int:user_id>")
@blp.arguments(PasswordLoginIn)
@blp.response(200, PasswordLoginOut)
@login_required
def choose(body, user_id):
    """Allow or deny a password login while CAS is on, or follow the roles' default. Audited."""
    user = db.session.get(User, user_id)
    if not can(current_user, "edit", Resource.SIGN_IN):
        # A person the caller's roles do not reach is not there for them (404); one they do, 403.
        if user is not None and (user.id == current_user.id or roles_over_person(current_user, user.id)[0]):
            authorize(current_user, "edit", Resource.SIGN_IN)
        raise Problem(404, "未找到 / Not found")
    if user is None:
        raise Problem(404, "未找到 / Not found")
    out = password_login.choose(user, body["password_login"], current_user.id)
    db.session.commit()
    return out

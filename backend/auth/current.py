"""The one decorator every protected endpoint uses."""
from functools import wraps

from flask import Flask, current_app, g, request
from flask_jwt_extended import current_user, get_jwt, verify_jwt_in_request

from backend.auth import sessions
from backend.errors import Problem


def login_required(fn=None, *, allow_password_change: bool = False):
    """Require a valid access token in the Authorization header.

    Accounts with an initial password may only change it (and read /me)
    until they do. The token is checked before the request's body and query are parsed
    (`authenticate_first`), so a caller without one gets 401 whatever it sends, never a 422
    that tells it how the body is checked.
    """
    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not g.get("spiral_authenticated"):
                verify_jwt_in_request(locations=["headers"])
            if not allow_password_change and sessions.password_change_due(current_user, get_jwt()):
                raise Problem(403, "请先修改初始密码 / Change your initial password first",
                              type_="/problems/password-change-required")
            return view(*args, **kwargs)
        wrapper.spiral_login_required = True  # functools.wraps carries it to flask-smorest's outer wrappers
        return wrapper
    return decorate(fn) if fn else decorate


def authenticate_first() -> None:
    """before_request: the token of a login_required view, checked before flask-smorest's
    `@blp.arguments` parses anything (it wraps the view from outside)."""
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    if getattr(view, "spiral_login_required", False):
        verify_jwt_in_request(locations=["headers"])
        g.spiral_authenticated = True


def register(app: Flask) -> None:
    app.before_request(authenticate_first)

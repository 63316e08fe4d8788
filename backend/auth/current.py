"""The one decorator every protected endpoint uses."""
from functools import wraps

from flask_jwt_extended import current_user, verify_jwt_in_request

from backend.errors import Problem


def login_required(fn=None, *, allow_password_change: bool = False):
    """Require a valid access token in the Authorization header.

    Accounts with an initial password may only change it (and read /me)
    until they do.
    """
    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            verify_jwt_in_request(locations=["headers"])
            if current_user.must_change_password and not allow_password_change:
                raise Problem(403, "请先修改初始密码 / Change your initial password first",
                              type_="/problems/password-change-required")
            return view(*args, **kwargs)
        return wrapper
    return decorate(fn) if fn else decorate

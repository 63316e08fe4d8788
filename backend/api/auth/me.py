from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from backend.auth.current import login_required
from backend.extensions import db
from backend.schemas.auth import MeOut, MePatchIn

blp = Blueprint("me", __name__, url_prefix="/api/v1/me", description="The logged-in user")


@blp.get("")
@blp.response(200, MeOut)
@login_required(allow_password_change=True)
def me():
    return current_user


@blp.patch("")
@blp.arguments(MePatchIn)
@blp.response(200, MeOut)
@login_required
def update_me(body):
    for key, value in body.items():
        setattr(current_user, key, value)
    db.session.commit()
    return current_user

from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from backend.auth.current import login_required
from backend.auth.policy import can
from backend.errors import Problem
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
    """The display language; staff also their display name. A student's name is their official
    name from the roster (what sheets, reports and their teachers show): a student sending
    `display_name` gets a 403 naming the field, and nothing is changed."""
    if "display_name" in body and not can(current_user, "rename", current_user._get_current_object()):
        raise Problem(403, "无权操作 / Not allowed",
                      "A student's name comes from the roster; the school office corrects it there.",
                      errors={"display_name": ["学生姓名以学籍名单为准，请联系教务处更正 / A student's name comes "
                                               "from the roster; ask the school office to correct it."]})
    for key, value in body.items():
        setattr(current_user, key, value)
    db.session.commit()
    return current_user

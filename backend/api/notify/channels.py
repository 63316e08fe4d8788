"""WeCom / DingTalk: the school admin sets each channel's app and links users to their ids there."""
from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from backend.auth.current import login_required
from backend.auth.policy import Resource, authorize, can, roles_over_person
from backend.errors import Problem
from backend.extensions import db
from backend.models import User
from backend.models.channel import CHANNELS
from backend.notify.channels import accounts, settings
from backend.schemas.channels import AccountIn, AccountOut, AccountQuery, ChannelIn, ChannelOut

blp = Blueprint("channels", __name__, url_prefix="/api/v1",
                description="企业微信 / 钉钉: channel settings and users' ids (school admin)")


def _channel(channel: str) -> str:
    if channel not in CHANNELS:
        raise Problem(404, "未找到 / Not found")
    return channel


@blp.get("/channels")
@blp.response(200, ChannelOut(many=True))
@login_required
def list_channels():
    """Each channel's app: ids, whether a secret is set (never the secret), ready or not."""
    authorize(current_user, "edit", Resource.CHANNELS)
    return [settings.view(c) for c in CHANNELS]


@blp.put("/channels/<channel>")
@blp.arguments(ChannelIn)
@blp.response(200, ChannelOut)
@login_required
def configure(body, channel):
    """Set the corp id / app key, agent id and secret (stored encrypted; an empty secret keeps the
    stored one; an empty id falls back to the environment's). Audited without the secret."""
    authorize(current_user, "edit", Resource.CHANNELS)
    out = settings.configure(_channel(channel), body, current_user.id)
    db.session.commit()
    return out


@blp.get("/channel-accounts")
@blp.arguments(AccountQuery, location="query")
@blp.response(200, AccountOut(many=True))
@login_required
def search_accounts(query):
    """Users whose login or name contains `q`, with their WeCom / DingTalk ids (empty `q`: the linked ones)."""
    authorize(current_user, "edit", Resource.CHANNELS)
    return accounts.search(query["q"].strip())


@blp.put("/channel-accounts/<int:user_id>")
@blp.arguments(AccountIn)
@blp.response(200, AccountOut)
@login_required
def set_account(body, user_id):
    """Set or clear a user's WeCom and/or DingTalk userid; 422 naming the field when another user
    has it. Audited."""
    user = db.session.get(User, user_id)
    if not can(current_user, "edit", Resource.CHANNELS):
        # A person the caller's roles do not reach is not there for them (404); one they do, 403.
        if user is not None and (user.id == current_user.id or roles_over_person(current_user, user.id)[0]):
            authorize(current_user, "edit", Resource.CHANNELS)
        raise Problem(404, "未找到 / Not found")
    if user is None:
        raise Problem(404, "未找到 / Not found")
    out = accounts.set_ids(user, body, current_user.id)
    db.session.commit()
    return out

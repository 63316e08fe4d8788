"""Who is who in WeCom and DingTalk: each user's userid there, set by the school admin (one by
one here, or in bulk by the roster import's optional columns). The database keeps one user per
id and one id per user and channel (unique constraints); a duplicate answers 422 naming the field."""
from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError

from backend.errors import Problem
from backend.extensions import db
from backend.models import ChannelAccount, User
from backend.models.channel import CHANNELS, EXTERNAL_ID, ID_PROBLEM, normalise_external_id
from backend.platform import audit

normalise = normalise_external_id


def ids_of(user_ids) -> dict[int, dict[str, str]]:
    found: dict[int, dict[str, str]] = {}
    for user_id, channel, external_id in db.session.execute(select(
            ChannelAccount.user_id, ChannelAccount.channel, ChannelAccount.external_id)
            .where(ChannelAccount.user_id.in_(list(user_ids)))):
        found.setdefault(user_id, {})[channel] = external_id
    return found


def row(user: User) -> dict:
    ids = ids_of([user.id]).get(user.id, {})
    return {"user_id": user.id, "username": user.username, "display_name": user.display_name,
            **{c: ids.get(c) for c in CHANNELS}}


def search(text: str, limit: int = 30) -> list[dict]:
    """Users whose login or name contains `text` (or everyone linked, for an empty search)."""
    query = select(User).order_by(User.username).limit(limit)
    if text:
        like = f"%{text.lower()}%"
        query = query.where(or_(func.lower(User.username).like(like), func.lower(User.display_name).like(like)))
    else:
        query = query.where(User.id.in_(select(ChannelAccount.user_id)))
    users = db.session.scalars(query).all()
    ids = ids_of(u.id for u in users)
    return [{"user_id": u.id, "username": u.username, "display_name": u.display_name,
             **{c: ids.get(u.id, {}).get(c) for c in CHANNELS}} for u in users]


def taken_message(channel: str, other: str) -> str:
    return f"该{'企业微信' if channel == 'wecom' else '钉钉'}账号已关联到 {other}，请先解除 / Already linked to {other}; unlink it there first"


def set_ids(user: User, changes: dict[str, str | None], actor_id: int) -> dict:
    """Set or clear (None or "") the user's id per channel named in `changes`. A
    duplicate is caught by the unique constraint (not read first) and writes nothing."""
    errors = {c: [ID_PROBLEM] for c, v in changes.items() if v and not EXTERNAL_ID.match(v)}
    if errors:
        raise Problem(422, "账号格式不正确 / Invalid account id", errors=errors)
    done = {}
    for channel, value in changes.items():
        value = normalise(channel, value)
        db.session.execute(delete(ChannelAccount).where(ChannelAccount.user_id == user.id,
                                                        ChannelAccount.channel == channel))
        if value:
            db.session.add(ChannelAccount(user_id=user.id, channel=channel, external_id=value))
        try:
            db.session.flush()
        except IntegrityError:
            db.session.rollback()  # the whole change: nothing is written
            other = db.session.execute(
                select(User.display_name, User.username).join(ChannelAccount, ChannelAccount.user_id == User.id)
                .where(ChannelAccount.channel == channel, ChannelAccount.external_id == value)).first()
            # Name and number: the admin must find the other person, and names repeat.
            holder = f"{other[0]}（{other[1]}）" if other else "?"
            raise Problem(422, "账号已被使用 / Account id already in use",
                          errors={channel: [taken_message(channel, holder)]}) from None
        done[channel] = value or None
    audit.record(actor_id, "channel.link", "user", str(user.id), done)
    return row(user)

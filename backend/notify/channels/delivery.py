"""Channel deliveries: one row per (notification, channel), made beside the notification's Web
Push rows with the same due time (notifications._mode decides: now, after quiet hours, in the
digest, or not at all), claimed and sent exactly as push.py claims and sends PushDelivery rows:

- a worker claims due rows in one UPDATE (state sending, a claim token, due_at pushed out by
  CLAIM_SECONDS, so a dead worker's claim is taken over later) and sends only the rows its token
  holds: two workers never send one row twice;
- the vendor's answer makes the row sent, due again later (5xx, timeouts, "system busy", backoff
  from CHANNEL_BACKOFF), or failed for good (invalid user, not in the app's range);
- what the phone shows is the neutral lock-screen text (notifications.lock_text) and a link into
  the app: never a student's name or the risk category.
"""
import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import and_, bindparam, select, update

from backend.extensions import db
from backend.models import ChannelAccount, ChannelDelivery, Notification, User
from backend.notify.channels import settings
from backend.notify.channels.client import FAILED, RETRY, SENT, Client, Message, TokenCache
from backend.notify.channels.dingtalk import DingTalk
from backend.notify.channels.wecom import WeCom
from backend.notify.notifications import claim_due, lock_text
from backend.platform import changes, clock, language, metrics, queue

log = logging.getLogger(__name__)
CLIENTS: dict[str, type[Client]] = {"wecom": WeCom, "dingtalk": DingTalk}
CLAIM_SECONDS = 600
BATCH = 64  # rows a claim takes, sent CONCURRENCY at a time: 8 rounds of at most 4 requests × CHANNEL_TIMEOUT fit inside CLAIM_SECONDS
CONCURRENCY = 8


def schedule(notification: Notification, due: datetime) -> int:
    """A delivery row for each configured channel the notification's user is linked to; how many."""
    ready = settings.ready_channels()
    if not ready:
        return 0
    linked = db.session.scalars(select(ChannelAccount.channel).where(
        ChannelAccount.user_id == notification.user_id, ChannelAccount.channel.in_(ready))).all()
    for channel in linked:
        db.session.add(ChannelDelivery(notification=notification, channel=channel, due_at=due))
    if linked:
        changes.touch("channels", 0, [0])
    return len(linked)


def cancel_pending(warning_id: int) -> int:
    """Cancel the channel messages of a warning's notifications that have not gone out (as
    notifications.cancel_pending does for Web Push); how many."""
    ids = select(Notification.id).where(Notification.warning_id == warning_id).scalar_subquery()
    return db.session.execute(update(ChannelDelivery).where(
        ChannelDelivery.notification_id.in_(ids), ChannelDelivery.state == "due")
        .values(state="cancelled", claim=None), execution_options={"synchronize_session": False}).rowcount


def _claim(now: datetime) -> list:
    token = claim_due(ChannelDelivery, now, BATCH, CLAIM_SECONDS)
    return db.session.execute(
        select(ChannelDelivery.id.label("delivery_id"), ChannelDelivery.attempts, ChannelDelivery.channel,
               ChannelAccount.external_id, Notification.id, Notification.kind, Notification.level,
               Notification.url, User.language)
        .join(Notification, Notification.id == ChannelDelivery.notification_id)
        .join(User, User.id == Notification.user_id)
        .outerjoin(ChannelAccount, and_(ChannelAccount.user_id == Notification.user_id,
                                        ChannelAccount.channel == ChannelDelivery.channel))
        .where(ChannelDelivery.claim == token, ChannelDelivery.state == "sending")).all()


def _message(r, base: str) -> Message:
    lang = language.of(r.language)
    return Message(r.external_id, "Spiral", lock_text(r, r.language), base.rstrip("/") + (r.url or "/"),
                   language.pick("查看 / Open", lang))


def _clients() -> dict[str, Client]:
    try:
        redis = queue.redis_connection()
        redis.ping()
    except RedisError:
        redis = None
    cache, timeout = TokenCache(redis), current_app.config["CHANNEL_TIMEOUT"]
    out = {}
    for channel, cls in CLIENTS.items():
        s = settings.effective(channel)
        if s.ready:
            out[channel] = cls(s, cache, timeout)
    return out


def _outcome(attempts: int, verdict: str, status: str, now: datetime) -> dict:
    attempts += 1
    if verdict == SENT:
        return _row("sent", attempts, status, now)
    if verdict == RETRY:
        backoff = current_app.config["CHANNEL_BACKOFF"]
        if attempts <= len(backoff):
            return _row("due", attempts, status, now + timedelta(seconds=backoff[attempts - 1]))
    return _row("failed", attempts, status, now)


def _row(state: str, attempts: int, status: str, due) -> dict:
    return {"new_state": state, "new_attempts": attempts, "new_status": status[:64], "new_due": due}


def deliver_due(now: datetime | None = None) -> dict:
    """Send every due channel delivery; counts by outcome. Called by the deliver_channels job."""
    totals = {"sent": 0, "retry": 0, "failed": 0}
    while True:
        now_ = now or clock.now()
        claimed = _claim(now_)
        if not claimed:
            return totals
        clients, base = _clients(), current_app.config["APP_URL"]

        # Messages are made here, in the app's context; the pool's threads only talk to the vendors.
        work = [(r, clients.get(r.channel), _message(r, base) if r.external_id else None) for r in claimed]

        def send(item) -> tuple[str, str]:
            r, client, message = item
            if message is None:
                return FAILED, "unlinked"  # the link was removed after the alert was made
            if client is None:
                return FAILED, "not configured"
            try:
                return client.send(message)
            except Exception as exc:  # noqa: BLE001 - one bad row must not stop the others
                log.exception("%s delivery %s", r.channel, r.delivery_id)
                return RETRY, f"error {type(exc).__name__}"

        with ThreadPoolExecutor(min(CONCURRENCY, len(claimed))) as pool:
            results = list(pool.map(send, work))
        rows = [{"row_id": r.delivery_id, **_outcome(r.attempts, verdict, status, now_)}
                for r, (verdict, status) in zip(claimed, results, strict=True)]
        table = ChannelDelivery.__table__
        # Only rows this claim still holds: a row cancelled meanwhile stays cancelled.
        db.session.execute(update(table).where(table.c.id == bindparam("row_id"), table.c.state == "sending").values(
            state=bindparam("new_state"), attempts=bindparam("new_attempts"),
            last_status=bindparam("new_status"), due_at=bindparam("new_due"), claim=None), rows)
        db.session.commit()
        for r in rows:
            totals["sent" if r["new_state"] == "sent" else "retry" if r["new_state"] == "due" else "failed"] += 1
        for r, row in zip(claimed, rows, strict=True):
            metrics.delivered(r.channel, row["new_state"])


def next_due():
    return db.session.scalar(select(ChannelDelivery.due_at).where(ChannelDelivery.state == "due")
                             .order_by(ChannelDelivery.due_at).limit(1))

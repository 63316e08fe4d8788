"""The in-app inbox and the alert budget: which alert pushes now, after quiet hours, in the
daily digest, or not at all. Every alert is kept in the inbox whatever happens to its push."""
import uuid
from collections import defaultdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select, update

from backend.extensions import db
from backend.models import (
    Notification,
    NotificationPreference,
    PushDelivery,
    PushSubscription,
)
from backend.platform import changes, clock, language

# The lock screen shows only these: never a student's name or the risk category (docs/DESIGN.md decision 7).
LOCK_TEXT = {
    ("warning", "red"): "有一条红色预警需要您处理 / A red alert needs you",
    ("warning", "orange"): "有一条橙色预警需要您处理 / An orange alert needs you",
    ("warning", "yellow"): "有一条新的预警 / A new alert",
    ("escalation", None): "有一条预警逾期未确认，已转给您 / An overdue alert was passed to you",
    ("nudge", None): "您有一条新的成长提醒 / You have a new nudge",
    ("review", None): "有一份计划或自我诊断等待您审阅 / A plan or self-diagnosis awaits your review",
    ("plan", None): "您的计划或自我诊断有了新的审阅意见 / Your plan or self-diagnosis was reviewed",
    ("digest", None): "您的今日提醒汇总 / Your daily digest of alerts",
    ("dispute", None): "您的申诉有了处理结果 / Your dispute was answered",
    ("incident", None): "有一批记录需要您核对 / Some records need your check",
}


def lock_text(n: Notification, lang: str | None = None) -> str:
    """In the recipient's language: a push is read outside any request, so by their setting."""
    return language.pick(LOCK_TEXT.get((n.kind, n.level)) or LOCK_TEXT[(n.kind, None)], language.of(lang))


def preferences(user_id: int) -> NotificationPreference:
    pref = db.session.get(NotificationPreference, user_id)
    if pref is None:
        pref = NotificationPreference(user_id=user_id)
        db.session.add(pref)
        db.session.flush()  # fills in the model's defaults
    return pref


def update_preferences(user_id: int, changes_: dict) -> NotificationPreference:
    pref = preferences(user_id)
    for key, value in changes_.items():
        setattr(pref, key, value)
    return pref


def _local(now: datetime) -> datetime:
    return now.astimezone(ZoneInfo(current_app.config["SCHOOL_TZ"]))


def quiet_until(pref: NotificationPreference, now: datetime) -> datetime | None:
    """When the user's quiet hours end, if `now` falls inside them."""
    start, end = pref.quiet_from, pref.quiet_until
    if start is None or end is None or start == end:
        return None
    local = _local(now)
    inside = start <= local.hour < end if start < end else local.hour >= start or local.hour < end
    if not inside:
        return None
    ends = local.replace(hour=end, minute=0, second=0, microsecond=0)
    return (ends if ends > local else ends + timedelta(days=1)).astimezone(now.tzinfo)


def _pushed_today(user_id: int, now: datetime) -> int:
    midnight = _local(now).replace(hour=0, minute=0, second=0, microsecond=0)
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.created_at >= midnight,
        Notification.push.in_(("now", "quiet")), Notification.level != "red"))


def _mode(pref: NotificationPreference, level: str | None, now: datetime) -> tuple[str, datetime]:
    """Red always pushes at once. Otherwise: yellow into the digest (if the user keeps one),
    beyond the daily budget into the digest, inside quiet hours held until they end."""
    if level == "red":
        return "now", now
    if level == "yellow" and pref.digest:
        return "digest", now
    if _pushed_today(pref.user_id, now) >= current_app.config["PUSH_DAILY_BUDGET"]:
        return "digest", now
    held = quiet_until(pref, now)
    return ("quiet", held) if held else ("now", now)


def _deliveries(notification: Notification, due: datetime) -> int:
    """Web Push to each enabled device, and a WeCom / DingTalk message on each configured channel
    the user is linked to (notify/channels), all due at the same time; how many."""
    from backend.notify.channels import delivery as channels  # it reads lock_text from here

    subs = db.session.scalars(select(PushSubscription.id).where(
        PushSubscription.user_id == notification.user_id, PushSubscription.enabled)).all()
    for sub_id in subs:
        db.session.add(PushDelivery(notification=notification, subscription_id=sub_id, due_at=due))
    if subs:
        changes.touch("push", 0, [0])
    return len(subs) + channels.schedule(notification, due)


def send(user_ids, *, kind: str, level: str | None, title: str, body: str, url: str,
         warning_id: int | None = None, now: datetime | None = None) -> list[Notification]:
    """Put an alert into each user's inbox and schedule its pushes as their budget says."""
    now = now or clock.now()
    out = []
    for user_id in dict.fromkeys(user_ids):
        mode, due = _mode(preferences(user_id), level, now)
        n = Notification(user_id=user_id, warning_id=warning_id, kind=kind, level=level, title=title[:200],
                         body=body, url=url, push=mode, created_at=now)
        db.session.add(n)
        if mode in ("now", "quiet") and not _deliveries(n, due):
            n.push = "none"  # no device to push to: the inbox is where it waits
        out.append(n)
    db.session.flush()
    return out


def cancel_pending(warning_id: int) -> int:
    """A withdrawn warning: its pushes and channel messages not yet sent are cancelled, and its
    alerts still waiting for the digest leave it, so no phone lights up for a warning that no
    longer stands. The inbox lines stay. Returns how many deliveries were cancelled."""
    from backend.notify.channels import delivery as channels
    ids = select(Notification.id).where(Notification.warning_id == warning_id).scalar_subquery()
    db.session.execute(update(Notification).where(Notification.id.in_(ids), Notification.push == "digest",
                                                  Notification.digest_id.is_(None))
                       .values(push="none").execution_options(synchronize_session=False))
    pushes = db.session.execute(update(PushDelivery).where(PushDelivery.notification_id.in_(ids),
                                                           PushDelivery.state == "due")
                                .values(state="cancelled").execution_options(synchronize_session=False)).rowcount
    return pushes + channels.cancel_pending(warning_id)


def send_digests(now: datetime | None = None) -> int:
    """One push per user for the alerts that waited for the digest, at the user's digest hour."""
    now = now or clock.now()
    local = _local(now)
    waiting = db.session.execute(select(Notification.user_id, Notification.id).where(
        Notification.push == "digest", Notification.digest_id.is_(None))).all()
    by_user = defaultdict(list)
    for user_id, nid in waiting:
        by_user[user_id].append(nid)
    sent = 0
    for user_id, ids in by_user.items():
        pref = preferences(user_id)
        if local.hour < pref.digest_hour or pref.last_digest_on == local.date().isoformat():
            continue
        digest = Notification(user_id=user_id, kind="digest", level="yellow", title=f"今日提醒 {len(ids)} 条 / {len(ids)} alerts today",
                              body="", url="/#/inbox", push="now", created_at=now)
        db.session.add(digest)
        db.session.flush()
        db.session.execute(update(Notification).where(Notification.id.in_(ids)).values(digest_id=digest.id))
        if not _deliveries(digest, now):
            digest.push = "none"
        pref.last_digest_on = local.date().isoformat()
        sent += 1
    return sent


def inbox(user_id: int, limit: int = 100) -> dict:
    items = db.session.scalars(select(Notification).where(Notification.user_id == user_id, Notification.kind != "digest")
                               .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)).all()
    unread = db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None), Notification.kind != "digest"))
    return {"unread": unread, "items": items}


def mark_read(user_id: int, notification_id: int) -> Notification | None:
    n = db.session.get(Notification, notification_id)
    if n is None or n.user_id != user_id:
        return None
    n.read_at = n.read_at or clock.now()
    return n


def claim_due(model, now: datetime, batch: int, claim_seconds: int) -> str:
    """Claim up to `batch` due delivery rows of `model` (PushDelivery, ChannelDelivery) for this
    worker, committed, and return the claim token. A claim older than `claim_seconds` belonged to
    a dead worker and is taken over; two workers never hold the same row."""
    token = str(uuid.uuid4())
    due = select(model.id).where(model.state.in_(("due", "sending")), model.due_at <= now) \
        .order_by(model.due_at).limit(batch)
    db.session.execute(update(model).where(
        model.id.in_(due.scalar_subquery()), model.state.in_(("due", "sending")),
        model.due_at <= now).values(state="sending", claim=token, due_at=now + timedelta(seconds=claim_seconds)),
        execution_options={"synchronize_session": False})
    db.session.commit()
    return token

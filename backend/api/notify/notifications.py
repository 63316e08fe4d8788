from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from backend import database
from backend.auth.current import login_required
from backend.errors import Problem
from backend.extensions import PROBLEM_JSON, db
from backend.models import PushSubscription
from backend.notify import notifications, push
from backend.schemas.alerts import (
    InboxOut,
    NotificationOut,
    PreferencesIO,
    PublicKeyOut,
    SubscriptionIn,
    SubscriptionOut,
    SubscriptionPatch,
)
from backend.schemas.common import ProblemSchema

blp = Blueprint("notifications", __name__, url_prefix="/api/v1", description="Inbox, push devices, alert budget")


@blp.get("/push/key")
@blp.response(200, PublicKeyOut)
@blp.alt_response(503, schema=ProblemSchema, content_type=PROBLEM_JSON,
                  description="推送未配置 / Push not configured: no VAPID key (`flask push keys`)")
@blp.doc(security=[])
def public_key():
    """The VAPID public key a device subscribes with (applicationServerKey); 503 while none is configured."""
    return {"public_key": push.public_key()}


def _own(subscription_id: int) -> PushSubscription:
    sub = db.session.get(PushSubscription, subscription_id)
    if sub is None or sub.user_id != current_user.id:
        raise Problem(404, "未找到 / Not found")
    return sub


@blp.get("/push/subscriptions")
@blp.response(200, SubscriptionOut(many=True))
@login_required
def my_devices():
    return db.session.query(PushSubscription).filter_by(user_id=current_user.id).order_by(PushSubscription.id).all()


@blp.post("/push/subscriptions")
@blp.arguments(SubscriptionIn)
@blp.response(201, SubscriptionOut)
@login_required
def subscribe(body):
    """Register this device (PushSubscription.toJSON() plus a device label). Repeating it is harmless.

    Push goes only to push services: the endpoint must be an https URL on a public host without
    credentials, p256dh a P-256 point and auth a 16-byte secret; otherwise 422 naming `endpoint`,
    `keys.p256dh` or `keys.auth`, and nothing is stored. The worker checks the address again
    after resolving the name, each time it sends."""
    sub = push.subscribe(current_user.id, body)
    db.session.commit()
    return sub


@blp.patch("/push/subscriptions/<int:subscription_id>")
@blp.arguments(SubscriptionPatch)
@blp.response(200, SubscriptionOut)
@login_required
def switch_device(body, subscription_id):
    """Push on or off for one device."""
    sub = _own(subscription_id)
    sub.enabled = body["enabled"]
    db.session.commit()
    return sub


@blp.delete("/push/subscriptions/<int:subscription_id>")
@blp.response(204)
@login_required
def unsubscribe(subscription_id):
    push.forget(_own(subscription_id))
    db.session.commit()


@blp.get("/me/notification-settings")
@blp.response(200, PreferencesIO)
@login_required
def settings():
    with database.write_apart():  # a GET that makes the row on first sight
        pref = notifications.preferences(current_user.id)
    return pref


@blp.put("/me/notification-settings")
@blp.arguments(PreferencesIO)
@blp.response(200, PreferencesIO)
@login_required
def update_settings(body):
    """Quiet hours (held until they end, red excepted), the daily digest and its hour."""
    pref = notifications.update_preferences(current_user.id, body)
    db.session.commit()
    return pref


@blp.get("/notifications")
@blp.response(200, InboxOut)
@login_required
def inbox():
    """Every alert the caller got, newest first, whether or not a push reached a device."""
    return notifications.inbox(current_user.id)


@blp.post("/notifications/<int:notification_id>/read")
@blp.response(200, NotificationOut)
@login_required
def read(notification_id):
    n = notifications.mark_read(current_user.id, notification_id)
    if n is None:
        raise Problem(404, "未找到 / Not found")
    db.session.commit()
    return n

"""Web Push with pywebpush: VAPID keys, device subscriptions and delivery.

Delivery reads due PushDelivery rows, claims them, encrypts each with pywebpush and sends
them concurrently with libcurl (pycurl), a bounded number in flight. The push
service's answer sorts each row three ways (as mastodon's push worker does): 2xx sent;
404/410 the subscription is gone and is deleted; 429, 5xx and timeouts are retried later
with backoff; any other 4xx (413: too large) fails for good. Rows make retries exact:
a retry sends only what failed, and a job run twice sends nothing twice.
"""
import json
import logging
import os
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

import certifi
import pycurl
from cryptography.hazmat.primitives import serialization
from flask import current_app
from py_vapid import Vapid
from py_vapid.utils import b64urlencode
from pywebpush import WebPusher
from sqlalchemy import bindparam, delete, select, update

from backend.errors import Problem
from backend.extensions import db
from backend.models import Notification, PushDelivery, PushSubscription
from backend.notify.notifications import lock_text
from backend.platform import clock

log = logging.getLogger(__name__)
MAX_PAYLOAD = 3072  # bytes of JSON before encryption; push services refuse ~4 KB
URGENCY = {"red": "high", "orange": "normal", "yellow": "low"}
CLAIM_SECONDS = 600  # a claim older than this belongs to a dead worker and is taken over
BATCH = 1000


def _keys_file() -> Path:
    return Path(current_app.config["INSTANCE_PATH"]) / "vapid.json"


def generate_keys(rotate: bool = False) -> dict:
    """`flask push keys`: VAPID keys into instance/vapid.json (mode 600), once."""
    path = _keys_file()
    if path.exists() and not rotate:
        return json.loads(path.read_text())
    vapid = Vapid()
    vapid.generate_keys()
    raw = vapid.private_key.private_numbers().private_value.to_bytes(32, "big")
    keys = {"private_key": b64urlencode(raw), "public_key": _public(vapid)}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    with open(path, "w", opener=lambda p, f: os.open(p, f, 0o600)) as f:
        json.dump(keys, f)
    return keys


def _public(vapid: Vapid) -> str:
    return b64urlencode(vapid.public_key.public_bytes(serialization.Encoding.X962,
                                                      serialization.PublicFormat.UncompressedPoint))


def keys() -> dict | None:
    cfg = current_app.config
    if cfg["VAPID_PRIVATE_KEY"] and cfg["VAPID_PUBLIC_KEY"]:
        return {"private_key": cfg["VAPID_PRIVATE_KEY"], "public_key": cfg["VAPID_PUBLIC_KEY"]}
    path = _keys_file()
    return json.loads(path.read_text()) if path.exists() else None


def public_key() -> str:
    found = keys()
    if found is None:
        raise Problem(503, "推送未配置 / Push not configured", "Run `flask push keys` or set VAPID_PRIVATE_KEY.")
    return found["public_key"]


class _Signer:
    """VAPID headers per push service origin, signed once and reused until near expiry:
    a JWT is valid for up to 24 h, so signing per message is wasted work."""

    def __init__(self, private_key: str, subject: str):
        self.vapid, self.subject, self.cache = Vapid.from_string(private_key), subject, {}

    def headers(self, endpoint: str) -> dict:
        url = urlparse(endpoint)
        # The real time, not the clock: the push service checks `exp` against its own clock.
        aud, now = f"{url.scheme}://{url.netloc}", int(time.time())
        exp, signed = self.cache.get(aud, (0, None))
        if exp - now < 3600:
            exp = now + 12 * 3600
            # A fresh dict each time: pywebpush and py_vapid mutate the claims they are given.
            signed = self.vapid.sign({"sub": self.subject, "aud": aud, "exp": exp})
            self.cache[aud] = (exp, signed)
        return dict(signed)


_signers: dict[tuple[str, str], _Signer] = {}


def _signer() -> _Signer:
    found = keys()
    if found is None:
        raise RuntimeError("VAPID keys missing: run `flask push keys`")
    key = (found["private_key"], current_app.config["VAPID_SUBJECT"])
    if key not in _signers:
        _signers[key] = _Signer(*key)
    return _signers[key]


def subscribe(user_id: int, info: dict) -> PushSubscription:
    """Register a device; a known endpoint moves to whoever subscribed it last (a handed-on phone)."""
    sub = db.session.scalar(select(PushSubscription).where(PushSubscription.endpoint == info["endpoint"]))
    if sub is None:
        sub = PushSubscription(endpoint=info["endpoint"])
        db.session.add(sub)
    sub.user_id, sub.p256dh, sub.auth = user_id, info["keys"]["p256dh"], info["keys"]["auth"]
    sub.device, sub.enabled = info.get("device"), True
    db.session.flush()
    return sub


def forget(sub: PushSubscription) -> None:
    db.session.execute(delete(PushDelivery).where(PushDelivery.subscription_id == sub.id))
    db.session.delete(sub)


def payload(n: Notification) -> bytes:
    """What the service worker gets: neutral lock-screen text and where to go in the app."""
    body = json.dumps({"title": "Spiral", "body": lock_text(n), "url": n.url, "tag": f"n{n.warning_id or n.id}",
                       "level": n.level, "notification_id": n.id}, ensure_ascii=False).encode()
    assert len(body) <= MAX_PAYLOAD, len(body)
    return body


@dataclass
class Outgoing:
    delivery_id: int
    attempts: int
    subscription_id: int
    info: dict
    data: bytes
    headers: dict


def _send_all(items: list[Outgoing], cfg) -> list[tuple[int | None, str | None]]:
    """(status, Retry-After or error) per item, in order. libcurl's multi interface (pycurl)
    keeps up to PUSH_CONCURRENCY requests in flight over kept-alive connections for a
    fraction of the CPU a Python HTTP client spends per request; pywebpush encrypts."""
    multi, results = pycurl.CurlMulti(), [None] * len(items)
    handles = [pycurl.Curl() for _ in range(min(cfg["PUSH_CONCURRENCY"], len(items)))]
    free, busy, waiting = list(handles), {}, list(range(len(items)))[::-1]

    def start(i: int) -> None:
        item, c, retry_after = items[i], free.pop(), {}
        headers = {**item.headers, "ttl": str(cfg["PUSH_TTL"]), "content-encoding": "aes128gcm",
                   "content-type": "application/octet-stream", "expect": ""}
        c.setopt(pycurl.URL, item.info["endpoint"])
        c.setopt(pycurl.POSTFIELDS, WebPusher(item.info).encode(item.data, "aes128gcm")["body"])
        c.setopt(pycurl.HTTPHEADER, [f"{k}: {v}" for k, v in headers.items()])
        c.setopt(pycurl.TIMEOUT_MS, int(cfg["PUSH_TIMEOUT"] * 1000))
        c.setopt(pycurl.CAINFO, certifi.where())
        c.setopt(pycurl.WRITEFUNCTION, len)  # the body of the answer is not needed
        c.setopt(pycurl.HEADERFUNCTION, lambda line: _retry_after(line, retry_after))
        busy[id(c)] = (i, retry_after)
        multi.add_handle(c)

    def finish(c, status: int | None, note: str | None) -> None:
        multi.remove_handle(c)
        i, retry_after = busy.pop(id(c))
        results[i] = (status, retry_after.get("seconds") if status else note)
        free.append(c)

    while waiting or busy:
        while waiting and free:
            start(waiting.pop())
        while multi.perform()[0] == pycurl.E_CALL_MULTI_PERFORM:
            pass
        finished = 0
        while True:
            queued, done, failed = multi.info_read()
            for c in done:
                finish(c, c.getinfo(pycurl.RESPONSE_CODE), None)
            for c, _, message in failed:
                finish(c, None, message or "network error")
            finished += len(done) + len(failed)
            if not queued:
                break
        if not finished:  # new requests start at once; otherwise wait for a socket
            multi.select(0.5)
    for c in handles:
        c.close()
    multi.close()
    return results


def _retry_after(line: bytes, into: dict) -> None:
    name, _, value = line.partition(b":")
    if name.strip().lower() == b"retry-after":
        into["seconds"] = value.strip().decode("latin-1")


def _claim(now) -> list[Outgoing]:
    """Take the due deliveries (a claim older than CLAIM_SECONDS belonged to a dead worker) and
    read what sending them needs in one query."""
    token = str(uuid.uuid4())
    due = select(PushDelivery.id).where(PushDelivery.state.in_(("due", "sending")), PushDelivery.due_at <= now) \
        .order_by(PushDelivery.due_at).limit(BATCH)
    db.session.execute(update(PushDelivery).where(
        PushDelivery.id.in_(due.scalar_subquery()), PushDelivery.state.in_(("due", "sending")),
        PushDelivery.due_at <= now).values(state="sending", claim=token,
                                           due_at=now + timedelta(seconds=CLAIM_SECONDS)),
        execution_options={"synchronize_session": False})
    db.session.commit()
    rows = db.session.execute(
        select(PushDelivery.id.label("delivery_id"), PushDelivery.attempts, PushDelivery.subscription_id,
               PushSubscription.endpoint, PushSubscription.p256dh, PushSubscription.auth, Notification.id,
               Notification.kind, Notification.level, Notification.warning_id, Notification.url)
        .join(PushSubscription, PushSubscription.id == PushDelivery.subscription_id)
        .join(Notification, Notification.id == PushDelivery.notification_id)
        .where(PushDelivery.claim == token, PushDelivery.state == "sending")).all()
    if not rows:
        return []
    signer = _signer()
    # A row has the notification's fields by name, which is all payload() and _headers() read.
    return [Outgoing(r.delivery_id, r.attempts, r.subscription_id,
                     {"endpoint": r.endpoint, "keys": {"p256dh": r.p256dh, "auth": r.auth}},
                     payload(r), _headers(r, r.endpoint, signer)) for r in rows]


def _headers(n: Notification, endpoint: str, signer: _Signer) -> dict:
    headers = signer.headers(endpoint)
    headers["urgency"] = "low" if n.kind == "digest" else URGENCY.get(n.level, "normal")
    headers["topic"] = f"w{n.warning_id}" if n.warning_id else f"n{n.id}"  # a newer alert replaces an undelivered one
    return headers


def _outcome(d: Outgoing, status: int | None, note: str | None, now) -> dict:
    """The row's new state for the push service's answer."""
    attempts = d.attempts + 1
    answer = str(status or note)
    if status is not None and 200 <= status < 300:
        return _row("sent", attempts, answer, now)
    if status is None or status == 429 or status >= 500:
        backoff = current_app.config["PUSH_BACKOFF"]
        if attempts > len(backoff):
            return _row("failed", attempts, answer, now)
        wait = backoff[attempts - 1]
        if status == 429 and note and note.isdigit():
            wait = max(wait, int(note))  # Retry-After, in seconds
        return _row("due", attempts, answer, now + timedelta(seconds=wait))
    return _row("failed", attempts, answer, now)


def _row(state: str, attempts: int, answer: str, due) -> dict:
    return {"new_state": state, "new_attempts": attempts, "new_status": answer[:32], "new_due": due}


def deliver_due(now=None) -> dict:
    """Send every due delivery; returns counts. Called by the notifications job."""
    totals = {"sent": 0, "retry": 0, "failed": 0, "gone": 0}
    while True:
        now_ = now or clock.now()
        claimed = _claim(now_)
        if not claimed:
            return totals
        results = _send_all(claimed, current_app.config)
        rows, gone = [], set()
        for d, (status, note) in zip(claimed, results, strict=True):
            if status in (404, 410):
                gone.add(d.subscription_id)
            else:
                rows.append({"row_id": d.delivery_id, **_outcome(d, status, note, now_)})
        if rows:
            table = PushDelivery.__table__
            db.session.execute(update(table).where(table.c.id == bindparam("row_id")).values(
                state=bindparam("new_state"), attempts=bindparam("new_attempts"),
                last_status=bindparam("new_status"), due_at=bindparam("new_due"), claim=None), rows)
        sent_subs = {d.subscription_id for d, r in zip(claimed, results, strict=True) if r[0] and 200 <= r[0] < 300}
        if sent_subs:
            db.session.execute(update(PushSubscription).where(PushSubscription.id.in_(sent_subs))
                               .values(last_sent_at=now_))
        for sub_id in gone:
            log.info("push subscription %s is gone (404/410): deleted", sub_id)
            forget(db.session.get(PushSubscription, sub_id))
        db.session.commit()
        for r in rows:
            totals["sent" if r["new_state"] == "sent" else "retry" if r["new_state"] == "due" else "failed"] += 1
        totals["gone"] += len(gone)


def next_due():
    """When the earliest waiting delivery is due (for scheduling the next run), or None."""
    return db.session.scalar(select(PushDelivery.due_at).where(PushDelivery.state == "due")
                             .order_by(PushDelivery.due_at).limit(1))
